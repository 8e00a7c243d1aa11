// Invoices (docs/ORDERS.md "Invoices", SPEC §9): the details given at purchase, on the payment
// step (company title, tax number, e-mail; a bad address refused next to its field), the tabs
// all / applied / issued / failed, asking again after the operator recorded a failure (the form
// starting from the details given), the operator issuing (API), the download, and the PDF sent to
// the address given (the server's e-mail outbox).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { World, idNumber, screenshotDir, uscc } from './harness.js';

const world = new World();
const PHONE = '13912346666';
const EMAIL = 'caiwu@example.com';
let page;
let token;

before(async () => {
  await world.start();
  await world.catalogue();
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  await scratch.context().close();
  token = await world.verifiedPerson(PHONE, '周九', idNumber('11010519880808002'), photo);
  page = await (await world.phoneWithSession(token)).newPage();
});
after(async () => {
  await page?.screenshot({ path: '/tmp/app2-inv-last.png' }).catch(() => {});
  await world.stop();
});

const tabItems = async (name) => {
  await page.getByRole('tab', { name, exact: true }).click();
  await page.waitForTimeout(300);
  return page.locator('[data-test^=invoice-]').count();
};

test('invoice details at purchase, tabs, asking again after a failure, download and e-mail', { timeout: 120_000 }, async () => {
  // An order placed and authorised (its screens: main-flow.test.js); the payment step is the app's.
  const order = await world.api('POST', '/api/v1/orders', token, { product_id: world.product, platform_id: world.platform });
  await world.api('POST', '/api/v1/seals', token, { order_id: order.id, kind: 'personal_square', design: { method: 'template', name: '周九' } });
  await world.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise' });
  await world.api('POST', `/api/v1/orders/${order.id}/authorisation`, token, { code: world.smsCode(PHONE) });
  await page.goto(`${world.base}/app/buy?order=${order.id}`);
  await page.locator('[data-test=invoice-cell]').click();
  await page.getByText('单位', { exact: true }).click();
  await page.getByPlaceholder('个人姓名或单位名称').fill('广州示例制造有限公司');
  // A tax number with a wrong check character, and a bad address: both refused next to their fields.
  const good = uscc('91440300MA5F0C003');
  const wrong = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  await page.getByLabel('税号').fill(wrong);
  await page.getByLabel('电子邮箱').fill('caiwu@');
  await page.getByRole('button', { name: '提交', exact: true }).click();
  await page.locator('.van-field__error-message').first().waitFor();
  assert.equal((await world.api('GET', '/api/v1/invoices', token)).items.length, 0, 'nothing stored');
  await page.getByLabel('税号').fill(good);
  await page.getByRole('button', { name: '提交', exact: true }).click();
  await page.locator('.van-field__error-message', { hasText: '请填写正确的电子邮箱地址' }).waitFor();
  assert.equal((await world.api('GET', '/api/v1/invoices', token)).items.length, 0, 'nothing stored');
  // This test's wrong tax number: the first failure comes from the operator instead.
  await page.getByLabel('电子邮箱').fill(EMAIL);
  await page.getByRole('button', { name: '提交', exact: true }).click();
  await page.getByText('发票信息已提交').waitFor();
  await page.locator('[data-test=invoice-cell]').getByText('广州示例制造有限公司').waitFor();
  let inv = (await world.api('GET', '/api/v1/invoices', token)).items[0];
  assert.equal(inv.order_id, order.id);
  assert.equal(inv.title_type, 'company');
  assert.equal(inv.tax_number, good);
  assert.equal(inv.email, EMAIL);
  const [pay] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('button', { name: '去支付（沙箱）' }).click()]);
  await pay.getByRole('button', { name: 'Pay' }).click();
  await pay.getByText('Payment done').waitFor();
  await pay.close();
  await page.getByText('审核中').first().waitFor({ timeout: 30_000 });

  // The operator cannot issue it (API): a failure with the reason; the buyer sees it under 开具失败.
  await world.api('POST', `/api/v1/operator/invoices/${inv.id}/failure`, world.operator, { reason: '抬头与付款单位不符' });
  await page.goto(`${world.base}/app/invoices`);
  assert.equal(await tabItems('已申请'), 0);
  assert.equal(await tabItems('开具失败'), 1);
  await page.getByText('抬头与付款单位不符').waitFor();
  const dir = screenshotDir(world);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, '41-invoice-failed.png') });
  // Asking again: the form starts from the details given; the title is corrected.
  await page.getByRole('button', { name: '重新申请' }).click();
  assert.equal(await page.getByLabel('电子邮箱').inputValue(), EMAIL);
  assert.equal(await page.getByLabel('税号').inputValue(), good);
  await page.getByPlaceholder('个人姓名或单位名称').fill('广州示例科技有限公司');
  await page.getByRole('button', { name: '提交', exact: true }).click();
  await page.getByText('发票信息已提交').waitFor();
  inv = await world.api('GET', `/api/v1/invoices/${inv.id}`, token);
  assert.equal(inv.status, 'requested');
  assert.equal(inv.attempts, 2);
  assert.equal(inv.title_name, '广州示例科技有限公司');
  assert.equal(await tabItems('开具失败'), 0);
  assert.equal(await tabItems('已申请'), 1);

  // Issued by the operator (API): under 已开票, downloaded, and e-mailed to the address given.
  const issued = await world.api('POST', `/api/v1/operator/invoices/${inv.id}/issuance`, world.operator, {});
  await page.reload();
  assert.equal(await tabItems('已开票'), 1);
  await page.getByText(issued.invoice_number).waitFor();
  await page.getByText('已发送到邮箱').waitFor();
  await page.screenshot({ path: join(dir, '42-invoice-issued.png') });
  const [pdf, answer] = await Promise.all([
    page.context().waitForEvent('page'),
    page.waitForResponse((r) => r.url().endsWith(`/api/v1/invoices/${inv.id}/pdf`)),
    page.getByRole('button', { name: '下载发票' }).click(),
  ]);
  await pdf.waitForLoadState();
  assert.match(pdf.url(), /^blob:/);
  assert.equal(answer.status(), 200);
  assert.equal(answer.headers()['content-type'], 'application/pdf');
  assert.ok(Number(answer.headers()['content-length']) > 1000);
  await pdf.close();
  const box = (await world.api('GET', `/api/v1/operator/email-outbox?to=${encodeURIComponent(EMAIL)}`, world.operator)).items;
  assert.equal(box.length, 1);
  assert.match(box[0].subject, new RegExp(issued.invoice_number));
  assert.equal(box[0].attachment_name, `invoice-${issued.invoice_number}.pdf`);
  // The attachment is the issued PDF the buyer downloads.
  const att = await fetch(`${world.base}/api/v1/operator/email-outbox/${box[0].id}/attachment`, { headers: { Authorization: `Bearer ${world.operator}` } });
  const mine = await fetch(`${world.base}/api/v1/invoices/${inv.id}/pdf`, { headers: { Authorization: `Bearer ${token}` } });
  const [a, b] = [Buffer.from(await att.arrayBuffer()), Buffer.from(await mine.arrayBuffer())];
  assert.equal(a.subarray(0, 5).toString(), '%PDF-');
  assert.ok(a.equals(b));
});
