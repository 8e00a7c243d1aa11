// The browser shield and the C++ client agree on the pairing protocol (docs/SHIELD.md "Adding a
// device", src/crypto/pairing.h vs web/app/src/shield/pairing.js), both ways, clicking in the
// browser and running the real `certseal` binary:
//  A. a key installed by `certseal cert install`; the browser joins it (从其他设备添加证书): it
//     shows the pairing id and code, `certseal device add` checks them (a wrong code refused
//     before anything is sent) and sends its half, the browser sets its own password;
//  B. a key installed in the browser; `certseal device pair` joins it: the browser's 添加设备
//     checks the C++ client's code (a wrong one refused before anything is sent) and sends its
//     half, `certseal device pair --finish` sets its password.
// After each pairing both devices sign: the C++ client's signature and the browser's (a scene-20
// signature through the relying party) verify with the openssl CLI under the same certificate,
// and the server lists both devices of the key as active.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { World, idNumber } from './harness.js';

const world = new World();
const PHONE = '13912345555';
const NAME = '吴十';
const CPP_PW = 'Cpp#cert2026';
const BROWSER_PW = 'Web#cert2026';
let page;
let token;
let n = 0;

before(async () => {
  await world.start();
  await world.catalogue();
  await world.relyingParty();
  const scratch = await (await world.phone()).newPage();
  await scratch.goto(`${world.base}/app/`);
  const photo = await scratch.screenshot({ type: 'png' });
  await scratch.context().close();
  token = await world.verifiedPerson(PHONE, NAME, idNumber('11010519770707007'), photo);
  page = await (await world.phoneWithSession(token)).newPage();
});
after(async () => {
  await page?.screenshot({ path: join(world.dir || '/tmp', '..', 'certseal-e2e-interop-last.png') }).catch(() => {});
  await world.stop();
});

const cli = (folder, args, answers = []) => {
  const r = world.certseal(folder, token, args, answers);
  return { ...r, json: () => JSON.parse(r.stdout) };
};

// openssl verifies `sig` (DER) over `data` under the certificate's key (SM2 with the default ID).
function opensslVerifies(certPem, data, sig) {
  const k = `v${++n}`;
  writeFileSync(join(world.dir, `${k}-cert.pem`), certPem);
  writeFileSync(join(world.dir, `${k}-data`), data);
  writeFileSync(join(world.dir, `${k}-sig.der`), sig);
  execFileSync('openssl', ['x509', '-in', join(world.dir, `${k}-cert.pem`), '-pubkey', '-noout', '-out', join(world.dir, `${k}-pub.pem`)]);
  execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(world.dir, `${k}-pub.pem`), '-rawin', '-digest', 'sm3',
    '-in', join(world.dir, `${k}-data`), '-sigfile', join(world.dir, `${k}-sig.der`), '-pkeyopt', 'distid:1234567812345678'], { stdio: 'pipe' });
}

// The C++ client signs `message` with `keyId`: verified by openssl under `cert`.
function cppSigns(folder, keyId, cert, message, password) {
  const r = cli(folder, ['cert', 'sign', '--key', keyId, '--message', message, '--format', 'base64'], [password]);
  assert.equal(r.status, 0, r.stderr);
  opensslVerifies(cert.certificate_pem, Buffer.from(message), Buffer.from(r.stdout.trim(), 'base64'));
}

// The browser signs a scene-20 message with the certificate `cert` (chosen on the scan screen):
// the relying party gets it, and openssl verifies the signature over the signed attributes.
async function browserSigns(cert, message, password, nonce) {
  const req = await world.rpCall('POST', '/api/v1/rp/scene-requests', { scene: '20', title: '互通签名', nonce, message: Buffer.from(message).toString('base64') });
  await page.goto(`${world.base}/app/scan`);
  await page.locator('[data-test=qr-file]').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: Buffer.from(req.qr_png, 'base64') });
  await page.getByText(message).waitFor();
  await page.getByText(cert.serial).first().click();
  await page.getByPlaceholder('请输入证书密码').fill(password);
  await page.getByRole('button', { name: '确认', exact: true }).click();
  await page.getByText('已完成').waitFor({ timeout: 30_000 });
  const v = await world.rpCall('GET', `/api/v1/rp/scene-requests/${req.id}`);
  assert.equal(v.status, 'completed', JSON.stringify(v));
  assert.equal(v.result.certificate_id, cert.id);
  opensslVerifies(v.result.certificate, Buffer.from(v.result.signed_attributes, 'base64'), Buffer.from(v.result.signature, 'base64'));
  const check = await world.rpCall('POST', '/api/v1/rp/verifications', { cms: v.result.cms, content: Buffer.from(message).toString('base64') });
  assert.equal(check.valid, true, JSON.stringify(check));
}

const activeDevices = async (keyId) =>
  (await world.api('GET', `/api/v1/shield/keys/${keyId}/devices`, token)).items.filter((d) => d.status === 'active').map((d) => d.device_id).sort();
const browserDevice = () =>
  page.evaluate(async () => {
    const db = await new Promise((res) => {
      const r = indexedDB.open('certseal');
      r.onsuccess = () => res(r.result);
    });
    return new Promise((res) => {
      const q = db.transaction('device').objectStore('device').get('self');
      q.onsuccess = () => res(q.result);
    });
  });
// The pairing code with one character changed: well-formed, but its tag no longer matches.
const wrongCode = (code) => code.replace(/[A-Z2-7]/, (c) => (c === 'A' ? 'B' : 'A'));

test('A: a key held by the C++ client; the browser joins it by pairing, then both sign', { timeout: 180_000 }, async () => {
  const order = await world.approvedPersonalOrder(token, PHONE, NAME);
  const installed = cli('cpp-a', ['--json', 'cert', 'install', order.id], [CPP_PW, CPP_PW]);
  assert.equal(installed.status, 0, installed.stderr);
  const cert = (await world.api('GET', '/api/v1/account/certificates', token)).items.find((c) => c.order_id === order.id);
  const full = (await world.api('GET', `/api/v1/account/certificates/${cert.id}`, token)).certificate;
  const cppDevice = (await activeDevices(cert.key_id))[0];

  // The browser starts pairing and shows the id and code.
  await page.goto(`${world.base}/app/certificates`);
  await page.locator('[data-test=pair-here]').click();
  await page.locator('[data-test=pairing-start]').click();
  const pairingId = (await page.locator('[data-test=pairing-id] .van-cell__label').innerText()).trim();
  const code = (await page.locator('[data-test=pairing-code] .van-cell__label').innerText()).trim();
  assert.match(code, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);

  // The C++ client refuses a code that does not match the key the server relayed, sending nothing.
  const refused = cli('cpp-a', ['device', 'add', pairingId, '--code', wrongCode(code), '--key', cert.key_id], [CPP_PW]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /pairing_code_mismatch|配对码/);
  assert.ok(!(await world.api('GET', `/api/v1/shield/pairings/${pairingId}`, token)).envelope, 'nothing was sent');

  // The right code: the C++ client checks it and sends its half; the browser sets its password.
  const added = cli('cpp-a', ['--json', 'device', 'add', pairingId, '--code', code, '--key', cert.key_id], [CPP_PW]);
  assert.equal(added.status, 0, added.stderr);
  await page.getByPlaceholder('6–32 位').fill(BROWSER_PW);
  await page.getByPlaceholder('请再次输入证书密码').fill(BROWSER_PW);
  await page.getByRole('button', { name: '设置证书密码并完成' }).click();
  await page.getByText('配对完成，证书已添加到本机').first().waitFor({ timeout: 60_000 });
  const me = await browserDevice();
  assert.equal(added.json().device_id, me.device_id);
  assert.deepEqual(await activeDevices(cert.key_id), [cppDevice, me.device_id].sort());

  // Both sign under the same certificate, each with its own password.
  cppSigns('cpp-a', cert.key_id, full, 'C++ 客户端在配对之后的签名', CPP_PW);
  await browserSigns({ ...cert, certificate_pem: full.certificate_pem }, '浏览器加入 C++ 客户端的密钥后签名', BROWSER_PW, 'interop-nonce-a1');
});

test('B: a key installed in the browser; the C++ client joins it by pairing, then both sign', { timeout: 180_000 }, async () => {
  const order = await world.approvedPersonalOrder(token, PHONE, NAME);
  await page.goto(`${world.base}/app/orders`);
  await page.getByRole('button', { name: '安装证书' }).click();
  await page.getByPlaceholder('6–32 位').fill(BROWSER_PW);
  await page.getByPlaceholder('请再次输入证书密码').fill(BROWSER_PW);
  await page.getByRole('button', { name: '安装', exact: true }).click();
  await page.getByText('证书已安装到本机').waitFor({ timeout: 60_000 });
  const cert = (await world.api('GET', '/api/v1/account/certificates', token)).items.find((c) => c.order_id === order.id);
  const full = (await world.api('GET', `/api/v1/account/certificates/${cert.id}`, token)).certificate;
  const me = await browserDevice();
  assert.deepEqual(await activeDevices(cert.key_id), [me.device_id]);

  // A new C++ device (its own data folder) starts pairing.
  const started = cli('cpp-b', ['--json', 'device', 'pair', '--no-wait']);
  assert.equal(started.status, 0, started.stderr);
  const { id: pairingId, code } = started.json();

  // The browser refuses a wrong code next to its field, before anything is sent.
  await page.goto(`${world.base}/app/certificates/${cert.id}/devices/new?pairing=${pairingId}`);
  await page.getByPlaceholder('如 ABCD-EFGH-…').fill(wrongCode(code));
  await page.getByPlaceholder('请输入证书密码').fill(BROWSER_PW);
  await page.getByRole('button', { name: '核对并发送' }).click();
  await page.locator('.van-field__error-message').first().waitFor();
  assert.ok(!(await world.api('GET', `/api/v1/shield/pairings/${pairingId}`, token)).envelope, 'nothing was sent');

  // The right code: the browser sends its half; the C++ client finishes with its own password.
  await page.getByPlaceholder('如 ABCD-EFGH-…').fill(code);
  await page.getByPlaceholder('请输入证书密码').fill(BROWSER_PW);
  await page.getByRole('button', { name: '核对并发送' }).click();
  await page.getByText(/已向 .* 发送密钥分量/).waitFor({ timeout: 60_000 });
  const finished = cli('cpp-b', ['--json', 'device', 'pair', '--finish', pairingId], [CPP_PW, CPP_PW]);
  assert.equal(finished.status, 0, finished.stderr);
  assert.equal(finished.json().key_id, cert.key_id);
  assert.equal((await activeDevices(cert.key_id)).length, 2);

  cppSigns('cpp-b', cert.key_id, full, 'C++ 客户端加入浏览器的密钥后签名', CPP_PW);
  await browserSigns({ ...cert, certificate_pem: full.certificate_pem }, '浏览器在 C++ 客户端加入之后签名', BROWSER_PW, 'interop-nonce-b1');
});
