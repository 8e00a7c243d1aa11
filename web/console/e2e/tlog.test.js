// The ledger page's own check of an inclusion proof (src/pages/ledger/tlog.js), without a browser:
// proofs of every leaf of trees of 1 to 9 leaves, made here by RFC 9162 §2.1.3.1 PATH, hold; a
// server that lies (a changed hash, another index, a proof for a bigger tree, a missing hash)
// is caught. Also the tile paths of tlog-tiles and the checkpoint's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { leafHash, parseCheckpoint, tileIndex, verifyInclusion } from '../src/pages/ledger/tlog.js';

const h = (...parts) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest());
const node = (l, r) => h([1], l, r);
const split = (n) => 2 ** Math.floor(Math.log2(n - 1)); // the largest power of two below n
function root(leaves) {
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return node(root(leaves.slice(0, k)), root(leaves.slice(k)));
}
function path(m, leaves) {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), root(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), root(leaves.slice(0, k))];
}
const b64 = (x) => Buffer.from(x).toString('base64');

test('inclusion proofs hold, and lies are caught', async () => {
  for (let n = 1; n <= 9; n++) {
    const entries = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`entry ${i}`));
    const leaves = await Promise.all(entries.map(leafHash));
    assert.deepEqual(leaves[0], h([0], entries[0]));
    const r = root(leaves);
    for (let i = 0; i < n; i++) {
      const proof = path(i, leaves).map(b64);
      assert.equal(await verifyInclusion(leaves[i], i, n, proof, r), true, `${i} of ${n}`);
      if (n > 1) {
        const bent = [...proof];
        const first = Buffer.from(bent[0], 'base64');
        first[0] ^= 1;
        bent[0] = b64(first);
        assert.equal(await verifyInclusion(leaves[i], i, n, bent, r), false, `changed hash, ${i} of ${n}`);
        assert.equal(await verifyInclusion(leaves[i], (i + 1) % n, n, proof, r), false, `other index, ${i} of ${n}`);
        assert.equal(await verifyInclusion(leaves[i], i, n, proof.slice(1), r), false, `short proof, ${i} of ${n}`);
      }
      assert.equal(await verifyInclusion(leaves[i], i, n, [...proof, b64(leaves[0])], r), false, `long proof, ${i} of ${n}`);
      assert.equal(await verifyInclusion(h([0], 'forged'), i, n, proof, r), false, `forged entry, ${i} of ${n}`);
    }
    assert.equal(await verifyInclusion(leaves[0], n, n, [], r), false, 'index beyond the tree');
  }
});

test('tile paths and checkpoints', () => {
  assert.equal(tileIndex(0), '000');
  assert.equal(tileIndex(999), '999');
  assert.equal(tileIndex(1000), 'x001/000');
  assert.equal(tileIndex(1234067), 'x001/x234/067');
  const c = parseCheckpoint('example.org/ledger\n12\nAAECAw==\n\n— example.org/ledger abc\n— example.org/ledger def\n');
  assert.equal(c.origin, 'example.org/ledger');
  assert.equal(c.size, 12);
  assert.deepEqual([...c.root], [0, 1, 2, 3]);
  assert.equal(c.signatures.length, 2);
});
