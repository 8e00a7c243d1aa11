// A certificate's later life on the phone (docs/SHIELD.md "Certificates of the account", "Install
// and reissue"): 证书变更 — a new certificate for the same key, the old one revoked as superseded,
// the browser's key record following it; 补发证书 — refused until the platform asks, then with new
// ID card photos, the login password (a wrong one refused next to its field) and an SMS code bound
// to this reissue, a new key made in this browser; the new certificate answers a scene.
// 证书延期: the renewal package bought from the certificate's details (SMS authorisation, the
// sandbox payment, the operator's review), then the renewal: the not-after moves, the same key
// answers a scene under the renewed certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { World, idNumber, screenshotDir } from './harness.js';

const world = new World();
const PHONE = '13912348888';
const NAME = '钱七';
const ID_NUMBER = idNumber('11010519850505005');
let page;
let token;
let photo;

async function shot(name) {
  const dir = screenshotDir(world);
  mkdirSync(dir, { recursive: true });
  await page.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

const keyRecords = () =>
  page.evaluate(async () => {
    const db = await new Promise((res) => {
      const r = indexedDB.open('certseal');
      r.onsuccess = () => res(r.result);
    });
    return new Promise((res) => {
      const q = db.transaction('keys').objectStore('keys').getAll();
      q.onsuccess = () => res(q.result);
    });
  });

before(async () => {
  await world.start();
  await world.catalogue();
  await world.relyingParty();
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  photo = await scratch.screenshot({ type: 'png' });
  token = await world.verifiedPerson(PHONE, NAME, ID_NUMBER, photo);
  await world.approvedPersonalOrder(token, PHONE, NAME);
  page = await (await world.phoneWithSession(token)).newPage();
  await page.goto(`${world.base}/app/orders`);
  await page.getByRole('button', { name: '安装证书' }).click();
  await page.getByPlaceholder('6–32 位').fill('Qq#cert2026');
  await page.getByPlaceholder('请再次输入证书密码').fill('Qq#cert2026');
  await page.getByRole('button', { name: '安装', exact: true }).click();
  await page.getByText('证书已安装到本机').waitFor({ timeout: 60_000 });
});
after(async () => {
  await page?.screenshot({ path: join(world.dir || '/tmp', '..', 'certseal-e2e-life-last.png') }).catch(() => {});
  await world.stop();
});

test('证书延期: buy the renewal package, pay, renew; the not-after moves and the same key signs', { timeout: 150_000 }, async () => {
  // The catalogue's renewal package (two years, so that the new not-after is a year later).
  const pkg = await world.api('POST', '/api/v1/operator/catalogue/products', world.operator, {
    kind: 'renewal', name: '个人证书延期 2年', cert_type: 'personal', algorithm: 'sm2', validity_years: 2, price_fen: 5000,
    ca_id: 'sm2o', seal_type: 'personal_square',
  });
  const before = (await world.api('GET', '/api/v1/account/certificates', token)).items.find((c) => c.status === 'valid');
  const keyBefore = (await keyRecords())[0];
  assert.equal(keyBefore.certificate_id, before.id);
  await page.goto(`${world.base}/app/certificates/${before.id}`);
  await page.locator('[data-test=renew-cell]').click();
  await page.getByText('个人证书延期 2年').waitFor();
  await page.getByRole('button', { name: '提交订单' }).click();
  await page.getByRole('button', { name: '获取验证码' }).waitFor();  // the order is placed: its authorisation
  // The order names this certificate, as the CLI's `order create --certificate` does.
  const order = (await world.api('GET', '/api/v1/orders', token)).items.find((o) => o.product_id === pkg.id);
  assert.equal(order.certificate_id, before.id);
  assert.equal(order.status, 'created');
  // A wrong SMS code is refused next to its field; the order stays unauthorised.
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByText('验证码已发送').waitFor();
  await page.getByPlaceholder('请输入短信验证码').fill('000000');
  await page.getByRole('button', { name: '确认授权' }).click();
  await page.locator('.van-field__error-message').first().waitFor();
  assert.equal((await world.api('GET', `/api/v1/orders/${order.id}`, token)).status, 'created');
  await world.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise' });
  await page.getByPlaceholder('请输入短信验证码').fill(world.smsCode(PHONE));
  await page.getByRole('button', { name: '确认授权' }).click();
  const [pay] = await Promise.all([
    page.context().waitForEvent('page'),
    page.getByRole('button', { name: '去支付（沙箱）' }).click(),
  ]);
  await pay.getByRole('button', { name: 'Pay' }).click();
  await pay.getByText('Payment done').waitFor();
  await pay.close();
  await page.getByText('已支付，等待平台审核').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-test=renew-now]').count(), 0);
  // Paid but not reviewed: the renewal is refused to whoever asks, and nothing changes.
  const early = await world.call('POST', `/api/v1/account/certificates/${before.id}/renewals`, token,
    { request_id: 'early-renewal', order_id: order.id });
  assert.equal(early.status, 409, JSON.stringify(early.json));
  assert.equal(early.json.code, 'order_not_approved');
  assert.equal((await world.api('GET', `/api/v1/account/certificates/${before.id}`, token)).certificate.status, 'valid');
  await shot('37-renewal');

  // The operator approves (API); the page, following the order, offers the renewal.
  await world.api('POST', `/api/v1/operator/orders/${order.id}/approval`, world.operator);
  await page.locator('[data-test=renew-now]').click();
  await page.getByText('证书已延期').first().waitFor({ timeout: 30_000 });
  const list = (await world.api('GET', '/api/v1/account/certificates', token)).items;
  const renewed = list.find((c) => c.status === 'valid');
  assert.notEqual(renewed.id, before.id);
  assert.equal(renewed.key_id, before.key_id, 'the same key');
  const days = (Date.parse(renewed.not_after) - Date.parse(before.not_after)) / 86_400_000;
  assert.ok(days > 360 && days < 370, `the not-after moved by ${days} days`);
  assert.match(await page.locator('[data-test=renewed-validity]').innerText(), new RegExp(renewed.not_after.slice(0, 10)));
  assert.equal((await world.api('GET', `/api/v1/account/certificates/${before.id}`, token)).certificate.status, 'revoked');
  assert.equal((await world.api('GET', `/api/v1/orders/${order.id}`, token)).status, 'done');
  const records = await keyRecords();
  assert.equal(records.length, 1);
  assert.equal(records[0].certificate_id, renewed.id, 'the key record follows the renewed certificate');
  // The package is spent: a second renewal with it is refused.
  const again = await world.call('POST', `/api/v1/account/certificates/${renewed.id}/renewals`, token,
    { request_id: 'second-renewal', order_id: order.id });
  assert.equal(again.status, 409, JSON.stringify(again.json));

  // The shield keeps working: a scene-20 signature under the renewed certificate.
  const message = Buffer.from('延期后的签名').toString('base64');
  const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', { scene: '20', title: '延期后签名', nonce: 'renewal-nonce-01', message });
  await page.goto(`${world.base}/app/scan`);
  await page.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
  await page.getByText('延期后的签名').waitFor();
  await page.getByPlaceholder('请输入证书密码').fill('Qq#cert2026');
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await page.getByText('已完成').waitFor({ timeout: 30_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  const check = await world.rpCall('POST', '/api/v1/rp/verifications', { cms: v.result.cms, content: message });
  assert.equal(check.valid, true, JSON.stringify(check));
  assert.equal(check.signer.certificate_id, renewed.id);
});

test('证书变更: a new certificate for the same key; the old one revoked; the key record follows', { timeout: 90_000 }, async () => {
  const before = (await world.api('GET', '/api/v1/account/certificates', token)).items[0];
  await page.goto(`${world.base}/app/certificates/${before.id}`);
  await page.locator('[data-test=change-cell]').click();
  await shot('35-certificate-change');
  await page.getByRole('button', { name: '确认' }).click();
  await page.getByText('已换发新证书').waitFor();
  await page.waitForURL((u) => !u.pathname.endsWith(before.id));
  const list = (await world.api('GET', '/api/v1/account/certificates', token)).items;
  const next = list.find((c) => c.id !== before.id && c.status === 'valid');
  assert.ok(next, JSON.stringify(list));
  assert.equal(next.key_id, before.key_id);
  const old = await world.api('GET', `/api/v1/account/certificates/${before.id}`, token);
  assert.equal(old.certificate.status, 'revoked');
  const records = await keyRecords();
  assert.equal(records.length, 1);
  assert.equal(records[0].certificate_id, next.id);
});

test('补发证书: refused until the platform asks; then photos, login password and SMS code make a new key here', { timeout: 120_000 }, async () => {
  const cert = (await world.api('GET', '/api/v1/account/certificates', token)).items.find((c) => c.status === 'valid');
  const oldKey = cert.key_id;
  // Not asked for: the app offers nothing, and the API refuses whoever asks.
  await page.goto(`${world.base}/app/certificates/${cert.id}`);
  await page.getByText('证书变更').waitFor();
  assert.equal(await page.locator('[data-test=reissue-cell]').count(), 0);
  const r = await fetch(`${world.base}/api/v1/account/certificates/${cert.id}/reissues`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ request_id: 'reissue-1', code: '000000', password: 'Str0ng!pw', device_id: 'thief-device-1', device_name: 'thief',
      // P1 = G (a valid point: the request is well-formed, only not asked for)
      p1: Buffer.concat([Buffer.from([1, 1, 4]), Buffer.from('32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7'
        + 'BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0', 'hex')]).toString('base64'),
      auth_key: Buffer.alloc(32, 7).toString('base64'), salt: Buffer.alloc(16, 7).toString('base64') }),
  });
  const refusal = await r.json();
  assert.equal(r.status, 409, JSON.stringify(refusal));
  assert.equal(refusal.code, 'reissue_not_requested');

  // The operator asks (the holder's identity to be checked again by the verifier).
  await world.api('POST', `/api/v1/operator/certificates/${cert.id}/reissue-notices`, world.operator, { reason: '证书信息有误' });
  await page.reload();
  await page.locator('[data-test=reissue-cell]').click();
  await page.getByText('平台要求补发该证书（证书信息有误）').waitFor();
  await page.locator('[data-test=id-front]').setInputFiles({ name: 'front.png', mimeType: 'image/png', buffer: photo });
  await page.locator('[data-test=id-back]').setInputFiles({ name: 'back.png', mimeType: 'image/png', buffer: photo });
  await page.getByPlaceholder('6–32 位').fill('Qq#cert2027');
  await page.getByPlaceholder('请再次输入证书密码').fill('Qq#cert2027');
  // A wrong login password: refused next to its field (the SMS code is spent on it).
  await page.getByPlaceholder('请输入账号的登录密码').fill('Wrong!pw1');
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByText('验证码已发送').waitFor();
  await page.getByPlaceholder('请输入短信验证码').fill(world.smsCode(PHONE));
  await page.getByRole('button', { name: '补发并安装到本机' }).click();
  await page.locator('.van-field__error-message', { hasText: '登录密码错误' }).waitFor();
  assert.equal((await keyRecords())[0].key_id, oldKey);
  await page.getByPlaceholder('请输入账号的登录密码').fill('Str0ng!pw');
  // A new code (the button counts down for a minute; the platform sends at once): asked by API.
  await world.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise', action: 'certificate_reissue', object_id: cert.id });
  await page.getByPlaceholder('请输入短信验证码').fill(world.smsCode(PHONE));
  await shot('36-reissue');
  await page.getByRole('button', { name: '补发并安装到本机' }).click();
  await page.getByText('已补发，新证书已安装到本机').waitFor({ timeout: 60_000 });
  const records = await keyRecords();
  assert.equal(records.length, 1, 'the retired key left this browser');
  assert.notEqual(records[0].key_id, oldKey);
  const now = (await world.api('GET', '/api/v1/account/certificates', token)).items.find((c) => c.status === 'valid');
  assert.equal(now.key_id, records[0].key_id);
  assert.equal(records[0].certificate_id, now.id);

  // The new certificate answers a scene with the new password; the relying party asked for the
  // raw form (the bare SM2 signature over the message, no CMS), which the browser signs too.
  const message = Buffer.from('补发后的签名').toString('base64');
  const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', { scene: '20', title: '补发后签名', nonce: 'reissue-nonce-01', message, form: 'raw' });
  await page.goto(`${world.base}/app/scan`);
  await page.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
  await page.getByText('补发后的签名').waitFor();
  await page.getByPlaceholder('请输入证书密码').fill('Qq#cert2027');
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await page.getByText('已完成').waitFor({ timeout: 30_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  assert.equal(v.result.form, 'raw', JSON.stringify(v.result));
  assert.equal(v.result.cms, undefined);
  const check = await world.rpCall('POST', '/api/v1/rp/verifications', { signature: v.result.signature, certificate: v.result.certificate, content: message });
  assert.equal(check.valid, true, JSON.stringify(check));
  assert.equal(check.signer.certificate_id, now.id);
});

// 找回证书密码 (the CLI's `certseal pin recover`): five wrong passwords lock the key; the
// recovery needs the SMS code, the login password and a face photo — a wrong login password is
// refused next to its field and changes nothing (still locked, this browser's key record as it
// was) —; then the key is unlocked, the new password signs, and the old one no longer unlocks.
test('找回证书密码: a locked key unlocked with SMS code, login password and face photo; the new password signs', { timeout: 180_000 }, async () => {
  const cert = (await world.api('GET', '/api/v1/account/certificates', token)).items.find((c) => c.status === 'valid');
  const OLD = 'Qq#cert2027';  // the reissued key's password (the test above)
  const NEW = 'Qq#cert2028';
  // Five wrong passwords, on the password change screen: the fifth locks the key.
  await page.goto(`${world.base}/app/certificates/${cert.id}/password`);
  for (let i = 1; i <= 5; i++) {
    await page.getByPlaceholder('请输入原证书密码').fill(`Wrong#guess${i}`);
    await page.getByPlaceholder('6–32 位').fill('Never#used1');
    await page.getByPlaceholder('请再次输入证书密码').fill('Never#used1');
    await page.getByRole('button', { name: '确定' }).click();
    const want = i < 5 ? `证书密码错误，还可尝试 ${5 - i} 次` : '证书密码错误次数过多，证书已锁定';
    await page.locator('.van-field__error-message', { hasText: want }).waitFor({ timeout: 30_000 });
  }
  const keyStatus = async () => (await world.api('GET', `/api/v1/account/certificates/${cert.id}`, token)).key.status;
  assert.equal(await keyStatus(), 'locked');
  const before = (await keyRecords())[0];

  // The recovery screen, from the certificate's details; a wrong login password first.
  await page.goto(`${world.base}/app/certificates/${cert.id}`);
  await page.locator('[data-test=recover-cell]').click();
  await page.locator('[data-test=face]').setInputFiles({ name: 'face.png', mimeType: 'image/png', buffer: photo });
  await page.getByPlaceholder('请输入账号的登录密码').fill('Wrong!pw1');
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByText('验证码已发送').waitFor();
  await page.getByPlaceholder('请输入短信验证码').fill(world.smsCode(PHONE));
  await page.getByPlaceholder('6–32 位').fill(NEW);
  await page.getByPlaceholder('请再次输入证书密码').fill(NEW);
  await shot('40-recover');
  await page.getByRole('button', { name: '核验并设置新密码' }).click();
  await page.locator('.van-field__error-message', { hasText: '登录密码错误' }).waitFor();
  assert.equal(await keyStatus(), 'locked');
  assert.deepEqual((await keyRecords())[0], before, 'nothing changed on this device');

  // The right login password, a new code (the button counts down; asked by API).
  await page.getByPlaceholder('请输入账号的登录密码').fill('Str0ng!pw');
  await world.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise' });
  await page.getByPlaceholder('请输入短信验证码').fill(world.smsCode(PHONE));
  await page.getByPlaceholder('6–32 位').fill(NEW);
  await page.getByPlaceholder('请再次输入证书密码').fill(NEW);
  await page.getByRole('button', { name: '核验并设置新密码' }).click();
  await page.getByText('证书密码已找回，证书已解锁').first().waitFor({ timeout: 60_000 });
  assert.equal(await keyStatus(), 'active');
  const after = (await keyRecords())[0];
  assert.equal(after.key_id, before.key_id);
  assert.notEqual(after.masked_d1, before.masked_d1);
  assert.notEqual(after.recovery_d1, before.recovery_d1, 'a new recovery copy under the next recovery key');
  const events = (await world.api('GET', `/api/v1/shield/keys/${before.key_id}/events`, token)).items;
  assert.ok(events.some((e) => /recover/.test(e.operation) && e.result === 'ok'), JSON.stringify(events.slice(0, 3)));

  // The new password signs a scene; the old one no longer unlocks.
  const scene = async (nonce, text) => {
    const message = Buffer.from(text).toString('base64');
    const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', { scene: '20', title: '找回后签名', nonce, message });
    await page.goto(`${world.base}/app/scan`);
    await page.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
    await page.getByText(text).waitFor();
    return { req, message };
  };
  const a = await scene('recover-nonce-01', '找回密码后的签名');
  await page.getByPlaceholder('请输入证书密码').fill(OLD);
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await page.getByText('证书密码错误，还可尝试 4 次').first().waitFor({ timeout: 30_000 });
  await page.getByPlaceholder('请输入证书密码').fill(NEW);
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await page.getByText('已完成').waitFor({ timeout: 30_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${a.req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  const check = await world.rpCall('POST', '/api/v1/rp/verifications', { cms: v.result.cms, content: a.message });
  assert.equal(check.valid, true, JSON.stringify(check));
  assert.equal(check.signer.certificate_id, cert.id);
});
