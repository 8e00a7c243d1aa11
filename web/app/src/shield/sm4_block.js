// The SM4 block cipher (GB/T 32907-2016), encryption direction only: the browser shield uses it in
// CTR mode (sm4.js), which never runs the block cipher backwards. WebCrypto has no SM4.
//
// The S-box is computed, not copied: S(x) = A(I(A(x))), where I is inversion in GF(2^8) modulo
// x^8+x^7+x^6+x^5+x^4+x^2+1 (0x1f5) and A the affine map whose matrix rows are the right
// rotations of 0xd3, plus the constant 0xd3 (the algebraic structure of the standard's table).
// The tests check the table and the cipher against the standard's examples and the openssl CLI.
//
//   const rk = sm4RoundKeys(key16);        // 32 round keys
//   const out = sm4EncryptBlock(rk, in16); // 16 bytes
//
// Contract: pure functions; round keys are a Uint32Array the caller wipes (wipe() in bytes.js).

function gfMul(a, b) {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) r ^= a;
    b >>= 1;
    a <<= 1;
    if (a & 0x100) a ^= 0x1f5;
  }
  return r;
}

// a^254 = a^-1 in GF(2^8) (0 stays 0).
function gfInv(a) {
  let result = 1;
  let base = a;
  for (let e = 254; e > 0; e >>= 1) {
    if (e & 1) result = gfMul(result, base);
    base = gfMul(base, base);
  }
  return a === 0 ? 0 : result;
}

function affine(x) {
  let y = 0;
  for (let i = 0; i < 8; i++) {
    const row = ((0xd3 >> i) | (0xd3 << (8 - i))) & 0xff;
    let bits = row & x;
    bits ^= bits >> 4;
    bits ^= bits >> 2;
    bits ^= bits >> 1;
    y |= (bits & 1) << (7 - i);
  }
  return y ^ 0xd3;
}

export const SM4_SBOX = (() => {
  const s = new Uint8Array(256);
  for (let x = 0; x < 256; x++) s[x] = affine(gfInv(affine(x)));
  return s;
})();

const FK = [0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc];

// CK_i's bytes are (4i + j) * 7 mod 256, j = 0..3 (GB/T 32907 §7.3).
function ck(i) {
  let v = 0;
  for (let j = 0; j < 4; j++) v = (v << 8) | (((4 * i + j) * 7) & 0xff);
  return v >>> 0;
}

const rotl = (x, n) => ((x << n) | (x >>> (32 - n))) >>> 0;

function tau(x) {
  return (
    ((SM4_SBOX[x >>> 24] << 24) |
      (SM4_SBOX[(x >>> 16) & 0xff] << 16) |
      (SM4_SBOX[(x >>> 8) & 0xff] << 8) |
      SM4_SBOX[x & 0xff]) >>>
    0
  );
}

const roundT = (x) => {
  const b = tau(x);
  return (b ^ rotl(b, 2) ^ rotl(b, 10) ^ rotl(b, 18) ^ rotl(b, 24)) >>> 0;
};
const keyT = (x) => {
  const b = tau(x);
  return (b ^ rotl(b, 13) ^ rotl(b, 23)) >>> 0;
};

const word = (b, off) => ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;

export function sm4RoundKeys(key) {
  if (key.length !== 16) throw new RangeError('SM4 takes a 16-byte key');
  const k = [word(key, 0) ^ FK[0], word(key, 4) ^ FK[1], word(key, 8) ^ FK[2], word(key, 12) ^ FK[3]];
  const rk = new Uint32Array(32);
  for (let i = 0; i < 32; i++) {
    const next = (k[i & 3] ^ keyT((k[(i + 1) & 3] ^ k[(i + 2) & 3] ^ k[(i + 3) & 3] ^ ck(i)) >>> 0)) >>> 0;
    k[i & 3] = next;
    rk[i] = next;
  }
  k.fill(0);
  return rk;
}

export function sm4EncryptBlock(rk, input) {
  if (input.length !== 16) throw new RangeError('SM4 encrypts 16-byte blocks');
  const x = [word(input, 0), word(input, 4), word(input, 8), word(input, 12)];
  for (let i = 0; i < 32; i++) {
    x[i & 3] = (x[i & 3] ^ roundT((x[(i + 1) & 3] ^ x[(i + 2) & 3] ^ x[(i + 3) & 3] ^ rk[i]) >>> 0)) >>> 0;
  }
  const out = new Uint8Array(16);
  // The result is the last four words in reverse order: X35, X34, X33, X32.
  for (let j = 0; j < 4; j++) {
    const w = x[(3 - j + 32) & 3];
    out[4 * j] = w >>> 24;
    out[4 * j + 1] = (w >>> 16) & 0xff;
    out[4 * j + 2] = (w >>> 8) & 0xff;
    out[4 * j + 3] = w & 0xff;
  }
  x.fill(0);
  return out;
}
