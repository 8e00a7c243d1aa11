// The browser shield reproduces the C++ client's unlock exactly: tests/vectors/shield_unlock.json
// (written by client/shield_vectors_test.cpp) gives a password and a key file as `certseal`
// stores it; the same share, keys, proofs and digest must come out here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromB64, fromHex, hex } from './bytes.js';
import { derive, maskShare, maskShareForRecovery, proof } from './unlock.js';
import { messageDigest } from './sm2.js';
import { keyFromFile } from './store.js';

const v = JSON.parse(readFileSync(new URL('../../../../tests/vectors/shield_unlock.json', import.meta.url)));
const key = keyFromFile(v.key_file);

test('the same password and key file give the same unlock keys and share as the C++ client', async () => {
  const { shareKey, authKey } = await derive(v.password, key.salt, v.device_id, key.limits);
  assert.equal(hex(shareKey), v.expect.share_key);
  assert.equal(hex(authKey), v.expect.auth_key);
  assert.equal(hex(await maskShare(key.maskedD1, shareKey)), v.expect.d1);
});

test('the same proofs as the C++ client for every operation', async () => {
  const { authKey } = await derive(v.password, key.salt, v.device_id, key.limits);
  for (const [i, p] of v.proofs.entries()) {
    const got = await proof(authKey, p.operation, key.keyId, v.device_id, p.nonce, fromHex(p.payload));
    assert.equal(hex(got), v.expect.proofs[i], p.operation);
  }
});

test('a wrong password unmasks to the same wrong scalar as in C++ and gives other proofs', async () => {
  const { shareKey, authKey } = await derive('wrong password', key.salt, v.device_id, key.limits);
  assert.equal(hex(await maskShare(key.maskedD1, shareKey)), v.expect.d1_wrong_password);
  const p = v.proofs[0];
  const got = await proof(authKey, p.operation, key.keyId, v.device_id, p.nonce, fromHex(p.payload));
  assert.notEqual(hex(got), v.expect.proofs[0]);
});

test('another device id unmasks the copied key file to another scalar', async () => {
  const { shareKey } = await derive(v.password, key.salt, 'another-device', key.limits);
  assert.notEqual(hex(await maskShare(key.maskedD1, shareKey)), v.expect.d1);
});

test('the recovery copy unmasks with the recovery key, as in C++', async () => {
  const d1 = await maskShareForRecovery(key.recoveryD1, fromB64(v.recovery_key), v.device_id);
  assert.equal(hex(d1), v.expect.d1_from_recovery);
});

test('the message digest e = SM3(Z_A ‖ M) equals the C++ one', async () => {
  const e = await messageDigest(key.publicKey, fromHex(v.digest.message), v.digest.id);
  assert.equal(hex(e), v.expect.e);
});
