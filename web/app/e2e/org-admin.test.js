// An organisation's administrator on the phone (docs/WEBAPP.md): 证书延期 of the organisation's
// certificate — the organisation's renewal package ordered from the certificate's details, its
// application form signed on the pad, SMS authorisation, the sandbox payment, the operator's
// review, the renewal on the same key through the organisation's endpoint, a signature under the
// renewed certificate verified by the relying party —; and 转让管理员 — the member and the
// certificate chosen, the handwritten signature drawn on the pad, the authorisation letter
// (授权委托书) drawn by the platform and shown as its first page, signed with the certificate
// password by the browser shield (two-party SM2), after which the new admin has the admin
// functions and the former one has not; the signed letter downloaded and verified by the server's
// PDF verification. Refusals: a plain member is offered neither and the API refuses them; a wrong
// password changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, screenshotDir, idNumber, uscc } from './harness.js';

const world = new World();
const ORG = '杭州示例网络科技有限公司';
const ADMIN = { phone: '13912350001', name: '孙一', id: idNumber('11010519800303003') };
const HEIR = { phone: '13912350002', name: '周二', id: idNumber('11010519900404004') };
const PLAIN = { phone: '13912350003', name: '吴三', id: idNumber('11010519910505005') };
const ORG_PIN = 'Org#renew2026';
const PIN = 'Adm#sign2026';
let orgId;
let admin; // the administrator's page
let adminToken;
let heirToken;
let plainToken;
let heirMember;
let personalCert;
let orgCert;

async function shot(page, name) {
  const dir = screenshotDir(world);
  mkdirSync(dir, { recursive: true });
  await page.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

const keyRecords = (page) =>
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

async function actAs(token, kind) {
  const ids = await world.api('GET', '/api/v1/identities', token);
  const id = ids.items.find((i) => i.kind === kind && (kind === 'person' || i.org_id === orgId));
  if (!id) throw new Error(`no ${kind} identity: ${JSON.stringify(ids.items)}`);
  await world.api('PUT', '/api/v1/sessions/current/identity', token, { identity_id: id.id });
}

async function upload(token, purpose, body, type) {
  const r = await fetch(`${world.base}/api/v1/blobs?purpose=${purpose}`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, body,
  });
  if (!r.ok) throw new Error(`upload ${purpose}: ${r.status} ${await r.text()}`);
  return (await r.json()).id;
}

async function sandboxPay(token, orderId, page) {
  const pay = await world.api('POST', `/api/v1/orders/${orderId}/online-payments`, token, { gateway: 'sandbox' });
  const p = await page.context().newPage();
  await p.goto(pay.pay_url.startsWith('http') ? pay.pay_url : world.base + pay.pay_url);
  await p.getByRole('button', { name: 'Pay' }).click();
  await p.getByText('Payment done').waitFor();
  await p.close();
  for (let i = 0; i < 100 && (await world.api('GET', `/api/v1/orders/${orderId}`, token)).status === 'awaiting_payment'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function draw(page) {
  const pad = page.locator('[data-test=signature-pad]');
  await pad.waitFor();
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  await page.mouse.move(box.x + 30, box.y + 60);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + 30 + i * 20, box.y + 60 + (i % 3) * 25);
  await page.mouse.up();
}

async function install(page, orderId, pin) {
  await page.goto(`${world.base}/app/orders/${orderId}/install`);
  await page.getByPlaceholder('6–32 位').fill(pin);
  await page.getByPlaceholder('请再次输入证书密码').fill(pin);
  await page.getByRole('button', { name: '安装', exact: true }).click();
  await page.getByText('证书已安装到本机').waitFor({ timeout: 60_000 });
}

before(async () => {
  await world.start();
  await world.catalogue();
  await world.relyingParty();
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  await scratch.context().close();
  adminToken = await world.verifiedPerson(ADMIN.phone, ADMIN.name, ADMIN.id, photo);
  heirToken = await world.verifiedPerson(HEIR.phone, HEIR.name, HEIR.id, photo);
  plainToken = await world.verifiedPerson(PLAIN.phone, PLAIN.name, PLAIN.id, photo);
  // The administrator's personal certificate (the one that will sign the letter).
  const personalOrder = await world.approvedPersonalOrder(adminToken, ADMIN.phone, ADMIN.name);

  // The organisation, created by someone who is not its legal representative (so that the
  // administrator's powers end with the transfer), verified through the API (the screens of
  // creating one are tested in org-flow.test.js).
  const agreement = await world.api('GET', '/api/v1/agreements/organisation').catch(() => ({ version: 1 }));
  const org = await world.api('POST', '/api/v1/organisations', adminToken, {
    name: ORG, credit_code: uscc('91330106MA2ABC001'), creator_is_legal_rep: false, agreement_version: agreement.version,
  });
  orgId = org.id;
  const letter = Buffer.from(await (await fetch(`${world.base}/api/v1/organisations/${orgId}/authorisation-letter`, {
    headers: { Authorization: `Bearer ${adminToken}` },
  })).arrayBuffer());
  await world.api('PUT', `/api/v1/organisations/${orgId}/licence`, adminToken, { blob_id: await upload(adminToken, 'licence', photo, 'image/png') });
  await world.api('PATCH', `/api/v1/organisations/${orgId}`, adminToken, {
    legal_representative: { name: '郑法人', id_number: idNumber('11010519700606006'), phone: '13912350009' },
    letter_blob_id: await upload(adminToken, 'authorisation_letter', letter, 'application/pdf'),
    bank: { bank_name: '中国工商银行杭州分行', account: '1202001234567890123', account_name: ORG },
  });
  await world.api('POST', `/api/v1/organisations/${orgId}/bank-transfers`, adminToken, {});
  const fen = (await world.api('GET', `/api/v1/operator/organisations/${orgId}/bank-transfers`, world.operator)).items[0].amount_fen;
  await world.api('POST', `/api/v1/organisations/${orgId}/bank-verification`, adminToken, { amount_fen: fen });
  await world.api('POST', `/api/v1/organisations/${orgId}/submission`, adminToken, {});
  await world.api('POST', `/api/v1/operator/organisations/${orgId}/approval`, world.operator);
  await actAs(adminToken, 'admin');
  // Two employees join (the screens of joining are tested in org-flow.test.js).
  for (const [who, token] of [[HEIR, heirToken], [PLAIN, plainToken]]) {
    await world.api('POST', `/api/v1/organisations/${orgId}/join-requests`, token, {
      statement: `我是${who.name}`, admin_name: ADMIN.name, admin_phone: ADMIN.phone,
    });
  }
  const tasks = (await world.api('GET', '/api/v1/tasks', adminToken)).items;
  assert.equal(tasks.length, 2, JSON.stringify(tasks));
  for (const task of tasks) await world.api('POST', `/api/v1/tasks/${task.id}/approval`, adminToken, {});
  await actAs(heirToken, 'employee');
  await actAs(plainToken, 'employee');
  heirMember = (await world.api('GET', `/api/v1/organisations/${orgId}/members`, adminToken)).items.find((m) => m.phone === HEIR.phone);

  // The organisation's certificate, bought by the administrator for the organisation (the
  // wizard's screens are tested in org-flow.test.js).
  const op = world.operator;
  const product = (await world.api('POST', '/api/v1/operator/catalogue/products', op, {
    kind: 'certificate', name: '机构证书 SM2 1年', cert_type: 'organisation', algorithm: 'sm2', validity_years: 1,
    price_fen: 50000, ca_id: 'sm2o', seal_type: 'official',
  })).id;
  admin = await (await world.phoneWithSession(adminToken)).newPage();
  await admin.goto(`${world.base}/app/`);
  const order = await world.api('POST', '/api/v1/orders', adminToken, { product_id: product, platform_id: world.platform, org_id: orgId });
  const sig = await upload(adminToken, 'handwritten_signature', await admin.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 200, height: 80 } }), 'image/png');
  await world.api('POST', `/api/v1/orders/${order.id}/application-form/online-signature`, adminToken, { blob_id: sig });
  await world.api('POST', '/api/v1/seals', adminToken, { order_id: order.id, kind: 'official', design: { method: 'template', name: ORG, code: '3301060123456' } });
  await world.api('POST', '/api/v1/account/sms-codes', adminToken, { purpose: 'authorise' });
  await world.api('POST', `/api/v1/orders/${order.id}/authorisation`, adminToken, { code: world.smsCode(ADMIN.phone) });
  await sandboxPay(adminToken, order.id, admin);
  await world.api('POST', `/api/v1/operator/orders/${order.id}/approval`, op);

  // Both installed in the administrator's browser.
  await install(admin, personalOrder.id, PIN);
  await install(admin, order.id, ORG_PIN);
  const mine = (await world.api('GET', '/api/v1/account/certificates', adminToken)).items;
  personalCert = mine.find((c) => !c.org_id && c.status === 'valid');
  orgCert = mine.find((c) => c.org_id === orgId && c.status === 'valid');
  assert.ok(personalCert && orgCert, JSON.stringify(mine));
});

after(async () => {
  await world.stop();
});

test('证书延期 of the organisation certificate: the admin buys the organisation package, signs the form, pays, renews on the same key', { timeout: 180_000 }, async () => {
  const pkg = await world.api('POST', '/api/v1/operator/catalogue/products', world.operator, {
    kind: 'renewal', name: '机构证书延期 2年', cert_type: 'organisation', algorithm: 'sm2', validity_years: 2, price_fen: 30000,
    ca_id: 'sm2o', seal_type: 'official',
  });
  // Refused from the employee's side: a plain member cannot buy the organisation's renewal for a
  // certificate they do not hold, nor renew it through the organisation's endpoint.
  const byEmployee = await world.call('POST', '/api/v1/orders', plainToken, { product_id: pkg.id, certificate_id: orgCert.id, org_id: orgId });
  assert.equal(byEmployee.status, 404, JSON.stringify(byEmployee.json));
  const renewByEmployee = await world.call('POST', `/api/v1/organisations/${orgId}/certificates/${orgCert.id}/renewals`, plainToken,
    { request_id: 'employee-renewal', order_id: 'none' });
  assert.equal(renewByEmployee.status, 403, JSON.stringify(renewByEmployee.json));

  const before = new Set((await world.api('GET', '/api/v1/orders', adminToken)).items.map((o) => o.id));
  await admin.goto(`${world.base}/app/certificates/${orgCert.id}`);
  await admin.locator('[data-test=renew-cell]').click();
  await admin.locator('[data-test=renew-org]').getByText(ORG).waitFor();
  await admin.getByText('机构证书延期 2年').waitFor();
  await admin.getByRole('button', { name: '提交订单' }).click();
  // The organisation's order: its application form signed on the pad first.
  await admin.locator('[data-test=renew-sign-form]').waitFor();
  const order = (await world.api('GET', '/api/v1/orders', adminToken)).items.find((o) => !before.has(o.id));
  assert.equal(order.product_id, pkg.id);
  assert.equal(order.org_id, orgId, 'bought for the organisation');
  assert.equal(order.certificate_id, orgCert.id);
  assert.equal(order.amount_fen, 30000);
  await draw(admin);
  await shot(admin, 'org-renewal-form');
  await admin.locator('[data-test=renew-sign-form]').click();
  await admin.getByRole('button', { name: '获取验证码' }).click();
  await admin.getByText('验证码已发送').waitFor();
  await admin.getByPlaceholder('请输入短信验证码').fill(world.smsCode(ADMIN.phone));
  await admin.getByRole('button', { name: '确认授权' }).click();
  const [pay] = await Promise.all([admin.context().waitForEvent('page'), admin.getByRole('button', { name: '去支付（沙箱）' }).click()]);
  await pay.getByRole('button', { name: 'Pay' }).click();
  await pay.getByText('Payment done').waitFor();
  await pay.close();
  await admin.getByText('已支付，等待平台审核').waitFor({ timeout: 30_000 });
  const form = await fetch(`${world.base}/api/v1/orders/${order.id}/application-form`, { headers: { Authorization: `Bearer ${adminToken}` } });
  assert.equal(form.status, 200);
  assert.equal(Buffer.from(await form.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');

  await world.api('POST', `/api/v1/operator/orders/${order.id}/approval`, world.operator);
  await admin.locator('[data-test=renew-now]').click();
  await admin.getByText('证书已延期').first().waitFor({ timeout: 30_000 });
  await shot(admin, 'org-renewal-done');
  const list = (await world.api('GET', '/api/v1/account/certificates', adminToken)).items;
  const renewed = list.find((c) => c.org_id === orgId && c.status === 'valid');
  assert.notEqual(renewed.id, orgCert.id);
  assert.equal(renewed.key_id, orgCert.key_id, 'the same key');
  const days = (Date.parse(renewed.not_after) - Date.parse(orgCert.not_after)) / 86_400_000;
  assert.ok(days > 360 && days < 370, `the not-after moved by ${days} days`);
  assert.equal((await world.api('GET', `/api/v1/account/certificates/${orgCert.id}`, adminToken)).certificate.status, 'revoked');
  assert.equal((await world.api('GET', `/api/v1/orders/${order.id}`, adminToken)).status, 'done');
  const rec = (await keyRecords(admin)).find((k) => k.key_id === orgCert.key_id);
  assert.equal(rec.certificate_id, renewed.id, 'the key record follows the renewed certificate');

  // A signature under the renewed organisation certificate (scene 20), verified by the relying party.
  const message = Buffer.from('单位证书延期后的签名').toString('base64');
  const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', { scene: '20', title: '单位延期后签名', nonce: 'org-renewal-01', message });
  await admin.goto(`${world.base}/app/scan`);
  await admin.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
  await admin.getByText('单位证书延期后的签名').waitFor();
  await admin.locator('.van-radio-group .van-cell', { hasText: ORG }).first().click();
  await admin.getByPlaceholder('请输入证书密码').fill(ORG_PIN);
  await admin.getByRole('button', { name: '确认', exact: true }).click();
  await admin.getByText('已完成').waitFor({ timeout: 30_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  const check = await world.rpCall('POST', '/api/v1/rp/verifications', { cms: v.result.cms, content: message });
  assert.equal(check.valid, true, JSON.stringify(check));
  assert.equal(check.signer.certificate_id, renewed.id);
  orgCert = renewed;
});

test('转让管理员: member and certificate chosen, signature drawn, the letter read and signed in the browser; the roles move', { timeout: 180_000 }, async () => {
  const base = `/api/v1/organisations/${orgId}/admin-transfer-letters`;
  // A plain member: no entry in 我的, and the API refuses them a letter.
  const plain = await (await world.phoneWithSession(plainToken)).newPage();
  await plain.goto(`${world.base}/app/me`);
  await plain.getByText(`当前身份：员工 · ${ORG}`).waitFor();
  assert.equal(await plain.locator('[data-test=org-transfer]').count(), 0);
  const plainMember = (await world.api('GET', `/api/v1/organisations/${orgId}/members`, adminToken)).items.find((m) => m.phone === PLAIN.phone);
  const refused = await world.call('POST', base, plainToken, { member_id: plainMember.id, certificate_id: personalCert.id });
  assert.equal(refused.status, 403, JSON.stringify(refused.json));
  await plain.goto(`${world.base}/app/org/${orgId}/transfer`);
  await plain.locator('[data-test=transfer-denied]').getByText('仅单位管理员或法定代表人').waitFor();
  assert.equal(await plain.locator('[data-test=draw-letter]').count(), 0, 'a plain member is offered no transfer');

  // The administrator: 我的 → 转让管理员.
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText(`当前身份：单位管理员 · ${ORG}`).waitFor();
  await admin.locator('[data-test=org-transfer]').click();
  await admin.locator(`[data-test=member-${HEIR.phone}]`).click();
  assert.equal(await admin.locator(`[data-test=member-${ADMIN.phone}]`).count(), 0, 'not to oneself');
  await admin.locator('[data-test=cert-personal]').click();
  await draw(admin);
  await shot(admin, 'admin-transfer');
  assert.ok((await admin.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no sideways scrolling');
  await admin.locator('[data-test=draw-letter]').click();
  // The letter's first page as the platform drew it, the handwritten signature on it.
  const page = admin.locator('[data-test=letter-page]');
  await page.waitFor({ timeout: 30_000 });
  await admin.waitForFunction(() => document.querySelector('[data-test=letter-page]')?.naturalWidth > 500);
  await shot(admin, 'admin-transfer-letter');
  await admin.setViewportSize({ width: 320, height: 640 });
  assert.ok((await admin.evaluate(() => document.documentElement.scrollWidth)) <= 320, 'the letter step fits 320 px');
  await admin.setViewportSize({ width: 390, height: 844 });
  const letters = await world.api('GET', `/api/v1/organisations/${orgId}/members`, adminToken); // still the admin
  assert.equal(letters.items.find((m) => m.phone === HEIR.phone).role, 'employee');
  const pending = (await admin.locator('[data-test=letter-id] .van-cell__label').innerText()).trim();
  const letter = await world.api('GET', `${base}/${pending}`, adminToken);
  assert.equal(letter.status, 'pending');
  assert.equal(letter.member_id, heirMember.id);
  assert.equal(letter.certificate_id, personalCert.id);
  // What was read before signing is the prepared PDF, readable by its signer only.
  const prepared = await fetch(`${world.base}${base}/${letter.id}/pdf`, { headers: { Authorization: `Bearer ${adminToken}` } });
  assert.equal(prepared.status, 200);
  assert.equal((await world.call('GET', `${base}/${letter.id}/pdf`, heirToken)).status, 404);

  // A wrong certificate password: refused next to the field, nothing moves.
  await admin.getByPlaceholder('请输入证书密码').fill('Wrong#pin2026');
  await admin.locator('[data-test=sign-letter]').click();
  await admin.locator('.van-field__error-message').first().waitFor({ timeout: 30_000 });
  assert.equal((await world.api('GET', `${base}/${letter.id}`, adminToken)).status, 'pending');

  await admin.getByPlaceholder('请输入证书密码').fill(PIN);
  await admin.locator('[data-test=sign-letter]').click();
  await admin.getByText('管理员已转让').first().waitFor({ timeout: 60_000 });
  await admin.locator('[data-test=transfer-result]').getByText(HEIR.name).waitFor();
  await shot(admin, 'admin-transfer-done');

  // The signed letter: downloaded from the app, the same as the API's, verified by the server.
  const [dl] = await Promise.all([admin.waitForEvent('download'), admin.locator('[data-test=letter-download]').click()]);
  const file = join(world.dir, 'letter.pdf');
  await dl.saveAs(file);
  const signed = readFileSync(file);
  assert.equal(signed.subarray(0, 5).toString(), '%PDF-');
  const byHeir = Buffer.from(await (await fetch(`${world.base}${base}/${letter.id}/pdf`, { headers: { Authorization: `Bearer ${heirToken}` } })).arrayBuffer());
  assert.ok(byHeir.equals(signed), 'the new admin downloads the same signed letter');
  const done = await world.api('GET', `${base}/${letter.id}`, heirToken);
  assert.equal(done.status, 'signed');
  assert.match(done.level, /^PAdES-B/);
  const check = await world.rpCall('POST', '/api/v1/rp/document-verifications', signed, { contentType: 'application/pdf' });
  assert.equal(check.valid, true, JSON.stringify(check));
  assert.equal(check.signatures.length, 1);
  assert.equal(check.signatures[0].signer.certificate_id, personalCert.id);

  // The roles moved: the heir is the admin, the former admin an employee.
  const ids = await world.api('GET', '/api/v1/identities', heirToken);
  assert.ok(ids.items.some((i) => i.kind === 'admin' && i.org_id === orgId), JSON.stringify(ids.items));
  const former = await world.api('GET', '/api/v1/identities', adminToken);
  assert.ok(!former.items.some((i) => ['admin', 'legal_representative'].includes(i.kind) && i.org_id === orgId), JSON.stringify(former.items));
  // The new admin sees the admin functions once acting as admin.
  const heir = await (await world.phoneWithSession(heirToken)).newPage();
  await heir.goto(`${world.base}/app/me`);
  await heir.getByText(`单位管理员 · ${ORG}`, { exact: true }).click();
  await heir.getByText(`当前身份：单位管理员 · ${ORG}`).waitFor();
  await heir.locator('[data-test=org-transfer]').waitFor();
  await heir.locator('[data-test=org-buy]').waitFor();
  await heir.getByText('待办审批').waitFor();
  await shot(heir, 'admin-transfer-new-admin');
  // The former admin does not, and the API refuses them a new letter.
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText('账号与安全').waitFor();
  await admin.getByText(`员工 · ${ORG}`).first().waitFor();
  assert.equal(await admin.locator('[data-test=org-transfer]').count(), 0);
  assert.equal(await admin.locator('[data-test=org-buy]').count(), 0);
  assert.equal(await admin.getByText('待办审批').count(), 0);
  const again = await world.call('POST', base, adminToken, { member_id: heirMember.id, certificate_id: personalCert.id });
  assert.equal(again.status, 403, JSON.stringify(again.json));
});
