/**
 * Weight statistics: exact figures on small tensors worked out by hand, every storage form (raw, typed fields,
 * external data, packed int4, float16), and sampling of a tensor above the limit (only sampled ranges are read).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statsOfValues, WeightStatsError, weightStats } from '../../src/core/analysis/weightStats.js';
import { makeTensor } from '../../src/core/onnx/builder.js';
import { DataType, type ExternalDataSource, type Tensor } from '../../src/core/onnx/index.js';

describe('weight statistics', () => {
  test('float32: min, max, mean, population std, sparsity and histogram', async () => {
    // mean 2, deviations -2,-2,0,0,4 -> variance (4+4+0+0+16)/5 = 4.8
    const t = makeTensor('w', DataType.FLOAT, [5], [0, 0, 2, 2, 6]);
    const s = await weightStats(t, undefined, { bins: 3 });
    assert.equal(s.count, 5);
    assert.equal(s.dtype, 'float32');
    assert.equal(s.min, 0);
    assert.equal(s.max, 6);
    assert.equal(s.mean, 2);
    assert.ok(Math.abs(s.std - Math.sqrt(4.8)) < 1e-12, `std ${s.std}`);
    assert.equal(s.sparsity, 0.4);
    // bins [0,2) [2,4) [4,6]: the maximum goes into the last bin
    assert.deepEqual(s.histogram, { min: 0, max: 6, counts: [2, 2, 1] });
    assert.equal(s.sampled, undefined);
  });

  test('float16 and packed int4 decode before the figures are taken', async () => {
    const h = await weightStats(makeTensor('h', DataType.FLOAT16, [4], [-1.5, 0.25, 0, 65504]));
    assert.equal(h.min, -1.5);
    assert.equal(h.max, 65504);
    assert.equal(h.sparsity, 0.25);
    const q = await weightStats(makeTensor('q', DataType.INT4, [5], [-8, 7, 0, -1, 3]), undefined, { bins: 2 });
    assert.equal(q.dtype, 'int4');
    assert.equal(q.count, 5);
    assert.equal(q.min, -8);
    assert.equal(q.max, 7);
    assert.ok(Math.abs(q.mean - 0.2) < 1e-12, `mean ${q.mean}`);
    assert.deepEqual(q.histogram.counts, [2, 3]);
  });

  test('typed int64 fields and a constant tensor (one bin)', async () => {
    const t: Tensor = {
      name: 'shape',
      dataType: DataType.INT64,
      dims: [3],
      data: { kind: 'int64', values: BigInt64Array.from([7n, 7n, 7n]) },
    };
    const s = await weightStats(t);
    assert.equal(s.mean, 7);
    assert.equal(s.std, 0);
    assert.deepEqual(s.histogram, { min: 7, max: 7, counts: [3] });
  });

  test('NaN and infinities are counted apart, not folded into the mean', () => {
    const s = statsOfValues(new Float32Array([1, Number.NaN, 3, Number.POSITIVE_INFINITY]), 'float32');
    assert.equal(s.nonFinite, 2);
    assert.equal(s.mean, 2);
    assert.equal(s.max, 3);
  });

  test('external data: read through the source; a missing file is named', async () => {
    const values = new Float32Array([1, -1, 0, 0, 2, 4]);
    const file = new Uint8Array(16 + values.byteLength);
    file.set(new Uint8Array(values.buffer), 16);
    const source: ExternalDataSource = {
      size: async (loc) => {
        if (loc !== 'w.bin') throw new Error(`no such file '${loc}'`);
        return file.length;
      },
      read: async (_loc, offset, length) => file.slice(offset, offset + length),
    };
    const t: Tensor = {
      name: 'w',
      dataType: DataType.FLOAT,
      dims: [2, 3],
      data: { kind: 'external', location: 'w.bin', offset: 16, length: values.byteLength },
    };
    const s = await weightStats(t, source);
    assert.equal(s.count, 6);
    assert.equal(s.min, -1);
    assert.equal(s.max, 4);
    assert.equal(s.sparsity, 2 / 6);
    await assert.rejects(weightStats(t), (e: Error) => e instanceof WeightStatsError && /w\.bin/.test(e.message));
    const moved = { ...t, data: { ...t.data, location: 'gone.bin' } } as Tensor;
    await assert.rejects(weightStats(moved, source), /gone\.bin/);
  });

  test('a tensor above the limit is sampled in evenly spaced runs, reading only those ranges', async () => {
    const n = 100_000;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = i % 10 === 0 ? 0 : i;
    const file = new Uint8Array(values.buffer);
    let bytesRead = 0;
    const source: ExternalDataSource = {
      size: async () => file.length,
      read: async (_l, offset, length) => {
        bytesRead += length;
        return file.slice(offset, offset + length);
      },
    };
    const t: Tensor = {
      name: 'big',
      dataType: DataType.FLOAT,
      dims: [n],
      data: { kind: 'external', location: 'big.bin', offset: 0 },
    };
    const s = await weightStats(t, source, { maxElements: 1000, blocks: 10 });
    assert.equal(s.count, n);
    assert.ok(s.sampled !== undefined && s.sampled <= 1000 && s.sampled >= 900, `sampled ${s.sampled}`);
    assert.equal(bytesRead, (s.sampled ?? 0) * 4);
    // Runs spread over the whole tensor: the largest value seen is near the end, not in the first thousand.
    assert.ok(s.max > 90_000, `max ${s.max}`);
    // Every 10th element is zero: the sample's zero share says so.
    assert.ok(Math.abs(s.sparsity - 0.1) < 0.01, `sparsity ${s.sparsity}`);
    // Inline data takes the same path.
    const inline = await weightStats(makeTensor('big', DataType.FLOAT, [n], values), undefined, {
      maxElements: 1000,
      blocks: 10,
    });
    assert.equal(inline.sampled, s.sampled);
    assert.equal(inline.max, s.max);
  });

  test('strings and complex values are refused with the tensor named', async () => {
    await assert.rejects(weightStats(makeTensor('names', DataType.STRING, [1], ['a'])), /'names'.*strings/);
    const c: Tensor = {
      name: 'z',
      dataType: DataType.COMPLEX64,
      dims: [1],
      data: { kind: 'raw', bytes: new Uint8Array(8) },
    };
    await assert.rejects(weightStats(c), /'z'.*complex64/);
  });
});
