// The pairing channel (pairing.js, sm4.js) against tools that share no code with it: SM4's
// published test vector (GB/T 32907 Appendix A), the openssl CLI for SM4-CTR with a counter that
// carries across bytes and for HMAC-SM3 (the AEAD tag), and sm-crypto (tests/interop) for the SM2
// signature the new device completes with. Then both halves end to end with a server half written
// here (the equations of docs/CRYPTO.md): d1'·d2' = d1·d2; and the refusals: a code for another
// key or device, a changed envelope, an envelope of another pairing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { concat, fromHex, hex, randomBytes, utf8 } from './bytes.js';
import { G, inv, mod, pointBytes, randomScalar, scalarBytes } from './sm2.js';
import { sm4AeadOpen, sm4AeadSeal, sm4Ctr } from './sm4.js';
import * as pairing from './pairing.js';

const interop = new URL('../../../../tests/interop/sm2.js', import.meta.url).pathname;
const smCrypto = (...args) => execFileSync('node', [interop, ...args], { encoding: 'utf8' }).trim();
const openssl = (args, input) => execFileSync('openssl', args, { input: Buffer.from(input) });

test('SM4 block: the standard vector; CTR as openssl computes it, counter carry included', () => {
  const k = fromHex('0123456789abcdeffedcba9876543210');
  // CTR over zeros with the plaintext as counter is the block cipher itself: the standard vector.
  assert.equal(hex(sm4Ctr(k, k, new Uint8Array(16))), '681edf34d206965e86b3e94f536e4246');
  const iv = fromHex('00112233445566778899aabbccddfffe'); // carries into the upper bytes after two blocks
  const data = randomBytes(100);
  const ours = sm4Ctr(k, iv, data);
  const theirs = openssl(['enc', '-sm4-ctr', '-K', hex(k), '-iv', hex(iv)], data);
  assert.equal(hex(ours), hex(theirs));
  assert.equal(hex(sm4Ctr(k, iv, ours)), hex(data));
});

test('SM4 AEAD: the tag is HMAC-SM3 over be64(|aad|) ‖ aad ‖ nonce ‖ c (openssl); any change is refused', async () => {
  const key = randomBytes(16);
  const aad = utf8('certseal-pairing v1\npairing\ndevice\n');
  const plain = randomBytes(150);
  const nonce = randomBytes(16);
  const sealed = await sm4AeadSeal(key, plain, aad, nonce);
  assert.equal(sealed.length, 16 + 150 + 32);
  const mac = openssl(['mac', '-digest', 'SM3', '-macopt', `hexkey:${hex(key)}`, '-binary', 'HMAC'], utf8('CertSeal SM4-CTR-HMAC-SM3 mac'));
  const enc = openssl(['mac', '-digest', 'SM3', '-macopt', `hexkey:${hex(key)}`, '-binary', 'HMAC'], utf8('CertSeal SM4-CTR-HMAC-SM3 enc')).subarray(0, 16);
  const len = new Uint8Array(8);
  len[7] = aad.length;
  const c = sealed.subarray(16, 166);
  const tag = openssl(['mac', '-digest', 'SM3', '-macopt', `hexkey:${hex(mac)}`, '-binary', 'HMAC'], concat(len, aad, nonce, c));
  assert.equal(hex(sealed.subarray(166)), hex(tag));
  assert.equal(hex(c), hex(openssl(['enc', '-sm4-ctr', '-K', hex(enc), '-iv', hex(nonce)], plain)));
  assert.equal(hex(await sm4AeadOpen(key, sealed, aad)), hex(plain));
  for (const i of [0, 20, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[i] ^= 1;
    await assert.rejects(sm4AeadOpen(key, bad, aad), { code: 'decryption_failed' });
  }
  await assert.rejects(sm4AeadOpen(key, sealed, utf8('other')), { code: 'decryption_failed' });
  await assert.rejects(sm4AeadOpen(key, sealed.subarray(0, 47), aad), { code: 'decryption_failed' });
});

test('the pairing code round-trips and refuses what is not 24 base32 characters', async () => {
  const raw = randomBytes(15);
  const code = pairing.formatCode(raw);
  assert.match(code, /^([A-Z2-7]{4}-){5}[A-Z2-7]{4}$/);
  assert.equal(hex(pairing.parseCode(code.toLowerCase().replaceAll('-', ' '))), hex(raw));
  for (const bad of ['', code.slice(0, -1), `${code}A`, code.replace(/[A-Z]/, '1')]) {
    assert.throws(() => pairing.parseCode(bad), { code: 'bad_pairing_code' });
  }
});

test('the completion signature with e_B verifies with sm-crypto (default ID, DER)', async () => {
  const b = pairing.newDeviceStart();
  const msg = utf8('certseal-pairing-completion v1\np\nchallenge\n');
  const der = await pairing.signWithEphemeral(b, msg);
  assert.equal(smCrypto('verify', hex(b.ephemeralPublic), hex(msg), hex(der), 'der'), 'true');
  assert.equal(smCrypto('verify', hex(b.ephemeralPublic), hex(concat(msg, utf8('x'))), hex(der), 'der'), 'false');
});

// ---- both devices with a server half written here ----
function holder() {
  const d1 = randomScalar();
  const d2 = randomScalar();
  const P = G.multiply(inv(mod(d1 * d2))).add(G.negate());
  return { d1, d2, publicKey: pointBytes(P) };
}

test('A delivers, B joins: d1\'·d2\' = d1·d2, and the forged or misdirected cases are refused', async () => {
  const h = holder();
  const pid = 'pairing-1';
  const did = 'device-b';
  const b = pairing.newDeviceStart();
  const code = await pairing.pairingCode(b, pid, did);
  // A refuses a key the server swapped, or another device id, before it computes anything.
  const other = pairing.newDeviceStart();
  await assert.rejects(pairing.oldDeviceGrant(scalarBytes(h.d1), h.publicKey, 'key-1', code, pid, did, other.ephemeralPublic), { code: 'pairing_code_mismatch' });
  await assert.rejects(pairing.oldDeviceGrant(scalarBytes(h.d1), h.publicKey, 'key-1', code, pid, 'device-x', b.ephemeralPublic), { code: 'pairing_code_mismatch' });
  const g = await pairing.oldDeviceGrant(scalarBytes(h.d1), h.publicKey, 'key-1', code, pid, did, b.ephemeralPublic);
  assert.equal(g.refreshRequest[0], 0x07);
  const u = bytesToNumberBE(g.refreshRequest.subarray(2));
  const z = mod(h.d2 * inv(u)); // the server's pending share for B
  // B refuses a changed envelope, one for another pairing, and one sealed without the code's secret.
  const changed = g.envelope.slice();
  changed[80] ^= 1;
  await assert.rejects(pairing.newDeviceJoin(b, pid, did, changed), { code: 'pairing_envelope_forged' });
  await assert.rejects(pairing.newDeviceJoin(b, 'pairing-2', did, g.envelope), { code: 'pairing_envelope_forged' });
  const fakeCode = await pairing.pairingCode({ ...b, secret: randomBytes(8) }, pid, did);
  const fake = await pairing.oldDeviceGrant(scalarBytes(randomScalar()), h.publicKey, 'key-1', fakeCode, pid, did, b.ephemeralPublic);
  await assert.rejects(pairing.newDeviceJoin(b, pid, did, fake.envelope), { code: 'pairing_envelope_forged' });
  const j = await pairing.newDeviceJoin(b, pid, did, g.envelope);
  assert.equal(j.keyId, 'key-1');
  assert.equal(hex(j.publicKey), hex(h.publicKey));
  assert.equal(j.joinRequest[0], 0x08);
  const d2b = mod(z * bytesToNumberBE(j.joinRequest.subarray(2)));
  assert.equal(mod(bytesToNumberBE(j.d1) * d2b), mod(h.d1 * h.d2));
  assert.notEqual(bytesToNumberBE(j.d1), h.d1);
});
