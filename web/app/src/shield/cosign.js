// The device half of two-party SM2 (src/crypto/cosign.h, docs/CRYPTO.md): messages in the same
// byte encoding (tag, version 1, fixed-size fields) and the same equations.
//
//   keygen   d1, P1 = d1⁻¹·G                        → server → P
//   sign     e, k1, Q1 = k1·G                        → server → (r, s2, s3)
//            s = d1·k1·s2 + d1·s3 − r; reject s = 0 or s + r = n; verify (r, s) under P
//   decrypt  check C1, w, T1 = (w·d1⁻¹)·C1           → server → T2
//            (x2, y2) = w⁻¹·T2 − C1; t = KDF(x2 ‖ y2, |C2|); M = C2 ⊕ t; check C3 = SM3(x2 ‖ M ‖ y2)
//
// Every received point and scalar is checked before use. A signature that does not verify under
// P is never returned (cosign_bad_server_answer).
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { ShieldError, concat, equalBytes, xor } from './bytes.js';
import { sm2Kdf, sm3 } from './sm3.js';
import {
  G,
  N,
  hedgedScalar,
  inv,
  mod,
  parsePoint,
  parseScalar,
  pointBytes,
  randomScalar,
  scalarBytes,
  verifyDigest,
} from './sm2.js';

const VERSION = 1;
export const TAG = Object.freeze({
  keygenRequest: 0x01,
  keygenResponse: 0x02,
  signRequest: 0x03,
  signResponse: 0x04,
  decryptRequest: 0x05,
  decryptResponse: 0x06,
});

function frame(tag, ...fields) {
  return concat(new Uint8Array([tag, VERSION]), ...fields);
}

function unframe(b, tag, bodyLen, what) {
  if (!(b instanceof Uint8Array) || b.length !== 2 + bodyLen || b[0] !== tag || b[1] !== VERSION) {
    throw new ShieldError('bad_message', `the ${what} message is malformed`);
  }
  return b.subarray(2);
}

// ---- key generation ----
export function keygenStart() {
  const d1 = randomScalar();
  const p1 = pointBytes(G.multiply(inv(d1)));
  return { d1: scalarBytes(d1), request: frame(TAG.keygenRequest, p1) };
}

export function keygenFinish(response) {
  const body = unframe(response, TAG.keygenResponse, 65, 'key generation response');
  const pub = body.slice();
  parsePoint(pub, "the server's public key P");
  return pub;
}

// ---- signing ----
export async function signStart(d1Bytes, e) {
  if (e.length !== 32) throw new ShieldError('bad_message', 'the digest e is not 32 bytes');
  const k1 = await hedgedScalar('cosign k1', d1Bytes, e);
  const q1 = pointBytes(G.multiply(k1));
  return { state: { k1, e: e.slice() }, request: frame(TAG.signRequest, e, q1) };
}

export function signFinish(d1Bytes, publicKey, state, response) {
  const body = unframe(response, TAG.signResponse, 96, 'sign response');
  const r = parseScalar(body.subarray(0, 32), "the server's r");
  const s2 = parseScalar(body.subarray(32, 64), "the server's s2");
  const s3 = parseScalar(body.subarray(64, 96), "the server's s3");
  const d1 = parseScalar(d1Bytes, 'the device share');
  const s = mod(d1 * state.k1 * s2 + d1 * s3 - r);
  if (s === 0n || mod(s + r) === 0n) {
    throw new ShieldError('cosign_retry', 'the signature must be made again with a new nonce');
  }
  const rs = concat(scalarBytes(r), scalarBytes(s));
  if (!verifyDigest(publicKey, state.e, rs)) {
    throw new ShieldError(
      'cosign_bad_server_answer',
      "the server's answer does not produce a valid signature for this key",
    );
  }
  return rs;
}

// ---- decryption (ciphertext C1 ‖ C3 ‖ C2, C1 uncompressed) ----
export function parseCiphertext(c) {
  if (!(c instanceof Uint8Array) || c.length < 65 + 32 + 1) {
    throw new ShieldError('bad_ciphertext', 'the ciphertext is too short');
  }
  const c1 = c.subarray(0, 65);
  parsePoint(c1, "the ciphertext's C1");
  return { c1: c1.slice(), c3: c.slice(65, 97), c2: c.slice(97) };
}

export async function decryptStart(d1Bytes, ciphertext) {
  const ct = parseCiphertext(ciphertext);
  const C1 = parsePoint(ct.c1, "the ciphertext's C1");
  const d1 = parseScalar(d1Bytes, 'the device share');
  const w = await hedgedScalar('cosign w', d1Bytes, ct.c1);
  const t1 = pointBytes(C1.multiply(mod(w * inv(d1))));
  return { state: { ct, w }, request: frame(TAG.decryptRequest, t1) };
}

export async function decryptFinish(state, response) {
  const body = unframe(response, TAG.decryptResponse, 65, 'decrypt response');
  const T2 = parsePoint(body.slice(), "the server's point T2");
  const C1 = parsePoint(state.ct.c1, "the ciphertext's C1");
  const S = T2.multiply(inv(state.w)).add(C1.negate());
  if (S.is0()) throw new ShieldError('point_at_infinity', "the server's point T2 gives the point at infinity");
  const xy = pointBytes(S).subarray(1);
  const x2 = xy.subarray(0, 32);
  const y2 = xy.subarray(32);
  const t = await sm2Kdf(xy, state.ct.c2.length);
  if (t.every((b) => b === 0)) throw new ShieldError('decryption_failed', 'the key stream is all zero');
  const m = xor(state.ct.c2, t);
  const c3 = await sm3(concat(x2, m, y2));
  if (!equalBytes(c3, state.ct.c3)) {
    throw new ShieldError('decryption_failed', 'the ciphertext does not decrypt under this key (C3 mismatch)');
  }
  return m;
}

export { N, bytesToNumberBE };
