import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable } from '../../src/core/report/costReport.js';
import { formatCount } from '../../src/core/report/summary.js';

test("formatCount equals toLocaleString('en-US') for integers of every size and sign, and for the odd cases", () => {
  const samples = [
    0,
    -0,
    1,
    -1,
    12,
    999,
    1000,
    -1000,
    9999,
    10000,
    123456,
    1234567,
    2 ** 31,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
  ];
  samples.push(2 ** 53, 2 ** 60, 1.5, -2.25, 1234.5678, 0.0001, Number.NaN, Number.POSITIVE_INFINITY, -Infinity);
  // Every digit count, both signs, deterministic pseudo-random digits.
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let digits = 1; digits <= 16; digits++) {
    for (let k = 0; k < 50; k++) {
      let v = 0;
      for (let d = 0; d < digits; d++) v = v * 10 + (d === 0 ? 1 + (next() % 9) : next() % 10);
      if (Number.isSafeInteger(v)) samples.push(v, -v);
    }
  }
  for (const n of samples) assert.equal(formatCount(n), n.toLocaleString('en-US'), `formatting ${n}`);
});

test('renderTable measures a column of 300,000 rows without overflowing the call stack', () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => [`layer ${i}`, formatCount(i)]);
  const lines = renderTable(['name', 'n'], [false, true], rows, ['total', '1'], [20, 10]);
  assert.equal(lines.length, 300_000 + 4, 'header, rule, rows, rule, footer');
  assert.equal(lines[2 + 299_999], 'layer 299999  299,999', 'widths from the widest cells');
});
