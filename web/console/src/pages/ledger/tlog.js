// The transparency log as a browser reads it (docs/LEDGER.md): a checkpoint note's text, an entry
// out of its C2SP tlog-tiles entry bundle, and an RFC 9162 §2.1.3.2 inclusion proof checked with
// Web Crypto's SHA-256 (leaf SHA-256(0x00 || entry), node SHA-256(0x01 || left || right)).
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// {origin, size, root (bytes), rootB64, signatures (the lines after the blank one)}.
export function parseCheckpoint(text) {
  const [body, sigs = ''] = String(text).split('\n\n');
  const [origin, size, rootB64] = body.split('\n');
  return { origin, size: Number(size), root: b64(rootB64), rootB64, signatures: sigs.split('\n').filter(Boolean) };
}

// A tile index as tlog-tiles writes it: 1234067 → "x001/x234/067".
export function tileIndex(n) {
  let s = String(n);
  s = s.padStart(Math.ceil(s.length / 3) * 3, '0');
  const parts = s.match(/.{3}/g);
  return parts.map((p, i) => (i < parts.length - 1 ? `x${p}` : p)).join('/');
}

// Entry `i` of a tree of `size` entries: its bytes, read from the (possibly partial) entry bundle.
export async function entryAt(i, size) {
  const n = Math.floor(i / 256);
  const width = Math.min(256, size - n * 256);
  const path = `/ledger/tile/entries/${tileIndex(n)}${width < 256 ? `.p/${width}` : ''}`;
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  const bundle = new Uint8Array(await res.arrayBuffer());
  let at = 0;
  for (let k = 0; at + 2 <= bundle.length; k++) {
    const len = (bundle[at] << 8) | bundle[at + 1];
    if (k === i % 256) return bundle.slice(at + 2, at + 2 + len);
    at += 2 + len;
  }
  throw new Error(`entry ${i} is not in ${path}`);
}

async function sha256(...parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

export const leafHash = (entry) => sha256(Uint8Array.of(0), entry);

// Whether `hashes` (base64, leaf to root) prove `leaf` at `index` in the tree of `size` with `root`.
export async function verifyInclusion(leaf, index, size, hashes, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const h of hashes) {
    const p = b64(h);
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.length === root.length && r.every((b, k) => b === root[k]);
}
