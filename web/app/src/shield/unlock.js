// Unlocking a device share, exactly as src/crypto/unlock.h and docs/SHIELD.md "Unlocking":
//
//   master    = Argon2id(password, salt)
//   share_key = HMAC-SM3(master, "certseal-shield-v1 share\n" ‖ device_id)
//   auth_key  = HMAC-SM3(master, "certseal-shield-v1 auth\n"  ‖ device_id)
//   masked d1 = d1 XOR SM2-KDF(share_key, 32)                 (no check value, on purpose)
//   recovery  = d1 XOR SM2-KDF(recovery_key ‖ device_id, 32)
//   proof     = HMAC-SM3(auth_key, "certseal-shield-v1 proof\n" ‖ op ‖ "\n" ‖ key_id ‖ "\n" ‖
//               device_id ‖ "\n" ‖ nonce ‖ "\n" ‖ SM3(payload))
//
// tests/vectors/shield_unlock.json holds values computed by the C++ client that these functions
// must reproduce (unlock.test.js; the C++ side checks the same file).
import { ShieldError, concat, randomBytes, utf8, wipe, xor } from './bytes.js';
import { argon2idKey, hmacSm3, sm2Kdf, sm3 } from './sm3.js';

const TAG = 'certseal-shield-v1 ';
export const SALT_SIZE = 16;
// libsodium's interactive limits, as the C++ client (crypto/password.h).
export const DEFAULT_LIMITS = Object.freeze({ ops: 2, mem_bytes: 64 * 1024 * 1024 });

export async function derive(password, salt, deviceId, limits = DEFAULT_LIMITS) {
  if (salt.length !== SALT_SIZE) throw new ShieldError('bad_salt', 'the unlock salt must be 16 bytes');
  if (!deviceId) throw new ShieldError('bad_device_id', 'a device id is required');
  const master = await argon2idKey(utf8(password), salt, limits);
  const shareKey = await hmacSm3(master, utf8(`${TAG}share\n${deviceId}`));
  const authKey = await hmacSm3(master, utf8(`${TAG}auth\n${deviceId}`));
  wipe(master);
  return { shareKey, authKey };
}

// d1 XOR mask(share_key); the same call unmasks.
export async function maskShare(scalar, shareKey) {
  return xor(scalar, await sm2Kdf(shareKey, scalar.length));
}

export async function maskShareForRecovery(scalar, recoveryKey, deviceId) {
  return xor(scalar, await sm2Kdf(concat(recoveryKey, utf8(deviceId)), scalar.length));
}

export async function proof(authKey, operation, keyId, deviceId, nonce, payload) {
  const head = utf8(`${TAG}proof\n${operation}\n${keyId}\n${deviceId}\n${nonce}\n`);
  return hmacSm3(authKey, concat(head, await sm3(payload)));
}

// A new password for a share: fresh salt, the masked share and the auth key for the server.
export async function maskForPassword(d1, deviceId, password, limits = DEFAULT_LIMITS) {
  const salt = randomBytes(SALT_SIZE);
  const { shareKey, authKey } = await derive(password, salt, deviceId, limits);
  const masked = await maskShare(d1, shareKey);
  wipe(shareKey);
  return { salt, limits: { ...limits }, masked, authKey };
}
