// Byte helpers shared by the shield modules (no dependencies, no Vue).

export const utf8 = (s) => new TextEncoder().encode(s);

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function hex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromHex(s) {
  if (s.length % 2 || /[^0-9a-fA-F]/.test(s)) throw new ShieldError('bad_hex', 'not hexadecimal');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

export function b64(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromB64(s) {
  if (typeof s !== 'string') throw new ShieldError('bad_answer', 'expected base64 text');
  let bin;
  try {
    bin = atob(s);
  } catch {
    throw new ShieldError('bad_answer', 'bad base64');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Constant-time comparison of two byte arrays of public length.
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function xor(a, b) {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

export function wipe(b) {
  if (b) b.fill(0);
}

export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

// Errors carry a stable code like the C++ client's (docs/SHIELD.md) and the API's problem codes.
export class ShieldError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ShieldError';
    this.code = code;
  }
}
