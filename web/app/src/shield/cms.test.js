// The DER the browser builds for scenes and reads from envelopes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { concat, fromHex, hex, utf8 } from './bytes.js';
import { canonicalJson, envelopeEncryptedKey, oid, setOf, tlv, x509Time } from './cms.js';

const interop = new URL('../../../../tests/interop/sm2.js', import.meta.url).pathname;

test('canonical JSON sorts keys and keeps UTF-8 as nlohmann::json dump() does', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: null, c: '张三' }, e: ['x', 2] }), '{"a":{"c":"张三","d":null},"b":1,"e":["x",2]}');
  assert.equal(canonicalJson({ s: 'a"b\\c\n\u0001' }), '{"s":"a\\"b\\\\c\\n\\u0001"}');
});

test('DER SET OF is sorted, times switch to GeneralizedTime from 2050', () => {
  assert.equal(hex(setOf([new Uint8Array([2, 1, 5]), new Uint8Array([2, 1, 3])])), '3106020103020105');
  assert.equal(hex(oid('1.2.156.10197.1.501')), '06082a811ccf55018375');
  assert.equal(new TextDecoder().decode(x509Time(Date.UTC(2026, 10, 30, 2, 3, 4) / 1000).subarray(2)), '261130020304Z');
  assert.equal(x509Time(Date.UTC(2050, 0, 1) / 1000)[0], 0x18);
});

// An EnvelopedData with one KeyTransRecipientInfo whose key sm-crypto encrypted (C1C3C2).
function envelope(pubHex, key, recipients = 1) {
  const raw = fromHex('04' + execFileSync('node', [interop, 'encrypt', pubHex, hex(key), '1'], { encoding: 'utf8' }).trim());
  const int = (b) => tlv(0x02, b[0] & 0x80 ? concat(new Uint8Array([0]), b) : b);
  const sm2cipher = tlv(0x30, concat(int(raw.subarray(1, 33)), int(raw.subarray(33, 65)), tlv(0x04, raw.subarray(65, 97)),
    tlv(0x04, raw.subarray(97))));
  const ktri = tlv(0x30, concat(tlv(0x02, new Uint8Array([0])), tlv(0x30, new Uint8Array()), tlv(0x30, oid('1.2.156.10197.1.301.3')),
    tlv(0x04, sm2cipher)));
  const env = tlv(0x30, concat(tlv(0x02, new Uint8Array([0])), tlv(0x31, concat(...Array(recipients).fill(ktri))), tlv(0x30, oid('1.2.840.113549.1.7.1'))));
  return { der: tlv(0x30, concat(oid('1.2.840.113549.1.7.3'), tlv(0xa0, env))), raw };
}

test('the encrypted key of an envelope comes out as the C1C3C2 the two-party decryption takes', () => {
  const [, pub] = execFileSync('node', [interop, 'keygen'], { encoding: 'utf8' }).trim().split(' ');
  const { der, raw } = envelope(pub, utf8('0123456789abcdef'));
  assert.equal(hex(envelopeEncryptedKey(der)), hex(raw));
});

// A relying party (or anyone in between) sends a broken envelope: refused, never a crash or a
// half-read key.
test('every truncation and a second recipient are refused as invalid_envelope', () => {
  const [, pub] = execFileSync('node', [interop, 'keygen'], { encoding: 'utf8' }).trim().split(' ');
  const { der } = envelope(pub, utf8('0123456789abcdef'));
  for (let n = 0; n < der.length; n++) {
    assert.throws(() => envelopeEncryptedKey(der.subarray(0, n)), { code: 'invalid_envelope' }, `length ${n}`);
  }
  assert.throws(() => envelopeEncryptedKey(utf8('not DER at all')), { code: 'invalid_envelope' });
  assert.throws(() => envelopeEncryptedKey(envelope(pub, utf8('0123456789abcdef'), 2).der), { code: 'invalid_envelope' });
});
