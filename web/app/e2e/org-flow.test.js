// The organisation flow on phones: the future administrator creates and verifies an
// organisation (licence photo, bank account check with the amount the platform sent), the
// operator approves (API), the administrator switches to the organisation's identity; an employee
// finds the organisation and asks to join, naming the administrator; the administrator approves
// in the to-do list; the employee then acts as the organisation's employee.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, World, screenshotDir, idNumber, uscc } from './harness.js';

const world = new World();
const ORG = '北京示例科技有限公司';
const ADMIN = { phone: '13912340001', name: '王五', id: idNumber('11010519800101001') };
const EMPLOYEE = { phone: '13912340002', name: '赵六', id: idNumber('11010519900202002') };
let employee;
let admin;
let adminToken;
let employeeToken;
let orgId;

async function shot(page, name) {
  const SHOTS = screenshotDir(world);
  mkdirSync(SHOTS, { recursive: true });
  await page.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

before(async () => {
  await world.start();
});
after(async () => {
  await world.stop();
});

test('create and verify an organisation, an employee joins, the administrator approves', { timeout: 180_000 }, async () => {
  // Any picture does for the development verifier and the licence; a phone's own screen is one.
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  adminToken = await world.verifiedPerson(ADMIN.phone, ADMIN.name, ADMIN.id, photo);
  employeeToken = await world.verifiedPerson(EMPLOYEE.phone, EMPLOYEE.name, EMPLOYEE.id, photo);

  // The administrator: create, licence, bank account, bank check, submit.
  admin = await (await world.phoneWithSession(adminToken)).newPage();
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText('创建并认证单位').click();
  await admin.getByPlaceholder('与营业执照一致').fill(ORG);
  await admin.getByPlaceholder('18 位代码').fill(uscc('91110108MA01ABC12'));
  await admin.locator('[data-test=org-agree]').click();
  await shot(admin, '17-org-create');
  await admin.getByRole('button', { name: '下一步' }).click();
  await admin.locator('[data-test=licence]').setInputFiles({ name: 'licence.png', mimeType: 'image/png', buffer: photo });
  await admin.getByText('识别的名称').waitFor();
  await admin.getByRole('button', { name: '下一步' }).click();
  await admin.getByPlaceholder('如：中国工商银行北京分行').fill('中国工商银行北京分行');
  await admin.getByPlaceholder('对公账号').fill('0200001234567890123');
  await admin.getByRole('button', { name: '发起打款验证' }).click();
  await admin.getByText('请查询到账金额后填写').waitFor();
  // The operator's view of the organisation (drafts are not searchable yet).
  const orgs = await world.api('GET', '/api/v1/operator/organisations?limit=100', world.operator);
  orgId = orgs.items.find((o) => o.name === ORG).id;
  const transfers = await world.api('GET', `/api/v1/operator/organisations/${orgId}/bank-transfers`, world.operator);
  const fen = transfers.items[0].amount_fen;
  await admin.getByPlaceholder('如 0.37').fill((fen / 100).toFixed(2));
  await admin.getByRole('button', { name: '确认金额' }).click();
  await admin.getByRole('button', { name: '提交审核' }).click();
  await admin.getByText('审核中').waitFor();
  await world.api('POST', `/api/v1/operator/organisations/${orgId}/approval`, world.operator);

  // Switch to the organisation's administrator identity.
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText(`单位管理员 · ${ORG}`).click();
  await admin.getByText(`当前身份：单位管理员 · ${ORG}`).waitFor();
  await shot(admin, '18-identities');

  // The employee asks to join, naming the administrator.
  employee = await (await world.phoneWithSession(employeeToken)).newPage();
  await employee.goto(`${world.base}/app/org/join`);
  await employee.getByPlaceholder('输入单位名称').fill('示例科技');
  await employee.getByRole('button', { name: '搜索' }).click();
  await employee.getByText(ORG).waitFor();
  await employee.getByPlaceholder('如：我是本单位财务部员工').fill('我是技术部员工');
  await employee.getByPlaceholder('您所知道的单位管理员姓名').fill(ADMIN.name);
  await employee.getByPlaceholder('管理员的手机号').fill(ADMIN.phone);
  await shot(employee, '19-org-join');
  await employee.getByRole('button', { name: '提交申请' }).click();
  await employee.getByText('已提交，等待管理员审批').waitFor();

  // The administrator approves in the to-do list.
  await admin.goto(`${world.base}/app/me`);
  await admin.getByText('待办审批').click();
  await admin.getByText('我是技术部员工').waitFor();
  await shot(admin, '20-tasks');
  await admin.getByRole('button', { name: '同意' }).click();
  await admin.getByText('已同意').first().waitFor();

  // The employee now holds the organisation's employee identity and acts as it.
  await employee.goto(`${world.base}/app/me`);
  await employee.getByText(`员工 · ${ORG}`).click();
  await employee.getByText(`当前身份：员工 · ${ORG}`).waitFor();
  const ids = await world.api('GET', '/api/v1/identities', employeeToken);
  assert.ok(ids.items.some((i) => i.kind === 'employee' && i.org_id === orgId), JSON.stringify(ids));
  // An employee sees no to-do list of the organisation (the link is not even offered).
  assert.equal(await employee.getByText('待办审批').count(), 0);
  const members = await world.api('GET', `/api/v1/organisations/${orgId}/members`, adminToken);
  // The creator is the administrator and, having said so, the legal representative.
  assert.deepEqual(members.items.filter((m) => m.status === 'active').map((m) => `${m.role} ${m.phone}`).sort(),
    [`admin ${ADMIN.phone}`, `employee ${EMPLOYEE.phone}`, `legal_representative ${ADMIN.phone}`]);
});

// The organisation's seal under a seal grant (单位印章授权, docs/GRANTS.md): the administrator's
// organisation certificate (bought through the API: product, application form signed online,
// official seal by template, SMS authorisation, sandbox payment; the operator approves) is
// installed in the administrator's browser; the employee asks to use the official seal in the app,
// the administrator approves in the app from the to-do list, the employee sees the grant live.
// The administrator, holding the key, seals a PDF with the organisation's seal by scanning a
// scene-13 QR code. On the employee's phone the granted seal is offered but cannot be used until
// the employee also holds a certificate grant and their browser has joined the key by pairing
// with the holder's (a wrong pairing code is refused on the holder's phone before anything is
// sent); then the employee seals a PDF by scanning, counted on the seal grant; its one use spent,
// the seal is no longer offered as usable.
test('an organisation seal: the employee asks, the administrator approves, the employee pairs and seals a PDF by scanning', { timeout: 240_000 }, async () => {
  const op = world.operator;
  const platform = (await world.api('POST', '/api/v1/operator/catalogue/platforms', op, { name: '示例交易平台' })).id;
  const maker = await world.api('POST', '/api/v1/operator/catalogue/seal-makers', op, { name: '示例制章单位' });
  await world.api('POST', `/api/v1/operator/seal-makers/${maker.id}/certificate`, op, { uscc: uscc('91110108MA01MKR09') });
  const product = (await world.api('POST', '/api/v1/operator/catalogue/products', op, {
    kind: 'certificate', name: '机构证书 SM2 1年', cert_type: 'organisation', algorithm: 'sm2', validity_years: 1,
    price_fen: 50000, ca_id: 'sm2o', seal_type: 'official',
  })).id;
  world.platform = platform;
  await world.relyingParty();

  // The organisation's order, as its administrator (the session acts as the organisation's admin).
  const order = await world.api('POST', '/api/v1/orders', adminToken, { product_id: product, platform_id: platform, org_id: orgId });
  const sigPng = await admin.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 200, height: 80 } });
  const blob = await fetch(`${world.base}/api/v1/blobs?purpose=handwritten_signature`, {
    method: 'POST', headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'image/png' }, body: sigPng,
  }).then((r) => r.json());
  await world.api('POST', `/api/v1/orders/${order.id}/application-form/online-signature`, adminToken, { blob_id: blob.id });
  await world.api('POST', '/api/v1/seals', adminToken, {
    order_id: order.id, kind: 'official', design: { method: 'template', name: ORG, code: '1101080123456' },
  });
  await world.api('POST', '/api/v1/account/sms-codes', adminToken, { purpose: 'authorise' });
  await world.api('POST', `/api/v1/orders/${order.id}/authorisation`, adminToken, { code: world.smsCode(ADMIN.phone) });
  const pay = await world.api('POST', `/api/v1/orders/${order.id}/online-payments`, adminToken, { gateway: 'sandbox' });
  const payPage = await admin.context().newPage();
  await payPage.goto(pay.pay_url.startsWith('http') ? pay.pay_url : world.base + pay.pay_url);
  await payPage.getByRole('button', { name: 'Pay' }).click();
  await payPage.getByText('Payment done').waitFor();
  await payPage.close();
  for (let i = 0; i < 100 && (await world.api('GET', `/api/v1/orders/${order.id}`, adminToken)).status === 'awaiting_payment'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await world.api('POST', `/api/v1/operator/orders/${order.id}/approval`, op);

  // Installed in the administrator's browser, from the order list.
  await admin.goto(`${world.base}/app/orders`);
  await admin.getByRole('button', { name: '安装证书' }).click();
  await admin.getByPlaceholder('6–32 位').fill('Org#cert2026');
  await admin.getByPlaceholder('请再次输入证书密码').fill('Org#cert2026');
  await admin.getByRole('button', { name: '安装', exact: true }).click();
  await admin.getByText('证书已安装到本机').waitFor({ timeout: 60_000 });
  // The operator approves the seal once its certificate is installed (the console's seal queue).
  await world.approveSeals();
  const seal = (await world.api('GET', `/api/v1/organisations/${orgId}/grantable-seals`, adminToken)).items[0];
  assert.equal(seal.kind, 'official');

  // The employee asks, in the app, to use the official seal for four hours.
  await employee.goto(`${world.base}/app/me`);
  await employee.getByText('用章授权').click();
  await employee.getByText(seal.name).waitFor();
  await employee.getByPlaceholder('如：第2包投标函盖章').fill('第2包投标函盖章');
  await shot(employee, '28-grant-request');
  await employee.getByRole('button', { name: '提交申请' }).click();
  await employee.getByText('已提交，等待管理员审批').waitFor();
  await employee.locator('[data-test=grant-requested]').waitFor();
  // Asking again while the first waits: refused by the server, shown in Chinese.
  await employee.getByPlaceholder('如：第2包投标函盖章').fill('再次申请');
  await employee.getByRole('button', { name: '提交申请' }).click();
  await employee.getByText('已有待审批的申请').waitFor();
  // An employee cannot decide their own request (the API refuses; the app offers no button).
  const mine = (await world.api('GET', '/api/v1/grants', employeeToken)).items[0];
  const selfApprove = await fetch(`${world.base}/api/v1/organisations/${orgId}/grants/${mine.id}/approval`, {
    method: 'POST', headers: { Authorization: `Bearer ${employeeToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ not_before: Math.floor(Date.now() / 1000), not_after: Math.floor(Date.now() / 1000) + 3600 }),
  });
  assert.equal(selfApprove.status, 403);
  assert.equal(await employee.getByRole('button', { name: '同意' }).count(), 0);

  // The administrator: the to-do list leads to the grants, approved for one use.
  await admin.goto(`${world.base}/app/tasks`);
  await admin.getByText('用章申请').waitFor();
  await admin.getByRole('button', { name: '去授权管理处理' }).first().click();
  await admin.getByText('第2包投标函盖章').waitFor();
  await shot(admin, '29-grant-approval');
  await admin.getByRole('button', { name: '同意' }).click();
  await admin.getByText('已同意').first().waitFor();
  const decided = await world.api('GET', `/api/v1/organisations/${orgId}/grants/${mine.id}`, adminToken);
  assert.equal(decided.status, 'approved');
  assert.equal(decided.uses_total, 1);
  assert.equal(decided.live, true);
  await employee.goto(`${world.base}/app/grants`);
  await employee.locator('[data-test=grant-approved]').getByText('剩余 1 次').waitFor();

  // The holder seals a PDF with the organisation's seal by scanning a scene-13 QR code.
  const doc = await admin.context().newPage();
  await doc.setContent('<h1>投标函</h1><p>投标单位（盖章）：</p>');
  const pdf = await doc.pdf({ format: 'A4' });
  await doc.close();
  const scene13 = async (nonce) => {
    const up = await world.rpCall('POST', '/api/v1/rp/documents', pdf, { contentType: 'application/pdf' });
    return world.rpCall('POST', '/api/v1/rp/scene-requests', {
      scene: '13', title: '投标函盖章', nonce, document_id: up.id, seal_kinds: ['official'],
      placement: { mode: 'position', page: 1, x_mm: 130, y_mm: 60, width_mm: 42 },
    });
  };
  const scan = async (p, req) => {
    await p.goto(`${world.base}/app/scan`);
    await p.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
    await p.getByText('投标函盖章').waitFor();
  };
  const r1 = await scene13('org-seal-nonce-01');
  await scan(admin, r1);
  await admin.getByText(seal.name).waitFor();
  await admin.getByRole('button', { name: '预览签章位置' }).click();
  await admin.locator('[data-test=seal-preview]').waitFor();
  await shot(admin, '30-org-seal-document');
  await admin.getByPlaceholder('请输入证书密码').fill('Org#cert2026');
  await admin.getByRole('button', { name: '确认签章' }).click();
  await admin.getByText('已完成').waitFor({ timeout: 60_000 });
  const v1 = await world.rpCall('GET', `/api/v1/rp/scene-requests/${r1.id}`);
  assert.equal(v1.status, 'completed', JSON.stringify(v1));
  assert.equal(v1.result.seal_id, seal.seal_id);
  assert.equal(v1.result.org_id, orgId);
  const signed = await world.rpCall('GET', `/api/v1/rp/documents/${v1.result.signed_document_id}`, undefined, { raw: true });
  const check = await world.rpCall('POST', '/api/v1/rp/document-verifications', signed, { contentType: 'application/pdf' });
  assert.equal(check.valid, true, JSON.stringify(check));
  assert.equal(check.signatures[0].signer.certificate_id, seal.certificate_id);

  // The employee's phone before any certificate grant: the granted seal is offered, marked as
  // granted, but the organisation certificate's key is not on this phone, so it cannot be chosen.
  const r2 = await scene13('org-seal-nonce-02');
  await scan(employee, r2);
  await employee.getByText('授权用印').waitFor();
  await employee.getByText('该印章的证书不在本设备上').waitFor();
  assert.equal(await employee.getByRole('button', { name: '预览签章位置' }).count(), 0);
  assert.equal((await world.api('GET', `/api/v1/organisations/${orgId}/grants/${mine.id}`, adminToken)).uses_made, 0);

  // The employee asks for the certificate too (the seal's signature is the organisation's).
  await employee.goto(`${world.base}/app/grants`);
  await employee.getByText('证书', { exact: true }).click();
  await employee.getByText('示例交易平台').click();
  await employee.locator('[data-test=grant-cert]').first().waitFor();
  await employee.getByPlaceholder('如：第2包投标函盖章').fill('投标使用单位证书');
  await employee.getByRole('button', { name: '提交申请' }).click();
  await employee.getByText('已提交，等待管理员审批').waitFor();
  await admin.goto(`${world.base}/app/grants`);
  await admin.getByText('投标使用单位证书').waitFor();
  await admin.getByRole('button', { name: '同意' }).click();
  await admin.getByText('已同意').first().waitFor();

  // Pairing: the employee's browser shows the pairing id and code; the holder types them.
  await employee.goto(`${world.base}/app/grants`);
  await employee.getByRole('button', { name: '在本机使用（配对）' }).click();
  const pairingId = (await employee.locator('[data-test=pairing-id] .van-cell__label').innerText()).trim();
  const code = (await employee.locator('[data-test=pairing-code] .van-cell__label').innerText()).trim();
  assert.match(code, /^([A-Z2-7]{4}-){5}[A-Z2-7]{4}$/);
  await shot(employee, '31-grant-pairing');
  await admin.goto(`${world.base}/app/certificates/${seal.certificate_id}/devices/new`);
  await admin.getByPlaceholder('新设备显示的配对编号').fill(pairingId);
  // A code that is not the one the employee's phone shows: refused before anything is sent.
  const wrong = code.slice(0, -1) + (code.endsWith('A') ? 'B' : 'A');
  await admin.getByPlaceholder('如 ABCD-EFGH-…').fill(wrong);
  await admin.getByPlaceholder('请输入证书密码').fill('Org#cert2026');
  await admin.getByRole('button', { name: '核对并发送' }).click();
  await admin.locator('.van-field__error-message', { hasText: '配对码与新设备的密钥不一致' }).waitFor();
  assert.ok(!(await world.api('GET', `/api/v1/shield/pairings/${pairingId}`, employeeToken)).envelope);
  await admin.getByPlaceholder('如 ABCD-EFGH-…').fill(code);
  await admin.getByPlaceholder('请输入证书密码').fill('Org#cert2026');
  await admin.getByRole('button', { name: '核对并发送' }).click();
  await admin.getByText(/已向 .* 发送密钥分量/).waitFor({ timeout: 30_000 });
  await employee.getByPlaceholder('6–32 位').fill('Emp#cert2026', { timeout: 30_000 });
  await employee.getByPlaceholder('请再次输入证书密码').fill('Emp#cert2026');
  await employee.getByRole('button', { name: '设置证书密码并完成' }).click();
  await employee.getByText('本机已可使用该证书').waitFor({ timeout: 30_000 });

  // The employee seals a PDF with the organisation's seal by scanning.
  const r3 = await scene13('org-seal-nonce-03');
  await scan(employee, r3);
  await employee.getByText('授权用印').waitFor();
  await employee.getByRole('button', { name: '预览签章位置' }).click();
  await employee.locator('[data-test=seal-preview]').waitFor();
  await shot(employee, '32-employee-seals');
  await employee.getByPlaceholder('请输入证书密码').fill('Emp#cert2026');
  await employee.getByRole('button', { name: '确认签章' }).click();
  await employee.getByText('已完成').waitFor({ timeout: 60_000 });
  const v3 = await world.rpCall('GET', `/api/v1/rp/scene-requests/${r3.id}`);
  assert.equal(v3.status, 'completed', JSON.stringify(v3));
  assert.equal(v3.result.seal_id, seal.seal_id);
  assert.equal(v3.result.certificate_id, seal.certificate_id);
  const signed3 = await world.rpCall('GET', `/api/v1/rp/documents/${v3.result.signed_document_id}`, undefined, { raw: true });
  const check3 = await world.rpCall('POST', '/api/v1/rp/document-verifications', signed3, { contentType: 'application/pdf' });
  assert.equal(check3.valid, true, JSON.stringify(check3));
  assert.equal(check3.signatures[0].signer.certificate_id, seal.certificate_id);
  assert.ok(check3.signatures[0].seal_data);
  // Counted on the seal grant (its one use) and recorded for the administrator.
  assert.equal((await world.api('GET', `/api/v1/organisations/${orgId}/grants/${mine.id}`, adminToken)).uses_made, 1);
  const uses = await world.api('GET', `/api/v1/organisations/${orgId}/grant-uses`, adminToken);
  assert.ok(uses.items.some((u) => u.operation === 'seal_use' && u.purpose === `scene 13 ${r3.id}` && u.result === 'ok'), JSON.stringify(uses.items));
  assert.ok(uses.items.some((u) => u.operation === 'sign' && u.scene_request_id === r3.id && u.result === 'ok'), JSON.stringify(uses.items));

  // Its one use spent: the next request offers the seal as no longer live, and nothing is prepared.
  const r4 = await scene13('org-seal-nonce-04');
  await scan(employee, r4);
  await employee.getByText('用章授权已失效（已收回、已过期或次数用完）').waitFor();
  assert.equal(await employee.getByRole('button', { name: '预览签章位置' }).count(), 0);
});

// 单位证书购买: the administrator, acting as the organisation's admin, buys through the wizard —
// platform, years, CA, quantity, seal maker; a contract seal by template with the live preview
// (a name other than the organisation's refused next to its field); the application form signed
// on the pad (without it the order cannot be authorised: refused by the API); SMS authorisation;
// the sandbox payment. What the server holds is checked: the order (organisation, quantity,
// maker, product), the seal (kind, name, maker, waiting for review) and the signed form. The
// employee, acting as an employee, is not offered the wizard.
test('the organisation purchase wizard: platform, years, CA, quantity, maker, seal by template, form, authorisation, payment', { timeout: 150_000 }, async () => {
  const op = world.operator;
  const cas = (await world.api('GET', '/api/v1/operator/cas', op)).items.map((c) => c.id);
  const otherCa = cas.find((c) => c !== 'sm2o' && c.startsWith('sm2'));
  const threeYears = (await world.api('POST', '/api/v1/operator/catalogue/products', op, {
    kind: 'certificate', name: '机构证书 SM2 3年', cert_type: 'organisation', algorithm: 'sm2', validity_years: 3,
    price_fen: 120000, ca_id: 'sm2o', seal_type: 'official',
  })).id;
  if (otherCa) {
    await world.api('POST', '/api/v1/operator/catalogue/products', op, {
      kind: 'certificate', name: `机构证书 3年 ${otherCa}`, cert_type: 'organisation', algorithm: 'sm2', validity_years: 3,
      price_fen: 130000, ca_id: otherCa, seal_type: 'official',
    });
  }
  // A second seal maker, so that the choice is the person's.
  const maker2 = await world.api('POST', '/api/v1/operator/catalogue/seal-makers', op, { name: '第二制章单位' });
  await world.api('POST', `/api/v1/operator/seal-makers/${maker2.id}/certificate`, op, { uscc: uscc('91110108MA01MKR28') });
  const before = new Set((await world.api('GET', '/api/v1/orders', adminToken)).items.map((o) => o.id));

  // Not for an employee: the wizard is offered to the organisation's admin identity only.
  await employee.goto(`${world.base}/app/me`);
  await employee.getByText('账号与安全').waitFor();
  assert.equal(await employee.locator('[data-test=org-buy]').count(), 0);

  await admin.goto(`${world.base}/app/me`);
  await admin.locator('[data-test=org-buy]').click();
  await admin.getByText(ORG).first().waitFor();
  await admin.locator('[data-test=years-3]').click();
  await admin.locator('[data-test=ca-sm2o]').click();
  await admin.getByText('机构证书 SM2 3年').click();
  await admin.locator('[data-test=quantity] .van-stepper__plus').click();
  await admin.locator('[data-test=total]').getByText('¥2400.00').waitFor();
  await admin.getByText('第二制章单位').click();
  await shot(admin, '38-org-buy');
  await admin.setViewportSize({ width: 320, height: 640 });
  assert.ok((await admin.evaluate(() => document.documentElement.scrollWidth)) <= 320, 'the wizard fits 320 px');
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.getByRole('button', { name: '提交订单' }).click();

  // The seal: 合同专用章 by template, the live preview following the name.
  await admin.locator('[data-test=kind-contract]').click();
  await admin.getByAltText('印章预览').waitFor();
  const first = await admin.getByAltText('印章预览').getAttribute('src');
  await admin.getByLabel('防伪码').fill('1101080123456');
  await admin.waitForFunction((src) => document.querySelector('img.seal-preview')?.getAttribute('src') !== src, first);
  await admin.getByLabel('单位名称').fill('上海别家有限公司');
  await admin.getByRole('button', { name: '确认印章' }).click();
  await admin.locator('.van-toast').getByText(/单位名称/).waitFor();
  await admin.getByLabel('单位名称').fill(ORG);
  await shot(admin, '39-org-seal');
  await admin.getByRole('button', { name: '确认印章' }).click();

  const order = (await world.api('GET', '/api/v1/orders', adminToken)).items.find((o) => !before.has(o.id));
  assert.equal(order.product_id, threeYears);
  assert.equal(order.org_id, orgId);
  assert.equal(order.quantity, 2);
  assert.equal(order.amount_fen, 240000);
  assert.equal(order.seal_maker_id, maker2.id);
  assert.equal(order.platform_id, world.platform);
  // Skipping the form: authorising the organisation's order unsigned is refused.
  await world.api('POST', '/api/v1/account/sms-codes', adminToken, { purpose: 'authorise' });
  const early = await world.call('POST', `/api/v1/orders/${order.id}/authorisation`, adminToken, { code: world.smsCode(ADMIN.phone) });
  assert.equal(early.status, 409, JSON.stringify(early.json));
  assert.equal(early.json.code, 'application_form_unsigned');

  // The form, signed on the pad.
  const pad = admin.locator('[data-test=signature-pad]');
  await pad.waitFor();
  const box = await pad.boundingBox();
  await admin.mouse.move(box.x + 30, box.y + 60);
  await admin.mouse.down();
  for (let i = 1; i <= 12; i++) await admin.mouse.move(box.x + 30 + i * 20, box.y + 60 + (i % 3) * 25);
  await admin.mouse.up();
  await admin.getByRole('button', { name: '签署申请表' }).click();
  await admin.getByRole('button', { name: '获取验证码' }).click();
  await admin.getByText('验证码已发送').waitFor();
  await admin.getByPlaceholder('请输入短信验证码').fill(world.smsCode(ADMIN.phone));
  await admin.getByRole('button', { name: '确认授权' }).click();
  const [pay] = await Promise.all([admin.context().waitForEvent('page'), admin.getByRole('button', { name: '去支付（沙箱）' }).click()]);
  await pay.getByRole('button', { name: 'Pay' }).click();
  await pay.getByText('Payment done').waitFor();
  await pay.close();
  await admin.getByText('审核中').first().waitFor({ timeout: 30_000 });

  // What the server holds.
  const held = await world.api('GET', `/api/v1/orders/${order.id}`, adminToken);
  assert.ok(['paid', 'in_review'].includes(held.status), held.status);
  const form = await fetch(`${world.base}/api/v1/orders/${order.id}/application-form`, { headers: { Authorization: `Bearer ${adminToken}` } });
  assert.equal(form.status, 200);
  assert.equal(Buffer.from(await form.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  const seals = (await world.api('GET', '/api/v1/seals', adminToken)).items.filter((x) => x.order_id === order.id);
  assert.equal(seals.length, 1, JSON.stringify(seals));
  assert.equal(seals[0].kind, 'contract');
  assert.equal(seals[0].name, `${ORG}合同专用章`);
  assert.equal(seals[0].maker_id, maker2.id);
  assert.equal(seals[0].status, 'pending_review');
});

// 印章优化 in the wizard: the seal from a photo of the physical seal (a picture of the stamp on
// paper, turned and saved as JPEG in the page), uploaded and cleaned by the server; the preview is
// the cleaned seal — red ink on a transparent background — and the seal made from it waits for
// review.
test('the organisation wizard makes the seal from a photo, with the cleaned preview', { timeout: 120_000 }, async () => {
  const before = new Set((await world.api('GET', '/api/v1/orders', adminToken)).items.map((o) => o.id));
  await admin.goto(`${world.base}/app/me`);
  await admin.locator('[data-test=org-buy]').click();
  await admin.getByText(ORG).first().waitFor();
  await admin.locator('[data-test=years-3]').click();
  await admin.locator('[data-test=ca-sm2o]').click();
  await admin.getByText('机构证书 SM2 3年').click();
  await admin.getByText('第二制章单位').click();
  await admin.getByRole('button', { name: '提交订单' }).click();
  await admin.getByRole('tab', { name: '拍照上传' }).click();
  const stamp = readFileSync(join(ROOT, 'docs/seal-gallery/official.png')).toString('base64');
  const photo = await admin.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = c.height = 640;
    const g = c.getContext('2d');
    g.fillStyle = '#eeeae2';
    g.fillRect(0, 0, 640, 640);
    g.translate(320, 320);
    g.rotate(0.2);
    g.drawImage(img, -img.width / 2, -img.height / 2);
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  }, stamp);
  await admin.locator('[data-test=seal-photo]').setInputFiles({ name: 'seal.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(photo, 'base64') });
  await admin.getByAltText('印章预览').waitFor({ timeout: 30_000 });
  // The cleaned preview: red ink, the paper gone (transparent).
  const px = await admin.evaluate(async () => {
    const img = document.querySelector('img.seal-preview');
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let red = 0, clear = 0, other = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] < 16) clear++;
      else if (d[i] > 150 && d[i + 1] < 110 && d[i + 2] < 110) red++;
      else if (d[i + 3] > 200) other++;
    }
    return { red, clear, other, total: d.length / 4 };
  });
  assert.ok(px.red > 1000, JSON.stringify(px));
  assert.ok(px.clear > px.total / 3, JSON.stringify(px));
  assert.ok(px.other < px.red / 10, JSON.stringify(px));
  await shot(admin, 'org-seal-photo');
  await admin.getByRole('button', { name: '确认印章' }).click();
  await admin.locator('[data-test=signature-pad]').waitFor();

  const order = (await world.api('GET', '/api/v1/orders', adminToken)).items.find((o) => !before.has(o.id));
  const seals = (await world.api('GET', '/api/v1/seals', adminToken)).items.filter((x) => x.order_id === order.id);
  assert.equal(seals.length, 1, JSON.stringify(seals));
  assert.equal(seals[0].status, 'pending_review');
  const pic = await fetch(`${world.base}/api/v1/seals/${seals[0].id}/picture`, { headers: { Authorization: `Bearer ${adminToken}` } });
  assert.equal(pic.status, 200);
  assert.equal(Buffer.from(await pic.arrayBuffer()).subarray(1, 4).toString(), 'PNG');
  // Not kept: the order is cancelled.
  assert.equal((await world.call('POST', `/api/v1/orders/${order.id}/cancellation`, adminToken, {})).status, 200);
});

// Settings: a wrong current password is refused next to its field and the right one changes it;
// the lists of personal information; closing the account enters the cooling-off period and can
// be withdrawn.
// 成员管理: the administrator invites a phone number; the person, logged in on their own phone,
// finds the invitation under 加入单位 and accepts (an employee identity at once); the administrator
// removes them after a confirmation. An employee's invitation is refused by the API.
test('members: the admin invites by phone, the person accepts under 加入单位, the admin removes them', { timeout: 120_000 }, async () => {
  const GUEST = { phone: '13912340009', name: '孙七', id: idNumber('11010519850505005') };
  const photo = await admin.screenshot({ type: 'png' });
  const guestToken = await world.verifiedPerson(GUEST.phone, GUEST.name, GUEST.id, photo);
  const refused = await world.call('POST', `/api/v1/organisations/${orgId}/invitations`, employeeToken, { phone: GUEST.phone });
  assert.equal(refused.status, 403, JSON.stringify(refused.json));
  await admin.goto(`${world.base}/app/org/${orgId}/members`);
  await admin.locator(`[data-test=member-${EMPLOYEE.phone}]`).waitFor();
  // The admin is also the legal representative: one row with both roles, and no removal offered.
  const adminRow = admin.locator(`[data-test=member-${ADMIN.phone}]`);
  assert.equal(await adminRow.count(), 1);
  await adminRow.getByText('单位管理员').waitFor();
  await adminRow.getByText('法定代表人').waitFor();
  assert.equal(await admin.locator(`[data-test=remove-${ADMIN.phone}]`).count(), 0);
  await admin.getByPlaceholder('被邀请人的手机号').fill(GUEST.phone);
  await admin.locator('[data-test=invite]').click();
  await admin.getByText('邀请已发送').waitFor();
  await shot(admin, 'org-members');

  const guest = await (await world.phoneWithSession(guestToken)).newPage();
  await guest.goto(`${world.base}/app/org/join`);
  await guest.locator(`[data-test=invitation-${orgId}]`).getByText(ORG).waitFor();
  await guest.locator(`[data-test=accept-${orgId}]`).click();
  await guest.getByText(`已加入 ${ORG}`).waitFor();
  const ids = await world.api('GET', '/api/v1/identities', guestToken);
  assert.ok(ids.items.some((i) => i.kind === 'employee' && i.org_id === orgId), JSON.stringify(ids));

  await admin.reload();
  await admin.locator(`[data-test=remove-${GUEST.phone}]`).click();
  await admin.getByRole('button', { name: '确认' }).click();
  await admin.getByText('已移除').waitFor();
  await admin.locator(`[data-test=member-${GUEST.phone}]`).waitFor({ state: 'detached' });
  const after = await world.api('GET', '/api/v1/identities', guestToken);
  assert.ok(!after.items.some((i) => i.kind === 'employee' && i.org_id === orgId), JSON.stringify(after));
  await guest.context().close();
});

test('login password, personal-information lists, deregistration and its withdrawal', { timeout: 120_000 }, async () => {
  await employee.goto(`${world.base}/app/settings`);
  await employee.getByPlaceholder('请输入原登录密码').fill('Wrong!pw99');
  await employee.getByPlaceholder('请输入新密码').fill('N3w!secret');
  await employee.getByPlaceholder('请再次输入').fill('N3w!secret');
  await employee.getByRole('button', { name: '修改密码' }).click();
  await employee.locator('.van-field__error-message').first().waitFor();
  await employee.getByPlaceholder('请输入原登录密码').fill('Str0ng!pw');
  await employee.getByRole('button', { name: '修改密码' }).click();
  await employee.getByText('登录密码已修改').waitFor();
  await world.login(EMPLOYEE.phone, 'N3w!secret');  // the new password logs in

  await employee.getByText('已收集个人信息清单').click();
  await employee.locator('.van-cell').first().waitFor();
  await shot(employee, '21-personal-information');
  await employee.goBack();

  await employee.getByText('注销账号').click();
  await employee.getByRole('button', { name: '获取验证码' }).click();
  await employee.getByText('验证码已发送').waitFor();
  await employee.getByPlaceholder('请输入短信验证码').fill(world.smsCode(EMPLOYEE.phone));
  await employee.getByRole('button', { name: '申请注销' }).click();
  await employee.getByRole('button', { name: '确认' }).click();
  await employee.getByText(/账号将于 .* 注销/).waitFor();
  await shot(employee, '22-deregistration');
  await employee.getByRole('button', { name: '撤回注销' }).click();
  await employee.getByText('已撤回注销').waitFor();
  await employee.getByRole('button', { name: '申请注销' }).waitFor();
});

// A person with several identities logs in on another phone and is asked to choose one.
test('logging in with several identities asks which one to act as', { timeout: 60_000 }, async () => {
  const p = await (await world.phone()).newPage();
  await p.goto(`${world.base}/app/login`);
  await p.getByPlaceholder('请输入手机号').fill(ADMIN.phone);
  await p.getByRole('button', { name: '获取验证码' }).click();
  await p.getByText('验证码已发送').waitFor();
  await p.getByPlaceholder('请输入短信验证码').fill(world.smsCode(ADMIN.phone));
  await p.getByPlaceholder('首次登录无需填写').fill('Str0ng!pw');
  await p.getByRole('checkbox').click();
  await p.getByRole('button', { name: '登录 / 注册' }).click();
  await p.getByText('您有多个身份，请选择本次使用的身份').waitFor();
  await p.getByText(`法定代表人 · ${ORG}`).click();
  await p.getByText(`当前身份：法定代表人 · ${ORG}`).waitFor();
});
