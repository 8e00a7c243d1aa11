// Unlocking with a platform authenticator (指纹/面容替代手机盾密码; docs/SHIELD.md "Unlocking with a
// platform authenticator"). The authenticator does two things for a step:
//   * its PRF output w (released only after user verification) unmasks the second copy of d1:
//       d1 = masked XOR SM2-KDF(w ‖ device_id, 32),  PRF salt = SM3("certseal-shield-v1 webauthn\n" ‖ key_id ‖ device_id)
//   * its assertion over
//       challenge = SM3("certseal-shield-v1 webauthn-step\n" ‖ operation ‖ "\n" ‖ key_id ‖ "\n" ‖ device_id ‖ "\n" ‖ nonce ‖ "\n" ‖ SM3(payload))
//     replaces the password's unlock proof at the server (same binding, same failure budget).
// `creds` is navigator.credentials (injected for tests).
import { ShieldError, b64, concat, fromB64, utf8, wipe, xor } from './bytes.js';
import { sm2Kdf, sm3 } from './sm3.js';

export const prfSalt = (keyId, deviceId) => sm3(concat(utf8('certseal-shield-v1 webauthn\n'), utf8(keyId), utf8(deviceId)));

export async function stepChallenge(operation, keyId, deviceId, nonce, payload) {
  return sm3(concat(utf8(`certseal-shield-v1 webauthn-step\n${operation}\n${keyId}\n${deviceId}\n${nonce}\n`), await sm3(payload)));
}

export async function maskWithPrf(d1, w, deviceId) {
  const pad = await sm2Kdf(concat(w, utf8(deviceId)), 32);
  const out = xor(d1, pad);
  wipe(pad);
  return out;
}

const buf = (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);

function prfOutput(cred) {
  const first = cred.getClientExtensionResults?.()?.prf?.results?.first;
  return first ? new Uint8Array(first) : null;
}

function notAllowed(err) {
  if (err instanceof ShieldError) return err;
  return new ShieldError('webauthn_cancelled', `the fingerprint or face check did not complete (${err?.name || err})`);
}

// Creates a platform credential (ES256, user verification required) and reads its PRF output.
// Returns {credentialId, publicKey (SPKI DER), w}.
export async function createCredential(creds, { rpId, keyId, deviceId, userName }) {
  const salt = await prfSalt(keyId, deviceId);
  let cred;
  try {
    cred = await creds.create({
      publicKey: {
        rp: { id: rpId, name: 'CertSeal' },
        user: { id: buf(utf8(`${keyId}/${deviceId}`).slice(0, 64)), name: userName || keyId, displayName: userName || 'CertSeal' },
        challenge: buf(crypto.getRandomValues(new Uint8Array(32))),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required', residentKey: 'discouraged' },
        attestation: 'none',
        extensions: { prf: { eval: { first: buf(salt) } } },
      },
    });
  } catch (err) {
    throw notAllowed(err);
  }
  if (cred.response.getPublicKeyAlgorithm?.() !== -7) throw new ShieldError('webauthn_unsupported', 'the authenticator made no ES256 key');
  const spki = new Uint8Array(cred.response.getPublicKey());
  const credentialId = new Uint8Array(cred.rawId);
  let w = prfOutput(cred);
  if (!w) {
    // Authenticators that evaluate the PRF only when asserting: one more check of the finger or face.
    w = (await getAssertion(creds, { rpId, credentialId, challenge: crypto.getRandomValues(new Uint8Array(32)), salt })).w;
  }
  return { credentialId, publicKey: spki, w };
}

// An assertion over `challenge` with the PRF evaluated at `salt`: {assertion (for the API), w}.
export async function getAssertion(creds, { rpId, credentialId, challenge, salt, userVerification = 'required' }) {
  let cred;
  try {
    cred = await creds.get({
      publicKey: {
        rpId,
        challenge: buf(challenge),
        allowCredentials: [{ type: 'public-key', id: buf(credentialId) }],
        userVerification,
        extensions: { prf: { eval: { first: buf(salt) } } },
      },
    });
  } catch (err) {
    throw notAllowed(err);
  }
  const w = prfOutput(cred);
  if (!w) throw new ShieldError('webauthn_prf_unsupported', 'this authenticator cannot unlock the key (no PRF)');
  return {
    w,
    assertion: {
      credential_id: b64(new Uint8Array(cred.rawId)),
      authenticator_data: b64(new Uint8Array(cred.response.authenticatorData)),
      client_data_json: b64(new Uint8Array(cred.response.clientDataJSON)),
      signature: b64(new Uint8Array(cred.response.signature)),
    },
  };
}

export { fromB64 };
