// SM4 (GB/T 32907) in CTR mode and the AEAD the C++ side uses for the pairing envelope
// (src/crypto/cipher.h sm4_aead_seal/open): keys enc = HMAC-SM3(key, "CertSeal SM4-CTR-HMAC-SM3
// enc")[0..16), mac = HMAC-SM3(key, "... mac"); sealed = nonce(16) ‖ SM4-CTR(enc, nonce, plain) ‖
// HMAC-SM3(mac, be64(|aad|) ‖ aad ‖ nonce ‖ ciphertext)(32). The block cipher is ours
// (sm4_block.js, checked against the standard's examples and the openssl CLI); the counter is the
// whole 128-bit block, big-endian, as OpenSSL's EVP_sm4_ctr.
import { sm4EncryptBlock, sm4RoundKeys } from './sm4_block.js';
import { ShieldError, concat, equalBytes, randomBytes, utf8, wipe } from './bytes.js';
import { hmacSm3 } from './sm3.js';

const NONCE = 16;
const TAG = 32;

// CTR is its own inverse. `iv`: the 16-byte initial counter.
export function sm4Ctr(key, iv, data) {
  if (key.length !== 16 || iv.length !== 16) throw new ShieldError('bad_key', 'SM4 takes a 16-byte key and counter');
  const out = new Uint8Array(data.length);
  const ctr = iv.slice();
  const rk = sm4RoundKeys(key);
  for (let off = 0; off < data.length; off += 16) {
    const ks = sm4EncryptBlock(rk, ctr);
    for (let i = 0; i < 16 && off + i < data.length; i++) out[off + i] = data[off + i] ^ ks[i];
    wipe(ks);
    for (let i = 15; i >= 0; i--) {
      ctr[i] = (ctr[i] + 1) & 0xff;
      if (ctr[i] !== 0) break;
    }
  }
  wipe(rk);
  return out;
}

async function keys(key) {
  if (key.length < 16) throw new ShieldError('bad_key', 'the AEAD key is too short');
  const e = await hmacSm3(key, utf8('CertSeal SM4-CTR-HMAC-SM3 enc'));
  const mac = await hmacSm3(key, utf8('CertSeal SM4-CTR-HMAC-SM3 mac'));
  const enc = e.slice(0, 16);
  wipe(e);
  return { enc, mac };
}

function tagInput(aad, nonce, c) {
  const len = new Uint8Array(8);
  let n = aad.length;
  for (let i = 7; i >= 0; i--, n = Math.floor(n / 256)) len[i] = n & 0xff;
  return concat(len, aad, nonce, c);
}

export async function sm4AeadSeal(key, plain, aad, nonce = randomBytes(NONCE)) {
  const k = await keys(key);
  const c = sm4Ctr(k.enc, nonce, plain);
  const tag = await hmacSm3(k.mac, tagInput(aad, nonce, c));
  wipe(k.enc);
  wipe(k.mac);
  return concat(nonce, c, tag);
}

// Throws decryption_failed when the tag does not match (nothing is decrypted then).
export async function sm4AeadOpen(key, sealed, aad) {
  if (sealed.length < NONCE + TAG) throw new ShieldError('decryption_failed', 'the sealed data does not open');
  const k = await keys(key);
  const nonce = sealed.subarray(0, NONCE);
  const c = sealed.subarray(NONCE, sealed.length - TAG);
  const want = await hmacSm3(k.mac, tagInput(aad, nonce, c));
  wipe(k.mac);
  if (!equalBytes(want, sealed.subarray(sealed.length - TAG))) {
    wipe(k.enc);
    throw new ShieldError('decryption_failed', 'the sealed data does not open');
  }
  const p = sm4Ctr(k.enc, nonce, c);
  wipe(k.enc);
  return p;
}
