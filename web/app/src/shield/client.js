// The browser's mobile shield over the API: installation, the two-party steps with their unlock
// proofs, and QR scenes — what client/shield.cpp and `certseal scan` do, in JavaScript.
// `api` is web/shared/api/certificates.js (injected so the tests can use another transport).
//
// The password is used once per step: it unmasks d1 and derives the auth key, the step runs, and
// both are wiped. A wrong password is not detectable here (no check value, docs/SHIELD.md); the
// server refuses the proof (403 bad_unlock_proof, "N attempts left") and locks after 5.
import { ShieldError, b64, concat, fromB64, randomBytes, utf8, wipe } from './bytes.js';
import * as cosign from './cosign.js';
import * as store from './store.js';
import { DEFAULT_ID, messageDigest, parsePoint, parseScalar, rawToDer } from './sm2.js';
import * as pairing from './pairing.js';
import * as webauthn from './webauthn.js';
import { DEFAULT_LIMITS, SALT_SIZE, derive, maskForPassword, maskShare, maskShareForRecovery, proof } from './unlock.js';
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
    this.creds = options.credentials || globalThis.navigator?.credentials;
    this.rpId = options.rpId || globalThis.location?.hostname;
  }

  // ---- the platform authenticator (docs/SHIELD.md "Unlocking with a platform authenticator") ----

  // Whether this browser offers a platform authenticator at all.
  static async authenticatorAvailable() {
    try {
      return !!(await globalThis.PublicKeyCredential?.isUserVerifyingPlatformAuthenticatorAvailable?.());
    } catch {
      return false;
    }
  }

  // Enrols the authenticator for a key on this device, after the password unlocked it: a second
  // copy of d1 masked under the PRF output is kept beside the password-masked one, and the
  // credential's public key goes to the server in a proof-carrying step (webauthn_enrol).
  async enrolWebAuthn(keyId, password) {
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    const { d1, authKey } = await unlock(key, dev.device_id, password);
    try {
      const c = await webauthn.createCredential(this.creds, { rpId: this.rpId, keyId, deviceId: dev.device_id });
      const masked = await webauthn.maskWithPrf(d1, c.w, dev.device_id);
      wipe(c.w);
      await this.#step(key, dev.device_id, authKey, 'webauthn_enrol', concat(c.credentialId, c.publicKey), (nonce, p) =>
        this.api.webauthnEnrol(key.keyId, dev.device_id, {
          device_id: dev.device_id,
          nonce,
          proof: p,
          credential_id: b64(c.credentialId),
          public_key: b64(c.publicKey),
        }),
      );
      await this.store.saveKey({ ...key, webauthn: { credentialId: c.credentialId, masked } });
    } finally {
      wipe(d1);
      wipe(authKey);
    }
  }

  // One sign step unlocked by the authenticator: the nonce first, then the request, then one
  // assertion over both that also releases the PRF output (d1 is needed only to finish).
  async #signWithAuthenticator(key, dev, e, purpose) {
    if (!key.webauthn) throw new ShieldError('webauthn_not_enrolled', 'fingerprint or face unlock is not set up for this certificate');
    for (let attempt = 0; attempt < 4; attempt++) {
      this.onProgress('sign');
      const ch = await this.api.challenge(key.keyId, dev.device_id);
      // k1 is hedged with fresh randomness here: d1 is still masked at this point.
      const start = await cosign.signStart(randomBytes(32), e);
      const challenge = await webauthn.stepChallenge('sign', key.keyId, dev.device_id, ch.nonce, start.request);
      const got = await webauthn.getAssertion(this.creds, {
        rpId: this.rpId,
        credentialId: key.webauthn.credentialId,
        challenge,
        salt: await webauthn.prfSalt(key.keyId, dev.device_id),
      });
      const d1 = await webauthn.maskWithPrf(key.webauthn.masked, got.w, dev.device_id);
      wipe(got.w);
      try {
        const a = await this.api.signStep(key.keyId, {
          device_id: dev.device_id,
          nonce: ch.nonce,
          webauthn: got.assertion,
          request: b64(start.request),
          purpose,
        });
        return cosign.signFinish(d1, key.publicKey, start.state, fromB64(a.response));
      } catch (err) {
        if (err.code !== 'cosign_retry') throw err;
      } finally {
        wipe(d1);
      }
    }
    throw new ShieldError('cosign_retry', 'the signature must be made again');
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

  // Forgets one key's unlocked share (云密钥 证书信息 → 清除密码缓存).
  forgetKey(keyId) {
    this.#drop(keyId);
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
    return this.#enrol((body) => this.api.install(orderId, body), password);
  }

  // 补发 (docs/SHIELD.md "Install and reissue"): a new key for the certificate's identity, after the
  // platform asked for it; `proof` = {code, loginPassword, idCardFront, idCardBack} (blob ids; the
  // photos may be left out when the operator's notice says the identity was checked). The old
  // key is retired by the server; its record leaves this browser.
  async reissue(certificateId, oldKeyId, proof, password) {
    const r = await this.#enrol(
      (body) =>
        this.api.reissue(certificateId, {
          ...body,
          request_id: `reissue-${certificateId}-${body.device_id}-${Date.now()}`,
          code: proof.code,
          password: proof.loginPassword,
          ...(proof.idCardFront ? { id_card_front: proof.idCardFront, id_card_back: proof.idCardBack } : {}),
        }),
      password,
    );
    if (oldKeyId && oldKeyId !== r.key.keyId) {
      this.#drop(oldKeyId);
      await this.store.removeKey(oldKeyId);
    }
    return r;
  }

  // 云密钥 download (docs/CLOUDKEY.md "Set-up on a device"): the server expects exactly the
  // installation's key-generation message; `post(body)` adds the staff number and sends it to the
  // tenant's download route. The same checks and the same key record as install().
  async downloadCloudKey(post, password) {
    return this.#enrol(post, password);
  }

  async #enrol(call, password) {
    const dev = await this.device();
    this.onProgress('keygen');
    const kg = cosign.keygenStart();
    const m = await maskForPassword(kg.d1, dev.device_id, password);
    this.onProgress('issue');
    const a = await call({
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

  // 变更 (docs/SHIELD.md "Certificates of the account"): a new certificate for the same key with
  // the subject taken again from the verified person or organisation; the key record follows it.
  async changeCertificate(certificateId, keyId) {
    const a = await this.api.change(certificateId, { request_id: `change-${certificateId}` });
    const next = a.certificate;
    if (keyId && next?.id) {
      const key = await this.store.loadKey(keyId).catch(() => null);
      if (key) await this.store.saveKey({ ...key, certificateId: next.id });
    }
    return next;
  }

  // 证书延期 with an approved renewal order: the same key, a new certificate (the old one is
  // revoked as superseded); this browser's key record follows it when it holds the key. The
  // request id is the order's, so a retry after a lost answer gets the same certificate.
  // `orgId`: an organisation certificate renewed by the organisation's admin with the admin's
  // order for the organisation (whoever holds the key; the record follows only if it is here).
  async renewCertificate(certificateId, keyId, orderId, orgId = '') {
    const body = { request_id: `renew-${orderId}`, order_id: orderId };
    const a = orgId ? await this.api.orgRenew(orgId, certificateId, body) : await this.api.renew(certificateId, body);
    const next = a.certificate;
    if (keyId && next?.id) {
      const key = await this.store.loadKey(keyId).catch(() => null);
      if (key) await this.store.saveKey({ ...key, certificateId: next.id });
    }
    return next;
  }

  // One proof-carrying step: challenge, then `send(nonce, proofB64)`.
  async #step(key, deviceId, authKey, operation, payload, send) {
    const ch = await this.api.challenge(key.keyId, deviceId);
    const p = await proof(authKey, operation, key.keyId, deviceId, ch.nonce, payload);
    return send(ch.nonce, b64(p));
  }

  // Signs `message` with the key (SM2 with SM3, signer ID `id`): raw r ‖ s, verified under the key.
  // `password`: the certificate password, null (the PIN cache), or {webauthn: true} (the
  // platform authenticator instead of the password).
  async sign(keyId, password, message, purpose, id = DEFAULT_ID) {
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    const e = await messageDigest(key.publicKey, message, id);
    if (password && password.webauthn) return this.#signWithAuthenticator(key, dev, e, purpose);
    return this.#signE(key, dev, e, password, purpose);
  }

  // Signs a 32-byte digest e the caller computed (raw SM2 of e: a PC program's raw-SM2 request,
  // docs/PKCS11.md), verified for e under the key like sign().
  async signDigest(keyId, password, e, purpose) {
    if (!(e instanceof Uint8Array) || e.length !== 32) throw new ShieldError('bad_digest_length', 'an SM2 digest has 32 bytes');
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    if (password && password.webauthn) return this.#signWithAuthenticator(key, dev, e, purpose);
    return this.#signE(key, dev, e, password, purpose);
  }

  async #signE(key, dev, e, password, purpose) {
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
    if (password && password.webauthn) {
      throw new ShieldError('webauthn_sign_only', 'fingerprint or face unlock is for signatures; enter the certificate password');
    }
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
      // The server drops the authenticator's credential with the old password; so does this copy.
      await this.store.saveKey({ ...key, salt: m.salt, limits: m.limits, maskedD1: m.masked, webauthn: null });
    } finally {
      wipe(d1);
      wipe(authKey);
    }
  }

  // 找回证书密码 (docs/SHIELD.md "Recovery and unlocking a locked key", `certseal pin recover`):
  // a forgotten password or a key locked by wrong passwords. `factors`: the SMS code (purpose
  // authorise), the account's login password and a face photo taken now (bytes); the server
  // checks all three, replaces this device's auth key with the new password's and unlocks the
  // key. Its answer's recovery key unmasks this device's recovery copy; the share is masked
  // under the new password and a new recovery copy made under the next recovery key (the used
  // one is retired). Nothing changes here unless the server accepted; the recovered share is
  // checked to be a scalar before anything is stored.
  async recover(keyId, factors, newPassword) {
    return this.#recoverWith(
      keyId,
      (body) =>
        this.api.recoverKey(keyId, {
          ...body,
          code: factors.code,
          password: factors.loginPassword,
          face_image: b64(factors.faceImage),
        }),
      newPassword,
    );
  }

  // 云密钥 找回密码 (docs/CLOUDKEY.md "Recovering the password"): the same re-masking after the
  // server accepted the picture captcha's SMS code; `post(body)` adds the code to
  // {device_id, auth_key, salt} and sends it to the cloud key's recovery route.
  async recoverCloudKey(keyId, post, newPassword) {
    return this.#recoverWith(keyId, post, newPassword);
  }

  async #recoverWith(keyId, post, newPassword) {
    this.#drop(keyId);
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    const salt = randomBytes(SALT_SIZE);
    const limits = { ...DEFAULT_LIMITS };
    const { shareKey, authKey } = await derive(newPassword, salt, dev.device_id, limits);
    let recoveryKey = null;
    let nextKey = null;
    let d1 = null;
    try {
      const a = await post({ device_id: dev.device_id, auth_key: b64(authKey), salt: b64(salt) });
      recoveryKey = fromB64(a.recovery_key);
      nextKey = fromB64(a.next_recovery_key);
      d1 = await maskShareForRecovery(key.recoveryD1, recoveryKey, dev.device_id);
      parseScalar(d1, 'the recovered share');
      const masked = await maskShare(d1, shareKey);
      const recoveryD1 = await maskShareForRecovery(d1, nextKey, dev.device_id);
      // The server drops the authenticator's credential with a recovery; so does this copy.
      await this.store.saveKey({ ...key, salt, limits, maskedD1: masked, recoveryD1, webauthn: null });
    } finally {
      for (const b of [shareKey, authKey, recoveryKey, nextKey, d1]) if (b) wipe(b);
    }
  }

  // ---- adding a device by pairing (docs/SHIELD.md "Adding a device") ----
  // The new device's secrets (e_B, s) live in this tab's memory only, per pairing id.
  #pairings = new Map();

  // On the employee's browser: start pairing to join a granted organisation key. Returns the
  // pairing id and the code to read to the key's holder.
  startGrantPairing(grantId) {
    return this.#startPairing((body) => this.api.grantPairing(grantId, body));
  }

  // On a new device of the same account: start pairing to join one of the account's keys held
  // by another device (a browser, or the C++ client's `certseal device add`). Same answer.
  startPairing() {
    return this.#startPairing((body) => this.api.startPairing(body));
  }

  async #startPairing(post) {
    const dev = await this.device();
    const b = pairing.newDeviceStart();
    const a = await post({
      device_id: dev.device_id,
      device_name: dev.device_name,
      public_key: b64(b.ephemeralPublic),
    });
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(a.id || '')) throw new ShieldError('bad_answer', 'the server sent an unusable pairing id');
    this.#pairings.set(a.id, b);
    return { id: a.id, expiresAt: a.expires_at, code: await pairing.pairingCode(b, a.id, dev.device_id) };
  }

  async pairingReady(pairingId) {
    const p = await this.api.pairing(pairingId);
    return typeof p.envelope === 'string' && p.envelope.length > 0;
  }

  // Opens the holder's envelope (pairing_envelope_forged otherwise, nothing sent), draws this
  // browser's own share, masks it under `password`, proves with e_B and completes.
  async completePairing(pairingId, password) {
    const b = this.#pairings.get(pairingId);
    if (!b) throw new ShieldError('unknown_pairing', 'this browser did not start that pairing');
    const dev = await this.device();
    const p = await this.api.pairing(pairingId);
    if (!p.envelope) throw new ShieldError('pairing_pending', 'the other device has not sent the key share yet');
    const joined = await pairing.newDeviceJoin(b, pairingId, dev.device_id, fromB64(p.envelope));
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(joined.keyId)) throw new ShieldError('bad_answer', 'the other device sent an unusable key id');
    parseScalar(joined.d1, 'the new share');
    const d1 = joined.d1;
    const m = await maskForPassword(d1, dev.device_id, password);
    const msg = await pairing.completionMessage(pairingId, p.challenge, joined.joinRequest, m.authKey, m.salt);
    const a = await this.api.completePairing(pairingId, {
      join_request: b64(joined.joinRequest),
      auth_key: b64(m.authKey),
      salt: b64(m.salt),
      signature: b64(await pairing.signWithEphemeral(b, msg)),
    });
    wipe(m.authKey);
    if (a.key_id && a.key_id !== joined.keyId) throw new ShieldError('bad_answer', 'the server names another key than the other device did');
    const recoveryKey = fromB64(a.recovery_key);
    // A grant names the certificate; the account's own key: its current certificate.
    let certificateId = a.certificate_id || '';
    if (!certificateId) {
      const mine = await this.api.certificates().catch(() => ({ items: [] }));
      certificateId = (mine.items || []).find((c) => c.key_id === joined.keyId && c.status === 'valid')?.id || '';
    }
    const key = {
      keyId: joined.keyId,
      certificateId,
      publicKey: joined.publicKey,
      salt: m.salt,
      limits: m.limits,
      maskedD1: m.masked,
      recoveryD1: await maskShareForRecovery(d1, recoveryKey, dev.device_id),
      createdAt: new Date().toISOString(),
    };
    wipe(d1);
    wipe(recoveryKey);
    this.#pairings.delete(pairingId);
    await this.store.saveKey(key);
    return key;
  }

  // On the holder's browser (unlocked with the password): checks the new device's key, as the
  // server relays it, against the code read off that device, and only then sends its half.
  async addDevice(keyId, password, pairingId, code) {
    pairing.parseCode(code);
    const key = await this.store.loadKey(keyId);
    const dev = await this.device();
    const p = await this.api.pairing(pairingId);
    const grant = await (async () => {
      const { d1, authKey } = await this.#unlocked(key, dev.device_id, password);
      try {
        const g = await pairing.oldDeviceGrant(d1, key.publicKey, key.keyId, code, pairingId, p.device_id, fromB64(p.public_key));
        return { ...g, authKey: authKey.slice() };
      } finally {
        wipe(d1);
        wipe(authKey);
      }
    })();
    try {
      const payload = concat(utf8(pairingId), grant.refreshRequest, grant.envelope);
      await this.#step(key, dev.device_id, grant.authKey, 'add_device', payload, (nonce, proofB64) =>
        this.api.addDeviceStep(key.keyId, {
          device_id: dev.device_id,
          nonce,
          proof: proofB64,
          pairing_id: pairingId,
          u: b64(grant.refreshRequest),
          envelope: b64(grant.envelope),
        }),
      );
      return { deviceId: p.device_id, deviceName: p.device_name };
    } finally {
      wipe(grant.authKey);
      wipe(grant.refreshRequest);
    }
  }

  // ---- 转让管理员 (docs/ACCOUNTS.md "Admin transfer") ----

  // Signs the drawn letter's DER signed attributes exactly as scene 13 signs a prepared PDF (SM2
  // with SM3, the default signer ID, purpose "admin-transfer-letter <id>" as `certseal org
  // transfer-admin` does) and posts the DER signature; the server writes the CMS into the PDF,
  // checks the whole file and moves the role. `post(signatureB64)` is the API call.
  async signAdminLetter(letter, keyId, password, post) {
    if (letter.algorithm && letter.algorithm !== 'sm2-sm3') {
      throw new ShieldError('letter_algorithm', `this browser signs with SM2 only, not ${letter.algorithm}`);
    }
    const attrs = fromB64(letter.signed_attributes);
    const rs = await this.sign(keyId, password, attrs, `admin-transfer-letter ${letter.id}`);
    return post(b64(rawToDer(rs)));
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

  // Scene 13 (扫码文件签章签名): the server places the chosen seal on the relying party's PDF and
  // renders the page (a preview is not a use); `sealDocument` then signs exactly the signed
  // attributes of that preparation through the two-party protocol (purpose "scene 13 <id>", which
  // a granted key needs) and completes with the same seal and signing time.
  async prepareDocument(claim, sealId, signingTime = Math.floor(Date.now() / 1000)) {
    return this.api.documentPreparation(claim.id, { seal_id: sealId, signing_time: signingTime });
  }

  async sealDocument(claim, cert, prepared, password) {
    const attrs = fromB64(prepared.signed_attributes);
    const rs = await this.sign(cert.key_id, password, attrs, `scene 13 ${claim.id}`);
    return this.api.sceneComplete(claim.id, {
      certificate_id: cert.certificate_id,
      seal_id: prepared.seal_id,
      signing_time: prepared.signing_time,
      signature: b64(rawToDer(rs)),
    });
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
    // Scene 20's raw form signs the message itself, with no CMS around it (docs/INTEGRATION.md).
    const toSign = scene === '20' && claim.form === 'raw' ? content : await signedAttributes(claim.form, content, signingTime);
    const rs = await this.sign(cert.key_id, password, toSign, `scene ${scene} ${claim.id}`);
    return this.api.sceneComplete(claim.id, {
      certificate_id: cert.certificate_id,
      signing_time: signingTime,
      signature: b64(rawToDer(rs)),
    });
  }
}

export { utf8 };
