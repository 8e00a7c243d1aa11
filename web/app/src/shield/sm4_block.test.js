// The SM4 block cipher (sm4_block.js) against what shares no code with it: the two examples of
// GB/T 32907 Appendix A (one encryption, and 1,000,000 encryptions in a row) and the openssl CLI
// (-sm4-ecb) on random keys and blocks; and the computed S-box's first row as the standard prints it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fromHex, hex, randomBytes } from './bytes.js';
import { SM4_SBOX, sm4EncryptBlock, sm4RoundKeys } from './sm4_block.js';

test('the standard examples: one block, and a million encryptions in a row', () => {
  const k = fromHex('0123456789abcdeffedcba9876543210');
  const rk = sm4RoundKeys(k);
  assert.equal(hex(sm4EncryptBlock(rk, k)), '681edf34d206965e86b3e94f536e4246');
  let b = k;
  for (let i = 0; i < 1000000; i++) b = sm4EncryptBlock(rk, b);
  assert.equal(hex(b), '595298c7c6fd271f0402f804c33d3f66');
});

test('the computed S-box starts as the standard table does', () => {
  assert.equal(hex(SM4_SBOX.slice(0, 16)), 'd690e9fecce13db716b614c228fb2c05');
  assert.equal(new Set(SM4_SBOX).size, 256); // a permutation
});

test('random keys and blocks encrypt as openssl enc -sm4-ecb does', () => {
  for (let n = 0; n < 16; n++) {
    const key = randomBytes(16);
    const block = randomBytes(16);
    const theirs = execFileSync('openssl', ['enc', '-sm4-ecb', '-nopad', '-K', hex(key)], { input: Buffer.from(block) });
    assert.equal(hex(sm4EncryptBlock(sm4RoundKeys(key), block)), hex(theirs));
  }
});

test('wrong sizes are refused', () => {
  assert.throws(() => sm4RoundKeys(new Uint8Array(15)), RangeError);
  assert.throws(() => sm4EncryptBlock(sm4RoundKeys(new Uint8Array(16)), new Uint8Array(17)), RangeError);
});
