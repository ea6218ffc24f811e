/**
 * Calibration for static quantization: runs the float model in onnxruntime-node on calibration inputs with the
 * tensors to quantize exposed as extra graph outputs (the technique of exact shape mode), and turns what they hold
 * into a [min, max] range per tensor by one of three methods:
 * - 'minmax': the smallest and largest value seen.
 * - 'percentile': the central `percentile` % of values seen; each tail loses (100 - percentile) % (outliers clipped).
 * - 'entropy': the clipping threshold whose quantized distribution is closest (Kullback-Leibler divergence) to the
 *   observed one, searched over a histogram of |x| (TensorRT's calibration idea, implemented here from its
 *   description).
 * Histograms are built as samples stream in (the range widens and the old counts are re-binned when a sample
 * falls outside), so inputs are read once and never held.
 *
 * This module (like the runtime modules) imports onnxruntime-node; the quantization transforms themselves are pure
 * and load it only when they need calibration.
 */

import * as ort from 'onnxruntime-node';
import { inferShapes } from '../analysis/infer.js';
import { float32ToFloat16Bits, Rng } from '../onnx/builder.js';
import { DataType, dataTypeName } from '../onnx/dtype.js';
import { type ExternalDataSource, inlineExternalData } from '../onnx/externalData.js';
import type { Dim, Model, Tensor } from '../onnx/ir.js';
import { walkGraphs } from '../onnx/ir.js';
import { readTensorValues } from '../onnx/tensor.js';
import { encodeModel } from '../onnx/writer.js';
import { ortTypes } from '../runtime/inputs.js';
import { TransformError } from './types.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** One calibration sample: a value per model input, as an onnxruntime tensor or an ONNX tensor (a `.pb` file). */
export type CalibrationFeed = Record<string, ort.Tensor | Tensor>;

export interface TensorRange {
  min: number;
  max: number;
}

export interface CalibrationProgress {
  /** Samples run so far. */
  done: number;
  /** Samples expected, when known. */
  total?: number;
}

export interface CalibrationOptions {
  method?: CalibrationMethod;
  /** For 'percentile': the share of values kept, in percent. Default 99.999. */
  percentile?: number;
  /** Histogram bins ('percentile', 'entropy'). Default 2048. */
  bins?: number;
  /** Stop after this many samples. */
  maxSamples?: number;
  /** Samples expected, for progress reports. */
  total?: number;
  onProgress?: (p: CalibrationProgress) => void;
  /** Cancels between samples: the promise rejects with TransformError('cancelled'). */
  signal?: AbortSignal;
  externalData?: ExternalDataSource;
  /** ONNX Runtime threads. Default: its own choice. */
  intraOpNumThreads?: number;
  /** Tensors (among `tensors`) whose mean per channel (axis 1) is also measured, e.g. for bias correction. */
  channelMeans?: readonly string[];
}

export interface CalibrationResult {
  method: CalibrationMethod;
  ranges: Map<string, TensorRange>;
  samples: number;
  /** Tensors asked for that were not float32 at run time (or not produced), so got no range. */
  skipped: string[];
  /** Mean of each channel (axis 1, over batch and positions) of the `channelMeans` tensors that were measured. */
  channelMeans: Map<string, Float64Array>;
}

// ---------------------------------------------------------------------------------------------------------------
// Range collection (pure)

/** Running min/max and an adaptive histogram of one tensor's values. */
export class RangeCollector {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  count = 0;
  /** Exact zeros (ReLU outputs, padding) are kept out of the histogram: zero is exact whatever the range. */
  zeros = 0;
  private hist?: Float64Array;
  private lo = 0;
  private hi = 0;

  constructor(
    private readonly bins = 2048,
    private readonly histogram = true,
  ) {}

  add(data: ArrayLike<number>): void {
    let bmin = Number.POSITIVE_INFINITY;
    let bmax = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < bmin) bmin = v;
      if (v > bmax) bmax = v;
    }
    if (!(bmin <= bmax)) return; // empty or all NaN
    if (bmin < this.min) this.min = bmin;
    if (bmax > this.max) this.max = bmax;
    if (!this.histogram) {
      this.count += data.length;
      return;
    }
    const fmin = Math.max(bmin, -3.4e38);
    const fmax = Math.min(bmax, 3.4e38);
    if (!this.hist) {
      this.hist = new Float64Array(this.bins);
      this.lo = fmin;
      this.hi = fmax > fmin ? fmax : fmin + Math.max(Math.abs(fmin) * 1e-6, 1e-12);
    } else if (fmin < this.lo || fmax > this.hi) {
      this.widen(Math.min(fmin, this.lo), Math.max(fmax, this.hi));
    }
    const h = this.hist;
    const lo = this.lo;
    const k = this.bins / (this.hi - lo);
    const last = this.bins - 1;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v === 0) {
        this.zeros++;
        continue;
      }
      if (Number.isNaN(v)) continue;
      let j = Math.floor((v - lo) * k);
      if (j > last) j = last;
      else if (j < 0) j = 0;
      h[j]++;
    }
    this.count += data.length;
  }

  /** Re-bins the counts onto [lo, hi] (which contains the old range), splitting each old bin by overlap. */
  private widen(lo: number, hi: number): void {
    const old = this.hist as Float64Array;
    const ow = (this.hi - this.lo) / this.bins;
    const nw = (hi - lo) / this.bins;
    const next = new Float64Array(this.bins);
    const last = this.bins - 1;
    for (let i = 0; i < this.bins; i++) {
      const c = old[i];
      if (c === 0) continue;
      const a = this.lo + i * ow;
      const b = a + ow;
      const ja = Math.min(last, Math.max(0, Math.floor((a - lo) / nw)));
      const jb = Math.min(last, Math.max(0, Math.floor((b - lo) / nw)));
      if (ja === jb || ow === 0) next[ja] += c;
      else {
        // nw >= ow: the old bin straddles at most one boundary.
        const boundary = lo + jb * nw;
        const f = Math.min(1, Math.max(0, (boundary - a) / ow));
        next[ja] += c * f;
        next[jb] += c * (1 - f);
      }
    }
    this.hist = next;
    this.lo = lo;
    this.hi = hi;
  }

  /** The range by `method`. Always within [min, max] seen. */
  range(method: CalibrationMethod, percentile = 99.999): TensorRange {
    if (!(this.min <= this.max)) return { min: 0, max: 0 };
    if (method === 'minmax' || !this.hist) return { min: this.min, max: this.max };
    if (method === 'percentile') {
      const tail = Math.max(0, Math.min(50, 100 - percentile)) / 100;
      return {
        min: Math.max(this.min, this.quantile(tail)),
        max: Math.min(this.max, this.quantile(1 - tail)),
      };
    }
    return this.entropyRange();
  }

  /** The value below which a share `p` of the counts lie (linear within a bin). */
  private quantile(p: number): number {
    const h = Float64Array.from(this.hist as Float64Array);
    if (this.zeros)
      h[Math.min(this.bins - 1, Math.max(0, Math.floor(((0 - this.lo) / (this.hi - this.lo)) * this.bins)))] +=
        this.zeros;
    let total = 0;
    for (let i = 0; i < h.length; i++) total += h[i];
    const target = p * total;
    const w = (this.hi - this.lo) / this.bins;
    let acc = 0;
    for (let i = 0; i < h.length; i++) {
      if (acc + h[i] >= target && h[i] > 0) return this.lo + (i + (target - acc) / h[i]) * w;
      acc += h[i];
    }
    return this.hi;
  }

  private entropyRange(): TensorRange {
    const h = this.hist as Float64Array;
    const oneSided = this.min >= 0;
    const amax = Math.max(Math.abs(this.lo), Math.abs(this.hi));
    if (!(amax > 0)) return { min: this.min, max: this.max };
    // Fold the two-sided histogram onto |x| by bin centres.
    const bins = this.bins;
    const abs = new Float64Array(bins);
    const w = (this.hi - this.lo) / bins;
    for (let i = 0; i < bins; i++) {
      if (h[i] === 0) continue;
      const c = Math.abs(this.lo + (i + 0.5) * w);
      abs[Math.min(bins - 1, Math.floor((c / amax) * bins))] += h[i];
    }
    const levels = oneSided ? 256 : 128;
    const t = klThreshold(abs, levels) * (amax / bins);
    return oneSided
      ? { min: this.min, max: Math.min(this.max, t) }
      : { min: Math.max(this.min, -t), max: Math.min(this.max, t) };
  }
}

/**
 * The number of histogram bins (from the start) to keep so that quantizing them to `levels` levels loses the least
 * information (KL divergence of the clipped reference from its quantized version).
 */
export function klThreshold(hist: Float64Array, levels: number): number {
  const bins = hist.length;
  if (bins <= levels) return bins;
  let best = bins;
  let bestKl = Number.POSITIVE_INFINITY;
  const step = Math.max(1, Math.floor((bins - levels) / 256));
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  let tailFrom = bins;
  let tail = 0;
  for (let i = bins; i >= levels; i -= step) {
    // Outliers beyond bin i are clipped into the last kept bin.
    while (tailFrom > i) tail += hist[--tailFrom];
    let psum = 0;
    for (let k = 0; k < i; k++) {
      p[k] = hist[k];
      psum += hist[k];
    }
    p[i - 1] += tail;
    psum += tail;
    if (psum === 0) continue;
    // Quantized: merge the i bins into `levels` groups, spread each group's mass over its non-empty bins.
    for (let j = 0; j < levels; j++) {
      const a = Math.floor((j * i) / levels);
      const b = Math.floor(((j + 1) * i) / levels);
      let mass = 0;
      let nonEmpty = 0;
      for (let k = a; k < b; k++) {
        mass += hist[k];
        if (hist[k] > 0) nonEmpty++;
      }
      for (let k = a; k < b; k++) q[k] = hist[k] > 0 ? mass / nonEmpty : 0;
    }
    let qsum = 0;
    for (let k = 0; k < i; k++) qsum += q[k];
    if (qsum === 0) continue;
    let kl = 0;
    for (let k = 0; k < i; k++) {
      if (p[k] === 0) continue;
      const pk = p[k] / psum;
      const qk = q[k] > 0 ? q[k] / qsum : 1e-12;
      kl += pk * Math.log(pk / qk);
    }
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs

function isOnnxTensor(v: ort.Tensor | Tensor): v is Tensor {
  return (
    typeof (v as Tensor).dataType === 'number' && typeof (v as Tensor).data === 'object' && 'kind' in (v as Tensor).data
  );
}

/** An onnxruntime tensor from a calibration value (an ONNX tensor read from a `.pb` file, or already one). */
export async function toOrtTensor(value: ort.Tensor | Tensor, source?: ExternalDataSource): Promise<ort.Tensor> {
  if (!isOnnxTensor(value)) return value;
  const type = ortTypes[value.dataType];
  if (!type)
    throw new TransformError(
      `calibration tensor '${value.name}': element type ${dataTypeName(value.dataType)} is not supported`,
      'bad-input',
    );
  const values = await readTensorValues(value, source);
  if (value.dataType === DataType.FLOAT16) {
    const bits = Uint16Array.from(values as Float32Array, (v) => float32ToFloat16Bits(v));
    return new ort.Tensor('float16', bits, value.dims);
  }
  return new ort.Tensor(type as 'float32', values as Float32Array, value.dims);
}

export interface GeneratedFeedOptions {
  /** Samples to generate. Default 8. */
  count?: number;
  seed?: number;
  /** Sizes of symbolic dimensions (default 1). */
  dims?: Record<string, number>;
  /** Shapes replacing the declared ones, by input name. */
  inputShapes?: Record<string, Dim[]>;
}

/**
 * Generated calibration inputs — a rough approximation of real data: floats uniform in [-1, 1) (the range
 * measured profiling and validation use), integers in [0, 10), booleans random; a different draw per sample.
 */
export function* generatedFeeds(model: Model, options: GeneratedFeedOptions = {}): Generator<CalibrationFeed> {
  const count = options.count ?? 8;
  const rng = new Rng(options.seed ?? 12345);
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((v) => !inits.has(v.name));
  for (let s = 0; s < count; s++) {
    const feed: CalibrationFeed = {};
    for (const v of inputs) {
      if (v.type?.kind !== 'tensor')
        throw new TransformError(`input '${v.name}' is not a tensor; give calibration data`, 'bad-input');
      const declared = options.inputShapes?.[v.name] ?? v.type.shape;
      if (!declared)
        throw new TransformError(`input '${v.name}' has no shape; give calibration data or its shape`, 'bad-input');
      const shape = declared.map((d) =>
        typeof d === 'number' ? d : ((d !== null ? options.dims?.[d] : undefined) ?? 1),
      );
      const n = shape.reduce((a, b) => a * b, 1);
      const t = v.type.elemType;
      const type = ortTypes[t];
      switch (type) {
        case 'float32':
          feed[v.name] = new ort.Tensor('float32', rng.uniformArray(n, -1, 1), shape);
          break;
        case 'float64':
          feed[v.name] = new ort.Tensor('float64', Float64Array.from(rng.uniformArray(n, -1, 1)), shape);
          break;
        case 'float16':
          feed[v.name] = new ort.Tensor(
            'float16',
            Uint16Array.from(rng.uniformArray(n, -1, 1), (x) => float32ToFloat16Bits(x)),
            shape,
          );
          break;
        case 'bool':
          feed[v.name] = new ort.Tensor(
            'bool',
            Uint8Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0)),
            shape,
          );
          break;
        case 'int64':
          feed[v.name] = new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rng.next() * 10))),
            shape,
          );
          break;
        case 'int32':
        case 'int8':
        case 'uint8':
        case 'int16':
        case 'uint16':
        case 'uint32': {
          const ctor = {
            int32: Int32Array,
            int8: Int8Array,
            uint8: Uint8Array,
            int16: Int16Array,
            uint16: Uint16Array,
            uint32: Uint32Array,
          }[type];
          const data = new ctor(n);
          for (let i = 0; i < n; i++) data[i] = Math.floor(rng.next() * 10);
          feed[v.name] = new ort.Tensor(type as 'int32', data as Int32Array, shape);
          break;
        }
        default:
          throw new TransformError(
            `input '${v.name}': element type ${dataTypeName(t)} cannot be generated; give calibration data`,
            'bad-input',
          );
      }
    }
    yield feed;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running

function cancelled(): TransformError {
  return new TransformError('calibration was cancelled', 'cancelled');
}

/**
 * Runs the model on every sample of `feeds` and returns a range for each of `tensors` (main-graph values: graph
 * inputs, node outputs). Throws TransformError when ONNX Runtime cannot load or run the model, when a sample lacks
 * an input, when there is no sample, or when cancelled.
 */
export async function calibrate(
  model: Model,
  tensors: readonly string[],
  feeds: AsyncIterable<CalibrationFeed> | Iterable<CalibrationFeed>,
  options: CalibrationOptions = {},
): Promise<CalibrationResult> {
  const method = options.method ?? 'minmax';
  const g = model.graph;
  if (options.signal?.aborted) throw cancelled();
  for (const { graph, path } of walkGraphs(g)) {
    if (path && graph.initializers.some((t) => t.data.kind === 'external')) {
      throw new TransformError('calibration does not support external data inside subgraphs', 'external-data');
    }
  }
  let initializers = g.initializers;
  if (initializers.some((t) => t.data.kind === 'external')) {
    if (!options.externalData)
      throw new TransformError('the model has external data, and no way to read it was given', 'external-data');
    initializers = (await inlineExternalData({ ...model, trainingInfo: [], functions: [] }, options.externalData)).graph
      .initializers;
  }
  const initNames = new Set(initializers.map((t) => t.name));
  const inputNames = new Set(g.inputs.filter((v) => !initNames.has(v.name)).map((v) => v.name));
  const declared = new Set(g.outputs.map((o) => o.name));
  const produced = new Set(g.nodes.flatMap((n) => n.outputs));
  const facts = inferShapes(model).values;
  const wanted = [...new Set(tensors)];
  const skipped: string[] = [];
  const extra: string[] = [];
  for (const t of wanted) {
    if (inputNames.has(t)) continue;
    if (!produced.has(t)) {
      skipped.push(t);
      continue;
    }
    const f = facts.get(t);
    if (f && f.kind !== 'tensor' && f.kind !== 'unknown') skipped.push(t);
    else if (f?.kind === 'tensor' && f.dtype !== undefined && f.dtype !== DataType.FLOAT) skipped.push(t);
    else if (!declared.has(t)) extra.push(t);
  }
  const copy: Model = {
    ...model,
    graph: { ...g, initializers, outputs: [...g.outputs, ...extra.map((name) => ({ name }))] },
  };
  const histogram = method !== 'minmax';
  const collectors = new Map<string, RangeCollector>();
  for (const t of wanted)
    if (!skipped.includes(t)) collectors.set(t, new RangeCollector(options.bins ?? 2048, histogram));

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(encodeModel(copy), {
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    });
  } catch (err) {
    throw new TransformError(
      `ONNX Runtime cannot load the model for calibration: ${err instanceof Error ? err.message : String(err)}`,
      'runtime',
    );
  }
  let samples = 0;
  const notFloat = new Set<string>();
  const meanSums = new Map<string, { sums: Float64Array; count: number }>();
  const wantMeans = new Set(options.channelMeans ?? []);
  try {
    for await (const sample of feeds) {
      if (options.signal?.aborted) throw cancelled();
      if (options.maxSamples !== undefined && samples >= options.maxSamples) break;
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const name of session.inputNames) {
        const v = sample[name];
        if (!v) {
          throw new TransformError(
            `calibration sample ${samples + 1} has no value for input '${name}' (it has ${Object.keys(sample).join(', ') || 'none'})`,
            'bad-input',
          );
        }
        ortFeeds[name] = await toOrtTensor(v, options.externalData);
      }
      let results: ort.InferenceSession.OnnxValueMapType;
      try {
        results = await session.run(ortFeeds);
      } catch (err) {
        throw new TransformError(
          `ONNX Runtime failed on calibration sample ${samples + 1}: ${err instanceof Error ? err.message : String(err)}`,
          'runtime',
        );
      }
      for (const [name, c] of collectors) {
        const t = results[name] ?? ortFeeds[name];
        if (!t) continue;
        if (t.type !== 'float32') {
          notFloat.add(name);
          continue;
        }
        c.add(t.data as Float32Array);
        if (wantMeans.has(name) && t.dims.length >= 2) {
          const channels = t.dims[1];
          const inner = t.dims.slice(2).reduce((a, d) => a * d, 1);
          const data = t.data as Float32Array;
          const m = meanSums.get(name) ?? { sums: new Float64Array(channels), count: 0 };
          if (m.sums.length === channels) {
            for (let i = 0; i < data.length; i++) m.sums[Math.floor(i / inner) % channels] += data[i];
            m.count += data.length / channels;
            meanSums.set(name, m);
          }
        }
      }
      for (const t of Object.values(results)) t.dispose?.();
      samples++;
      options.onProgress?.({ done: samples, ...(options.total !== undefined ? { total: options.total } : {}) });
    }
  } finally {
    await session.release().catch(() => undefined);
  }
  if (options.signal?.aborted) throw cancelled();
  if (samples === 0) throw new TransformError('no calibration samples were given', 'bad-input');
  const ranges = new Map<string, TensorRange>();
  for (const [name, c] of collectors) {
    if (notFloat.has(name) || c.count === 0) {
      skipped.push(name);
      continue;
    }
    ranges.set(name, c.range(method, options.percentile));
  }
  const channelMeans = new Map<string, Float64Array>();
  for (const [name, m] of meanSums)
    if (m.count > 0)
      channelMeans.set(
        name,
        m.sums.map((x) => x / m.count),
      );
  return { method, ranges, samples, skipped, channelMeans };
}
