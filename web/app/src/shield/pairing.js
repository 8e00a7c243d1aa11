// Adding a device to a key (docs/SHIELD.md "Adding a device"; src/crypto/pairing.h), the browser's
// halves of exactly the C++ protocol and bytes:
//
//   code       = base32(s ‖ tag), 24 characters in groups of four
//   tag        = SM3("certseal-pairing-code v1\n" ‖ pairing_id ‖ "\n" ‖ device_id ‖ "\n" ‖ E_B ‖ s)[0..7)
//   transcript = "certseal-pairing v1\n" ‖ pairing_id ‖ "\n" ‖ device_id ‖ "\n" ‖ E_A ‖ E_B
//   K          = SM2-KDF(x(a·E_B) ‖ y(a·E_B) ‖ s ‖ SM3(transcript), 16)
//   envelope   = 20 01 ‖ E_A ‖ SM4-AEAD(K, x ‖ P ‖ key_id, aad = transcript),  x = d1·u
//
// The new device (B) keeps e_B and s in memory only; the old device (A) refuses before computing
// anything unless the relayed E_B and device id are the ones the code was made for; B refuses an
// envelope that does not open (pairing_envelope_forged) and sends nothing then.
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { ShieldError, concat, equalBytes, randomBytes, utf8, wipe } from './bytes.js';
import { sm2Kdf, sm3 } from './sm3.js';
import { sm4AeadOpen, sm4AeadSeal } from './sm4.js';
import { DEFAULT_ID, G, inv, messageDigest, mod, parsePoint, parseScalar, pointBytes, randomScalar, rawToDer, scalarBytes } from './sm2.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET = 8;
const TAG = 7;
const VERSION = 1;
const REFRESH_REQUEST = 0x07;
const JOIN_REQUEST = 0x08;

export function formatCode(bytes) {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out.match(/.{1,4}/g).join('-');
}

export function parseCode(code) {
  const bad = () => new ShieldError('bad_pairing_code', 'the pairing code is 24 letters and digits 2-7');
  const out = [];
  let buffer = 0;
  let bits = 0;
  let chars = 0;
  for (const c of String(code)) {
    if (c === '-' || c === ' ') continue;
    const v = ALPHABET.indexOf(c.toUpperCase());
    if (v < 0) throw bad();
    chars++;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  if (chars !== 24 || out.length !== SECRET + TAG) throw bad();
  return Uint8Array.from(out);
}

async function codeTag(secret, pairingId, deviceId, eB) {
  const h = await sm3(concat(utf8(`certseal-pairing-code v1\n${pairingId}\n${deviceId}\n`), eB, secret));
  return h.slice(0, TAG);
}

const transcript = (pairingId, deviceId, eA, eB) => concat(utf8(`certseal-pairing v1\n${pairingId}\n${deviceId}\n`), eA, eB);

async function channelKey(ownScalar, peerPoint, secret, tr) {
  const shared = parsePoint(peerPoint, "the other device's ephemeral key").multiply(ownScalar);
  const aff = shared.toAffine();
  const z = concat(scalarBytes(aff.x), scalarBytes(aff.y), secret, await sm3(tr));
  const k = await sm2Kdf(z, 16);
  wipe(z);
  return k;
}

const forged = () =>
  new ShieldError('pairing_envelope_forged', 'the key share did not come from your other device for this pairing code');

// ---- the new device (B) ----

export function newDeviceStart() {
  const e = randomScalar();
  return { ephemeral: e, ephemeralPublic: pointBytes(G.multiply(e)), secret: randomBytes(SECRET) };
}

export async function pairingCode(b, pairingId, deviceId) {
  return formatCode(concat(b.secret, await codeTag(b.secret, pairingId, deviceId, b.ephemeralPublic)));
}

// Opens A's envelope and joins the key: B's own share d1' and y = x·d1'⁻¹ for the server.
export async function newDeviceJoin(b, pairingId, deviceId, envelope) {
  if (!(envelope instanceof Uint8Array) || envelope.length < 2 + 65 + 1 || envelope[0] !== 0x20 || envelope[1] !== VERSION) {
    throw forged();
  }
  const eA = envelope.subarray(2, 67);
  try {
    parsePoint(eA, "the old device's ephemeral key");
  } catch {
    throw forged();
  }
  const tr = transcript(pairingId, deviceId, eA, b.ephemeralPublic);
  const k = await channelKey(b.ephemeral, eA, b.secret, tr);
  let plain;
  try {
    plain = await sm4AeadOpen(k, envelope.subarray(67), tr);
  } catch {
    throw forged();
  } finally {
    wipe(k);
  }
  if (plain.length <= 32 + 65) throw forged();
  const x = parseScalar(plain.subarray(0, 32), "the old device's factor x");
  const publicKey = plain.slice(32, 97);
  parsePoint(publicKey, 'the public key');
  const keyId = new TextDecoder().decode(plain.subarray(97));
  wipe(plain);
  const d1 = randomScalar();
  const y = mod(x * inv(d1));
  return { d1: scalarBytes(d1), publicKey, keyId, joinRequest: concat(new Uint8Array([JOIN_REQUEST, VERSION]), scalarBytes(y)) };
}

// The bytes B signs with e_B to complete.
export async function completionMessage(pairingId, challenge, joinRequest, authKey, salt) {
  return concat(utf8(`certseal-pairing-completion v1\n${pairingId}\n${challenge}\n`), await sm3(concat(joinRequest, authKey, salt)));
}

// An ordinary SM2 signature (GB/T 32918.2 §6.1, default ID) with B's ephemeral key, DER.
export async function signWithEphemeral(b, message) {
  const d = b.ephemeral;
  const e = bytesToNumberBE(await messageDigest(b.ephemeralPublic, message, DEFAULT_ID));
  for (;;) {
    const k = randomScalar();
    const r = mod(e + G.multiply(k).toAffine().x);
    if (r === 0n || mod(r + k) === 0n) continue;
    const s = mod(inv(1n + d) * (k - r * d));
    if (s === 0n) continue;
    return rawToDer(concat(scalarBytes(r), scalarBytes(s)));
  }
}

// ---- the old device (A), unlocked ----

// Refuses (pairing_code_mismatch) before anything is computed unless the relayed key and device
// id are the ones the code was made for. Returns the envelope for B and u for the server.
export async function oldDeviceGrant(d1Bytes, publicKey, keyId, code, pairingId, deviceId, relayedPublic) {
  const raw = parseCode(code);
  const secret = raw.slice(0, SECRET);
  let ok = false;
  try {
    parsePoint(relayedPublic, "the new device's key");
    ok = equalBytes(await codeTag(secret, pairingId, deviceId, relayedPublic), raw.subarray(SECRET));
  } catch {
    ok = false;
  }
  wipe(raw);
  if (!ok) {
    wipe(secret);
    throw new ShieldError('pairing_code_mismatch', "the pairing code does not match the new device's key as the server relayed it: nothing was sent");
  }
  const d1 = parseScalar(d1Bytes, 'the device share');
  const u = randomScalar();
  const x = mod(d1 * u);
  const a = randomScalar();
  const eA = pointBytes(G.multiply(a));
  const tr = transcript(pairingId, deviceId, eA, relayedPublic);
  const k = await channelKey(a, relayedPublic, secret, tr);
  wipe(secret);
  const plain = concat(scalarBytes(x), publicKey, utf8(keyId));
  const sealed = await sm4AeadSeal(k, plain, tr);
  wipe(k);
  wipe(plain);
  return {
    envelope: concat(new Uint8Array([0x20, VERSION]), eA, sealed),
    refreshRequest: concat(new Uint8Array([REFRESH_REQUEST, VERSION]), scalarBytes(u)),
  };
}
