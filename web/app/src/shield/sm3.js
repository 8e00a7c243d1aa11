// SM3 (GB/T 32905), HMAC-SM3 (RFC 2104 over SM3), the SM2 key derivation function
// (GB/T 32918.4 §5.4.3) and Argon2id (RFC 9106), all from hash-wasm.
import { argon2id, createHMAC, createSM3 } from 'hash-wasm';
import { concat } from './bytes.js';

let hasher = null;

export async function sm3(data) {
  if (!hasher) hasher = await createSM3();
  // No await between init and digest: the shared instance is never interleaved.
  hasher.init();
  hasher.update(data);
  return hasher.digest('binary');
}

export async function hmacSm3(key, data) {
  const h = await createHMAC(createSM3(), key);
  h.init();
  h.update(data);
  return h.digest('binary');
}

// KDF(Z, klen) = SM3(Z ‖ ct) for ct = 1, 2, … (32-bit big-endian), truncated to klen bytes.
export async function sm2Kdf(z, klen) {
  const out = new Uint8Array(klen);
  let off = 0;
  for (let ct = 1; off < klen; ct++) {
    const c = new Uint8Array([ct >>> 24, (ct >>> 16) & 0xff, (ct >>> 8) & 0xff, ct & 0xff]);
    const block = await sm3(concat(z, c));
    out.set(block.subarray(0, Math.min(32, klen - off)), off);
    off += 32;
  }
  return out;
}

// As libsodium's crypto_pwhash (ALG_ARGON2ID13): one lane, version 0x13; mem_bytes in bytes.
export function argon2idKey(password, salt, limits) {
  return argon2id({
    password,
    salt,
    parallelism: 1,
    iterations: limits.ops,
    memorySize: Math.floor(limits.mem_bytes / 1024),
    hashLength: 32,
    outputType: 'binary',
  });
}
