// The end-to-end tests' world: a real certseald (SQLite, development components on, the built
// app at /app/), its operator, a catalogue, the example relying party (examples/relying_party/rp.py)
// and Chromium driven by playwright-core with a phone's viewport and the Chinese locale.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import {
  Certseald, OPERATOR_PHONE, ROOT, freePort, idNumber, screenshotDir as screenshotFolder, sleep, uscc,
} from '../../shared/e2e/server.js';

export { OPERATOR_PHONE, ROOT, freePort, idNumber, uscc };
const DIST = join(ROOT, 'web/app/dist');
// Where the tests put their screenshots (web/shared/e2e/server.js).
export function screenshotDir(world) {
  return screenshotFolder(world.dir);
}

// The first start's choice (web/app/src/business.js), made before the app runs.
function chooseUnified() {
  if (!localStorage.getItem('certseal.business')) localStorage.setItem('certseal.business', 'unified');
}

// certseald (web/shared/e2e/server.js: the operator, API calls, SMS codes) with the built app at
// /app/, development components on, and Chromium.
export class World extends Certseald {
  // options.host: the host name the browser uses ('localhost' for WebAuthn, whose RP id cannot be
  // an IP address); then a fixed free port, so that `shield.webauthn_origin` can name it.
  async start(options = {}) {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('web/app is not built (npm run build)');
    const fixed = options.host ? await freePort() : 0;
    const sets = ['dev_mode=true', `web.app_dir=${DIST}`];
    if (options.host) {
      sets.push(`shield.webauthn_origin=http://${options.host}:${fixed}`, `scenes.public_url=http://${options.host}:${fixed}`);
    }
    await super.start({ prefix: 'certseal-e2e-', sets, port: fixed });
    this.data = join(this.dir, 'data');
    // What the browser opens (the API calls of the tests keep the address).
    this.appBase = `http://${options.host || '127.0.0.1'}:${new URL(this.base).port}`;
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
      headless: true,
    });
    return this;
  }

  async stop() {
    await this.browser?.close().catch(() => {});
    for (const b of this.extraBrowsers || []) await b.close().catch(() => {});
    if (this.rp) this.rp.kill();
    await super.stop();
  }

  // A phone: 390×844, touch, Simplified Chinese. The business of the first start (统一平台) is
  // chosen already unless `firstStart` (business.test.js clicks through the choice).
  async phone({ firstStart = false } = {}) {
    const ctx = await this.browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    if (!firstStart) await ctx.addInitScript(chooseUnified);
    return ctx;
  }

  // A registered, real-name verified person through the API (the UI of these steps is tested in
  // main-flow.test.js): the session token. `photo`: any PNG (the development verifier).
  async verifiedPerson(phone, name, id, photo) {
    await this.api('POST', '/api/v1/sms-codes', null, { phone, purpose: 'login' });
    const s = await this.api('POST', '/api/v1/sessions', null, { phone, code: this.smsCode(phone) });
    const token = s.token;
    await this.api('PUT', '/api/v1/account/password', token, { password: 'Str0ng!pw' });
    const upload = async (purpose) => {
      const r = await fetch(`${this.base}/api/v1/blobs?purpose=${purpose}`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'image/png' }, body: photo,
      });
      if (!r.ok) throw new Error(`upload ${purpose}: ${r.status} ${await r.text()}`);
      return (await r.json()).id;
    };
    const front = await upload('id_card_front');
    const back = await upload('id_card_back');
    const agreement = await this.api('GET', '/api/v1/agreements/person_verification');
    await this.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'verify_person' });
    const v = await this.api('POST', '/api/v1/person-verifications', token, {
      agreement_version: agreement.version, name, id_number: id, code: this.smsCode(phone), id_card_front: front, id_card_back: back,
    });
    if (v.status !== 'verified') throw new Error(`verification: ${JSON.stringify(v)}`);
    return token;
  }

  // A phone already logged in with `token` (the session in this tab's sessionStorage).
  async phoneWithSession(token, options = {}) {
    const ctx = await this.phone(options);
    await ctx.addInitScript((t) => {
      if (!sessionStorage.getItem('certseal.session')) sessionStorage.setItem('certseal.session', t);
    }, token);
    return ctx;
  }

  // A phone whose camera films `png` (a QR code) for ever: Chromium's fake capture device reads a
  // Y4M file, made here from the picture (640×480, the code in the middle on white, I420).
  async phoneWithCamera(png, token) {
    const scratch = await this.browser.newContext();
    const page = await scratch.newPage();
    const yuv = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const W = 640;
      const H = 480;
      const c = document.createElement('canvas');
      c.width = W;
      c.height = H;
      const g = c.getContext('2d');
      g.fillStyle = '#fff';
      g.fillRect(0, 0, W, H);
      g.imageSmoothingEnabled = false;
      const side = Math.floor(H * 0.8);
      g.drawImage(img, (W - side) / 2, (H - side) / 2, side, side);
      const px = g.getImageData(0, 0, W, H).data;
      const out = new Uint8Array(W * H * 1.5);
      for (let i = 0; i < W * H; i++) out[i] = Math.round(0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2]);
      out.fill(128, W * H);  // a black-and-white picture: no colour
      let s = '';
      for (let i = 0; i < out.length; i += 0x8000) s += String.fromCharCode(...out.subarray(i, i + 0x8000));
      return btoa(s);
    }, png.toString('base64'));
    await scratch.close();
    const file = join(this.dir, `camera-${Date.now()}.y4m`);
    writeFileSync(file, Buffer.concat([Buffer.from('YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\nFRAME\n'), Buffer.from(yuv, 'base64')]));
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${file}`],
      headless: true,
    });
    this.extraBrowsers = [...(this.extraBrowsers || []), browser];
    const ctx = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN',
      permissions: ['camera'],
    });
    await ctx.addInitScript(chooseUnified);
    await ctx.addInitScript((t) => {
      if (!sessionStorage.getItem('certseal.session')) sessionStorage.setItem('certseal.session', t);
    }, token);
    return ctx.newPage();
  }

  // A platform, a seal maker and a personal SM2 certificate with a personal square seal.
  async catalogue() {
    const op = this.operator;
    this.platform = (await this.api('POST', '/api/v1/operator/catalogue/platforms', op, { name: '示例交易平台' })).id;
    const maker = await this.api('POST', '/api/v1/operator/catalogue/seal-makers', op, { name: '示例制章单位' });
    await this.api('POST', `/api/v1/operator/seal-makers/${maker.id}/certificate`, op, { uscc: uscc('91110108MA01MKR09') });
    this.product = (
      await this.api('POST', '/api/v1/operator/catalogue/products', op, {
        kind: 'certificate', name: '个人证书 SM2 1年', cert_type: 'personal', algorithm: 'sm2', validity_years: 1,
        price_fen: 12000, ca_id: 'sm2o', seal_type: 'personal_square',
      })
    ).id;
  }

  // The example relying party's web page (rp.py serve), registered for scenes 06, 13, 14, 16 and 20.
  async relyingParty() {
    const port = await freePort();
    const app = await this.api('POST', '/api/v1/operator/rp-apps', this.operator, {
      name: '示例交易平台接入', platform_id: this.platform, callback_url: `http://127.0.0.1:${port}/callback`,
      scenes: ['06', '13', '14', '16', '20'],
    });
    this.rpApp = app;
    this.rpEnv = { ...process.env, CERTSEAL_SERVER: this.base, RP_APP_ID: app.id, RP_SECRET: app.secret };
    this.rpScript = join(ROOT, 'examples/relying_party/rp.py');
    this.rp = spawn('python3', [this.rpScript, 'serve', '--port', String(port)], { env: this.rpEnv, stdio: 'ignore' });
    this.rpUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(this.rpUrl + '/nothing');
        break;
      } catch {
        await sleep(100);
      }
    }
    return this.rpUrl;
  }

  // A personal certificate order with a template seal, bought through the API (the screens of
  // buying are tested in main-flow.test.js): authorised by SMS, paid on the sandbox page, approved
  // by the operator. Returns the order; it is installed by the test, in the browser.
  async approvedPersonalOrder(token, phone, name) {
    const order = await this.api('POST', '/api/v1/orders', token, { product_id: this.product, platform_id: this.platform });
    await this.api('POST', '/api/v1/seals', token, { order_id: order.id, kind: 'personal_square', design: { method: 'template', name } });
    await this.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise' });
    await this.api('POST', `/api/v1/orders/${order.id}/authorisation`, token, { code: this.smsCode(phone) });
    const pay = await this.api('POST', `/api/v1/orders/${order.id}/online-payments`, token, { gateway: 'sandbox' });
    const p = await (await this.phone()).newPage();
    await p.goto(pay.pay_url.startsWith('http') ? pay.pay_url : this.base + pay.pay_url);
    await p.getByRole('button', { name: 'Pay' }).click();
    await p.getByText('Payment done').waitFor();
    await p.context().close();
    // The gateway's signed notice reaches the order on its own schedule: wait for the review.
    for (let i = 0; i < 100 && (await this.api('GET', `/api/v1/orders/${order.id}`, token)).status === 'awaiting_payment'; i++) await sleep(100);
    await this.api('POST', `/api/v1/operator/orders/${order.id}/approval`, this.operator);
    return order;
  }

  // The operator approves every seal waiting for review (the console's seal queue, by API): a
  // seal is usable only once approved (docs/SEALS.md).
  async approveSeals() {
    const queue = await this.api('GET', '/api/v1/operator/seals', this.operator);
    for (const s of queue.items) await this.api('POST', `/api/v1/operator/seals/${s.id}/approval`, this.operator);
    return queue.items.length;
  }

  // A relying-party request signed as docs/INTEGRATION.md says (CS1-HMAC-SHA256), as rp.py does.
  // `body`: an object (sent as JSON) or a Buffer (sent as `contentType`, e.g. a PDF); a Buffer
  // answer (`raw`) for downloads.
  async rpCall(method, target, body, { contentType = 'application/json', raw = false } = {}) {
    const data = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(12).toString('hex');
    const toSign = ['CS1-HMAC-SHA256', method, target, ts, nonce, createHash('sha256').update(data).digest('hex')].join('\n');
    const sig = createHmac('sha256', this.rpApp.secret).update(toSign).digest('hex');
    const headers = { Authorization: `CS1-HMAC-SHA256 app_id=${this.rpApp.id}, timestamp=${ts}, nonce=${nonce}, signature=${sig}` };
    if (data.length) headers['Content-Type'] = contentType;
    const r = await fetch(this.base + target, { method, headers, body: data.length ? data : undefined });
    if (raw && r.ok) return Buffer.from(await r.arrayBuffer());
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${target}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  }

  rpWait(requestId) {
    return JSON.parse(
      execFileSync('python3', [this.rpScript, 'wait', requestId, '--timeout', '60'], { env: this.rpEnv, encoding: 'utf8' }),
    );
  }
}
