// The browser's mobile shield over the API: installation, the two-party steps with their unlock
// proofs, and QR scenes — what client/shield.cpp and `certseal scan` do, in JavaScript.
// `api` is web/shared/api/certificates.js (injected so the tests can use another transport).
//
// The password is used once per step: it unmasks d1 and derives the auth key, the step runs, and
// both are wiped. A wrong password is not detectable here (no check value, docs/SHIELD.md); the
// server refuses the proof (403 bad_unlock_proof, "N attempts left") and locks after 5.
import { ShieldError, b64, concat, fromB64, utf8, wipe } from './bytes.js';
import * as cosign from './cosign.js';
import * as store from './store.js';
import { DEFAULT_ID, messageDigest, parsePoint, parseScalar, rawToDer } from './sm2.js';
import { derive, maskForPassword, maskShare, maskShareForRecovery, proof } from './unlock.js';
import { certificateSerial, envelopeEncryptedKey, loginAssertion, pemToDer, signedAttributes } from './cms.js';

// The public key in a certificate PEM: the 65-byte point at the end of its SubjectPublicKeyInfo
// (SM2 keys: the BIT STRING 03 42 00 04 ‖ x ‖ y).
export function certificatePublicPoint(pem) {
  const der = pemToDer(pem);
  for (let i = 0; i + 68 <= der.length; i++) {
    if (der[i] === 0x03 && der[i + 1] === 0x42 && der[i + 2] === 0x00 && der[i + 3] === 0x04) {
      const p = der.slice(i + 3, i + 68);
      try {
        parsePoint(p);
        return p;
      } catch {
        // keep looking
      }
    }
  }
  throw new ShieldError('bad_certificate', 'the certificate holds no SM2 public key');
}

async function unlock(key, deviceId, password) {
  const { shareKey, authKey } = await derive(password, key.salt, deviceId, key.limits);
  const d1 = await maskShare(key.maskedD1, shareKey);
  wipe(shareKey);
  parseScalar(d1, 'the device share');
  return { d1, authKey };
}

export class BrowserShield {
  // The PIN cache (docs/WEBAPP.md): after a step the server accepted, the unlocked share and auth
  // key may be kept in this tab's memory for `cacheSeconds` (0, the default: never), so that the
  // next steps need no password; they are overwritten when the time is up, on forget() and on a
  // password change. Never written to storage.
  #cache = new Map();
  cacheSeconds = 0;

  constructor(api, options = {}) {
    this.api = api;
    this.store = options.store || store;
    this.onProgress = options.onProgress || (() => {});
  }

  // True when a step with this key needs no password now.
  isCached(keyId) {
    const c = this.#cache.get(keyId);
    if (c && c.until > Date.now()) return true;
    if (c) this.#drop(keyId);
    return false;
  }

  forget() {
    for (const id of [...this.#cache.keys()]) this.#drop(id);
  }

  #drop(keyId) {
    const c = this.#cache.get(keyId);
    if (!c) return;
    clearTimeout(c.timer);
    wipe(c.d1);
    wipe(c.authKey);
    this.#cache.delete(keyId);
  }

  #remember(keyId, d1, authKey) {
    if (!(this.cacheSeconds > 0) || this.#cache.has(keyId)) return;
    const timer = setTimeout(() => this.#drop(keyId), this.cacheSeconds * 1000);
    this.#cache.set(keyId, { d1: d1.slice(), authKey: authKey.slice(), until: Date.now() + this.cacheSeconds * 1000, timer });
  }

  // The unlocked share: from the cache (password null) or from the password.
  async #unlocked(key, deviceId, password) {
    if (password == null) {
      if (!this.isCached(key.keyId)) throw new ShieldError('password_required', 'the certificate password is needed');
      const c = this.#cache.get(key.keyId);
      return { d1: c.d1.slice(), authKey: c.authKey.slice(), cached: true };
    }
    return { ...(await unlock(key, deviceId, password)), cached: false };
  }

  async device() {
    return this.store.device();
  }

  // Installs an approved certificate order in this browser: two-party key generation, the
  // certificate checked against the generated key, the share stored masked under `password`.
  async install(orderId, password) {
    const dev = await this.device();
    this.onProgress('keygen');
    const kg = cosign.keygenStart();
    const m = await maskForPassword(kg.d1, dev.device_id, password);
    this.onProgress('issue');
    const a = await this.api.install(orderId, {
      device_id: dev.device_id,
      device_name: dev.device_name,
      p1: b64(kg.request),
      auth_key: b64(m.authKey),
      salt: b64(m.salt),
    });
    wipe(m.authKey);
    const pub = cosign.keygenFinish(fromB64(a.keygen_response));
    const pem = a.certificate?.certificate_pem;
    if (pem) {
      const certified = certificatePublicPoint(pem);
      if (b64(certified) !== b64(pub)) {
        throw new ShieldError('key_mismatch', 'the certificate does not certify the key generated in this browser');
      }
    }
    const recoveryKey = fromB64(a.recovery_key);
    const key = {
      keyId: a.key_id,
      certificateId: a.certificate?.id || '',
      publicKey: pub,
      salt: m.salt,
      limits: m.limits,
      maskedD1: m.masked,
      recoveryD1: await maskShareForRecovery(kg.d1, recoveryKey, dev.device_id),
      createdAt: new Date().toISOString(),
    };
    wipe(kg.d1);
    wipe(recoveryKey);
    await this.store.saveKey(key);
    this.onProgress('done');
    return { key, answer: a };
  }

  // One proof-carrying step: challenge, then `send(nonce, proofB64)`.
  async #step(key, deviceId, authKey, operation, payload, send) {
    const ch = await this.api.challenge(key.keyId, deviceId);
    const p = await proof(authKey, operation, key.keyId, deviceId, ch.nonce, payload);
    return send(ch.nonce, b64(p));
  }

  // Signs `message` with the key (SM2 with SM3, signer ID `id`): raw r ‖ s, verified under the key.
  async sign(keyId, password, message, purpose, id = DEFAULT_ID) {
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    const e = await messageDigest(key.publicKey, message, id);
    this.onProgress('unlock');
    const { d1, authKey } = await this.#unlocked(key, dev.device_id, password);
    try {
      for (let attempt = 0; attempt < 4; attempt++) {
        this.onProgress('sign');
        const start = await cosign.signStart(d1, e);
        const a = await this.#step(key, dev.device_id, authKey, 'sign', start.request, (nonce, p) =>
          this.api.signStep(key.keyId, {
            device_id: dev.device_id,
            nonce,
            proof: p,
            request: b64(start.request),
            purpose,
          }),
        );
        try {
          const rs = cosign.signFinish(d1, key.publicKey, start.state, fromB64(a.response));
          this.#remember(key.keyId, d1, authKey);
          return rs;
        } catch (err) {
          if (err.code !== 'cosign_retry') throw err;
        }
      }
      throw new ShieldError('cosign_retry', 'the signature must be made again');
    } finally {
      wipe(d1);
      wipe(authKey);
    }
  }

  // Decrypts an SM2 ciphertext C1 ‖ C3 ‖ C2 through the two-party protocol.
  async decrypt(keyId, password, ciphertext, purpose) {
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    const { d1, authKey } = await this.#unlocked(key, dev.device_id, password);
    try {
      const start = await cosign.decryptStart(d1, ciphertext);
      const a = await this.#step(key, dev.device_id, authKey, 'decrypt', start.request, (nonce, p) =>
        this.api.decryptStep(key.keyId, {
          device_id: dev.device_id,
          nonce,
          proof: p,
          request: b64(start.request),
          purpose,
        }),
      );
      const m = await cosign.decryptFinish(start.state, fromB64(a.response));
      this.#remember(key.keyId, d1, authKey);
      return m;
    } finally {
      wipe(d1);
      wipe(authKey);
    }
  }

  // A new certificate password for this browser's share (the old one unlocks it first).
  async changePassword(keyId, oldPassword, newPassword) {
    this.#drop(keyId);
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    const { d1, authKey } = await unlock(key, dev.device_id, oldPassword);
    try {
      const m = await maskForPassword(d1, dev.device_id, newPassword);
      const payload = concat(m.authKey, m.salt);
      await this.#step(key, dev.device_id, authKey, 'password', payload, (nonce, p) =>
        this.api.passwordStep(key.keyId, dev.device_id, {
          device_id: dev.device_id,
          nonce,
          proof: p,
          auth_key: b64(m.authKey),
          salt: b64(m.salt),
        }),
      );
      wipe(m.authKey);
      await this.store.saveKey({ ...key, salt: m.salt, limits: m.limits, maskedD1: m.masked });
    } finally {
      wipe(d1);
      wipe(authKey);
    }
  }

  // ---- QR scenes (docs/INTEGRATION.md) ----

  // The one-time token of a scanned QR payload ("<server>/s/<token>"); only this server's.
  static sceneToken(payload, origin = globalThis.location?.origin) {
    const at = payload.lastIndexOf('/s/');
    const token = at >= 0 ? payload.slice(at + 3) : '';
    if (!token || !/^[A-Za-z0-9_-]+$/.test(token)) throw new ShieldError('scene_bad_payload', 'not a CertSeal QR code');
    const base = payload.slice(0, at);
    if (origin && base && new URL(base, origin).origin !== new URL(origin).origin) {
      throw new ShieldError('scene_other_server', 'this QR code belongs to another server');
    }
    return token;
  }

  // Answers a claimed scene with the chosen certificate: 06 (login) and 20 (sign a message) sign
  // through the two-party protocol; 14 (authorised decryption) unwraps the envelope's content key
  // through the two-party decryption and hands it over; 16 (authorised encryption) uses no key.
  // `issuer`: the certificate's issuer as the server prints it (its details.issuer).
  async completeScene(claim, cert, issuer, password) {
    const scene = claim.scene;
    if (scene === '16') return this.api.sceneComplete(claim.id, { certificate_id: cert.certificate_id });
    if (scene === '14') {
      const encryptedKey = envelopeEncryptedKey(fromB64(claim.message));
      const cek = await this.decrypt(cert.key_id, password, encryptedKey, `scene 14 ${claim.id}`);
      try {
        return await this.api.sceneComplete(claim.id, { certificate_id: cert.certificate_id, content_key: b64(cek) });
      } finally {
        wipe(cek);
      }
    }
    if (scene !== '06' && scene !== '20') throw new ShieldError('scene_unsupported', `scene ${scene} is not supported here`);
    const signingTime = Math.floor(Date.now() / 1000);
    let content = claim.message ? fromB64(claim.message) : new Uint8Array();
    if (scene === '06') {
      const der = pemToDer(cert.certificate_pem);
      content = loginAssertion({
        requestId: claim.id,
        appId: claim.app_id,
        platformId: claim.platform_id,
        nonce: claim.nonce,
        certificateId: cert.certificate_id,
        orgId: cert.org_id,
        serial: certificateSerial(der),
        issuer,
        subject: cert.subject,
        issuedAt: signingTime,
      });
    }
    const attrs = await signedAttributes(claim.form, content, signingTime);
    const rs = await this.sign(cert.key_id, password, attrs, `scene ${scene} ${claim.id}`);
    return this.api.sceneComplete(claim.id, {
      certificate_id: cert.certificate_id,
      signing_time: signingTime,
      signature: b64(rawToDer(rs)),
    });
  }
}

export { utf8 };
