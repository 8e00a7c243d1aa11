// What the browser end-to-end tests of web/app and web/console share: a real certseald started
// on a fresh SQLite data folder (its operator made first with `certseald admin create-operator`),
// API calls, SMS codes read on the server machine, the C++ client `certseal` run on a data folder
// of its own, and the check-digit helpers for test identities. Node built-ins only: web/shared has
// no node_modules, so Playwright stays in each app's harness.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');
export const CERTSEALD = process.env.CERTSEALD_BIN || join(ROOT, 'build/debug/certseald');
// The C++ client, in the same build folder as certseald.
export const CERTSEAL = process.env.CERTSEAL_BIN || join(CERTSEALD, '..', 'client', 'certseal');
export const OPERATOR_PHONE = '13800000001';
export const OPERATOR_PASSWORD = 'Op3rator!pw';
// Fast password hashing and no SMS wait, as the C++ integration tests (tests/support/api_fixture.h).
export const FAST = ['--set', 'security.argon2_ops=1', '--set', 'security.argon2_mem_kib=8', '--set', 'sms.resend_s=0',
  '--set', 'sms.address_hourly_limit=10000', '--set', 'ca.sm2o.algorithm=sm2', '--set', 'ca.sm2o.sm2_id='];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Where the tests put their screenshots: docs/screenshots/ when CERTSEAL_UPDATE_SCREENSHOTS=1
// (to refresh the committed pictures after screens changed), else a temporary folder, so that a
// test run leaves the checkout as it was.
export function screenshotDir(dir) {
  return process.env.CERTSEAL_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/screenshots') : join(dir, 'screenshots');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// A unified social credit code (GB 32100) with its check character, from 17 characters.
export function uscc(prefix) {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += chars.indexOf(prefix[i]) * w[i];
  return prefix + chars[(31 - (sum % 31)) % 31];
}

// A resident ID number (GB 11643) with its check character (ISO 7064 MOD 11-2), from 17 digits.
export function idNumber(prefix) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(prefix[i]) * w[i];
  return prefix + '10X98765432'[sum % 11];
}

// A running certseald: start({prefix, sets, port}) makes a temporary folder, the operator account
// and the server (listening on `port`, default a free one the server picks; `sets` are extra
// `--set key=value` pairs); stop() ends it and removes the folder.
export class Certseald {
  async start({ prefix = 'certseal-e2e-', sets = [], port: listenPort = 0 } = {}) {
    if (!existsSync(CERTSEALD)) throw new Error(`no certseald at ${CERTSEALD} (build it, or set CERTSEALD_BIN)`);
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.db = ['--data-dir', join(this.dir, 'data'), '--db-engine', 'sqlite'];
    execFileSync(CERTSEALD, ['admin', 'create-operator', '--phone', OPERATOR_PHONE, '--password', OPERATOR_PASSWORD,
      ...this.db, ...FAST], { stdio: 'pipe' });
    const portFile = join(this.dir, 'port');
    const extra = sets.flatMap((s) => ['--set', s]);
    this.server = spawn(CERTSEALD, ['serve', ...this.db, '--listen', `127.0.0.1:${listenPort}`, '--port-file', portFile, ...extra, ...FAST],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    this.serverLog = '';
    this.server.stderr.on('data', (d) => (this.serverLog += d));
    for (let i = 0; i < 600 && !existsSync(portFile); i++) await sleep(100);
    const port = existsSync(portFile) ? readFileSync(portFile, 'utf8').trim() : '';
    if (!port) throw new Error(`certseald did not start:\n${this.serverLog}`);
    this.base = `http://127.0.0.1:${port}`;
    this.operator = await this.login(OPERATOR_PHONE, OPERATOR_PASSWORD);
    return this;
  }

  async stop() {
    if (this.server) {
      this.server.kill('SIGTERM');
      await new Promise((r) => (this.server.exitCode !== null ? r() : this.server.on('exit', r)));
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  // The HTTP answer of one API call: {status, json} (the text when the body is not JSON).
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

  // The answer of one API call that must succeed (throws with the problem otherwise).
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

  // Runs `certseal` on a data folder of its own (made on first use per `name`) logged in with
  // `token`; `answers` go to --password-fd 3, one per line: {status, stdout, stderr}.
  // options.files: {relative path: JSON value} written into the folder first (0600), e.g. the
  // browser's device record and key record as `device.json` and `keys/<id>.json`, so that the
  // C++ client works with what another implementation stored.
  certseal(name, token, args, answers = [], { files = {} } = {}) {
    const d = join(this.dir, `cli-${name}`);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    for (const sub of ['keys', 'pairings']) mkdirSync(join(d, sub), { recursive: true, mode: 0o700 });
    for (const [rel, value] of Object.entries(files)) {
      writeFileSync(join(d, rel), typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o600 });
    }
    writeFileSync(join(d, 'session.json'), JSON.stringify({ server: this.base, token, phone: '', expires_at: '' }), { mode: 0o600 });
    const answersFile = join(d, '.answers');
    writeFileSync(answersFile, answers.map((a) => `${a}\n`).join(''), { mode: 0o600 });
    const fd = openSync(answersFile, 'r');
    try {
      return spawnSync(CERTSEAL, ['--server', this.base, '--data-dir', d, '--password-fd', '3', ...args], {
        stdio: ['ignore', 'pipe', 'pipe', fd],
        encoding: 'utf8',
        env: { ...process.env, LANG: 'C.UTF-8' },
      });
    } finally {
      closeSync(fd);
      rmSync(answersFile);
    }
  }
}
