// The console's end-to-end world: a real certseald (SQLite, development components on, manual
// identity review so verifications wait for an operator, the built console at /console/), its
// operator, a product, and Chromium driven by playwright-core with a desktop window (1440×900) in
// Simplified Chinese. The mobile app's harness (web/app/e2e/harness.js) is the model.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Certseald, ROOT, screenshotDir as shotsUnder, sleep, uscc } from '../../shared/e2e/server.js';

export { idNumber, OPERATOR_PASSWORD, OPERATOR_PHONE, uscc } from '../../shared/e2e/server.js';

const DIST = join(ROOT, 'web/console/dist');
export const CERT_PASSWORD = 'Cert!pw88';

export function screenshotDir(world) {
  return shotsUnder(world.dir);
}

export class World extends Certseald {
  async start() {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('web/console is not built (npm run build)');
    await super.start({
      prefix: 'certseal-console-e2e-',
      sets: ['dev_mode=true', 'identity.verifier=manual', `web.console_dir=${DIST}`, 'ca.intl.algorithm=ec-p256'],
    });
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
      headless: true,
    });
    return this;
  }

  async stop() {
    await this.browser?.close().catch(() => {});
    await super.stop();
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

  // A registered person whose real-name verification waits for an operator (identity.verifier =
  // manual): {token, verification}. `photo`: any PNG.
  // face: also a live face photo (purpose face_image), as the app's liveness step sends it.
  async pendingPerson(phone, name, id, photo, { face = false } = {}) {
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
    const faceImage = face ? { face_image: await upload('face_image') } : {};
    const agreement = await this.api('GET', '/api/v1/agreements/person_verification');
    await this.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'verify_person' });
    const v = await this.api('POST', '/api/v1/person-verifications', token, {
      agreement_version: agreement.version, name, id_number: id, code: this.smsCode(phone), id_card_front: front, id_card_back: back, ...faceImage,
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
  // by the amount the platform sent), submitted for the operator's review: its id. With `letter`
  // (a picture of the signed and stamped 授权委托书) the creator is not the legal representative
  // `legalRep` ({name, id_number, phone}).
  async submittedOrganisation(token, name, code, photo, { letter = null, legalRep = null } = {}) {
    const org = (await this.api('POST', '/api/v1/organisations', token, { name, credit_code: code, creator_is_legal_rep: !letter, agreement_version: 1 })).id;
    if (letter) {
      const l = await fetch(`${this.base}/api/v1/blobs?purpose=authorisation_letter`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'image/png' }, body: letter,
      });
      if (!l.ok) throw new Error(`upload letter: ${l.status} ${await l.text()}`);
      await this.api('PATCH', `/api/v1/organisations/${org}`, token, { legal_representative: legalRep, letter_blob_id: (await l.json()).id });
    }
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
  // signature: a PNG of a handwritten signature that signs the order's application form online
  // first (optional for personal orders).
  async authorisedOrder(token, phone, { signature = null } = {}) {
    const o = await this.api('POST', '/api/v1/orders', token, { product_id: this.product, platform_id: this.platform });
    if (signature) {
      const r = await fetch(`${this.base}/api/v1/blobs?purpose=handwritten_signature`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'image/png' }, body: signature,
      });
      if (!r.ok) throw new Error(`upload signature: ${r.status} ${await r.text()}`);
      await this.api('POST', `/api/v1/orders/${o.id}/application-form/online-signature`, token, { blob_id: (await r.json()).id });
    }
    await this.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise' });
    await this.api('POST', `/api/v1/orders/${o.id}/authorisation`, token, { code: this.smsCode(phone) });
    return o.id;
  }

  // A paid order with a seal made while buying, approved by the operator through the API and its
  // certificate installed by the C++ client on a device of its own (`certseal cert install`):
  // the seal now waits for review with its certificate bound. {order, seal, certificate, cli (the
  // client's data folder name for world.certseal, holding the key; password CERT_PASSWORD)}.
  async sealWithInstalledCertificate(token, phone, name) {
    const order = (await this.api('POST', '/api/v1/orders', token, { product_id: this.product, platform_id: this.platform })).id;
    const seal = (await this.api('POST', '/api/v1/seals', token, { order_id: order, kind: 'personal_square', design: { method: 'template', name } })).id;
    await this.api('POST', '/api/v1/account/sms-codes', token, { purpose: 'authorise' });
    await this.api('POST', `/api/v1/orders/${order}/authorisation`, token, { code: this.smsCode(phone) });
    await this.paidBySandbox(token, order);
    await this.api('POST', `/api/v1/operator/orders/${order}/approval`, this.operator, {});
    const cli = `install-${order}`;
    const r = this.certseal(cli, token, ['--json', 'cert', 'install', order], [CERT_PASSWORD, CERT_PASSWORD]);
    if (r.status !== 0) throw new Error(`certseal cert install: ${r.status}\n${r.stdout}\n${r.stderr}`);
    const certificate = (await this.api('GET', `/api/v1/seals/${seal}`, token)).certificate_id;
    return { order, seal, certificate, cli };
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
