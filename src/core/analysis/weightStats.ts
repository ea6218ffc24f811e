/**
 * Statistics of one stored weight tensor (min, max, mean, standard deviation, share of zeros, histogram), for the
 * node panel. Computed for one tensor at a time, on request. Any element type the reader decodes is accepted
 * (float16/bfloat16/float8 and the packed int4/int2/float4 included), inline or in an external data file.
 *
 * A tensor larger than `maxElements` is sampled rather than read whole: `blocks` evenly spaced runs of contiguous
 * elements, each read on its own (for external data: only those byte ranges of the file), so a multi-gigabyte
 * tensor costs a few megabytes. `sampled` then says how many elements the figures are from.
 */

import { DataType, dataTypeInfo, dataTypeName, storageBytes } from '../onnx/dtype.js';
import { checkExternalLocation, type ExternalDataSource, readExternalBytes } from '../onnx/externalData.js';
import type { Tensor } from '../onnx/ir.js';
import { elementCount, fromLittleEndian, readTensorValues, type TensorValues } from '../onnx/tensor.js';

export interface WeightStatistics {
  /** Elements of the tensor. */
  count: number;
  dtype: string;
  /** Over finite values; NaN when there are none. */
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Share of exact zeros among the elements looked at, 0..1. */
  sparsity: number;
  /** Equal-width bins between `min` and `max` (one bin when they are equal). */
  histogram: { min: number; max: number; counts: number[] };
  /** Elements looked at, when only a sample of a huge tensor was read. */
  sampled?: number;
  /** NaN or infinite values among those looked at (left out of min/max/mean/std/histogram). */
  nonFinite?: number;
}

export interface WeightStatsOptions {
  /** Tensors with more elements are sampled (default 4,194,304). */
  maxElements?: number;
  /** Sampled runs (default 64). */
  blocks?: number;
  /** Histogram bins (default 32). */
  bins?: number;
}

export class WeightStatsError extends Error {
  override name = 'WeightStatsError';
}

const COMPLEX = new Set<number>([DataType.COMPLEX64, DataType.COMPLEX128]);

/** Statistics of numbers already decoded (`count`: elements of the whole tensor, when `values` is a sample). */
export function statsOfValues(
  values: ArrayLike<number | bigint>,
  dtype: string,
  count: number = values.length,
  bins = 32,
): WeightStatistics {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let finite = 0;
  let zeros = 0;
  let nonFinite = 0;
  // Welford's running mean and variance: stable for millions of values of very different magnitudes.
  let mean = 0;
  let m2 = 0;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = Number(values[i]);
    if (v === 0) zeros++;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    finite++;
    if (v < min) min = v;
    if (v > max) max = v;
    const d = v - mean;
    mean += d / finite;
    m2 += d * (v - mean);
  }
  const binCount = finite === 0 ? 0 : min === max ? 1 : Math.max(1, Math.floor(bins));
  const counts = new Array<number>(binCount).fill(0);
  if (binCount > 0) {
    const width = (max - min) / binCount;
    for (let i = 0; i < n; i++) {
      const v = Number(values[i]);
      if (!Number.isFinite(v)) continue;
      const b = width === 0 ? 0 : Math.min(binCount - 1, Math.floor((v - min) / width));
      counts[b]++;
    }
  }
  const out: WeightStatistics = {
    count,
    dtype,
    min: finite ? min : Number.NaN,
    max: finite ? max : Number.NaN,
    mean: finite ? mean : Number.NaN,
    std: finite ? Math.sqrt(m2 / finite) : Number.NaN,
    sparsity: n ? zeros / n : 0,
    histogram: { min: finite ? min : 0, max: finite ? max : 0, counts },
  };
  if (n < count) out.sampled = n;
  if (nonFinite) out.nonFinite = nonFinite;
  return out;
}

/** Element runs to read: the whole tensor, or `blocks` evenly spaced runs aligned to whole bytes. */
function plan(n: number, bits: number, maxElements: number, blocks: number): { start: number; length: number }[] {
  if (n <= maxElements) return [{ start: 0, length: n }];
  // Sub-byte types pack several elements per byte: runs start and end on byte boundaries.
  const perByte = bits < 8 ? 8 / bits : 1;
  const runs = Math.max(1, Math.min(blocks, Math.floor(maxElements / perByte)));
  const per = Math.max(perByte, Math.floor(maxElements / runs / perByte) * perByte);
  const out: { start: number; length: number }[] = [];
  const stride = n / runs;
  for (let r = 0; r < runs; r++) {
    let start = Math.floor((r * stride) / perByte) * perByte;
    start = Math.min(start, Math.max(0, n - per));
    const prev = out[out.length - 1];
    if (prev && start < prev.start + prev.length) start = prev.start + prev.length;
    const length = Math.min(per, n - start);
    if (length > 0) out.push({ start, length });
  }
  return out;
}

/**
 * Statistics of an initializer. External data is read through `source` (only the sampled ranges of a huge one).
 * Throws a WeightStatsError naming the tensor when it has no numbers (strings, complex values) or unreadable data.
 */
export async function weightStats(
  t: Tensor,
  source?: ExternalDataSource,
  options: WeightStatsOptions = {},
): Promise<WeightStatistics> {
  const maxElements = Math.max(1, options.maxElements ?? 4_194_304);
  const blocks = options.blocks ?? 64;
  const bins = options.bins ?? 32;
  const dtype = dataTypeName(t.dataType);
  const info = dataTypeInfo(t.dataType);
  if (!info) throw new WeightStatsError(`tensor '${t.name}': unknown element type ${dtype}`);
  if (t.dataType === DataType.STRING) throw new WeightStatsError(`tensor '${t.name}': strings have no statistics`);
  if (COMPLEX.has(t.dataType)) {
    throw new WeightStatsError(`tensor '${t.name}': statistics of ${dtype} values are not computed`);
  }
  const n = elementCount(t.dims);
  if (Number.isNaN(n)) throw new WeightStatsError(`tensor '${t.name}': invalid dims [${t.dims.join(', ')}]`);
  const d = t.data;
  const runs = plan(n, info.bits, maxElements, blocks);
  const whole = runs.length === 1 && runs[0].length === n;
  if (whole || (d.kind !== 'raw' && d.kind !== 'external')) {
    // Typed fields (float_data, int32_data…) are already decoded in memory: sample them after decoding.
    let values: TensorValues;
    try {
      values = await readTensorValues(t, source);
    } catch (err) {
      throw new WeightStatsError(err instanceof Error ? err.message : String(err));
    }
    if (Array.isArray(values)) throw new WeightStatsError(`tensor '${t.name}': strings have no statistics`);
    if (whole) return statsOfValues(values as ArrayLike<number | bigint>, dtype, n, bins);
    return statsOfValues(gather(values as ArrayLike<number | bigint>, runs), dtype, n, bins);
  }
  const byteOf = (element: number) => storageBytes(t.dataType, element);
  const need = byteOf(n);
  let read: (offset: number, length: number) => Promise<Uint8Array>;
  if (d.kind === 'raw') {
    if (d.bytes.length !== need) {
      throw new WeightStatsError(`tensor '${t.name}': ${d.bytes.length} bytes of data for ${n} ${dtype} elements`);
    }
    read = async (offset, length) => d.bytes.subarray(offset, offset + length);
  } else {
    if (!source) {
      throw new WeightStatsError(
        `tensor '${t.name}': its data is in external file '${d.location}', which is not available`,
      );
    }
    // Checks location, range and length against the file once, with a zero-length read.
    try {
      await readExternalBytes(t, { size: (loc) => source.size(loc), read: async () => new Uint8Array(0) });
    } catch (err) {
      throw new WeightStatsError(err instanceof Error ? err.message : String(err));
    }
    const location = checkExternalLocation(d.location);
    read = (offset, length) => source.read(location, d.offset + offset, length);
  }
  const parts: Uint8Array[] = [];
  let sampled = 0;
  for (const r of runs) {
    const from = byteOf(r.start);
    parts.push(await read(from, byteOf(r.start + r.length) - from));
    sampled += r.length;
  }
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const values = fromLittleEndian(t.dataType, bytes, sampled);
  return statsOfValues(values as ArrayLike<number | bigint>, dtype, n, bins);
}

function gather(values: ArrayLike<number | bigint>, runs: { start: number; length: number }[]): (number | bigint)[] {
  const out: (number | bigint)[] = [];
  for (const r of runs) for (let i = r.start; i < r.start + r.length; i++) out.push(values[i]);
  return out;
}
