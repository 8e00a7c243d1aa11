// The business choice of the first start (SPEC §2, web/app/src/business.js): a fresh phone is
// asked first, whatever page it opens; the choice is remembered (localStorage, over a reload and
// a new visit), decides the home screen's entries, and is changed in 账号与安全. Nothing of it
// reaches the server: the session and the account are the same whatever the business.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { World, idNumber, screenshotDir } from './harness.js';

const world = new World();
const PHONE = '13912347777';
let page;
let token;

before(async () => {
  await world.start();
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  await scratch.context().close();
  token = await world.verifiedPerson(PHONE, '孙八', idNumber('11010519900101001'), photo);
  page = await (await world.phoneWithSession(token, { firstStart: true })).newPage();
});
after(async () => {
  await world.stop();
});

const entries = () => page.locator('.grid button').allInnerTexts();
const saved = () => page.evaluate(() => localStorage.getItem('certseal.business'));

test('the first start asks for the business, remembers it, and the home screen follows it', { timeout: 90_000 }, async () => {
  // A deep link on a fresh phone: the choice comes first, then the page asked for.
  await page.goto(`${world.base}/app/orders`);
  await page.getByText('请选择业务').waitFor();
  assert.equal(await saved(), null);
  for (const name of ['统一平台', '数字证书业务(旧)', '云密钥']) await page.getByText(name, { exact: true }).waitFor();
  const dir = screenshotDir(world);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, '00-business.png') });
  await page.locator('[data-test="business-legacy"]').click();
  await page.locator('[data-test="business-start"]').click();
  await page.waitForURL(/\/app\/orders$/);
  assert.equal(await saved(), 'legacy');

  // The legacy business's home: apply, business query, renewal, certificates, the phone as the
  // PC's key — no scan.
  await page.goto(`${world.base}/app/`);
  await page.locator('[data-test="home-business"]').getByText('数字证书业务(旧)').waitFor();
  assert.deepEqual(await entries(), ['证书申请', '业务查询', '证书延期', '我的证书', '移动电子密钥']);
  await page.locator('[data-test="home-query"]').click();
  await page.waitForURL(/\/app\/orders$/);

  // Remembered over a reload and in a new tab of the same phone (no second question).
  await page.goto(`${world.base}/app/`);
  await page.reload();
  await page.locator('[data-test="home-apply"]').waitFor();
  const tab = await page.context().newPage();
  await tab.goto(`${world.base}/app/`);
  await tab.locator('[data-test="home-apply"]').waitFor();
  assert.equal(await tab.getByText('请选择业务').count(), 0);
  await tab.close();

  // Changed in 账号与安全: cloud key; the home screen offers scan, certificate, delegation, security.
  await page.goto(`${world.base}/app/settings`);
  await page.getByText('业务类型', { exact: true }).waitFor();
  await page.locator('[data-test="business-cloudkey"]').click();
  await page.getByText('业务类型已更改').waitFor();
  assert.equal(await saved(), 'cloudkey');
  await page.goto(`${world.base}/app/`);
  await page.locator('[data-test="home-business"]').getByText('云密钥').waitFor();
  assert.deepEqual(await entries(), ['扫一扫', '证书信息', '授权管理', '账号与安全']);
  await page.locator('[data-test="home-delegation"]').click();
  await page.waitForURL(/\/app\/cloudkey\/delegations$/);

  // And back to the unified platform.
  await page.goto(`${world.base}/app/settings`);
  await page.locator('[data-test="business-unified"]').click();
  await page.goto(`${world.base}/app/`);
  assert.deepEqual(await entries(), ['扫一扫', '实名认证', '购买证书', '我的证书']);
  assert.equal(await saved(), 'unified');

  // The choice is the phone's, not the account's: the server's session is unchanged and still
  // answers for this person.
  const me = await world.api('GET', '/api/v1/account', token);
  assert.equal(me.phone, PHONE);
});
