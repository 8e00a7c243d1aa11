// The cloud key (云密钥, docs/CLOUDKEY.md) in the browser against a real certseald: an operator
// creates the tenant and names its admin (API); the staff member chooses the cloud-key business,
// sets up from the tenant's QR payload, applies (自助录入), the admin approves (API), the browser
// downloads the staff certificate (a two-party key made in the browser), signs a scene-20 request
// by scan (the relying party's check and openssl both pass), captures a handwritten signature the
// tenant admin reads back (API), and reads today's usage log. A second browser of the same account
// joins as a secondary device: awaiting activation, activated and frozen on the main device, its
// scan refused while frozen and without the SMS verification, accepted with it. Refusals from the
// attacker's side: another phone cannot download this staff number's certificate (nothing is
// issued), the tenant's certificate is not offered to an application the tenant did not allow, a
// QR code of another server is refused before anything is sent, and the usage log is refused on
// the secondary device. Delegation: a colleague's request approved with 2 uses and frozen in the
// holder's screen, the colleague's browser joins the holder's key for it and signs twice (frozen:
// refused; the third: refused).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, idNumber, screenshotDir } from './harness.js';
import { CERTSEALD } from '../../shared/e2e/server.js';

const world = new World();
const ADMIN = '13912381001';
const STAFF = '13912381002';
const INTRUDER = '13912381003';
const COLLEAGUE = '13912381004';
const STAFF_NO = 'D1001';
const NAME = '周医生';
const PW = 'Ck#cert2026';
const PW2 = 'Ck#second26';
let tenant;
let payload;
let adminToken;
let staffToken;
let page;
let n = 0;

const sms = async (phone) => world.smsCode(phone);
const tokens = {};
const login = async (phone) => {
  if (tokens[phone]) return tokens[phone];
  await world.api('POST', '/api/v1/sms-codes', null, { phone, purpose: 'login' });
  const token = (await world.api('POST', '/api/v1/sessions', null, { phone, code: await sms(phone) })).token;
  await world.api('PUT', '/api/v1/account/password', token, { password: 'Str0ng!pw' });
  tokens[phone] = token;
  return token;
};

// A toast of `p` saying `text`.
const toast = (p, text, timeout = 60_000) => p.locator('.van-toast__text', { hasText: text }).waitFor({ timeout });

async function shot(p, name) {
  await p.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});
  await p.screenshot({ path: join(screenshotDir(world), `${name}.png`) });
}

// A phone logged in as `token` that chooses the cloud-key business on its first start.
async function cloudKeyPhone(token) {
  const p = await (await world.phoneWithSession(token, { firstStart: true })).newPage();
  await p.goto(`${world.base}/app/`);
  await p.locator('[data-test="business-cloudkey"]').click();
  await p.locator('[data-test="business-start"]').click();
  await p.locator('[data-test="home-cert_info"]').click();
  await p.waitForURL(/\/app\/cloudkey$/);
  return p;
}

// The set-up screen with the tenant chosen from its QR payload.
async function setupWithQr(p) {
  await p.goto(`${world.base}/app/cloudkey/setup`);
  await p.locator('[data-test=ck-qr-text] textarea').fill(payload);
  await p.locator('[data-test=ck-qr-use]').click();
  await p.locator('[data-test=ck-tenant-chosen]').getByText('示例市第一人民医院').waitFor();
}

// openssl verifies `sig` (DER) over `data` under the certificate's key (SM2 with the default ID).
function opensslVerifies(certPem, data, sig) {
  const k = `ck${++n}`;
  writeFileSync(join(world.dir, `${k}-cert.pem`), certPem);
  writeFileSync(join(world.dir, `${k}-data`), data);
  writeFileSync(join(world.dir, `${k}-sig.der`), sig);
  execFileSync('openssl', ['x509', '-in', join(world.dir, `${k}-cert.pem`), '-pubkey', '-noout', '-out', join(world.dir, `${k}-pub.pem`)]);
  execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(world.dir, `${k}-pub.pem`), '-rawin', '-digest', 'sm3',
    '-in', join(world.dir, `${k}-data`), '-sigfile', join(world.dir, `${k}-sig.der`), '-pkeyopt', 'distid:1234567812345678'], { stdio: 'pipe' });
}

// A scene-20 request of the example relying party, scanned from its QR picture on `p`.
async function scan20(p, message, nonce) {
  const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', {
    scene: '20', title: `处方签名 ${nonce}`, nonce, message: Buffer.from(message).toString('base64'),
  });
  await p.goto(`${world.base}/app/cloudkey`);
  await p.locator('[data-test=ck-scan]').click();
  await p.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
  await p.getByText(`处方签名 ${nonce}`).waitFor();
  return req;
}

const staffRecord = async () =>
  (await world.api('GET', `/api/v1/cloudkey/tenants/${tenant}/staff`, adminToken)).items.find((s) => s.staff_no === STAFF_NO);
const keyDevices = async (keyId) => (await world.api('GET', `/api/v1/cloudkey/keys/${keyId}/devices`, staffToken)).items;

before(async () => {
  await world.start();
  await world.catalogue();
  await world.relyingParty();
  const t = await world.api('POST', '/api/v1/operator/cloudkey/tenants', world.operator, {
    name: '示例市第一人民医院', ca_id: 'sm2o', secondary_devices: true, validity_days: 365,
  });
  tenant = t.id;
  adminToken = await login(ADMIN);
  await world.api('POST', `/api/v1/operator/cloudkey/tenants/${tenant}/admins`, world.operator, { phone: ADMIN });
  payload = (await world.api('GET', `/api/v1/cloudkey/tenants/${tenant}/qr`, adminToken)).payload;
  staffToken = await login(STAFF);
  page = await cloudKeyPhone(staffToken);
});
after(async () => {
  await page?.screenshot({ path: join(world.dir || '/tmp', '..', 'certseal-e2e-cloudkey-last.png') }).catch(() => {});
  await world.stop();
});

test('set-up from the tenant QR code, 自助录入, approval, download, scan-signing, signature capture and the usage log', { timeout: 240_000 }, async () => {
  // No certificate yet: the cloud-key home offers the set-up.
  await page.locator('[data-test=ck-setup]').click();
  await page.waitForURL(/\/app\/cloudkey\/setup$/);
  // The searchable list finds the tenant.
  await page.locator('[data-test=ck-tenant-search] input').fill('第一人民');
  await page.locator(`[data-test=ck-tenant-${tenant}]`).waitFor();
  await shot(page, 'cloudkey-01-setup');
  // A QR code of another server is refused before anything is sent.
  const foreign = JSON.parse(payload);
  foreign.server = 'https://elsewhere.example';
  await page.locator('[data-test=ck-qr-text] textarea').fill(JSON.stringify(foreign));
  await page.locator('[data-test=ck-qr-use]').click();
  await page.getByText('该二维码属于其他服务器，请在对应平台使用').waitFor();
  await setupWithQr(page);

  // 自助录入: pending until the admin approves.
  await page.getByRole('tab', { name: '自助录入' }).click();
  await page.locator('[data-test=ck-apply-staff-no] input').fill(STAFF_NO);
  await page.locator('[data-test=ck-apply-name] input').fill(NAME);
  await page.locator('[data-test=ck-apply-id] input').fill(idNumber('11010519850101002'));
  await page.locator('[data-test=ck-apply]').click();
  await page.getByText('已提交，等待单位审核').waitFor();
  const pending = await staffRecord();
  assert.equal(pending.status, 'pending');
  assert.equal(pending.phone, STAFF);

  // The admin approves (后台审核, API).
  const approved = await world.api('POST', `/api/v1/cloudkey/tenants/${tenant}/staff/${pending.id}/decision`, adminToken, { approve: true });
  assert.equal(approved.status, 'active');

  // The attacker's side: another phone, through the same screens, asks for this staff number's
  // certificate with a key of its own browser: refused, nothing issued.
  const intruder = await cloudKeyPhone(await login(INTRUDER));
  await setupWithQr(intruder);
  await intruder.locator('[data-test=ck-staff-no] input').fill(STAFF_NO);
  await intruder.locator('[data-test=ck-password] input').fill(PW);
  await intruder.locator('[data-test=ck-password-again] input').fill(PW);
  await intruder.locator('[data-test=ck-download]').click();
  await toast(intruder, '没有找到该工号的职工记录，或登记的手机号不是当前登录手机号');
  assert.equal((await staffRecord()).certificate_id, null);
  await intruder.context().close();

  // The download: a two-party key made in this browser; this browser is the main device.
  await page.getByRole('button', { name: '去下载证书' }).click();
  await page.locator('[data-test=ck-staff-no] input').fill(STAFF_NO);
  await page.locator('[data-test=ck-password] input').fill(PW);
  await page.locator('[data-test=ck-password-again] input').fill(PW.slice(0, -1));
  await page.locator('[data-test=ck-download]').click();
  await page.getByText('两次输入的证书密码不一致').waitFor();
  await page.locator('[data-test=ck-password-again] input').fill(PW);
  await page.locator('[data-test=ck-download]').click();
  await page.getByText('证书已下载到本机').first().waitFor({ timeout: 60_000 });
  await shot(page, 'cloudkey-02-downloaded');
  const mine = (await world.api('GET', '/api/v1/cloudkey/certificates', staffToken)).items;
  assert.equal(mine.length, 1);
  const cert = mine[0];
  assert.equal(cert.staff_no, STAFF_NO);
  assert.equal((await staffRecord()).certificate_id, cert.certificate_id);
  const devices = await keyDevices(cert.key_id);
  assert.deepEqual(devices.map((d) => [d.role, d.status]), [['main', 'active']]);

  // Signature capture right away (签名采集), read back by the tenant admin.
  await page.locator('[data-test=ck-go-signature]').click();
  await page.getByText('尚未采集签名').waitFor();
  const box = await page.locator('[data-test=signature-pad]').boundingBox();
  for (const s of [[[0.15, 0.3], [0.3, 0.75], [0.45, 0.3], [0.6, 0.75], [0.8, 0.35]], [[0.2, 0.85], [0.8, 0.8]]]) {
    await page.mouse.move(box.x + s[0][0] * box.width, box.y + s[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of s.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 8 });
    await page.mouse.up();
  }
  await page.locator('[data-test=ck-signature-save]').click();
  await page.locator('[data-test=ck-signature-saved]').waitFor({ timeout: 30_000 });
  await shot(page, 'cloudkey-03-signature');
  const own = await world.api('GET', `/api/v1/cloudkey/keys/${cert.key_id}/signature`, staffToken);
  const read = await world.api('GET', `/api/v1/cloudkey/tenants/${tenant}/staff/${cert.staff_id}/signature`, adminToken);
  assert.equal(read.sha256, own.sha256);
  const png = Buffer.from(read.png, 'base64');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(read.width_px > 0 && read.height_px > 0);
  // Nobody else reads it.
  const stranger = await world.call('GET', `/api/v1/cloudkey/tenants/${tenant}/staff/${cert.staff_id}/signature`, await login(INTRUDER));
  assert.ok(stranger.status >= 400, JSON.stringify(stranger));

  // The relying party is not yet one of the tenant's applications: the staff certificate is not
  // offered for its request.
  const early = await scan20(page, '未授权应用的请求', 'ck-nonce-0');
  await page.getByText('没有可用于此业务的证书').waitFor();
  assert.equal(await page.getByPlaceholder('请输入证书密码').count(), 0);
  assert.notEqual((await world.rpCall('GET', `/api/v1/rp/scene-requests/${early.id}`)).status, 'completed');

  // The admin allows the application (协同签名); the scan signs, the relying party and openssl check.
  await world.api('PUT', `/api/v1/cloudkey/tenants/${tenant}/settings`, adminToken, { allowed_apps: [world.rpApp.id] });
  const message = '处方：阿莫西林 0.5g，每日三次';
  const req = await scan20(page, message, 'ck-nonce-1');
  await page.getByText(`CN=${NAME}`).first().waitFor();
  await shot(page, 'cloudkey-04-scan');
  await page.getByPlaceholder('请输入证书密码').fill(PW);
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await page.getByText('已完成').waitFor({ timeout: 60_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  assert.equal(v.result.certificate_id, cert.certificate_id);
  opensslVerifies(v.result.certificate, Buffer.from(v.result.signed_attributes, 'base64'), Buffer.from(v.result.signature, 'base64'));
  const check = await world.rpCall('POST', '/api/v1/rp/verifications', { cms: v.result.cms, content: Buffer.from(message).toString('base64') });
  assert.equal(check.valid, true, JSON.stringify(check));

  // Certificate information and today's usage log (the signature among its entries).
  await page.goto(`${world.base}/app/cloudkey`);
  await page.locator('[data-test=ck-current]').getByText(STAFF_NO).waitFor();
  await shot(page, 'cloudkey-05-home');
  await page.locator('[data-test=ck-cert]').click();
  await page.locator('[data-test=ck-cert-subject]').getByText(`CN=${NAME}`, { exact: false }).waitFor();
  await page.locator('[data-test=ck-clear-cache]').click();
  await toast(page, '密码缓存已清除');
  await page.goto(`${world.base}/app/cloudkey/log`);
  await page.locator('[data-test=ck-log-entry]').first().waitFor();
  const entries = await page.locator('[data-test=ck-log-entry]').allInnerTexts();
  assert.ok(entries.some((e) => e.includes('签名') && e.includes('成功') && e.includes('scene 20')), entries.join('\n'));
  await shot(page, 'cloudkey-06-log');
  // The date range: yesterday only holds nothing.
  await page.getByRole('tab', { name: '按日期查询' }).click();
  const d = new Date(Date.now() - 86400_000);
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await page.locator('[data-test=ck-log-from] input').fill(day);
  await page.locator('[data-test=ck-log-to] input').fill(day);
  await page.locator('[data-test=ck-log-query]').click();
  await page.getByText('共 0 条').waitFor();
});

test('a second browser as a secondary device: awaiting activation, activated, frozen, SMS verification', { timeout: 240_000 }, async () => {
  const cert = (await world.api('GET', '/api/v1/cloudkey/certificates', staffToken)).items[0];
  // The second browser (its own IndexedDB: another device) starts pairing; the main one adds it.
  const second = await cloudKeyPhone(staffToken);
  await second.goto(`${world.base}/app/certificates/pair`);
  await second.locator('[data-test=pairing-start]').click();
  const pairingId = (await second.locator('[data-test=pairing-id] .van-cell__label').innerText()).trim();
  const code = (await second.locator('[data-test=pairing-code] .van-cell__label').innerText()).trim();
  await page.goto(`${world.base}/app/certificates/${cert.certificate_id}/devices/new?pairing=${pairingId}`);
  await page.getByPlaceholder('如 ABCD-EFGH-…').fill(code);
  await page.getByPlaceholder('请输入证书密码').fill(PW);
  await page.getByRole('button', { name: '核对并发送' }).click();
  await page.getByText(/已向 .* 发送密钥分量/).waitFor({ timeout: 60_000 });
  await second.getByPlaceholder('6–32 位').fill(PW2);
  await second.getByPlaceholder('请再次输入证书密码').fill(PW2);
  await second.getByRole('button', { name: '设置证书密码并完成' }).click();
  await second.getByText('配对完成，证书已添加到本机').first().waitFor({ timeout: 60_000 });
  const secondary = (await keyDevices(cert.key_id)).find((x) => x.role === 'secondary');
  assert.equal(secondary.status, 'pending');

  // Awaiting activation: the secondary cannot sign.
  await world.api('PUT', `/api/v1/cloudkey/tenants/${tenant}/settings`, adminToken, { allowed_apps: [world.rpApp.id] });
  const refusedPending = await scan20(second, '副设备待激活时的签名', 'ck-nonce-2');
  await second.getByPlaceholder('请输入证书密码').fill(PW2);
  await second.getByRole('button', { name: '确认', exact: true }).click();
  await toast(second, '该副设备等待主设备激活');
  assert.notEqual((await world.rpCall('GET', `/api/v1/rp/scene-requests/${refusedPending.id}`)).status, 'completed');

  // The main device's list: awaiting activation → activate.
  await page.goto(`${world.base}/app/cloudkey/devices`);
  await page.getByRole('tab', { name: /待激活 1/ }).click();
  await page.locator(`[data-test=ck-device-${secondary.device_id}]`).locator('[data-test=ck-activate]').click();
  await toast(page, '设备已激活');
  assert.equal((await keyDevices(cert.key_id)).find((x) => x.device_id === secondary.device_id).status, 'active');
  await shot(page, 'cloudkey-07-devices');

  // The secondary device is not the main one: freezing from it is refused, nothing changes.
  await second.goto(`${world.base}/app/cloudkey/devices`);
  await second.locator(`[data-test=ck-device-${secondary.device_id}]`).locator('[data-test=ck-freeze]').click();
  await toast(second, '只能在主设备上操作');
  assert.equal((await keyDevices(cert.key_id)).find((x) => x.device_id === secondary.device_id).status, 'active');
  // Nor does it read the usage log.
  await second.goto(`${world.base}/app/cloudkey/log`);
  await second.getByText('只能在主设备上操作').first().waitFor();

  // Active, but the password alone is not enough on a secondary device.
  await scan20(second, '副设备仅凭密码的签名', 'ck-nonce-3');
  await second.getByPlaceholder('请输入证书密码').fill(PW2);
  await second.getByRole('button', { name: '确认', exact: true }).click();
  await toast(second, '本设备使用证书前需短信验证');

  // Frozen on the main device: refused at once, even after the SMS verification.
  await page.goto(`${world.base}/app/cloudkey/devices`);
  await page.locator(`[data-test=ck-device-${secondary.device_id}]`).locator('[data-test=ck-freeze]').click();
  await toast(page, '设备已冻结');
  const smsUnlock = async () => {
    await second.goto(`${world.base}/app/cloudkey/devices`);
    await second.locator('[data-test=ck-sms-unlock]').click();
    await second.getByRole('button', { name: '获取验证码' }).click();
    await toast(second, '验证码已发送');
    await second.getByPlaceholder('请输入短信验证码').fill(await sms(STAFF));
    await second.locator('[data-test=ck-code-confirm]').click();
    await toast(second, '操作成功');
  };
  await smsUnlock();
  const frozenReq = await scan20(second, '冻结设备的签名', 'ck-nonce-4');
  await second.getByPlaceholder('请输入证书密码').fill(PW2);
  await second.getByRole('button', { name: '确认', exact: true }).click();
  await toast(second, '该设备已冻结，请在主设备上激活');
  assert.notEqual((await world.rpCall('GET', `/api/v1/rp/scene-requests/${frozenReq.id}`)).status, 'completed');

  // Activated again, verified by SMS: the secondary device signs.
  await page.goto(`${world.base}/app/cloudkey/devices`);
  await page.getByRole('tab', { name: /已冻结 1/ }).click();
  await page.locator(`[data-test=ck-device-${secondary.device_id}]`).locator('[data-test=ck-activate]').click();
  await toast(page, '设备已激活');
  await smsUnlock();
  const message = '副设备短信验证后的签名';
  const ok = await scan20(second, message, 'ck-nonce-5');
  await second.getByPlaceholder('请输入证书密码').fill(PW2);
  await second.getByRole('button', { name: '确认', exact: true }).click();
  await second.getByText('已完成').waitFor({ timeout: 60_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${ok.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  opensslVerifies(v.result.certificate, Buffer.from(v.result.signed_attributes, 'base64'), Buffer.from(v.result.signature, 'base64'));

  // The main device's log shows the secondary device's refusals with their reasons.
  const log = (await world.api('GET', `/api/v1/cloudkey/keys/${cert.key_id}/usage?device=${encodeURIComponent((await keyDevices(cert.key_id)).find((x) => x.role === 'main').device_id)}`, staffToken)).items;
  const results = log.filter((e) => e.device_id === secondary.device_id).map((e) => e.result);
  for (const r of ['device_not_activated', 'sms_code_required', 'device_frozen', 'ok']) assert.ok(results.includes(r), results.join(','));
  await second.context().close();
});

test('delegation: a colleague asks in the app, the holder approves 2 uses, the colleague\'s browser joins and signs; frozen refuses, the third is refused', { timeout: 240_000 }, async () => {
  const cert = (await world.api('GET', '/api/v1/cloudkey/certificates', staffToken)).items[0];
  // The colleague: an active staff record entered by the admin, without a certificate of their own.
  const colleagueToken = await login(COLLEAGUE);
  await world.api('POST', `/api/v1/cloudkey/tenants/${tenant}/staff`, adminToken, {
    staff_no: 'R2001', name: '吴住院', phone: COLLEAGUE, id_number: idNumber('11010519950101003'),
  });
  const colleague = await cloudKeyPhone(colleagueToken);
  await colleague.goto(`${world.base}/app/cloudkey/delegations`);
  await colleague.getByRole('tab', { name: '我的申请' }).click();
  await colleague.locator('[data-test=ck-delegation-tenant-search] input').fill('第一人民');
  await colleague.locator(`[data-test=ck-delegation-tenant-${tenant}]`).click();
  await colleague.locator('[data-test=ck-delegation-holder] input').fill(STAFF_NO);
  await colleague.locator('[data-test=ck-delegation-statement] textarea').fill('夜班代签处方');
  await colleague.locator('[data-test=ck-delegation-request]').click();
  await toast(colleague, '申请已提交');
  const asked = (await world.api('GET', '/api/v1/cloudkey/delegations', colleagueToken)).items[0];
  assert.equal(asked.status, 'requested');
  assert.equal(asked.holder_staff_no, STAFF_NO);

  // The holder approves with 2 uses in 授权管理.
  await page.goto(`${world.base}/app/cloudkey`);
  await page.locator('[data-test=ck-delegation]').click();
  const item = page.locator(`[data-test=ck-delegation-${asked.id}]`);
  await item.getByText('吴住院（R2001）').waitFor();
  await item.getByText('夜班代签处方').waitFor();
  await item.locator('[data-test=ck-delegation-approve]').click();
  await page.locator('[data-test=ck-delegation-uses] input').fill('2');
  await page.locator('[data-test=ck-delegation-terms-confirm]').click();
  await item.getByText('剩余 2/2 次').waitFor();
  await shot(page, 'cloudkey-08-delegation');
  let d = (await world.api('GET', '/api/v1/cloudkey/delegations', colleagueToken)).items.find((x) => x.id === asked.id);
  assert.equal(d.status, 'approved');
  assert.equal(d.uses_total, 2);
  assert.equal(d.live, true);
  // The colleague cannot freeze the holder's delegation: refused, nothing changed.
  const self = await world.call('PUT', `/api/v1/cloudkey/delegations/${asked.id}/frozen`, colleagueToken, { frozen: true });
  assert.ok(self.status >= 400, JSON.stringify(self));

  // The colleague's browser joins the holder's key for this delegation; the holder's browser
  // checks the code and sends its half.
  await colleague.reload();
  await colleague.getByRole('tab', { name: '我的申请' }).click();
  const mine = colleague.locator(`[data-test=ck-delegation-${asked.id}]`);
  await mine.locator('[data-test=pairing-start]').click();
  const pairingId = (await mine.locator('[data-test=pairing-id] .van-cell__label').innerText()).trim();
  const code = (await mine.locator('[data-test=pairing-code] .van-cell__label').innerText()).trim();
  await item.locator('[data-test=ck-delegation-add-device]').click();
  await page.waitForURL(new RegExp(`/app/certificates/${cert.certificate_id}/devices/new`));
  await page.getByPlaceholder('新设备显示的配对编号').fill(pairingId);
  await page.getByPlaceholder('如 ABCD-EFGH-…').fill(code);
  await page.getByPlaceholder('请输入证书密码').fill(PW);
  await page.getByRole('button', { name: '核对并发送' }).click();
  await page.getByText(/已向 .* 发送密钥分量/).waitFor({ timeout: 60_000 });
  await mine.getByPlaceholder('6–32 位').fill(PW2);
  await mine.getByPlaceholder('请再次输入证书密码').fill(PW2);
  await mine.getByRole('button', { name: '设置证书密码并完成' }).click();
  await mine.locator('[data-test=ck-delegation-here]').waitFor({ timeout: 60_000 });

  // The delegate signs with the holder's certificate; openssl verifies.
  const sign = async (message, nonce) => {
    const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', {
      scene: '20', title: `代签 ${nonce}`, nonce, message: Buffer.from(message).toString('base64'),
    });
    await colleague.goto(`${world.base}/app/scan`);
    await colleague.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
    await colleague.getByText(`代签 ${nonce}`).waitFor();
    return req;
  };
  const confirmSign = async (req, password = PW2) => {
    await colleague.getByText(`CN=${NAME}`).first().waitFor();
    await colleague.getByPlaceholder('请输入证书密码').fill(password);
    await colleague.getByRole('button', { name: '确认', exact: true }).click();
    await colleague.getByText('已完成').waitFor({ timeout: 60_000 });
    const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
    assert.equal(v.status, 'completed', JSON.stringify(v));
    assert.equal(v.result.certificate_id, cert.certificate_id);
    opensslVerifies(v.result.certificate, Buffer.from(v.result.signed_attributes, 'base64'), Buffer.from(v.result.signature, 'base64'));
  };
  await confirmSign(await sign('代签第一份处方', 'ck-del-1'));

  // 重置授权密码: the holder has a new password sent to the delegate by SMS; a wrong try spends
  // it (the right one is then refused too), a fresh reset applied on the delegate's device becomes
  // its certificate password.
  const resetSms = () => {
    const out = execFileSync(CERTSEALD, ['admin', 'sms-outbox', '--phone', COLLEAGUE, '--limit', '1', ...world.db], { encoding: 'utf8' });
    const m = /重置为 ([0-9]{8})/.exec(out);
    assert.ok(m, out);
    return m[1];
  };
  const applyReset = async (pw, expect) => {
    await colleague.goto(`${world.base}/app/cloudkey/delegations`);
    await colleague.getByRole('tab', { name: '我的申请' }).click();
    await mine.locator('[data-test=ck-delegation-reset-password] input').fill(pw);
    await mine.locator('[data-test=ck-delegation-reset-apply]').click();
    await toast(colleague, expect);
  };
  await page.goto(`${world.base}/app/cloudkey/delegations`);
  await item.locator('[data-test=ck-delegation-reset]').click();
  await toast(page, '新密码已短信发送给被授权人');
  const first = resetSms();
  await applyReset(first === '00000000' ? '11111111' : '00000000', '重置密码不正确');
  await applyReset(first, '没有待启用的重置密码');
  await item.locator('[data-test=ck-delegation-reset]').click();
  await toast(page, '新密码已短信发送给被授权人');
  const RESET_PW = resetSms();
  await applyReset(RESET_PW, '证书密码已重置为短信中的新密码');

  // Frozen by the holder: the holder's certificate is no longer offered to the delegate.
  await page.goto(`${world.base}/app/cloudkey/delegations`);
  await item.locator('[data-test=ck-delegation-freeze]').click();
  await toast(page, '授权已冻结');
  d = (await world.api('GET', '/api/v1/cloudkey/delegations', colleagueToken)).items.find((x) => x.id === asked.id);
  assert.equal(d.frozen, true);
  assert.equal(d.live, false);
  const frozen = await sign('冻结时的代签', 'ck-del-2');
  // Not offered at the claim (the completion would be refused too: SceneCertificateGate).
  await colleague.getByText('没有可用于此业务的证书').waitFor();
  assert.equal(await colleague.getByPlaceholder('请输入证书密码').count(), 0);
  assert.notEqual((await world.rpCall('GET', `/api/v1/rp/scene-requests/${frozen.id}`)).status, 'completed');

  // Unfrozen: the second use signs; the third finds the delegation spent.
  await item.locator('[data-test=ck-delegation-unfreeze]').click();
  await toast(page, '授权已解冻');
  await confirmSign(await sign('代签第二份处方', 'ck-del-3'), RESET_PW);
  const spent = await sign('第三次代签', 'ck-del-4');
  // Not offered at the claim (the completion would be refused too: SceneCertificateGate).
  await colleague.getByText('没有可用于此业务的证书').waitFor();
  assert.equal(await colleague.getByPlaceholder('请输入证书密码').count(), 0);
  assert.notEqual((await world.rpCall('GET', `/api/v1/rp/scene-requests/${spent.id}`)).status, 'completed');
  d = (await world.api('GET', '/api/v1/cloudkey/delegations', colleagueToken)).items.find((x) => x.id === asked.id);
  assert.equal(d.uses_left, 0);

  // The holder's log shows the delegated uses.
  await page.goto(`${world.base}/app/cloudkey/log`);
  await page.locator('[data-test=ck-log-entry]').first().waitFor();
  const entries = await page.locator('[data-test=ck-log-entry]').allInnerTexts();
  assert.equal(entries.filter((e) => e.startsWith('签名') && e.includes('授权使用') && e.includes('成功')).length, 2, entries.join('\n'));
  await colleague.context().close();
});

// Plays the person who reads the picture: the server keeps only SHA-256(id ":" answer) of the five
// digits (read from its database here), so 100 000 tries find them (node's crypto, not our code).
function solveCaptcha(id) {
  const hash = execFileSync('python3', ['-c', 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); '
    + 'print(c.execute("SELECT answer_hash FROM cloudkey_captchas WHERE id = ?", (sys.argv[2],)).fetchone()[0])',
  join(world.data, 'certseal.db'), id], { encoding: 'utf8' }).trim();
  for (let i = 0; i < 100000; i++) {
    const a = String(i).padStart(5, '0');
    if (createHash('sha256').update(`${id}:${a}`).digest('hex') === hash) return a;
  }
  throw new Error(`no answer for captcha ${id}`);
}

test('找回证书密码: a wrong captcha answer sends nothing, the right one an SMS code; the new password signs, the old one is refused', { timeout: 180_000 }, async () => {
  const NEW_PW = 'Ck#recover9';
  const before = (await world.call('GET', '/api/v1/cloudkey/certificates', staffToken)).json.items[0];
  await page.goto(`${world.base}/app/cloudkey/cert`);
  await page.locator('[data-test=ck-recover]').click();
  await page.waitForURL(/\/app\/cloudkey\/recover$/);
  const captchaId = async () => page.locator('[data-test=ck-captcha]').getAttribute('data-captcha');
  const first = await captchaId();
  const right = solveCaptcha(first);
  const wrong = right === '00000' ? '00001' : '00000';
  const codesSent = () => (execFileSync(CERTSEALD, ['admin', 'sms-outbox', '--phone', STAFF, '--limit', '1000', ...world.db],
    { encoding: 'utf8' }).match(/验证码[0-9]{6}/g) || []).length;
  const sentBefore = codesSent();
  await page.locator('[data-test=ck-captcha-answer] input').fill(wrong);
  await page.locator('[data-test=ck-recover-send]').click();
  await toast(page, '图片验证码不正确');
  assert.equal(codesSent(), sentBefore, 'no SMS code was sent for a wrong answer');
  // The wrong answer spent that picture: a new one is shown.
  await page.waitForFunction((old) => document.querySelector('[data-test=ck-captcha]')?.dataset.captcha !== old, first);
  const second = await captchaId();
  await shot(page, 'cloudkey-09-recover');
  await page.locator('[data-test=ck-captcha-answer] input').fill(solveCaptcha(second));
  await page.locator('[data-test=ck-recover-send]').click();
  await toast(page, '验证码已发送');
  assert.equal(codesSent(), sentBefore + 1);
  await page.locator('[data-test=ck-recover-code] input').fill(await sms(STAFF));
  await page.locator('[data-test=ck-recover-password] input').fill(NEW_PW);
  await page.locator('[data-test=ck-recover-again] input').fill(NEW_PW);
  await page.locator('[data-test=ck-recover-submit]').click();
  await page.getByText('证书密码已重置，请使用新密码').waitFor({ timeout: 60_000 });

  // The old password is refused at the next step, the new one signs (openssl verifies).
  await scan20(page, '找回密码之后', 'ck-rec-1');
  await page.getByPlaceholder('请输入证书密码').fill(PW);
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await toast(page, '证书密码错误');
  const req = await scan20(page, '新密码签名', 'ck-rec-2');
  await page.getByPlaceholder('请输入证书密码').fill(NEW_PW);
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await page.getByText('已完成').waitFor({ timeout: 60_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  assert.equal(v.result.certificate_id, before.certificate_id);
  opensslVerifies(v.result.certificate, Buffer.from(v.result.signed_attributes, 'base64'), Buffer.from(v.result.signature, 'base64'));
});

test('导出加密日志: refused before the tenant has a support certificate; then only the support key opens it', { timeout: 120_000 }, async () => {
  const cert = (await world.api('GET', '/api/v1/cloudkey/certificates', staffToken)).items[0];
  await page.goto(`${world.base}/app/cloudkey/log`);
  await page.locator('[data-test=ck-log-entry]').first().waitFor();
  await page.locator('[data-test=ck-log-export]').click();
  await toast(page, '单位尚未设置技术支持证书');
  // The support side's SM2 key and certificate (openssl), and a stranger's.
  for (const who of ['support', 'stranger']) {
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', join(world.dir, `${who}.key`)]);
    execFileSync('openssl', ['req', '-x509', '-new', '-key', join(world.dir, `${who}.key`), '-subj', `/CN=${who}`, '-days', '30', '-sm3',
      '-out', join(world.dir, `${who}.pem`)]);
  }
  await world.api('PUT', `/api/v1/operator/cloudkey/tenants/${tenant}/support-certificate`, world.operator,
    { certificate_pem: readFileSync(join(world.dir, 'support.pem'), 'utf8') });
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=ck-log-export]').click()]);
  assert.match(download.suggestedFilename(), /^cloudkey-log-\d{4}-\d{2}-\d{2}\.p7m$/);
  const file = join(world.dir, 'exported.p7m');
  await download.saveAs(file);
  assert.equal(readFileSync(file).includes('"operation"'), false, 'the log is not in the clear');
  const open = world.certseal('support-desk', null, ['--json', 'cloudkey', 'decrypt-log', '--in', file, '--support-key', join(world.dir, 'support.key')]);
  assert.equal(open.status, 0, open.stderr);
  const log = JSON.parse(open.stdout);
  assert.equal(log.key_id, cert.key_id);
  assert.ok(log.items.some((e) => e.operation === 'sign' && e.result === 'ok'), open.stdout);
  const stranger = world.certseal('support-desk', null, ['cloudkey', 'decrypt-log', '--in', file, '--support-key', join(world.dir, 'stranger.key')]);
  assert.notEqual(stranger.status, 0);
});

test('the cloud key screens fit a 320 px wide phone, and read in English', { timeout: 90_000 }, async () => {
  await page.setViewportSize({ width: 320, height: 640 });
  for (const path of ['/cloudkey', '/cloudkey/setup', '/cloudkey/cert', '/cloudkey/signature', '/cloudkey/devices', '/cloudkey/log',
    '/cloudkey/delegations', '/cloudkey/recover', '/cloudkey/settings', '/pc-key']) {
    await page.goto(`${world.base}/app${path}`);
    await page.locator('.van-nav-bar, .hero').first().waitFor();
    await page.waitForLoadState('networkidle');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 320, `${path} is ${width} px wide at 320 px`);
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => localStorage.setItem('certseal.lang', 'en-US'));
  await page.goto(`${world.base}/app/cloudkey`);
  await page.getByText('Staff certificates: your phone is the key').waitFor();
  await page.locator('[data-test=ck-devices]').getByText('Devices').waitFor();
  await page.evaluate(() => localStorage.setItem('certseal.lang', 'zh-CN'));
});

test('settings: about with the published client, logging out of another application, then of all', { timeout: 90_000 }, async () => {
  await world.api('POST', '/api/v1/operator/client/releases', world.operator, {
    business: 'cloudkey', version: '2.1.0', download_url: 'https://downloads.example/cloudkey-2.1.0.apk', notes: '支持副设备短信验证',
  });
  // Another application of the same account (a second login).
  const other = await world.login(STAFF, 'Str0ng!pw');
  assert.equal((await world.call('GET', '/api/v1/cloudkey/sessions', other)).status, 200);

  await page.goto(`${world.base}/app/cloudkey`);
  await page.locator('[data-test=ck-settings]').click();
  await page.waitForURL(/\/app\/cloudkey\/settings$/);
  const info = await world.api('GET', '/api/v1/info');
  await page.locator('[data-test=ck-server-version]').getByText(info.version).waitFor();
  await page.locator('[data-test=ck-client-release]').getByText('2.1.0').waitFor();
  const listed = (await world.api('GET', '/api/v1/cloudkey/sessions', other)).items;
  const otherId = listed.find((x) => x.current).id;
  await page.locator(`[data-test=ck-session-${otherId}]`).waitFor();
  await shot(page, 'cloudkey-10-settings');

  // The other application is logged out: its token is refused from then on; this one still works.
  await page.locator(`[data-test=ck-session-${otherId}]`).locator('[data-test=ck-logout-one]').click();
  await toast(page, '已退出该应用');
  assert.equal((await world.call('GET', '/api/v1/cloudkey/sessions', other)).status, 401);
  assert.equal((await world.call('GET', '/api/v1/cloudkey/sessions', staffToken)).status, 200);

  // All of them, this one too: back to the login page, the token refused.
  await page.locator('[data-test=ck-logout-all]').click();
  await page.locator('.van-dialog__confirm').click();
  await page.waitForURL(/\/app\/login/);
  assert.equal((await world.call('GET', '/api/v1/cloudkey/sessions', staffToken)).status, 401);
});
