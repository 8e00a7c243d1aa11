// Unlocking with a platform authenticator (指纹/面容替代手机盾密码; docs/SHIELD.md "Unlocking with
// a platform authenticator") in Chromium with its virtual authenticator over CDP (internal
// transport, user verification, PRF), as that section's test plan says. The app is opened at
// http://localhost (a WebAuthn RP id cannot be an IP address); certseald is told that origin.
//
// A person installs a certificate in the browser, turns fingerprint/face unlock on with the
// password once, and answers a scene-20 request with the authenticator alone; the relying party
// gets a valid signature. Then, from the thief's side, straight against the API with assertions
// the same authenticator makes: for another nonce, for another payload, without user
// verification, from a credential that is not this device's, and with a counter that did not
// grow — each refused, each counted against the same budget as a wrong password, so the fifth
// locks the key and even a good assertion is then refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { World, idNumber, screenshotDir } from './harness.js';
import { b64, randomBytes } from '../src/shield/bytes.js';
import { signStart } from '../src/shield/cosign.js';
import { stepChallenge } from '../src/shield/webauthn.js';

const world = new World();
const PHONE = '13912347777';
const NAME = '李四';
const ID_NUMBER = idNumber('11010519800101005');
const CERT_PASSWORD = 'Ls#cert2026';
let page;
let cdp;
let authenticatorId;
let token;

async function shot(name) {
  const dir = screenshotDir(world);
  mkdirSync(dir, { recursive: true });
  await page.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

before(async () => {
  await world.start({ host: 'localhost' });
  await world.catalogue();
  await world.relyingParty();
});
after(async () => {
  await world.stop();
});

test('fingerprint/face unlock: enrolled with the password once, then signs a scene without it', { timeout: 180_000 }, async () => {
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.appBase}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  token = await world.verifiedPerson(PHONE, NAME, ID_NUMBER, photo);
  await world.approvedPersonalOrder(token, PHONE, NAME);

  const ctx = await world.phoneWithSession(token);
  page = await ctx.newPage();
  cdp = await ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, hasPrf: true, automaticPresenceSimulation: true,
    },
  }));

  await page.goto(`${world.appBase}/app/orders`);
  await page.getByRole('button', { name: '安装证书' }).click();
  await page.getByPlaceholder('6–32 位').fill(CERT_PASSWORD);
  await page.getByPlaceholder('请再次输入证书密码').fill(CERT_PASSWORD);
  await page.getByRole('button', { name: '安装', exact: true }).click();
  await page.getByText('证书已安装到本机').waitFor({ timeout: 60_000 });
  const certs = await world.api('GET', '/api/v1/account/certificates', token);
  const certId = certs.items[0].id;

  // Turned on from the certificate's details: the password once.
  await page.goto(`${world.appBase}/app/certificates/${certId}`);
  await page.locator('[data-test=webauthn-cell]').getByText('未开启').click();
  await page.getByPlaceholder('请输入证书密码').fill(CERT_PASSWORD);
  await page.getByRole('button', { name: '验证并开启' }).click();
  await page.locator('[data-test=webauthn-cell]').getByText('已开启').waitFor({ timeout: 30_000 });
  await shot('33-webauthn-on');
  const creds = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  assert.equal(creds.length, 1);

  // A scene-20 request answered with the authenticator alone.
  const message = Buffer.from('向示例交易平台付款 200 元').toString('base64');
  const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', { scene: '20', title: '确认付款', nonce: 'webauthn-nonce-01', message });
  await page.goto(`${world.appBase}/app/scan`);
  await page.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
  await page.getByText('向示例交易平台付款 200 元').waitFor();
  await shot('34-webauthn-confirm');
  await page.locator('[data-test=webauthn-confirm]').click();
  await page.getByText('已完成').waitFor({ timeout: 30_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  const check = await world.rpCall('POST', '/api/v1/rp/verifications', { cms: v.result.cms, content: message });
  assert.equal(check.valid, true, JSON.stringify(check));
  assert.equal(check.signer.certificate_id, certId);
  const key = (await world.api('GET', `/api/v1/account/certificates/${certId}`, token)).key;
  const events = await world.api('GET', `/api/v1/shield/keys/${key.id}/events`, token);
  assert.ok(events.items.some((e) => e.operation === 'sign' && e.result === 'ok'), JSON.stringify(events.items));
  assert.equal(events.items.filter((e) => e.result !== 'ok').length, 0);
});

test('refused assertions: another nonce, another payload, no user verification, another credential, a counter that did not grow', { timeout: 120_000 }, async () => {
  const stored = await page.evaluate(async () => {
    const db = await new Promise((res) => {
      const r = indexedDB.open('certseal');
      r.onsuccess = () => res(r.result);
    });
    const get = (store, k) => new Promise((res) => {
      const q = k === undefined ? db.transaction(store).objectStore(store).getAll() : db.transaction(store).objectStore(store).get(k);
      q.onsuccess = () => res(q.result);
    });
    return { device: await get('device', 'self'), keys: await get('keys') };
  });
  const deviceId = stored.device.device_id;
  const keyRec = stored.keys[0];
  const keyId = keyRec.key_id;
  const credentialId = keyRec.webauthn.credential_id;

  // What the thief can do with the phone's authenticator: ask it for assertions over challenges
  // of their choosing (user verification as asked), and send them with any step.
  const assertion = (challenge, { uv = 'required', id = credentialId } = {}) =>
    page.evaluate(async ({ ch, id, uv }) => {
      const from64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      const to64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b)));
      const c = await navigator.credentials.get({
        publicKey: { rpId: location.hostname, challenge: from64(ch), allowCredentials: [{ type: 'public-key', id: from64(id) }], userVerification: uv },
      });
      return {
        credential_id: to64(c.rawId),
        authenticator_data: to64(c.response.authenticatorData),
        client_data_json: to64(c.response.clientDataJSON),
        signature: to64(c.response.signature),
      };
    }, { ch: b64(challenge), id, uv });
  const nonce = async () => (await world.api('POST', '/api/v1/shield/challenges', token, { key_id: keyId, device_id: deviceId })).nonce;
  const request = async () => (await signStart(randomBytes(32), randomBytes(32))).request;
  const step = async (n, req, webauthn) => {
    const r = await fetch(`${world.base}/api/v1/shield/keys/${keyId}/signatures`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ device_id: deviceId, nonce: n, webauthn, request: b64(req), purpose: 'test' }),
    });
    return { status: r.status, body: await r.json() };
  };
  const refused = (r, reason, left) => {
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.code, 'bad_unlock_proof', JSON.stringify(r.body));
    assert.match(r.body.detail, new RegExp(reason));
    if (left !== undefined) assert.match(r.body.detail, left === 0 ? /now locked/ : new RegExp(`${left} attempts? left`));
  };

  // 1. An assertion made for another nonce.
  let n = await nonce();
  let req = await request();
  const otherNonce = await nonce();
  refused(await step(n, req, await assertion(await stepChallenge('sign', keyId, deviceId, otherNonce, req))), 'webauthn_challenge_mismatch', 4);
  // 2. One made for another payload (the request the server would answer).
  n = await nonce();
  req = await request();
  const other = await request();
  refused(await step(n, req, await assertion(await stepChallenge('sign', keyId, deviceId, n, other))), 'webauthn_challenge_mismatch', 3);
  // 3. Without user verification (the finger or face not checked).
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  n = await nonce();
  req = await request();
  refused(await step(n, req, await assertion(await stepChallenge('sign', keyId, deviceId, n, req), { uv: 'discouraged' })), 'webauthn_no_user_verification', 2);
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
  // 4. From a credential that is not the one enrolled for this device.
  const strangerId = await page.evaluate(async () => {
    const c = await navigator.credentials.create({
      publicKey: {
        rp: { id: location.hostname, name: 'x' }, user: { id: new Uint8Array([9]), name: 'x', displayName: 'x' },
        challenge: new Uint8Array(32), pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required' },
      },
    });
    return btoa(String.fromCharCode(...new Uint8Array(c.rawId)));
  });
  n = await nonce();
  req = await request();
  refused(await step(n, req, await assertion(await stepChallenge('sign', keyId, deviceId, n, req), { id: strangerId })), 'webauthn_unknown_credential', 1);
  // 5. The enrolled credential copied with its counter turned back (a cloned authenticator).
  const cred = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials
    .find((c) => c.credentialId.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '') === credentialId.replace(/=+$/, ''));
  assert.ok(cred && cred.signCount >= 2, JSON.stringify(cred));
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: cred.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...cred, signCount: 0 } });
  n = await nonce();
  req = await request();
  refused(await step(n, req, await assertion(await stepChallenge('sign', keyId, deviceId, n, req))), 'webauthn_sign_count', 0);

  // The budget is spent: the key is locked, and a good assertion is refused without a check.
  n = await nonce().catch(() => null);
  assert.equal(n, null, 'no challenge for a locked key');
  const certs = await world.api('GET', '/api/v1/account/certificates', token);
  const detail = await world.api('GET', `/api/v1/account/certificates/${certs.items[0].id}`, token);
  assert.equal(detail.key.status, 'locked');
  const events = await world.api('GET', `/api/v1/shield/keys/${keyId}/events`, token);
  assert.equal(events.items.filter((e) => e.result === 'bad_unlock_proof').length, 5, JSON.stringify(events.items));
});
