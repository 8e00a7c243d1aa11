// What a QR scene signs (docs/INTEGRATION.md): the CMS signed attributes over the content, and
// for scene 06 the login assertion as content — byte for byte what the server re-builds
// (src/pki/cms_signed.cpp signed_attributes, src/pki/login_assertion.cpp) before it accepts the
// two-party signature. A minimal DER writer and reader, enough for these and for reading a
// certificate's serial number.
import { ShieldError, concat, hex, utf8 } from './bytes.js';
import { sm3 } from './sm3.js';

const SEQ = 0x30;
const SET = 0x31;
const OID = 0x06;
const OCTETS = 0x04;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

export function tlv(tag, content) {
  const n = content.length;
  let len;
  if (n < 0x80) len = [n];
  else {
    const bytes = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return concat(new Uint8Array([tag, ...len]), content);
}

export function oid(dotted) {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const groups = [];
    let v = p;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i] |= 0x80;
    out.push(...groups);
  }
  return tlv(OID, new Uint8Array(out));
}

// DER SET OF: elements sorted as octet strings, the shorter padded with zeros (X.690 §11.6).
export function setOf(parts) {
  const sorted = [...parts].sort((a, b) => {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a[i] ?? 0;
      const y = b[i] ?? 0;
      if (x !== y) return x - y;
    }
    return 0;
  });
  return tlv(SET, concat(...sorted));
}

// RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, Z.
export function x509Time(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 2050 || y < 1950) return tlv(GENERALIZED_TIME, utf8(`${p(y, 4)}${rest}`));
  return tlv(UTC_TIME, utf8(`${p(y % 100)}${rest}`));
}

export const FORMS = Object.freeze({
  rfc5652: { data: '1.2.840.113549.1.7.1' },
  gmt0010: { data: '1.2.156.10197.6.1.4.2.1' },
});

// SET OF { contentType, signingTime, messageDigest = SM3(content) } (RFC 5652 §5.3, 11).
export async function signedAttributes(form, content, signingTime) {
  const f = FORMS[form || 'rfc5652'];
  if (!f) throw new ShieldError('unknown_cms_form', 'the CMS form is rfc5652 or gmt0010');
  const attribute = (type, value) => tlv(SEQ, concat(oid(type), setOf([value])));
  return setOf([
    attribute('1.2.840.113549.1.9.3', oid(f.data)),
    attribute('1.2.840.113549.1.9.5', x509Time(signingTime)),
    attribute('1.2.840.113549.1.9.4', tlv(OCTETS, await sm3(content))),
  ]);
}

// Reads one TLV at `off`: {tag, start (of content), end}.
function readTlv(b, off) {
  if (off + 2 > b.length) throw new ShieldError('bad_certificate', 'truncated DER');
  const tag = b[off];
  let len = b[off + 1];
  let start = off + 2;
  if (len & 0x80) {
    const k = len & 0x7f;
    if (k === 0 || k > 4 || start + k > b.length) throw new ShieldError('bad_certificate', 'bad DER length');
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + b[start + i];
    start += k;
  }
  if (start + len > b.length) throw new ShieldError('bad_certificate', 'truncated DER');
  return { tag, start, end: start + len };
}

// The serial number's magnitude as lowercase hex (as the server's hex_encode of it).
export function certificateSerial(der) {
  const cert = readTlv(der, 0);
  const tbs = readTlv(der, cert.start);
  let f = readTlv(der, tbs.start);
  if (f.tag === 0xa0) f = readTlv(der, f.end);  // [0] version
  if (f.tag !== 0x02) throw new ShieldError('bad_certificate', 'no serial number');
  let s = der.subarray(f.start, f.end);
  while (s.length > 1 && s[0] === 0) s = s.subarray(1);
  return hex(s);
}

export function pemToDer(pem) {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem || '');
  if (!m) throw new ShieldError('bad_certificate', 'no certificate PEM');
  const bin = atob(m[1].replace(/\s+/g, ''));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// JSON with sorted keys and no white space, as nlohmann::json::dump() writes an object.
export function canonicalJson(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
}

const rfc3339 = (s) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

// The scene 06 login assertion (src/pki/login_assertion.h): valid 300 s from issued_at.
export function loginAssertion({ requestId, appId, platformId, nonce, certificateId, orgId, serial, issuer, subject, issuedAt }) {
  return utf8(
    canonicalJson({
      type: 'certseal-login-assertion/1',
      request_id: requestId,
      app_id: appId,
      platform_id: platformId,
      nonce,
      certificate_id: certificateId,
      certificate_serial: serial,
      issuer,
      subject,
      org_id: orgId || null,
      issued_at: rfc3339(issuedAt),
      expires_at: rfc3339(issuedAt + 300),
    }),
  );
}

// The children of a constructed TLV's content: [{tag, start, end}].
function children(b, parent) {
  const out = [];
  for (let off = parent.start; off < parent.end; ) {
    const c = readTlv(b, off);
    if (c.end > parent.end) throw new ShieldError('invalid_envelope', 'malformed DER');
    out.push(c);
    off = c.end;
  }
  return out;
}

// Scene 14: the SM2-encrypted content key of a CMS EnvelopedData (RFC 5652 §6, either form) with
// one KeyTransRecipientInfo, as raw C1 ‖ C3 ‖ C2 for the two-party decryption. The key is the
// GM/T 0009 SM2Cipher SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, cipher OCTET STRING }.
export function envelopeEncryptedKey(der) {
  const bad = (why) => new ShieldError('invalid_envelope', `not an SM2 EnvelopedData: ${why}`);
  try {
    const ci = readTlv(der, 0);
    const [type, explicit] = children(der, ci);
    if (type?.tag !== OID || explicit?.tag !== 0xa0) throw bad('ContentInfo');
    const [env] = children(der, explicit);
    if (env?.tag !== SEQ) throw bad('EnvelopedData');
    let fields = children(der, env);
    if (fields[0]?.tag !== 0x02) throw bad('version');
    fields = fields.slice(1);
    if (fields[0]?.tag === 0xa0) fields = fields.slice(1);  // originatorInfo
    if (fields[0]?.tag !== SET) throw bad('recipientInfos');
    const recipients = children(der, fields[0]);
    if (recipients.length !== 1 || recipients[0].tag !== SEQ) throw bad('one recipient');
    const ktri = children(der, recipients[0]);
    const ek = ktri[3];
    if (ktri.length !== 4 || ek.tag !== OCTETS) throw bad('KeyTransRecipientInfo');
    const cipher = readTlv(der, ek.start);
    const [x, y, c3, c2] = children(der, cipher);
    if (cipher.tag !== SEQ || x?.tag !== 0x02 || y?.tag !== 0x02 || c3?.tag !== OCTETS || c2?.tag !== OCTETS) {
      throw bad('SM2Cipher');
    }
    const coord = (t) => {
      let v = der.subarray(t.start, t.end);
      while (v.length > 32 && v[0] === 0) v = v.subarray(1);
      if (v.length > 32) throw bad('coordinate');
      const out = new Uint8Array(32);
      out.set(v, 32 - v.length);
      return out;
    };
    if (c3.end - c3.start !== 32) throw bad('C3');
    return concat(new Uint8Array([0x04]), coord(x), coord(y), der.subarray(c3.start, c3.end), der.subarray(c2.start, c2.end));
  } catch (e) {
    if (e instanceof ShieldError && e.code === 'invalid_envelope') throw e;
    throw bad('malformed DER');
  }
}
