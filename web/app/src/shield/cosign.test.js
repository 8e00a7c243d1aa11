// The device half of two-party SM2 in JavaScript against a server half written here for the
// test (the equations of docs/CRYPTO.md on the same noble curve). The results are checked by
// tools that share no code with it: the openssl CLI and sm-crypto (tests/interop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, hex, utf8, concat } from './bytes.js';
import { G, inv, mod, parsePoint, pointBytes, publicKeyPem, randomScalar, rawToDer, scalarBytes, messageDigest } from './sm2.js';
import * as cosign from './cosign.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';

const interop = new URL('../../../../tests/interop/sm2.js', import.meta.url).pathname;
const smCrypto = (...args) => execFileSync('node', [interop, ...args], { encoding: 'utf8' }).trim();

// ---- the server's half, for the test only ----
function serverKeygen(request) {
  const p1 = parsePoint(request.subarray(2));
  const d2 = randomScalar();
  const P = p1.multiply(inv(d2)).add(G.negate());
  return { d2, response: concat(new Uint8Array([0x02, 1]), pointBytes(P)) };
}
function serverSign(d2, request) {
  const e = bytesToNumberBE(request.subarray(2, 34));
  const q1 = parsePoint(request.subarray(34));
  const k2 = randomScalar();
  const k3 = randomScalar();
  const x1 = q1.multiply(k3).add(G.multiply(k2)).toAffine().x;
  const r = mod(e + x1);
  return concat(new Uint8Array([0x04, 1]), scalarBytes(r), scalarBytes(mod(d2 * k3)), scalarBytes(mod(d2 * (r + k2))));
}
function serverDecrypt(d2, request) {
  const t1 = parsePoint(request.subarray(2));
  return concat(new Uint8Array([0x06, 1]), pointBytes(t1.multiply(inv(d2))));
}

function pair() {
  const kg = cosign.keygenStart();
  const server = serverKeygen(kg.request);
  return { d1: kg.d1, d2: server.d2, pub: cosign.keygenFinish(server.response) };
}

async function sign(p, message, id) {
  const e = await messageDigest(p.pub, message, id);
  const start = await cosign.signStart(p.d1, e);
  return cosign.signFinish(p.d1, p.pub, start.state, serverSign(p.d2, start.request));
}

test('a two-party signature made by the JS device half verifies with the openssl CLI and sm-crypto', async () => {
  const p = pair();
  const msg = utf8('signed by a browser and the server');
  const rs = await sign(p, msg);
  assert.equal(smCrypto('verify', hex(p.pub), hex(msg), hex(rs), 'raw', '1234567812345678'), 'true');
  const dir = mkdtempSync(join(tmpdir(), 'shield-'));
  try {
    writeFileSync(join(dir, 'pub.pem'), publicKeyPem(p.pub));
    writeFileSync(join(dir, 'msg'), msg);
    writeFileSync(join(dir, 'sig'), rawToDer(rs));
    execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-digest', 'sm3',
      '-in', join(dir, 'msg'), '-sigfile', join(dir, 'sig'), '-pkeyopt', 'distid:1234567812345678'], { stdio: 'pipe' });
    // A changed message must not verify (openssl exits non-zero).
    writeFileSync(join(dir, 'msg'), utf8('another message'));
    assert.throws(() => execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin',
      '-digest', 'sm3', '-in', join(dir, 'msg'), '-sigfile', join(dir, 'sig'), '-pkeyopt', 'distid:1234567812345678'],
      { stdio: 'pipe' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a signature under another SM2 ID verifies for that ID only', async () => {
  const p = pair();
  const msg = utf8('id matters');
  const rs = await sign(p, msg, 'ALICE123@YAHOO.COM');
  assert.equal(smCrypto('verify', hex(p.pub), hex(msg), hex(rs), 'raw', 'ALICE123@YAHOO.COM'), 'true');
  assert.equal(smCrypto('verify', hex(p.pub), hex(msg), hex(rs), 'raw', '1234567812345678'), 'false');
});

// A server (or a man in the middle) that answers with values of its own gets no signature out
// of the device: the device checks (r, s) under P before handing it out.
test('a forged server answer is refused, never returned as a signature', async () => {
  const p = pair();
  const e = await messageDigest(p.pub, utf8('x'));
  const start = await cosign.signStart(p.d1, e);
  const good = serverSign(p.d2, start.request);
  const forged = good.slice();
  forged[40] ^= 1;
  assert.throws(() => cosign.signFinish(p.d1, p.pub, start.state, forged), { code: 'cosign_bad_server_answer' });
  const zero = good.slice();
  zero.fill(0, 2, 34);
  assert.throws(() => cosign.signFinish(p.d1, p.pub, start.state, zero), { code: 'scalar_out_of_range' });
  assert.throws(() => cosign.signFinish(p.d1, p.pub, start.state, good.subarray(0, 50)), { code: 'bad_message' });
  // A share that belongs to another key (the server share was replaced) signs nothing either.
  const other = pair();
  assert.throws(() => cosign.signFinish(other.d1, p.pub, start.state, good), { code: 'cosign_bad_server_answer' });
});

test('two-party decryption of an sm-crypto ciphertext (C1C3C2) gives the plaintext', async () => {
  const p = pair();
  const plain = utf8('密文 for the browser');
  const c = fromHex('04' + smCrypto('encrypt', hex(p.pub), hex(plain), '1'));
  const start = await cosign.decryptStart(p.d1, c);
  const m = await cosign.decryptFinish(start.state, serverDecrypt(p.d2, start.request));
  assert.equal(new TextDecoder().decode(m), '密文 for the browser');
});

test('decryption refuses a C1 off the curve and a server point that fails the C3 check', async () => {
  const p = pair();
  const c = fromHex('04' + smCrypto('encrypt', hex(p.pub), hex(utf8('abc')), '1'));
  const offCurve = c.slice();
  offCurve[64] ^= 1;
  await assert.rejects(cosign.decryptStart(p.d1, offCurve), { code: 'point_not_on_curve' });
  const start = await cosign.decryptStart(p.d1, c);
  const wrong = concat(new Uint8Array([0x06, 1]), pointBytes(G.multiply(12345n)));
  await assert.rejects(cosign.decryptFinish(start.state, wrong), { code: 'decryption_failed' });
});

test('the key generation answer must be a point on the curve', () => {
  const bad = new Uint8Array(67);
  bad[0] = 0x02;
  bad[1] = 1;
  bad[2] = 4;
  assert.throws(() => cosign.keygenFinish(bad), { code: 'point_not_on_curve' });
  assert.throws(() => cosign.keygenFinish(new Uint8Array([0x03, 1])), { code: 'bad_message' });
});
