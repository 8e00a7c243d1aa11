// The operator console end to end, as an operator works (desktop 1440×900, zh-CN): log in with
// SMS code and password, approve a person's real-name verification, confirm a bank transfer and
// approve its order, reject an order with a reason and refund it; every decision asks first, and
// cancelling changes nothing. A session that is not an operator's is refused on every page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CERT_PASSWORD, idNumber, OPERATOR_PASSWORD, OPERATOR_PHONE, screenshotDir, uscc, World } from './harness.js';

const world = new World();
let photo;
let signature; // a handwritten signature's picture for an application form signed online
let shots;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let sealOwner; // the seal test's 孙七: {token, certificate} (a certificate held with the mobile shield)

before(async () => {
  await world.start();
  await world.catalogue();
  shots = screenshotDir(world);
  mkdirSync(shots, { recursive: true });
  const scratch = await (await world.desktop()).newPage();
  await scratch.setContent('<div style="width:320px;height:200px;background:#cde;font:24px sans-serif">居民身份证</div>');
  photo = await scratch.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 320, height: 200 } });
  await scratch.setContent('<div style="width:200px;height:80px;font:italic 40px serif;color:#111">李四</div>');
  signature = await scratch.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 200, height: 80 } });
});
after(() => world.stop());

const box = (page) => page.locator('.el-message-box');
async function answer(page, ok) {
  await box(page).locator(ok ? '.el-message-box__btns .el-button--primary' : '.el-message-box__btns .el-button:not(.el-button--primary)').click();
  await box(page).waitFor({ state: 'hidden' });
}
// A relying party's signed request (docs/INTEGRATION.md, CS1-HMAC-SHA256) with an empty scene:
// 401 when the app id and secret are not (or no longer) good, a 400 about the body otherwise.
async function rpCall(appId, secret) {
  const target = '/api/v1/rp/scene-requests';
  const body = '{}';
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(12).toString('hex');
  const toSign = ['CS1-HMAC-SHA256', 'POST', target, ts, nonce, createHash('sha256').update(body).digest('hex')].join('\n');
  const sig = createHmac('sha256', secret).update(toSign).digest('hex');
  const r = await fetch(world.base + target, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', Authorization: `CS1-HMAC-SHA256 app_id=${appId}, timestamp=${ts}, nonce=${nonce}, signature=${sig}` },
  });
  return { status: r.status, text: await r.text() };
}
// A signed relying-party request with a JSON body: the answer's JSON (throws unless 2xx).
async function rpSigned(appId, secret, target, json) {
  const body = JSON.stringify(json);
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(12).toString('hex');
  const toSign = ['CS1-HMAC-SHA256', 'POST', target, ts, nonce, createHash('sha256').update(body).digest('hex')].join('\n');
  const sig = createHmac('sha256', secret).update(toSign).digest('hex');
  const r = await fetch(world.base + target, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', Authorization: `CS1-HMAC-SHA256 app_id=${appId}, timestamp=${ts}, nonce=${nonce}, signature=${sig}` },
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${target}: ${r.status} ${text}`);
  return JSON.parse(text);
}
const badge = (page, name) => page.locator(`[data-test=count-${name}]`);
// Waits until a menu count shows `n` (the counts refresh after a page's list has loaded).
const badgeIs = (page, name, n) => page.locator(`[data-test=count-${name}]`, { hasText: new RegExp(`^${n}$`) }).waitFor();
// A picture once the message box (if any) has finished appearing.
async function shot(page, name) {
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(shots, `console-${name}.png`) });
}

test('an operator logs in and works through the queues', async () => {
  const applicant = await world.pendingPerson('13900000101', '张三', idNumber('11010519491231002'), photo, { face: true });
  const buyerPhone = '13900000102';
  const buyer = await world.verifiedBuyer(buyerPhone, '李四', idNumber('11010519800101001'), photo);
  const byTransfer = await world.authorisedOrder(buyer, buyerPhone, { signature });
  await world.api('POST', `/api/v1/orders/${byTransfer}/bank-transfers`, buyer, {
    payer_name: '李四', payer_account: '6222020200001234567', amount_fen: 12000, reference: '网银流水 20261130-0001',
  });
  const toReject = await world.authorisedOrder(buyer, buyerPhone);
  await world.paidBySandbox(buyer, toReject);
  assert.equal(await world.orderStatus(buyer, toReject), 'in_review');

  const page = await (await world.desktop()).newPage();
  await page.goto(`${world.base}/console/`);
  await page.waitForURL(/\/console\/login/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  await page.locator('input[name=phone]').fill(OPERATOR_PHONE);
  await page.locator('[data-test=send-code]').click();
  await page.getByText('验证码已发送').waitFor();
  await page.locator('input[name=code]').fill(world.smsCode(OPERATOR_PHONE));
  await page.locator('input[name=password]').fill(OPERATOR_PASSWORD);
  await shot(page, 'login');
  await page.locator('[data-test=login]').click();
  await page.waitForURL(/\/console\/dashboard/);

  // The dashboard: what waits, each tile a link to its queue.
  await page.locator('[data-test=dash-orders-today]').waitFor();
  assert.match(await page.locator('[data-test=dash-persons]').innerText(), /^1\s/);
  assert.match(await page.locator('[data-test=dash-transfers]').innerText(), /^1\s/);
  assert.match(await page.locator('[data-test=dash-review]').innerText(), /^1\s/);
  assert.match(await page.locator('[data-test=dash-orders-today]').innerText(), /^2\s/);
  assert.match(await page.locator('[data-test=dash-cas]').innerText(), /^(\d+)\/\1\s/);
  await shot(page, 'dashboard');
  await page.locator('[data-test=dash-persons]').click();
  await page.waitForURL(/\/console\/persons/);

  // The person queue with its count; the ID card pictures; approval asks first.
  await page.getByRole('cell', { name: '张三' }).waitFor();
  await badgeIs(page, 'persons', 1);
  await badgeIs(page, 'transfers', 1);
  await badgeIs(page, 'review', 1);
  await page.getByRole('button', { name: '查看证件' }).click();
  // Both sides of the ID card and the live face photo of the liveness step, each decoded.
  for (const side of ['front', 'back', 'face']) {
    await page.waitForFunction((s) => document.querySelector(`[data-test=photo-${s}]`)?.naturalWidth > 0, side);
  }
  assert.match(await page.locator('[data-test=liveness]').innerText(), /现场人脸照片/);
  await page.locator('[data-test="approve-张三"]').click();
  await box(page).getByText('确认通过 张三 的实名认证？').waitFor();
  await shot(page, 'persons');
  await answer(page, false); // cancelled: nothing changes
  assert.equal((await world.api('GET', '/api/v1/person-verifications/current', applicant.token)).status, 'pending');
  await page.locator('[data-test="approve-张三"]').click();
  await answer(page, true);
  await page.getByText('暂无待处理事项').waitFor();
  assert.equal((await world.api('GET', '/api/v1/person-verifications/current', applicant.token)).status, 'verified');
  await badge(page, 'persons').waitFor({ state: 'detached' });
  // The filter lists decided verifications, with no decision offered on them.
  await page.locator('[data-test=filter-verified]').click();
  await page.getByRole('cell', { name: '张三' }).waitFor();
  assert.equal(await page.locator('[data-test="approve-张三"]').count(), 0);

  // The bank transfer: the amount received, prefilled with the declared one.
  await page.locator('[data-test=menu-transfers]').click();
  // The order's details first: the form signed online with its signature picture and PDF, the
  // declared transfer, the history.
  await page.locator(`[data-test="detail-${byTransfer}"]`).click();
  await page.waitForFunction(() => document.querySelector('[data-test=form-signature]')?.naturalWidth > 0);
  assert.equal(await page.locator('[data-test=form-method]').innerText(), '在线签名');
  assert.equal(await page.locator('[data-test=form-status]').innerText(), '已签署');
  await page.locator('[data-test=order-payments]').getByText('网银流水 20261130-0001').waitFor();
  assert.ok((await page.locator('[data-test=order-events] .el-timeline-item').count()) >= 2);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=form-pdf]').click()]);
  const formPdf = readFileSync(await download.path());
  assert.equal(formPdf.subarray(0, 5).toString('latin1'), '%PDF-');
  await shot(page, 'order-detail');
  await page.locator(`[data-test="confirm-${byTransfer}"]`).click();
  await box(page).getByText('李四 声明转账 ¥120.00').waitFor();
  assert.equal(await box(page).locator('input').inputValue(), '120.00');
  await shot(page, 'transfer');
  await answer(page, true);
  await page.getByText('暂无待处理事项').waitFor();
  assert.equal(await world.orderStatus(buyer, byTransfer), 'in_review');

  // The review queue: approve the paid order (asked first), reject the other with a reason.
  await page.locator('[data-test=menu-review]').click();
  await page.locator(`[data-test="approve-${byTransfer}"]`).click();
  await box(page).getByText('通过后将签发证书').waitFor();
  await answer(page, false);
  assert.equal(await world.orderStatus(buyer, byTransfer), 'in_review');
  await page.locator(`[data-test="approve-${byTransfer}"]`).click();
  await answer(page, true);
  await page.locator(`[data-test="approve-${byTransfer}"]`).waitFor({ state: 'detached' });
  assert.equal(await world.orderStatus(buyer, byTransfer), 'approved');

  await page.locator(`[data-test="reject-${toReject}"]`).click();
  await box(page).locator('.el-message-box__btns .el-button--primary').click();
  await box(page).getByText('请填写原因').waitFor(); // no reason, no rejection
  assert.equal(await world.orderStatus(buyer, toReject), 'in_review');
  await box(page).locator('input').fill('申请信息与证件不符');
  await shot(page, 'review');
  await answer(page, true);
  await page.getByText('暂无待处理事项').waitFor();
  const rejected = await world.api('GET', `/api/v1/orders/${toReject}`, buyer);
  assert.equal(rejected.status, 'rejected');
  assert.equal(rejected.reason, '申请信息与证件不符');

  // The refund of the rejected order.
  await page.locator('[data-test=menu-refunds]').click();
  await page.getByRole('cell', { name: '申请信息与证件不符' }).waitFor();
  await page.locator(`[data-test="refund-${toReject}"]`).click();
  await box(page).locator('input').fill('订单已驳回，原路退回');
  await shot(page, 'refund');
  await answer(page, true);
  await page.getByText('暂无待处理事项').waitFor();
  assert.equal(await world.orderStatus(buyer, toReject), 'refunded');

  // English, then log out.
  await page.locator('[data-test=lang]').click();
  await page.getByText('Refunds of rejected orders').first().waitFor();
  await page.locator('[data-test=lang]').click();
  await page.locator('[data-test=logout]').click();
  await page.waitForURL(/\/console\/login/);
});

// A business licence as a picture (like tests/integration/org_test.cpp's), for the server's OCR.
async function licencePicture(name, code, rep) {
  const scratch = await (await world.desktop()).newPage();
  const line = (text, size) => `<div style="font:${size}px 'Noto Sans CJK SC',sans-serif;margin:0 0 24px">${text}</div>`;
  await scratch.setContent(`<body style="margin:0;background:#fff"><div style="width:1280px;height:520px;padding:40px 60px;background:#fff;color:#000">
    <div style="font:bold 40px 'Noto Sans CJK SC',sans-serif;text-align:center;margin-bottom:30px">营业执照</div>
    ${line(`统一社会信用代码&nbsp;&nbsp;${code}`, 26)}${line(`名称&nbsp;&nbsp;${name}`, 26)}${line('类型&nbsp;&nbsp;有限责任公司', 26)}${line(`法定代表人&nbsp;&nbsp;${rep}`, 26)}
  </div></body>`);
  const png = await scratch.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 1400, height: 600 } });
  await scratch.close();
  return png;
}
// A picture uploaded by `token` for `purpose`: its blob id.
async function upload(token, purpose, png) {
  const r = await fetch(`${world.base}/api/v1/blobs?purpose=${purpose}`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'image/png' }, body: png,
  });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).id;
}

// The organisation queue: one approved after reading its licence beside the OCR fields, one
// rejected with a reason (asked first). Then change requests of the verified one: the old and
// new values shown, one approved (asked first; the new name applies), one rejected with a reason.
test('an operator reviews organisations and their change requests', async () => {
  const admin = await world.verifiedBuyer('13900000111', '周九', idNumber('11010519491231003'), photo);
  const goodName = '广州示例制造有限公司';
  const goodCode = uscc('91440300MA5F0C003');
  const good = await world.submittedOrganisation(admin, goodName, goodCode, await licencePicture(goodName, goodCode, '周九'));
  // The second one was applied for by someone who is not its legal representative: with the
  // signed authorisation letter.
  const bad = await world.submittedOrganisation(admin, '深圳示例贸易有限公司', uscc('91440300MA5F0C004'), photo, {
    letter: photo, legalRep: { name: '吴十', id_number: idNumber('11010519700101004'), phone: '13900000112' },
  });
  const stored = await world.api('GET', `/api/v1/operator/organisations/${good}`, world.operator);
  const page = await (await world.desktop(world.operator)).newPage();
  await page.goto(`${world.base}/console/organisations`);
  await page.getByRole('cell', { name: goodName }).waitFor();
  await badgeIs(page, 'organisations', 2);
  await page.locator(`[data-test="view-${goodCode}"]`).click();
  await page.locator('[data-test=org-licence]').waitFor();
  // The licence picture and, beside it, what the server's OCR read against what was declared.
  const ocrBox = await page.locator('[data-test=org-ocr]').boundingBox();
  const picBox = await page.locator('[data-test=org-licence]').boundingBox();
  assert.ok(ocrBox.x >= picBox.x + picBox.width - 1 && ocrBox.y < picBox.y + picBox.height, 'side by side');
  assert.equal(stored.licence_ocr.name, goodName, JSON.stringify(stored.licence_ocr));
  assert.equal(stored.licence_ocr.credit_code, goodCode, JSON.stringify(stored.licence_ocr));
  assert.equal(await page.locator('[data-test=ocr-name]').innerText(), stored.licence_ocr.name);
  assert.equal(await page.locator('[data-test=ocr-credit_code]').innerText(), stored.licence_ocr.credit_code);
  assert.equal(await page.locator('[data-test=declared-credit_code]').innerText(), goodCode);
  assert.equal(await page.locator('[data-test=match-name]').innerText(), '一致');
  assert.equal(await page.locator('[data-test=match-credit_code]').innerText(), '一致');
  assert.equal(await page.locator('[data-test=org-bank-check]').innerText(), '已验证');
  await page.locator(`[data-test="approve-${goodCode}"]`).click();
  await box(page).getByText(`确认通过「${goodName}」的单位认证？`).waitFor();
  await shot(page, 'organisations');
  await answer(page, true);
  await page.getByRole('cell', { name: goodName }).waitFor({ state: 'detached' });
  assert.equal((await world.api('GET', `/api/v1/operator/organisations/${good}`, world.operator)).status, 'verified');
  await page.locator(`[data-test="view-${uscc('91440300MA5F0C004')}"]`).click();
  await page.waitForFunction(() => document.querySelector('[data-test=org-letter]')?.naturalWidth > 0);
  assert.match(await page.locator('[data-test=org-detail]').innerText(), /吴十/);
  assert.equal(await page.locator('[data-test=org-licence]').count(), 1);
  await page.locator(`[data-test="reject-${uscc('91440300MA5F0C004')}"]`).click();
  await box(page).locator('input').fill('营业执照不清晰');
  await answer(page, true);
  await page.getByText('暂无待处理事项').waitFor();
  const rejected = await world.api('GET', `/api/v1/operator/organisations/${bad}`, world.operator);
  assert.equal(rejected.status, 'rejected');
  await badge(page, 'organisations').waitFor({ state: 'detached' });

  // A change request of the verified organisation (asked as its admin identity): a new name with
  // the new licence.
  const identity = (await world.api('GET', '/api/v1/identities', admin)).items.find((i) => i.org_id === good);
  await world.api('PUT', '/api/v1/sessions/current/identity', admin, { identity_id: identity.id });
  const newName = '广州示例智能制造有限公司';
  const licence = await upload(admin, 'licence', await licencePicture(newName, goodCode, '周九'));
  const change = await world.api('POST', `/api/v1/organisations/${good}/change-requests`, admin, { name: newName, licence_blob_id: licence });
  await page.reload();
  const row = page.locator(`[data-test="change-${change.id}-name"]`);
  await row.waitFor();
  assert.equal(await row.locator('[data-test=old]').innerText(), goodName);
  assert.equal(await row.locator('[data-test=new]').innerText(), newName);
  await page.locator(`[data-test="change-${change.id}-licence"]`).waitFor();
  await page.locator(`[data-test="change-approve-${change.id}"]`).click();
  await box(page).getByText(`确认通过「${goodName}」的信息变更？`).waitFor();
  await shot(page, 'org-change');
  await answer(page, false); // cancelled: still the old name
  assert.equal((await world.api('GET', `/api/v1/operator/organisations/${good}`, world.operator)).name, goodName);
  await page.locator(`[data-test="change-approve-${change.id}"]`).click();
  await answer(page, true);
  await page.locator(`[data-test="change-approve-${change.id}"]`).waitFor({ state: 'detached' });
  assert.equal((await world.api('GET', `/api/v1/operator/organisations/${good}`, world.operator)).name, newName);
  // A second one (the legal representative), rejected: a reason is needed, the admin sees it.
  const rep = { name: '吴十', id_number: idNumber('11010519800101007'), phone: '13900000112' };
  const second = await world.api('POST', `/api/v1/organisations/${good}/change-requests`, admin, { legal_representative: rep });
  await page.reload();
  const repRow = page.locator(`[data-test="change-${second.id}-legal_representative"]`);
  await repRow.waitFor();
  assert.equal(await repRow.locator('[data-test=old]').innerText(), `周九 ${idNumber('11010519491231003')} 13900000111`);
  assert.match(await repRow.locator('[data-test=new]').innerText(), /^吴十 /);
  await page.locator(`[data-test="change-reject-${second.id}"]`).click();
  await box(page).locator('.el-message-box__btns .el-button--primary').click();
  await box(page).getByText('请填写原因').waitFor();
  await box(page).locator('input').fill('缺少法定代表人变更登记材料');
  await answer(page, true);
  await page.getByText('暂无待审核的变更申请').waitFor();
  const decided = (await world.api('GET', `/api/v1/organisations/${good}/change-requests`, admin)).items.find((c) => c.id === second.id);
  assert.equal(decided.status, 'rejected');
  assert.equal(decided.reason, '缺少法定代表人变更登记材料');
  const after = await world.api('GET', `/api/v1/operator/organisations/${good}`, world.operator);
  assert.equal(after.legal_representative.name, '周九'); // nothing applied
  // The decisions are the operator's alone.
  const third = await world.api('POST', `/api/v1/organisations/${good}/change-requests`, admin, { legal_representative: rep });
  assert.equal((await world.call('POST', `/api/v1/operator/organisation-changes/${third.id}/approval`, admin, {})).status, 403);
  assert.equal((await world.call('GET', '/api/v1/operator/organisation-changes?status=pending', admin)).status, 403);
  assert.equal((await world.api('GET', `/api/v1/organisations/${good}/change-requests`, admin)).items.find((c) => c.id === third.id).status, 'pending');
  await world.api('POST', `/api/v1/operator/organisation-changes/${third.id}/rejection`, world.operator, { reason: '测试结束' });
});

// The seal queue: seals made for orders, shown with their pictures. Approval needs the seal's
// certificate installed, so the server refuses it here and the console shows why (nothing
// changes); a rejection with a reason goes through.
test('an operator reviews seals', async () => {
  const phone = '13900000121';
  const owner = await world.verifiedBuyer(phone, '孙七', idNumber('11010519850101005'), photo);
  const seal = async () => {
    const o = await world.api('POST', '/api/v1/orders', owner, { product_id: world.product, platform_id: world.platform });
    return (await world.api('POST', '/api/v1/seals', owner, { order_id: o.id, kind: 'personal_square', design: { method: 'template', name: '孙七' } })).id;
  };
  const early = await seal();
  const bad = await seal();
  const ready = await world.sealWithInstalledCertificate(owner, phone, '孙七');
  assert.ok(ready.certificate, 'the installed certificate is bound to the seal');
  sealOwner = { token: owner, certificate: ready.certificate };
  // One two-party signature, and one attempt with a wrong certificate password (the dashboard counts both).
  const signed = world.certseal(ready.cli, owner, ['cert', 'sign', '--cert', ready.certificate, '--message', '印章审核前的签名'], [CERT_PASSWORD]);
  assert.equal(signed.status, 0, signed.stderr);
  const wrong = world.certseal(ready.cli, owner, ['cert', 'sign', '--cert', ready.certificate, '--message', '密码错误'], ['Wrong!pw00']);
  assert.notEqual(wrong.status, 0);
  const page = await (await world.desktop(world.operator)).newPage();
  await page.goto(`${world.base}/console/seals`);
  await page.locator('[data-test=seal-picture]').nth(2).waitFor();
  await badgeIs(page, 'seals', 3);
  // The seal at true size: its record's millimetres as CSS mm (96/25.4 px each), on a mm ruler.
  const record = await world.api('GET', `/api/v1/operator/seals/${ready.seal}`, world.operator);
  assert.ok(record.width_mm > 10 && record.height_mm > 10, JSON.stringify(record));
  await page.locator(`[data-test="size-${ready.seal}"]`).click();
  const actual = page.locator('[data-test=seal-true-size] [data-test=seal-actual]');
  await actual.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-test=seal-actual]')?.complete);
  const px = (mm) => (mm * 96) / 25.4;
  const size = await actual.boundingBox();
  assert.ok(Math.abs(size.width - px(record.width_mm)) <= 1, `${size.width} px for ${record.width_mm} mm`);
  assert.ok(Math.abs(size.height - px(record.height_mm)) <= 1, `${size.height} px for ${record.height_mm} mm`);
  const ruler = await page.locator('[data-test=seal-true-size] [data-test=ruler-h]').boundingBox();
  assert.ok(Math.abs(ruler.width - px(Math.ceil(record.width_mm))) <= 1, `ruler ${ruler.width} px`);
  assert.ok(Math.abs(ruler.x - size.x) <= 1, 'the ruler starts where the picture does');
  const vRuler = await page.locator('[data-test=seal-true-size] [data-test=ruler-v]').boundingBox();
  assert.ok(Math.abs(vRuler.y - size.y) <= 1 && Math.abs(vRuler.height - px(Math.ceil(record.height_mm))) <= 1);
  await actual.scrollIntoViewIfNeeded();
  await shot(page, 'seal-true-size');
  await page.locator(`[data-test="approve-${early}"]`).click();
  await box(page).getByText('确认通过印章「孙七」？').waitFor();
  await shot(page, 'seals');
  await answer(page, true);
  await page.locator('.el-message--error').getByText('证书尚未安装').waitFor();
  assert.equal((await world.api('GET', `/api/v1/seals/${early}`, owner)).status, 'pending_review');
  await page.locator(`[data-test="reject-${bad}"]`).click();
  await box(page).locator('input').fill('印模不清晰，请重新制作');
  await answer(page, true);
  await page.locator(`[data-test="reject-${bad}"]`).waitFor({ state: 'detached' });
  const rejected = await world.api('GET', `/api/v1/seals/${bad}`, owner);
  assert.equal(rejected.status, 'rejected');
  assert.equal(rejected.reason, '印模不清晰，请重新制作');
  await badgeIs(page, 'seals', 2);

  // The seal whose certificate is installed: approval asks first (cancelling changes nothing),
  // then the seal is signed (GB/T 38540 seal data) and usable by its owner.
  await page.locator(`[data-test="approve-${ready.seal}"]`).click();
  await box(page).getByText('确认通过印章「孙七」？').waitFor();
  await answer(page, false);
  assert.equal((await world.api('GET', `/api/v1/seals/${ready.seal}`, owner)).status, 'pending_review');
  await page.locator(`[data-test="approve-${ready.seal}"]`).click();
  await answer(page, true);
  await page.locator(`[data-test="approve-${ready.seal}"]`).waitFor({ state: 'detached' });
  await badgeIs(page, 'seals', 1);
  const approved = await world.api('GET', `/api/v1/seals/${ready.seal}`, owner);
  assert.equal(approved.status, 'active');
  assert.equal(approved.has_seal_data, true);
  assert.equal(approved.certificate_id, ready.certificate);
  const listed = await world.api('GET', '/api/v1/seals', owner);
  assert.ok(listed.items.some((x) => x.id === ready.seal && x.status === 'active'), JSON.stringify(listed.items));
  const used = await world.api('POST', `/api/v1/seals/${ready.seal}/uses`, owner, { purpose: 'sign:contract.pdf' });
  assert.equal(used.seal.status, 'active');
  assert.equal(Buffer.from(used.picture_png, 'base64').subarray(1, 4).toString(), 'PNG');
  const verdict = await world.api('POST', '/api/v1/seal-verifications', null, { seal_data: used.seal_data });
  assert.equal(verdict.valid, true, JSON.stringify(verdict));
  // The unbound one is still refused by the server, whatever the console shows.
  assert.equal((await world.call('POST', `/api/v1/operator/seals/${early}/approval`, world.operator, {})).status, 409);
});

// Relying-party registration with its secret shown once; a certificate revoked from the console
// and found in its CA's CRL by openssl.
test('an operator registers a relying party and revokes a certificate', async () => {
  const page = await (await world.desktop(world.operator)).newPage();
  await page.goto(`${world.base}/console/rp-apps`);
  await page.locator('input[name=rp-name]').fill('示例招标平台接入');
  await page.locator('[data-test=rp-platform]').click();
  await page.getByRole('option', { name: '示例交易平台' }).click();
  await page.locator('input[name=rp-callback]').fill('https://rp.example.cn/callback');
  await page.locator('[data-test=scene-06]').click();
  await page.locator('[data-test=scene-20]').click();
  await page.locator('[data-test=rp-register]').click();
  const secret = (await page.locator('[data-test=rp-secret]').innerText()).trim();
  const appId = (await page.locator('[data-test=rp-new-id]').innerText()).trim();
  assert.ok(secret.length >= 32, secret);
  await page.getByText('密钥只显示这一次').waitFor();
  await shot(page, 'rp-secret');
  const stored = await world.api('GET', `/api/v1/operator/rp-apps/${appId}`, world.operator);
  assert.equal(stored.name, '示例招标平台接入');
  assert.deepEqual(stored.scenes, ['06', '20']);
  assert.ok(!JSON.stringify(stored).includes(secret));
  await page.locator('[data-test=rp-secret-done]').click();
  await page.getByRole('cell', { name: '示例招标平台接入' }).waitFor();
  assert.ok(!(await page.content()).includes(secret)); // gone from the page once closed
  await page.reload();
  await page.getByRole('cell', { name: '示例招标平台接入' }).waitFor();
  assert.ok(!(await page.content()).includes(secret));
  assert.notEqual((await rpCall(appId, secret)).status, 401); // the secret works (the body is refused later)

  // A new secret, asked first (cancelling keeps the old one); shown once; the old one stops.
  await page.locator('[data-test="rotate-示例招标平台接入"]').click();
  await box(page).getByText('旧密钥立即失效').waitFor();
  await answer(page, false);
  assert.equal((await world.api('GET', `/api/v1/operator/rp-apps/${appId}`, world.operator)).secret_version, stored.secret_version);
  await page.locator('[data-test="rotate-示例招标平台接入"]').click();
  await answer(page, true);
  const rotated = (await page.locator('[data-test=rp-secret]').innerText()).trim();
  assert.ok(rotated.length >= 32 && rotated !== secret);
  await page.getByText('密钥只显示这一次').waitFor();
  await page.locator('[data-test=rp-secret-done]').click();
  assert.ok(!(await page.content()).includes(rotated));
  assert.equal((await world.api('GET', `/api/v1/operator/rp-apps/${appId}`, world.operator)).secret_version, stored.secret_version + 1);
  assert.equal((await rpCall(appId, secret)).status, 401); // the attacker holding the old secret
  assert.notEqual((await rpCall(appId, rotated)).status, 401);

  // Disabling, asked first; then even the current secret is refused.
  await page.locator('[data-test="disable-示例招标平台接入"]').click();
  await box(page).getByText('停用后该应用的请求一律被拒绝').waitFor();
  await shot(page, 'rp-disable');
  await answer(page, false);
  assert.equal((await world.api('GET', `/api/v1/operator/rp-apps/${appId}`, world.operator)).status, 'active');
  await page.locator('[data-test="disable-示例招标平台接入"]').click();
  await answer(page, true);
  await page.locator('[data-test="disable-示例招标平台接入"]').waitFor({ state: 'detached' });
  assert.equal((await world.api('GET', `/api/v1/operator/rp-apps/${appId}`, world.operator)).status, 'disabled');
  assert.ok([401, 403].includes((await rpCall(appId, rotated)).status));

  // A certificate issued through the API (an EC key's CSR made by openssl), revoked here.
  const csrFile = join(world.dir, 'rp.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=zhao',
    '-keyout', join(world.dir, 'rp.key'), '-out', csrFile], { stdio: 'ignore' });
  const cert = await world.api('POST', '/api/v1/cas/intl/certificates', world.operator, {
    request_id: 'console-e2e-1', profile: 'personal_sign', subject: { common_name: '赵六', identity_code: idNumber('11010519700101004') },
    csr: readFileSync(csrFile, 'utf8'), validity_days: 365,
  });
  // The CA page: both CAs with their CRL and services; the certificate found by its serial
  // (written with colons, in capitals) and opened on the certificate page.
  await page.locator('[data-test=menu-cas]').click();
  await page.locator('[data-test=crl-number-intl]').waitFor();
  const crlBefore = Number((await page.locator('[data-test=crl-number-intl]').innerText()).slice(1));
  const countsBefore = (await page.locator('[data-test=ca-counts-intl]').innerText()).split('/').map((x) => Number(x.trim()));
  assert.equal(await page.locator('[data-test=ocsp-intl]').getAttribute('class').then((c) => c.includes('success')), true);
  await page.locator('input[name=cert-q]').fill(cert.serial.toUpperCase().match(/.{1,2}/g).join(':'));
  await page.locator('[data-test=cert-search]').click();
  await page.locator(`[data-test="open-${cert.serial}"]`).waitFor();
  assert.equal(await page.locator('[data-test=cert-hits] tbody tr').count(), 1);
  await shot(page, 'cas');
  // By the holder's phone: the certificate the seal test installed for 孙七.
  await page.locator('input[name=cert-q]').fill('13900000121');
  await page.locator('[data-test=cert-search]').click();
  await page.locator('[data-test=cert-hits]').getByRole('cell', { name: '13900000121' }).first().waitFor();
  assert.match(await page.locator('[data-test=cert-hits]').innerText(), /孙七/);
  await page.locator('input[name=cert-q]').fill('赵六');
  await page.locator('[data-test=cert-search]').click();
  await page.locator(`[data-test="open-${cert.serial}"]`).waitFor();
  await page.locator(`[data-test="open-${cert.serial}"]`).click();
  await page.waitForURL(/\/console\/certificates\?id=/);
  await page.locator('[data-test=cert-status]').waitFor();
  assert.equal(await page.locator('[data-test=cert-status]').innerText(), 'valid');
  await page.locator('[data-test=cert-reason]').click();
  await page.getByRole('option', { name: '密钥泄露' }).click();
  await page.locator('[data-test=cert-revoke]').click();
  await box(page).getByText('注销后不可恢复').waitFor();
  await shot(page, 'revoke');
  await answer(page, false); // cancelled: still valid
  assert.equal((await world.api('GET', `/api/v1/certificates/${cert.id}`, world.operator)).status, 'valid');
  await page.locator('[data-test=cert-revoke]').click();
  await answer(page, true);
  await page.locator('[data-test=cert-status]').getByText('revoked').waitFor();
  const href = await page.locator('[data-test=cert-crl]').getAttribute('href');
  assert.equal(href, '/ca/intl/crl');
  const der = Buffer.from(await (await fetch(world.base + href)).arrayBuffer());
  const derFile = join(world.dir, 'intl.crl');
  writeFileSync(derFile, der);
  const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', derFile, '-noout', '-text'], { encoding: 'utf8' });
  const hex = (x) => x.replace(/[^0-9a-fA-F]/g, '').toUpperCase().replace(/^0+/, '');
  const listed = [...text.matchAll(/Serial Number: ([0-9A-Fa-f:]+)/g)].map((m) => hex(m[1]));
  assert.ok(listed.includes(hex(cert.serial)), `${cert.serial} not in\n${text}`);
  assert.match(text, /Key Compromise/);
  // Back on the CA page: a new CRL number, one more revoked.
  await page.locator('[data-test=menu-cas]').click();
  await page.locator('[data-test=crl-number-intl]').getByText(`#${crlBefore + 1}`).waitFor();
  const countsAfter = (await page.locator('[data-test=ca-counts-intl]').innerText()).split('/').map((x) => Number(x.trim()));
  assert.deepEqual(countsAfter, [countsBefore[0], countsBefore[1] + 1]);
  assert.match(text, new RegExp(`CRL Number: *\\n? *${crlBefore + 1}\\b`));
});

// Money: a bank transfer that arrived after its order was cancelled is given back (asked first,
// a reason needed); invoices are issued (asked first) or failed with a reason. The outboxes show
// the SMS codes masked; the transparency log's checkpoint, and an entry with its inclusion proof
// checked by the page.
test('an operator handles money, reads the outboxes and checks the log', async () => {
  const phone = '13900000131';
  const buyer = await world.verifiedBuyer(phone, '钱八', idNumber('11010519750101006'), photo);
  const late = await world.authorisedOrder(buyer, phone);
  await world.api('POST', `/api/v1/orders/${late}/bank-transfers`, buyer, {
    payer_name: '钱八', payer_account: '6222020200007654321', amount_fen: 12000, reference: '网银流水 20261130-0002',
  });
  await world.api('POST', `/api/v1/orders/${late}/cancellation`, buyer, {});
  const closed = (await world.api('GET', '/api/v1/operator/payments?status=closed&limit=100', world.operator)).items.find((p) => p.order_id === late);
  await world.api('POST', `/api/v1/operator/payments/${closed.id}/confirmation`, world.operator, { received_fen: 12000 });
  const toIssue = await world.authorisedOrder(buyer, phone);
  const toFail = await world.authorisedOrder(buyer, phone);
  await world.paidBySandbox(buyer, toIssue); // an invoice waits for its order's money
  await world.paidBySandbox(buyer, toFail);
  await world.api('POST', `/api/v1/orders/${toIssue}/invoice`, buyer, { title_type: 'personal', title_name: '钱八' });
  await world.api('POST', `/api/v1/orders/${toFail}/invoice`, buyer, { title_type: 'company', title_name: '北京示例科技有限公司', tax_number: uscc('91110108MA01TX012') });
  const invoiceOf = async (order) => (await world.api('GET', '/api/v1/invoices', buyer)).items.find((i) => i.order_id === order);

  const page = await (await world.desktop(world.operator)).newPage();
  await page.goto(`${world.base}/console/dashboard`);
  await page.locator('[data-test=dash-refundDue]').getByText('1').waitFor();
  // The shield's activity of the seal test: one signature, one wrong password.
  assert.match(await page.locator('[data-test=dash-signatures]').innerText(), /^1\s/);
  assert.match(await page.locator('[data-test=dash-failed-unlocks]').innerText(), /^1\s/);
  const activity = await world.api('GET', '/api/v1/operator/dashboard?hours=2', world.operator);
  assert.equal(activity.hours.length, 2);
  assert.deepEqual([activity.signatures, activity.failed_unlocks], [1, 1]); // this hour and the one before
  assert.equal(activity.hours[1].hour.slice(0, 13), new Date().toISOString().slice(0, 13));
  // Orders placed today, counted by the server (every order of this run; the tile counts from the
  // browser's midnight in Asia/Shanghai, which is earlier still).
  const allOrders = (await world.api('GET', '/api/v1/operator/orders?limit=100', world.operator)).items.length;
  assert.equal(activity.orders_since, allOrders);
  assert.match(await page.locator('[data-test=dash-orders-today]').innerText(), new RegExp(`^${allOrders}\\s`));
  const future = Math.floor(Date.now() / 1000) + 3600;
  assert.equal((await world.call('GET', `/api/v1/operator/dashboard?since=${future}`, world.operator)).status, 400);
  assert.equal((await world.call('GET', '/api/v1/operator/dashboard?since=yesterday', world.operator)).status, 400);
  assert.equal((await world.call('GET', '/api/v1/operator/dashboard?hours=0', world.operator)).status, 400);
  await shot(page, 'dashboard-activity');
  assert.match(await page.locator('[data-test=dash-invoices]').innerText(), /^2\s/);
  await page.locator('[data-test=dash-refundDue]').click();
  await page.waitForURL(/\/console\/money\?tab=refund_due/);
  await page.locator(`[data-test="refund-payment-${late}"]`).click();
  await box(page).getByText('已取消，退还 ¥120.00').waitFor();
  await box(page).locator('.el-message-box__btns .el-button--primary').click();
  await box(page).getByText('请填写原因').waitFor(); // no reason, no refund
  await answer(page, false);
  assert.equal((await world.api('GET', '/api/v1/operator/payments?status=refund_due', world.operator)).items.length, 1);
  await page.locator(`[data-test="refund-payment-${late}"]`).click();
  await box(page).locator('input').fill('订单已取消，款项原路退回');
  await shot(page, 'money-refund');
  await answer(page, true);
  await page.locator(`[data-test="refund-payment-${late}"]`).waitFor({ state: 'detached' });
  const refunded = (await world.api('GET', '/api/v1/operator/payments?status=refunded&limit=100', world.operator)).items.find((p) => p.id === closed.id);
  assert.equal(refunded.refund_reason, '订单已取消，款项原路退回');

  await page.locator('#tab-invoices').click();
  await page.waitForURL(/tab=invoices/);
  await page.locator(`[data-test="issue-${toIssue}"]`).click();
  await box(page).getByText('开具 ¥120.00 的发票').waitFor();
  await answer(page, false);
  assert.equal((await invoiceOf(toIssue)).status, 'requested');
  await page.locator(`[data-test="issue-${toIssue}"]`).click();
  await answer(page, true);
  await page.locator(`[data-test="issue-${toIssue}"]`).waitFor({ state: 'detached' });
  assert.equal((await invoiceOf(toIssue)).status, 'issued');
  await page.locator(`[data-test="fail-${toFail}"]`).click();
  await box(page).locator('input').fill('税号与抬头不符');
  await shot(page, 'money-invoice');
  await answer(page, true);
  await page.getByText('暂无待处理事项').waitFor();
  const failed = await invoiceOf(toFail);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.failure_reason, '税号与抬头不符');
  await page.locator('#tab-payments').click();
  await page.locator('[data-test=payment-status-refunded]').click();
  await page.getByRole('cell', { name: late }).waitFor();

  // The SMS outbox: the buyer's authorise codes are there, their digits masked.
  await page.locator('[data-test=menu-outboxes]').click();
  await page.locator('input[name=outbox-filter]').fill(phone);
  await page.locator('[data-test=outbox-find]').click();
  await page.locator('[data-test=sms-table] tbody tr').first().waitFor();
  const smsText = await page.locator('[data-test=sms-table]').innerText();
  assert.match(smsText, /\*{6}/);
  assert.doesNotMatch(smsText, /验证码[0-9]{6}/); // no code shown to the operator
  await shot(page, 'outbox');
  await page.locator('#tab-email').click();
  await page.locator('[data-test=email-table]').waitFor();

  // The log: sequence now, then look up the newest entry; the page checks its inclusion proof.
  const note = await (await fetch(`${world.base}/api/v1/operator/ledger/checkpoints`, { method: 'POST', headers: { Authorization: `Bearer ${world.operator}` } })).text();
  const size = Number(note.split('\n')[1]);
  assert.ok(size > 1, note);
  await page.locator('[data-test=menu-ledger]').click();
  await page.locator('[data-test=ledger-size]').waitFor();
  const shown = Number(await page.locator('[data-test=ledger-size]').innerText());
  assert.ok(shown > 1 && shown <= size, `${shown} / ${size}`);
  await page.locator('input[name=ledger-index]').fill(String(shown - 1));
  await page.locator('[data-test=ledger-find]').click();
  await page.locator('[data-test=ledger-verdict]').waitFor();
  assert.match(await page.locator('[data-test=ledger-verdict]').innerText(), /已在 \d+ 条的日志中/);
  assert.ok((await page.locator('[data-test=ledger-entry-text]').innerText()).length > 10);
  await shot(page, 'ledger');
  await page.locator('input[name=ledger-index]').fill('0');
  await page.locator('[data-test=ledger-find]').click();
  await page.locator('[data-test=ledger-verdict]').getByText('已在').waitFor();
  await page.locator('input[name=ledger-index]').fill(String(shown + 5)); // beyond the log: refused here
  await page.locator('[data-test=ledger-find]').click();
  await page.locator('.el-message--error').getByText('请输入小于条目数的序号').waitFor();
});

// The catalogue: prices shown in yuan and stored in fen (a negative or over-precise price refused
// in the page with the reason, and by the server), a product taken off sale (asked first) and put
// back, a platform and a seal maker added.
test('an operator keeps the catalogue', async () => {
  const product = await world.api('POST', '/api/v1/operator/catalogue/products', world.operator, {
    kind: 'certificate', name: '单位证书 SM2 2年', cert_type: 'organisation', algorithm: 'sm2', validity_years: 2,
    price_fen: 36000, ca_id: 'sm2o', seal_type: 'official',
  });
  const stored = async () => (await world.api('GET', '/api/v1/operator/catalogue', world.operator)).products.find((p) => p.id === product.id);
  const onSale = async () => (await world.api('GET', '/api/v1/catalogue')).products.some((p) => p.id === product.id);
  const page = await (await world.desktop(world.operator)).newPage();
  await page.goto(`${world.base}/console/`);
  await page.locator('[data-test=menu-catalogue]').click();
  await page.waitForURL(/\/console\/catalogue/);
  await page.locator(`[data-test="price-${product.id}"]`).waitFor();
  assert.equal(await page.locator(`[data-test="price-${product.id}"]`).innerText(), '¥360.00');
  assert.equal(await page.locator(`[data-test="price-${world.product}"]`).innerText(), '¥120.00');
  await page.locator('[data-test=platforms-table]').getByRole('cell', { name: '示例交易平台' }).waitFor();
  await page.locator('[data-test=makers-table]').getByRole('cell', { name: '示例制章单位' }).waitFor();

  // A new price: 12.50 yuan is stored as 1250 fen; -1 and 12.505 are refused with their reason.
  await page.locator(`[data-test="edit-price-${product.id}"]`).click();
  assert.equal(await box(page).locator('input').inputValue(), '360.00');
  const ok = box(page).locator('.el-message-box__btns .el-button--primary');
  await box(page).locator('input').fill('-1');
  await ok.click();
  await box(page).getByText('价格不能为负数').waitFor();
  await box(page).locator('input').fill('12.505');
  await ok.click();
  await box(page).getByText('价格最多精确到分（两位小数）').waitFor();
  await shot(page, 'catalogue-price');
  assert.equal((await stored()).price_fen, 36000); // nothing sent
  await box(page).locator('input').fill('12.50');
  await answer(page, true);
  await page.locator(`[data-test="price-${product.id}"]`).getByText('¥12.50').waitFor();
  assert.equal((await stored()).price_fen, 1250);
  assert.equal((await world.api('GET', '/api/v1/catalogue')).products.find((p) => p.id === product.id).price_fen, 1250);
  // The server refuses what the page would not send, and keeps the price.
  for (const bad of [-1, 12.5, '1250', 100000001]) {
    const r = await world.call('PATCH', `/api/v1/operator/catalogue/products/${product.id}`, world.operator, { price_fen: bad });
    assert.equal(r.status, 400, `${bad}: ${JSON.stringify(r.json)}`);
  }
  assert.equal((await world.call('PATCH', `/api/v1/operator/catalogue/products/${product.id}`, world.operator, {})).status, 400);
  assert.equal((await stored()).price_fen, 1250);

  // Off sale, asked first (cancelling keeps it on sale); on sale again.
  await page.locator(`[data-test="toggle-${product.id}"]`).click();
  await box(page).getByText('下架后用户无法再购买').waitFor();
  await answer(page, false);
  assert.equal((await stored()).active, true);
  await page.locator(`[data-test="toggle-${product.id}"]`).click();
  await answer(page, true);
  await page.locator(`[data-test="sale-${product.id}"]`).getByText('已下架').waitFor();
  assert.equal((await stored()).active, false);
  assert.equal(await onSale(), false);
  await shot(page, 'catalogue');
  await page.locator(`[data-test="toggle-${product.id}"]`).click();
  await page.locator(`[data-test="sale-${product.id}"]`).getByText('在售').waitFor();
  assert.equal(await onSale(), true);
  assert.equal((await stored()).price_fen, 1250);

  // A trading platform and a seal maker; a platform's name twice is refused.
  await page.locator('input[name=platform-name]').fill('示例第二交易平台');
  await page.locator('[data-test=add-platform]').click();
  await page.locator('[data-test=platforms-table]').getByRole('cell', { name: '示例第二交易平台' }).waitFor();
  await page.locator('input[name=maker-name]').fill('示例第二制章单位');
  await page.locator('[data-test=add-maker]').click();
  await page.locator('[data-test=makers-table]').getByRole('cell', { name: '示例第二制章单位' }).waitFor();
  const cat = await world.api('GET', '/api/v1/operator/catalogue', world.operator);
  assert.ok(cat.platforms.some((p) => p.name === '示例第二交易平台'));
  assert.ok(cat.seal_makers.some((m) => m.name === '示例第二制章单位'));
  await page.locator('input[name=platform-name]').fill('示例第二交易平台');
  await page.locator('[data-test=add-platform]').click();
  await page.locator('.el-message--error').waitFor();
  assert.equal((await world.api('GET', '/api/v1/operator/catalogue', world.operator)).platforms.length, cat.platforms.length);

  // A new product from the form. A negative price is refused on the page (nothing sent); a
  // mutual-recognition package without its platform is refused by the server, shown, not created.
  const count = async () => (await world.api('GET', '/api/v1/operator/catalogue', world.operator)).products.length;
  const before = await count();
  const choose = async (select, text) => {
    await page.locator(`[data-test=${select}]`).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: text }).click();
  };
  await choose('product-kind', '互认共享');
  await page.locator('input[name=product-name]').fill('互认共享 1年');
  await page.locator('input[name=product-price]').fill('-5');
  await page.locator('[data-test=add-product]').click();
  await page.locator('[data-test=new-product]').getByText('价格不能为负数').waitFor();
  await page.locator('input[name=product-price]').fill('30.00');
  const isCreate = (r) => r.url().endsWith('/api/v1/operator/catalogue/products') && r.request().method() === 'POST';
  const [refused] = await Promise.all([page.waitForResponse(isCreate), page.locator('[data-test=add-product]').click()]);
  assert.equal(refused.status(), 400);
  assert.match((await refused.json()).detail || '', /platform/);
  await page.locator('.el-message--error', { hasText: /platform/ }).waitFor();
  assert.equal(await count(), before);
  // A certificate product: RSA-2048 at 88.80 yuan, stored as 8880 fen, on sale at once.
  await choose('product-kind', '证书');
  await page.locator('input[name=product-name]').fill('个人证书 RSA 1年');
  await choose('product-algorithm', 'rsa-2048');
  await page.locator('input[name=product-price]').fill('88.80');
  await page.locator('[data-test=add-product]').click();
  await page.locator('[data-test=products-table]').getByRole('cell', { name: '个人证书 RSA 1年' }).waitFor();
  const added = (await world.api('GET', '/api/v1/operator/catalogue', world.operator)).products.find((p) => p.name === '个人证书 RSA 1年');
  assert.equal(added.price_fen, 8880);
  assert.equal(added.algorithm, 'rsa-2048');
  assert.equal(added.kind, 'certificate');
  assert.equal(added.active, true);
  assert.ok((await world.api('GET', '/api/v1/catalogue')).products.some((p) => p.id === added.id));
  assert.equal(await count(), before + 1);
});

// A relying party's callback deliveries: its receiver answers 500 first, so the server retries
// (back-off); the log shows both attempts with the event id, URL, status and next retry.
test('an operator reads a relying party\'s callback delivery log', async () => {
  const hits = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(req.headers['x-certseal-event-id']);
      res.statusCode = hits.length === 1 ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${receiver.address().port}/callback`;
  try {
    const app = await world.api('POST', '/api/v1/operator/rp-apps', world.operator, {
      name: '回调测试应用', platform_id: world.platform, callback_url: url, scenes: ['06'],
    });
    const scene = await rpSigned(app.id, app.secret, '/api/v1/rp/scene-requests', { scene: '06', title: '登录示例交易平台', nonce: 'callback-log-1' });
    const user = await world.verifiedBuyer('13900000141', '郑十一', idNumber('11010519860101008'), photo);
    await world.api('POST', '/api/v1/scene-claims', user, { token: scene.qr_payload.slice(scene.qr_payload.lastIndexOf('/') + 1) });
    await world.api('POST', `/api/v1/scene-requests/${scene.id}/refusal`, user, { reason: '不是我发起的' });
    let log = [];
    for (let i = 0; i < 150 && log.length < 2; i++) {
      await sleep(100);
      log = (await world.api('GET', `/api/v1/operator/rp-apps/${app.id}/callbacks`, world.operator)).items;
    }
    assert.equal(log.length, 2, JSON.stringify(log));
    assert.equal(hits.length, 2);
    assert.deepEqual(log.map((a) => [a.attempt, a.http_status, a.event_id]), [[2, 200, hits[1]], [1, 500, hits[0]]]);
    assert.equal(hits[0], hits[1]); // the same event, retried
    assert.ok(log[1].next_attempt_at && !log[0].next_attempt_at);

    const page = await (await world.desktop(world.operator)).newPage();
    await page.goto(`${world.base}/console/rp-apps`);
    await page.locator('[data-test="callbacks-回调测试应用"]').click();
    const table = page.locator('[data-test=callback-log]');
    await table.locator('tbody tr').nth(1).waitFor();
    const text = await table.innerText();
    assert.ok(text.includes(hits[0]) && text.includes(url), text);
    assert.equal(await table.locator('[data-test=outcome-1]').innerText(), 'HTTP 500');
    assert.equal(await table.locator('[data-test=outcome-2]').innerText(), 'HTTP 200');
    assert.equal(await table.locator('[data-test=next-1]').innerText(), log[1].next_attempt_at);
    assert.equal(await table.locator('[data-test=next-2]').innerText(), '—');
    await shot(page, 'rp-callbacks');
    // Another application's log is its own (the first one registered has none of these).
    const first = (await world.api('GET', '/api/v1/operator/rp-apps', world.operator)).items.find((a) => a.name === '示例招标平台接入');
    assert.deepEqual((await world.api('GET', `/api/v1/operator/rp-apps/${first.id}/callbacks`, world.operator)).items, []);
    assert.equal((await world.call('GET', '/api/v1/operator/rp-apps/no-such-app/callbacks', world.operator)).status, 404);
    // The relying party's user is no operator.
    assert.equal((await world.call('GET', `/api/v1/operator/rp-apps/${app.id}/callbacks`, user)).status, 403);
  } finally {
    receiver.close();
  }
});

// Reissue notices (SPEC §5): the certificate held with the mobile shield by the seal test's owner
// is found on the CA page, ticked and noticed with a reason (asked first: cancelling sends
// nothing); its holder reads it in their notifications. A certificate nobody holds here (issued
// through the API) is refused, and the page says so.
test('an operator publishes a reissue notice that the holder sees', async () => {
  assert.ok(sealOwner, 'the seal test ran first');
  const notices = async () => (await world.api('GET', '/api/v1/notifications?limit=100', sealOwner.token)).items.filter((n) => n.kind === 'certificate_reissue');
  const before = (await notices()).length;
  const held = await world.api('GET', `/api/v1/certificates/${sealOwner.certificate}`, world.operator);
  const page = await (await world.desktop(world.operator)).newPage();
  await page.goto(`${world.base}/console/cas`);
  await page.locator('input[name=cert-q]').fill('13900000121');
  await page.locator('[data-test=cert-search]').click();
  const row = page.locator('[data-test=cert-hits] tbody tr', { hasText: held.serial });
  await row.waitFor();
  await row.locator('.el-checkbox').click();
  await page.locator('[data-test=reissue-notice]').click();
  await box(page).getByText('向所选 1 张证书的持有人发布补发通知').waitFor();
  await answer(page, false);
  assert.equal((await notices()).length, before);
  await page.locator('[data-test=reissue-notice]').click();
  await box(page).locator('input').fill('所属 CA 密钥轮换，请补发证书');
  await shot(page, 'reissue-notice');
  await answer(page, true);
  await page.locator(`[data-test="reissue-${held.serial}"]`).getByText('已通知持有人').waitFor();
  const got = await notices();
  assert.equal(got.length, before + 1);
  assert.equal(got[0].ref_id, sealOwner.certificate);
  assert.match(got[0].text, /所属 CA 密钥轮换，请补发证书/);
  // A certificate without a holder on this platform: refused, shown as such.
  await page.locator('input[name=cert-q]').fill('赵六');
  await page.locator('[data-test=cert-search]').click();
  const lone = page.locator('[data-test=cert-hits] tbody tr', { hasText: '赵六' }).first();
  await lone.waitFor();
  const loneSerial = (await lone.locator('td').nth(1).innerText()).trim();
  await lone.locator('.el-checkbox').click();
  await page.locator('[data-test=reissue-notice]').click();
  await box(page).locator('input').fill('测试');
  await answer(page, true);
  await page.locator('.el-message--error').getByText('部分证书未能通知').waitFor();
  assert.match(await page.locator(`[data-test="reissue-${loneSerial}"]`).innerText(), /^未通知：/);
  // The holder cannot send notices (to anyone): refused, nothing sent.
  const r = await world.call('POST', `/api/v1/operator/certificates/${sealOwner.certificate}/reissue-notices`, sealOwner.token, { reason: '伪造的补发通知' });
  assert.equal(r.status, 403);
  assert.equal((await notices()).length, before + 1);
});

// An attacker with an ordinary user's session opens every console page: each shows the refusal,
// no queue is loaded, and the operator APIs behind them answer 403.
test('a session that is not an operator is refused on every page', async () => {
  const phone = '13900000109';
  const { token } = await world.pendingPerson(phone, '王五', idNumber('11010519900101003'), photo);
  const ctx = await world.desktop(token);
  const page = await ctx.newPage();
  const operatorCalls = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/operator/')) operatorCalls.push(r.url());
  });
  for (const path of ['/console/', '/console/persons', '/console/orders?tab=transfers', '/console/orders?tab=review',
    '/console/orders?tab=refunds', '/console/certificates', '/console/rp-apps', '/console/organisations', '/console/seals',
    '/console/dashboard', '/console/cas', '/console/money', '/console/money?tab=refund_due', '/console/money?tab=invoices',
    '/console/outboxes', '/console/outboxes?tab=email', '/console/ledger', '/console/catalogue', '/console/anything']) {
    await page.goto(world.base + path);
    await page.locator('[data-test=denied]').waitFor();
    assert.match(await page.locator('[data-test=denied]').innerText(), /仅限运营人员/, path);
    assert.equal(await page.locator('.el-table').count(), 0, path);
  }
  await shot(page, 'denied');
  assert.deepEqual(operatorCalls, []);
  // The page-level actions behind them: refused to that session, nothing changed.
  const app = (await world.api('GET', '/api/v1/operator/rp-apps', world.operator)).items[0];
  for (const p of [`/api/v1/operator/rp-apps/${app.id}/secret-rotations`, `/api/v1/operator/rp-apps/${app.id}/disabling`, '/api/v1/operator/ledger/checkpoints']) {
    assert.equal((await world.call('POST', p, token, {})).status, 403, p);
  }
  // An order's details and its application form (the applicant's signature) are the operator's.
  const order = (await world.api('GET', '/api/v1/operator/orders', world.operator)).items[0];
  for (const p of [`/api/v1/operator/orders/${order.id}`, `/api/v1/operator/orders/${order.id}/application-form`]) {
    assert.equal((await world.call('GET', p, token)).status, 403, p);
  }
  assert.equal((await world.api('GET', `/api/v1/operator/rp-apps/${app.id}`, world.operator)).secret_version, app.secret_version);
  // The catalogue's changes: refused to that session, the product as it was.
  const before = (await world.api('GET', '/api/v1/operator/catalogue', world.operator)).products.find((p) => p.id === world.product);
  for (const change of [{ price_fen: 1 }, { active: false }]) {
    assert.equal((await world.call('PATCH', `/api/v1/operator/catalogue/products/${world.product}`, token, change)).status, 403);
  }
  assert.equal((await world.call('POST', '/api/v1/operator/catalogue/platforms', token, { name: '攻击者的平台' })).status, 403);
  assert.equal((await world.call('POST', '/api/v1/operator/catalogue/seal-makers', token, { name: '攻击者的制章单位' })).status, 403);
  const after = await world.api('GET', '/api/v1/operator/catalogue', world.operator);
  assert.deepEqual(after.products.find((p) => p.id === world.product), before);
  assert.ok(!after.platforms.some((p) => p.name === '攻击者的平台') && !after.seal_makers.some((m) => m.name === '攻击者的制章单位'));
  for (const p of ['/api/v1/operator/person-verifications?status=pending', '/api/v1/operator/organisations?status=submitted', '/api/v1/operator/seals', '/api/v1/operator/payments?status=submitted',
    '/api/v1/operator/orders?status=in_review', '/api/v1/operator/cas', '/api/v1/operator/certificates?q=1', '/api/v1/operator/rp-apps',
    '/api/v1/operator/payments?status=refund_due', '/api/v1/operator/invoices?status=requested', '/api/v1/operator/sms-outbox',
    '/api/v1/operator/email-outbox', '/api/v1/operator/dashboard', '/api/v1/operator/catalogue', `/api/v1/operator/rp-apps/${app.id}/callbacks`,
    '/api/v1/operator/organisation-changes?status=pending']) {
    assert.equal((await world.call('GET', p, token)).status, 403, p);
  }
  // The login itself refuses to open the console for that account.
  const fresh = await (await world.desktop()).newPage();
  await fresh.goto(`${world.base}/console/login`);
  await fresh.locator('input[name=phone]').fill(phone);
  await fresh.locator('[data-test=send-code]').click();
  await fresh.getByText('验证码已发送').waitFor();
  await fresh.locator('input[name=code]').fill(world.smsCode(phone));
  await fresh.locator('input[name=password]').fill('Str0ng!pw');
  await fresh.locator('[data-test=login]').click();
  await fresh.locator('[data-test=denied]').waitFor();
  // Without a session, every page goes to the login.
  const anonymous = await (await world.desktop()).newPage();
  await anonymous.goto(`${world.base}/console/orders?tab=review`);
  await anonymous.waitForURL(/\/console\/login/);
});
