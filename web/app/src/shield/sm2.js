// SM2 (GB/T 32918) on @noble/curves: the curve is noble's generic short-Weierstrass
// implementation with the SM2 parameters of GB/T 32918.5 — no curve arithmetic of our own.
// Secret scalars are multiplied with noble's constant-time `multiply`; public values (signature
// verification) with `multiplyUnsafe`.
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { mapHashToField } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { ShieldError, concat, equalBytes, randomBytes, utf8 } from './bytes.js';
import { hmacSm3, sm3 } from './sm3.js';

export const SM2_PARAMS = Object.freeze({
  p: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF'),
  n: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123'),
  h: 1n,
  a: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC'),
  b: BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93'),
  Gx: BigInt('0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7'),
  Gy: BigInt('0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0'),
});

export const Point = weierstrass(SM2_PARAMS);
export const N = SM2_PARAMS.n;
export const G = Point.BASE;
// GM/T 0009 default signer ID.
export const DEFAULT_ID = '1234567812345678';

export const mod = (a) => ((a % N) + N) % N;
export const inv = (a) => Point.Fn.inv(mod(a));
export const scalarBytes = (k) => numberToBytesBE(k, 32);

// A 65-byte uncompressed encoding 04 ‖ x ‖ y (infinity is never encoded).
export function pointBytes(P) {
  if (P.is0()) throw new ShieldError('point_at_infinity', 'the point at infinity has no encoding');
  return P.toBytes(false);
}

// Parses a received point: 65-byte uncompressed, on the curve, not infinity (cofactor 1).
export function parsePoint(b, what = 'point') {
  if (!(b instanceof Uint8Array) || b.length !== 65 || b[0] !== 0x04) {
    throw new ShieldError('bad_point_encoding', `${what} is not a 65-byte uncompressed point`);
  }
  let P;
  try {
    P = Point.fromBytes(b);
    P.assertValidity();
  } catch {
    throw new ShieldError('point_not_on_curve', `${what} is not on the SM2 curve`);
  }
  if (P.is0()) throw new ShieldError('point_at_infinity', `${what} is the point at infinity`);
  return P;
}

// Parses a received 32-byte scalar in [1, n-1].
export function parseScalar(b, what = 'scalar') {
  if (!(b instanceof Uint8Array) || b.length !== 32) {
    throw new ShieldError('bad_message', `${what} is not 32 bytes`);
  }
  const k = bytesToNumberBE(b);
  if (k === 0n || k >= N) throw new ShieldError('scalar_out_of_range', `${what} is not in [1, n-1]`);
  return k;
}

export function randomScalar() {
  return bytesToNumberBE(mapHashToField(randomBytes(48), N));
}

// A nonce hedged with the secret it serves and the message (as the C++ client does): a weak
// random generator alone cannot repeat it.
export async function hedgedScalar(label, secret, context) {
  const seed = randomBytes(32);
  const a = await hmacSm3(seed, concat(utf8(label + ' 1\n'), secret, context));
  const b = await hmacSm3(seed, concat(utf8(label + ' 2\n'), secret, context));
  return bytesToNumberBE(mapHashToField(concat(a, b.subarray(0, 16)), N));
}

// Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5).
export async function za(publicKey, id = DEFAULT_ID) {
  const idb = utf8(id);
  const entl = idb.length * 8;
  if (entl > 0xffff) throw new ShieldError('bad_sm2_id', 'the SM2 ID is too long');
  parsePoint(publicKey, 'the public key');
  return sm3(
    concat(
      new Uint8Array([entl >> 8, entl & 0xff]),
      idb,
      scalarBytes(SM2_PARAMS.a),
      scalarBytes(SM2_PARAMS.b),
      scalarBytes(SM2_PARAMS.Gx),
      scalarBytes(SM2_PARAMS.Gy),
      publicKey.subarray(1, 33),
      publicKey.subarray(33, 65),
    ),
  );
}

// e = SM3(Z_A ‖ M).
export async function messageDigest(publicKey, message, id = DEFAULT_ID) {
  return sm3(concat(await za(publicKey, id), message));
}

// GB/T 32918.2 §7.1 verification of raw r ‖ s for the digest e under the public key.
export function verifyDigest(publicKey, e, rs) {
  if (rs.length !== 64 || e.length !== 32) return false;
  const r = bytesToNumberBE(rs.subarray(0, 32));
  const s = bytesToNumberBE(rs.subarray(32));
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = mod(r + s);
  if (t === 0n) return false;
  const P = parsePoint(publicKey, 'the public key');
  const X = G.multiplyUnsafe(s).add(P.multiplyUnsafe(t));
  if (X.is0()) return false;
  const R = mod(bytesToNumberBE(e) + X.toAffine().x);
  return R === r;
}

// Raw r ‖ s (64 bytes) to DER SEQUENCE { INTEGER r, INTEGER s } (GB/T 35276), as openssl reads.
export function rawToDer(rs) {
  const int = (b) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0] & 0x80) v = concat(new Uint8Array([0]), v);
    return concat(new Uint8Array([0x02, v.length]), v);
  };
  const body = concat(int(rs.subarray(0, 32)), int(rs.subarray(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

export { equalBytes };

// SubjectPublicKeyInfo (id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301) as PEM, for
// tools such as the openssl CLI.
export function publicKeyPem(publicKey) {
  parsePoint(publicKey, 'the public key');
  const prefix = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x81, 0x1c,
    0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00,
  ];
  const der = concat(new Uint8Array(prefix), publicKey);
  let s = '';
  for (const b of der) s += String.fromCharCode(b);
  const body = btoa(s).replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
}
