// The console's end-to-end world: a real certseald (SQLite, development components on, manual
// identity review so verifications wait for an operator, the built console at /console/), its
// operator, a product, and Chromium driven by playwright-core with a desktop window (1440×900) in
// Simplified Chinese. The mobile app's harness (web/app/e2e/harness.js) is the model.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');
const CERTSEALD = process.env.CERTSEALD_BIN || join(ROOT, 'build/debug/certseald');
const DIST = join(ROOT, 'web/console/dist');
export const OPERATOR_PHONE = '13800000001';
export const OPERATOR_PASSWORD = 'Op3rator!pw';
const FAST = ['--set', 'security.argon2_ops=1', '--set', 'security.argon2_mem_kib=8', '--set', 'sms.resend_s=0',
  '--set', 'sms.address_hourly_limit=10000', '--set', 'ca.sm2o.algorithm=sm2', '--set', 'ca.sm2o.sm2_id=', '--set', 'ca.intl.algorithm=ec-p256'];

export function screenshotDir(world) {
  return process.env.CERTSEAL_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/screenshots') : join(world.dir, 'screenshots');
}

// A unified social credit code (GB 32100) with its check character, from 17 characters.
export function uscc(prefix) {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += chars.indexOf(prefix[i]) * w[i];
  return prefix + chars[(31 - (sum % 31)) % 31];
}

// A resident ID number (GB 11643) with its check character, from 17 digits.
export function idNumber(prefix) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(prefix[i]) * w[i];
  return prefix + '10X98765432'[sum % 11];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class World {
  async start() {
    if (!existsSync(CERTSEALD)) throw new Error(`no certseald at ${CERTSEALD} (build it, or set CERTSEALD_BIN)`);
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('web/console is not built (npm run build)');
    this.dir = mkdtempSync(join(tmpdir(), 'certseal-console-e2e-'));
    this.db = ['--data-dir', join(this.dir, 'data'), '--db-engine', 'sqlite'];
    execFileSync(CERTSEALD, ['admin', 'create-operator', '--phone', OPERATOR_PHONE, '--password', OPERATOR_PASSWORD,
      ...this.db, ...FAST], { stdio: 'pipe' });
    const portFile = join(this.dir, 'port');
    this.server = spawn(CERTSEALD, ['serve', ...this.db, '--listen', '127.0.0.1:0', '--port-file', portFile,
      '--set', 'dev_mode=true', '--set', 'identity.verifier=manual', '--set', `web.console_dir=${DIST}`, ...FAST],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    this.serverLog = '';
    this.server.stderr.on('data', (d) => (this.serverLog += d));
    for (let i = 0; i < 600 && !existsSync(portFile); i++) await sleep(100);
    const port = existsSync(portFile) ? readFileSync(portFile, 'utf8').trim() : '';
    if (!port) throw new Error(`certseald did not start:\n${this.serverLog}`);
    this.base = `http://127.0.0.1:${port}`;
    this.operator = await this.login(OPERATOR_PHONE, OPERATOR_PASSWORD);
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
      headless: true,
    });
    return this;
  }

  async stop() {
    await this.browser?.close().catch(() => {});
    if (this.server) {
      this.server.kill('SIGTERM');
      await new Promise((r) => (this.server.exitCode !== null ? r() : this.server.on('exit', r)));
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  // A desktop browser window, Simplified Chinese; `token`: already logged in (this tab's session).
  async desktop(token) {
    const ctx = await this.browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    if (token) {
      await ctx.addInitScript((t) => {
        if (!sessionStorage.getItem('certseal.session')) sessionStorage.setItem('certseal.session', t);
      }, token);
    }
    return ctx;
  }

  // The HTTP answer of one API call: {status, json}.
  async call(method, path, token, body) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: r.status, json };
  }

  async api(method, path, token, body) {
    const r = await this.call(method, path, token, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  // The newest SMS code sent to `phone`, read on the server machine (certseald admin sms-outbox).
  smsCode(phone) {
    const out = execFileSync(CERTSEALD, ['admin', 'sms-outbox', '--phone', phone, '--limit', '1', ...this.db], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = /验证码([0-9]{6})/.exec(out);
    if (!m) throw new Error(`no code for ${phone}: ${out}`);
    return m[1];
  }

  async login(phone, password) {
    await this.api('POST', '/api/v1/sms-codes', null, { phone, purpose: 'login' });
    const r = await this.api('POST', '/api/v1/sessions', null, { phone, code: this.smsCode(phone), password });
    return r.token;
  }

  // A registered person whose real-name verification waits for an operator (identity.verifier =
  // manual): {token, verification}. `photo`: any PNG.
  async pendingPerson(phone, name, id, photo) {
    await this.api('POST', '/api/v1/sms-codes', null, { phone, purpose: 'login' });
    const token = (await this.api('POST', '/api/v1/sessions', null, { phone, code: this.smsCode(phone) })).token;
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
    if (v.status !== 'pending') throw new Error(`verification: ${JSON.stringify(v)}`);
    return { token, verification: v.id };
  }

  // A buyer verified by the operator through the API (the console's own approval is what the test
  // exercises on another person).
  async verifiedBuyer(phone, name, id, photo) {
    const p = await this.pendingPerson(phone, name, id, photo);
    await this.api('POST', `/api/v1/operator/person-verifications/${p.verification}/approval`, this.operator, {});
    return p.token;
  }

  // An organisation created by a verified person (its licence a picture, its bank account checked
  // by the amount the platform sent), submitted for the operator's review: its id.
  async submittedOrganisation(token, name, code, photo) {
    const org = (await this.api('POST', '/api/v1/organisations', token, { name, credit_code: code, creator_is_legal_rep: true, agreement_version: 1 })).id;
    const r = await fetch(`${this.base}/api/v1/blobs?purpose=licence`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'image/png' }, body: photo,
    });
    if (!r.ok) throw new Error(`upload licence: ${r.status} ${await r.text()}`);
    await this.api('PUT', `/api/v1/organisations/${org}/licence`, token, { blob_id: (await r.json()).id });
    await this.api('PATCH', `/api/v1/organisations/${org}`, token, { bank: { bank_name: '中国工商银行北京分行', account: '0200001234567890123', account_name: name } });
    await this.api('POST', `/api/v1/organisations/${org}/bank-transfers`, token);
    const sent = await this.api('GET', `/api/v1/operator/organisations/${org}/bank-transfers`, this.operator);
    await this.api('POST', `/api/v1/organisations/${org}/bank-verification`, token, { amount_fen: sent.items[0].amount_fen });
    await this.api('POST', `/api/v1/organisations/${org}/submission`, token);
    return org;
  }

  // A platform, a seal maker and a personal SM2 certificate product with a personal square seal.
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

  // An order authorised by SMS, awaiting payment: its id.
  async authorisedOrder(token, phone) {
    const o = await this.api('POST', '/api/v1/orders', token, { product_id: this.product, platform_id: this.platform });
    await this.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise' });
    await this.api('POST', `/api/v1/orders/${o.id}/authorisation`, token, { code: this.smsCode(phone) });
    return o.id;
  }

  async orderStatus(token, id) {
    return (await this.api('GET', `/api/v1/orders/${id}`, token)).status;
  }

  // Paid through the sandbox gateway (development only): waits until the order is in review.
  async paidBySandbox(token, id) {
    const r = await this.api('POST', `/api/v1/orders/${id}/online-payments`, token, { gateway: 'sandbox' });
    const path = r.pay_url.slice(r.pay_url.indexOf('/sandbox-pay/'));
    const paid = await fetch(this.base + path, { method: 'POST' });
    if (paid.status !== 202) throw new Error(`sandbox pay: ${paid.status}`);
    for (let i = 0; i < 100 && (await this.orderStatus(token, id)) !== 'in_review'; i++) await sleep(100);
  }
}
