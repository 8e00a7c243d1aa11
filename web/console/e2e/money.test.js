// The catalogue page's price input (src/money.js): yuan typed by an operator to whole fen, and
// the refusals it names. No browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fenToYuan, parseYuan } from '../src/money.js';

test('yuan become whole fen without rounding errors', () => {
  for (const [text, fen] of [['12.50', 1250], ['12.5', 1250], ['12', 1200], ['0', 0], ['0.01', 1], ['0.1', 10],
    ['1000000', 100000000], [' 7.30 ', 730], ['12.500', 1250], ['19.99', 1999], ['0.29', 29], ['12.', 1200], ['007.07', 707]]) {
    assert.deepEqual(parseYuan(text), { fen }, text);
  }
});

test('negative, over-precise, malformed and too large prices are refused by name', () => {
  for (const [text, error] of [['-1', 'negative'], ['-0.01', 'negative'], ['12.505', 'precision'], ['0.001', 'precision'],
    ['', 'empty'], ['  ', 'empty'], ['abc', 'format'], ['1e3', 'format'], ['12,50', 'format'], ['.5', 'format'], ['¥12', 'format'],
    ['1000000.01', 'tooLarge'], ['99999999', 'tooLarge'], ['-0', 'format']]) {
    assert.deepEqual(parseYuan(text), { error }, text);
  }
});

test('fen are shown as yuan with two decimals', () => {
  assert.equal(fenToYuan(1250), '12.50');
  assert.equal(fenToYuan(1), '0.01');
  assert.equal(fenToYuan(0), '0.00');
  assert.equal(fenToYuan(100000000), '1000000.00');
});
