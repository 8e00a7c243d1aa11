// 移动电子密钥 in the browser (数字证书业务(旧), docs/PKCS11.md): a certificate installed in the
// browser is the PC's key. The PC (its API calls, as libcertseal-pkcs11.so makes them) starts a
// pairing; the phone, on the legacy business's home, reads the pairing QR text, refuses a wrong
// code (the link stays unpaired), approves the right one; the PC's sign request (sm2-sm3) appears
// on the phone, is confirmed with the certificate password, and the signature the PC receives
// verifies with the openssl CLI and sm-crypto; a decryption request returns the plaintext sm-crypto
// encrypted; a refused request reaches the PC as refused; another account cannot answer the PC's
// request; unpairing on the phone shuts the PC out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, World, idNumber, screenshotDir } from './harness.js';

const world = new World();
const PHONE = '13912382001';
const NAME = '郑十一';
const PW = 'Pc#cert2026';
const interop = join(ROOT, 'tests/interop/sm2.js');
let token;
let page;
let cert;
let point;
let pc;

// An API call as the PC: its bearer token in the PC scheme (docs/PKCS11.md).
async function pcCall(method, path, body) {
  const headers = { Authorization: `PC ${pc.token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(world.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}
async function pcWait(id) {
  for (let i = 0; i < 300; i++) {
    const r = await pcCall('GET', `/api/v1/pc/requests/${id}`);
    if (r.json.status !== 'pending') return r.json;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('the phone did not answer');
}
const request = (p, id) => p.locator(`[data-test=pc-request-${id}]`);
const toast = (p, text) => p.locator('.van-toast__text', { hasText: text }).waitFor({ timeout: 60_000 });

before(async () => {
  await world.start();
  await world.catalogue();
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  await scratch.context().close();
  token = await world.verifiedPerson(PHONE, NAME, idNumber('11010519880808008'), photo);
  page = await (await world.phoneWithSession(token, { firstStart: true })).newPage();
  await page.goto(`${world.base}/app/`);
  await page.locator('[data-test="business-legacy"]').click();
  await page.locator('[data-test="business-start"]').click();
  const order = await world.approvedPersonalOrder(token, PHONE, NAME);
  await page.goto(`${world.base}/app/orders`);
  await page.getByRole('button', { name: '安装证书' }).click();
  await page.getByPlaceholder('6–32 位').fill(PW);
  await page.getByPlaceholder('请再次输入证书密码').fill(PW);
  await page.getByRole('button', { name: '安装', exact: true }).click();
  await page.getByText('证书已安装到本机').waitFor({ timeout: 60_000 });
  const listed = (await world.api('GET', '/api/v1/account/certificates', token)).items.find((c) => c.order_id === order.id);
  cert = (await world.api('GET', `/api/v1/account/certificates/${listed.id}`, token)).certificate;
  writeFileSync(join(world.dir, 'pc-cert.pem'), cert.certificate_pem);
  execFileSync('openssl', ['x509', '-in', join(world.dir, 'pc-cert.pem'), '-pubkey', '-noout', '-out', join(world.dir, 'pc-pub.pem')]);
  point = execFileSync('openssl', ['pkey', '-pubin', '-in', join(world.dir, 'pc-pub.pem'), '-outform', 'DER']).subarray(-65).toString('hex');
});
after(async () => {
  await page?.screenshot({ path: join(world.dir || '/tmp', '..', 'certseal-e2e-pc-key-last.png') }).catch(() => {});
  await world.stop();
});

test('the phone pairs a PC, confirms its signature and decryption, refuses one, and unpairs it', { timeout: 240_000 }, async () => {
  // The PC starts pairing (no account: its own token).
  const started = await fetch(`${world.base}/api/v1/pc/pairings`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: '投标电脑' }),
  });
  pc = await started.json();
  assert.equal(started.status, 201, JSON.stringify(pc));

  // The legacy home offers 移动电子密钥.
  await page.goto(`${world.base}/app/`);
  await page.locator('[data-test="home-pc_key"]').click();
  await page.waitForURL(/\/app\/pc-key$/);

  // Not a pairing code at all: refused in place.
  await page.locator('[data-test=pc-payload] input').fill('https://example.com/not-a-pc');
  await page.locator('[data-test=pc-payload-use]').click();
  await page.getByText('这不是电脑的配对二维码').waitFor();
  // A wrong code (one character changed): the PC's name is shown, the approval refused, the link
  // stays unpaired.
  const last = pc.code.slice(-1);
  const wrong = `certseal-pc:${pc.id}:${pc.code.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
  await page.locator('[data-test=pc-payload] input').fill(wrong);
  await page.locator('[data-test=pc-payload-use]').click();
  await page.locator('[data-test=pc-pairing-name]').getByText('投标电脑').waitFor();
  await page.locator('[data-test=pc-pair-confirm]').click();
  await toast(page, '配对码不符');
  assert.equal((await pcCall('GET', '/api/v1/pc/link')).json.status, 'pending');

  // The right code pairs.
  await page.getByRole('button', { name: '取消' }).click();
  await page.locator('[data-test=pc-payload] input').fill(pc.qr_payload);
  await page.locator('[data-test=pc-payload-use]').click();
  await page.locator('[data-test=pc-pair-confirm]').click();
  await toast(page, '已与 投标电脑 配对');
  assert.equal((await pcCall('GET', '/api/v1/pc/link')).json.status, 'active');
  const offered = (await pcCall('GET', '/api/v1/pc/certificates')).json.items;
  assert.ok(offered.some((c) => c.certificate_id === cert.id));

  // A signature for the PC: the request appears on the phone with its text.
  const message = '投标文件摘要：第三标段 报价 1,280,000 元';
  const signReq = (await pcCall('POST', '/api/v1/pc/requests', {
    certificate_id: cert.id, operation: 'sign', mechanism: 'sm2-sm3', data: Buffer.from(message).toString('base64'),
  })).json;
  const item = request(page, signReq.id);
  await item.getByText(message).waitFor({ timeout: 30_000 });
  await item.getByText('来自 投标电脑').waitFor();
  await page.screenshot({ path: join(screenshotDir(world), 'pc-key-01-request.png') });
  await item.locator('[data-test=pc-password] input').fill(PW);
  await item.locator('[data-test=pc-confirm]').click();
  await toast(page, '投标电脑 已收到结果');
  const signed = await pcWait(signReq.id);
  assert.equal(signed.status, 'completed');
  const rs = Buffer.from(signed.result, 'base64');
  assert.equal(rs.length, 64);
  assert.equal(execFileSync('node', [interop, 'verify', point, Buffer.from(message).toString('hex'), rs.toString('hex'), 'raw',
    '1234567812345678'], { encoding: 'utf8' }).trim(), 'true');
  // openssl: the same signature as DER.
  const int = (b) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return Buffer.concat([Buffer.from([0x02, v.length + (v[0] & 0x80 ? 1 : 0)]), v[0] & 0x80 ? Buffer.from([0]) : Buffer.alloc(0), v]);
  };
  const body = Buffer.concat([int(rs.subarray(0, 32)), int(rs.subarray(32))]);
  writeFileSync(join(world.dir, 'pc-sig.der'), Buffer.concat([Buffer.from([0x30, body.length]), body]));
  writeFileSync(join(world.dir, 'pc-msg'), message);
  execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(world.dir, 'pc-pub.pem'), '-rawin', '-digest', 'sm3',
    '-in', join(world.dir, 'pc-msg'), '-sigfile', join(world.dir, 'pc-sig.der'), '-pkeyopt', 'distid:1234567812345678'], { stdio: 'pipe' });

  // A raw SM2 request (the PC computed e itself): the phone signs the digest as given; the server
  // accepts only a signature that verifies for e under the certificate's key.
  const e = Buffer.from(execFileSync('node', [interop, 'sm3', Buffer.from('摘要由电脑计算').toString('hex')], { encoding: 'utf8' }).trim(), 'hex');
  const rawReq = (await pcCall('POST', '/api/v1/pc/requests', {
    certificate_id: cert.id, operation: 'sign', mechanism: 'sm2', data: e.toString('base64'),
  })).json;
  await request(page, rawReq.id).getByText(`32 字节 · SHA-256 ${rawReq.data_sha256}`).waitFor({ timeout: 30_000 });
  await request(page, rawReq.id).locator('[data-test=pc-password] input').fill(PW);
  await request(page, rawReq.id).locator('[data-test=pc-confirm]').click();
  const rawSigned = await pcWait(rawReq.id);
  assert.equal(rawSigned.status, 'completed');
  assert.equal(Buffer.from(rawSigned.result, 'base64').length, 64);

  // A decryption for the PC: sm-crypto encrypts to the certificate's key (C1‖C3‖C2).
  const secret = '会话密钥 0123456789abcdef';
  const c = execFileSync('node', [interop, 'encrypt', point, Buffer.from(secret).toString('hex'), '1'], { encoding: 'utf8' }).trim();
  const decReq = (await pcCall('POST', '/api/v1/pc/requests', {
    certificate_id: cert.id, operation: 'decrypt', mechanism: 'sm2', data: Buffer.from(`04${c}`, 'hex').toString('base64'),
  })).json;
  await request(page, decReq.id).getByText('解密').waitFor({ timeout: 30_000 });
  await request(page, decReq.id).locator('[data-test=pc-password] input').fill(PW);
  await request(page, decReq.id).locator('[data-test=pc-confirm]').click();
  const decrypted = await pcWait(decReq.id);
  assert.equal(decrypted.status, 'completed');
  assert.equal(Buffer.from(decrypted.result, 'base64').toString(), secret);

  // Another account cannot answer this PC's request, nor see it.
  await world.api('POST', '/api/v1/sms-codes', null, { phone: '13912382002', purpose: 'login' });
  const other = (await world.api('POST', '/api/v1/sessions', null, { phone: '13912382002', code: world.smsCode('13912382002') })).token;
  await world.api('PUT', '/api/v1/account/password', other, { password: 'Str0ng!pw' });
  const third = (await pcCall('POST', '/api/v1/pc/requests', {
    certificate_id: cert.id, operation: 'sign', mechanism: 'sm2-sm3', data: Buffer.from('第三个请求').toString('base64'),
  })).json;
  const forged = await world.call('POST', `/api/v1/account/pc-requests/${third.id}/completion`, other, { result: rs.toString('base64') });
  assert.equal(forged.status, 404, JSON.stringify(forged));
  assert.equal((await world.api('GET', '/api/v1/account/pc-requests', other)).items.length, 0);

  // Refused on the phone: the PC reads it as refused.
  await request(page, third.id).getByText('第三个请求').waitFor({ timeout: 30_000 });
  await request(page, third.id).locator('[data-test=pc-refuse]').click();
  assert.equal((await pcWait(third.id)).status, 'refused');

  // Unpaired on the phone: the PC's token opens nothing.
  await page.locator('[data-test=pc-remove]').click();
  await page.locator('.van-dialog__confirm').click();
  await toast(page, '已解除配对');
  assert.equal((await pcCall('GET', '/api/v1/pc/link')).json.status, 'removed');
  const after = await pcCall('POST', '/api/v1/pc/requests', {
    certificate_id: cert.id, operation: 'sign', mechanism: 'sm2-sm3', data: Buffer.from('解除后的请求').toString('base64'),
  });
  assert.equal(after.status, 401, JSON.stringify(after.json));
  assert.equal((await pcCall('GET', '/api/v1/pc/certificates')).status, 401);
  await page.screenshot({ path: join(screenshotDir(world), 'pc-key-02-unpaired.png') });
});
