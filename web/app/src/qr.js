// QR decoding with jsQR: from a picture file (gallery, or the camera through the file picker) or
// from frames of a getUserMedia video.
import jsQR from 'jsqr';

function decodeCanvas(canvas, ctx) {
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' })?.data || null;
}

export async function decodeFile(file) {
  const bitmap = await createImageBitmap(file);
  // Large photos are scaled down; a small QR picture is scaled up with a quiet zone around it.
  const scale = Math.min(2, 1600 / Math.max(bitmap.width, bitmap.height));
  const w = Math.round(bitmap.width * scale);
  const h = Math.round(bitmap.height * scale);
  const pad = 32;
  const canvas = document.createElement('canvas');
  canvas.width = w + 2 * pad;
  canvas.height = h + 2 * pad;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(bitmap, pad, pad, w, h);
  bitmap.close?.();
  return decodeCanvas(canvas, ctx);
}

// Reads frames from `video` until a QR is found or `signal` aborts.
export async function decodeVideo(video, signal) {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  while (!signal.aborted) {
    if (video.readyState >= 2 && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      const text = decodeCanvas(canvas, ctx);
      if (text) return text;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}
