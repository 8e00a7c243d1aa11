// The browser shield, loaded on demand (noble curves and hash-wasm stay out of the first load).
let instance = null;

export async function shield(onProgress) {
  if (!instance) {
    const [{ BrowserShield }, api] = await Promise.all([
      import('./shield/client.js'),
      import('@shared/api/certificates.js'),
    ]);
    instance = new BrowserShield(api);
  }
  instance.onProgress = onProgress || (() => {});
  return instance;
}
