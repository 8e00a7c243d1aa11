// Every text exists in both languages (app and shared error texts), and every key the screens use
// exists in the default language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const load = (p) => JSON.parse(readFileSync(join(here, p), 'utf8'));

function keys(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

test('zh-CN and en-US have the same keys', () => {
  assert.deepEqual(keys(load('en-US.json')).sort(), keys(load('zh-CN.json')).sort());
  assert.deepEqual(keys(load('../../../shared/i18n/errors.en-US.json')).sort(), keys(load('../../../shared/i18n/errors.zh-CN.json')).sort());
});

test('every literal t(...) key of the screens exists in zh-CN', () => {
  const zh = new Set([...keys(load('zh-CN.json')), ...keys(load('../../../shared/i18n/errors.zh-CN.json')).map((k) => `errors.${k}`)]);
  const files = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(vue|js)$/.test(n) && !n.endsWith('.test.js')) files.push(p);
    }
  };
  walk(join(here, '..'));
  const missing = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([a-z_0-9.]+)'/g)) {
      if (!zh.has(m[1])) missing.push(`${f.slice(here.length - 8)}: ${m[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});
