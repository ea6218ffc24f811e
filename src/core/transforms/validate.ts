/**
 * Checks a transformed model against its original, always and automatically after a transform:
 * - both run in onnxruntime-node on the same inputs (given samples, or generated ones — said so in the report);
 *   per output: max and mean abs error, cosine similarity, SNR in dB, and for classifier outputs (produced by
 *   Softmax/LogSoftmax, or whose rows are probability distributions) top-1 agreement over all rows;
 * - file size before/after, and the deflate size of the weights (a proxy for what a compressed or sparse weight
 *   format would store: it is not a format any runtime loads);
 * - host latency before/after: median of timed runs, the two sessions interleaved so drift hits both alike;
 * - the estimator's latency, peak RAM and flash before/after on a chosen target.
 * A transformed model that fails to load or run, changes an output's shape, or misses a threshold fails, and the
 * report says which and why. This module is bound to Node (ONNX Runtime, zlib); the metrics are pure functions.
 */

import { deflateSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { analyzeModel } from '../analysis/cost.js';
import { Rng, rawTensor } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import { externalTensors, inlineExternalData } from '../onnx/externalData.js';
import type { Model, Tensor } from '../onnx/ir.js';
import { encodeModel } from '../onnx/writer.js';
import { dataTypeOfOrt, generateInput } from '../runtime/inputs.js';
import { median } from '../runtime/profileTrace.js';
import { estimateModel } from '../targets/estimate.js';
import { describeCalibration, type HardwareProfile } from '../targets/profile.js';
import { tensorBytes } from './graphEdit.js';
import type { ConstantEvaluator } from './preprocess.js';

export interface ModelRef {
  model: Model;
  /** External tensor data of the model. */
  source?: ExternalDataSource;
  /** The model's file: ONNX Runtime loads it from there (external data included) instead of from encoded bytes. */
  path?: string;
  /** Size on disk (model file + data files); computed from the model when not given. */
  fileBytes?: number;
}

export interface Thresholds {
  /** Lowest acceptable cosine similarity of every output (default 0.99). */
  minCosine?: number;
  /** Largest acceptable absolute error of any element (default: not checked). */
  maxAbsError?: number;
  /** Lowest acceptable SNR in dB (default: not checked). */
  minSnrDb?: number;
  /** Lowest acceptable top-1 agreement of classifier outputs, 0..1 (default: not checked). */
  minTop1?: number;
}

export interface ValidateOptions {
  /** Input samples (one record of tensors per run); inputs missing from a sample are generated. */
  feeds?: Record<string, ort.Tensor>[];
  /** Number of generated samples when `feeds` is not given (default 4). */
  samples?: number;
  /** Sizes for symbolic input dimensions (default 1). */
  dims?: Record<string, number>;
  thresholds?: Thresholds;
  /** Timed runs per model for host latency (default 10; 0 skips the measurement). */
  latencyRuns?: number;
  /** Intra-op threads of both sessions (default 1, for steadier timings). */
  threads?: number;
  /** Estimate both models on this target. */
  target?: HardwareProfile;
  /** Profiles by id, for targets whose fallback names another profile. */
  profiles?: ReadonlyMap<string, HardwareProfile>;
  /** Measure the deflate size of the weights (default true). */
  compressedSize?: boolean;
  /**
   * Also count as classifier outputs the rank-2 [N, C] outputs (2 <= C <= 1000) made by Gemm, MatMul or Add: logits,
   * which are not probabilities but whose arg-max is the class (default false: only Softmax / probability rows).
   */
  logitOutputs?: boolean;
}

export interface OutputMetrics {
  name: string;
  shape: number[];
  /** Shape of the transformed model's output when it differs. */
  transformedShape?: number[];
  maxAbsError: number;
  meanAbsError: number;
  cosine: number;
  /** Infinity when the outputs are identical. */
  snrDb: number;
  classifier: boolean;
  /** Fraction of rows whose arg-max agrees (classifier outputs only). */
  top1Agreement: number | null;
}

export interface EstimateSummary {
  latencyMs: number | null;
  peakRamBytes: number;
  flashBytes: number;
  fitsRam: boolean | null;
  fitsFlash: boolean | null;
}

export interface ValidationReport {
  /** True when the transformed model loads, runs, keeps every output's shape and meets the thresholds. */
  ok: boolean;
  /** Why it is not ok, one plain sentence each. */
  failures: string[];
  notes: string[];
  inputs: { generated: boolean; samples: number; shapes: Record<string, number[]> };
  outputs: OutputMetrics[];
  /** Worst value over the outputs (top-1: over classifier outputs; null when there is none). */
  summary: { cosine: number | null; maxAbsError: number | null; snrDb: number | null; top1Agreement: number | null };
  thresholds: Required<Pick<Thresholds, 'minCosine'>> & Thresholds;
  sizeBytes: { before: number; after: number };
  /** Deflate of all weight bytes (proxy for compressed storage); null when not measured. */
  compressedWeightBytes: { before: number; after: number } | null;
  hostLatencyMs: { before: number; after: number } | null;
  estimate: { target: string; accuracy: string; before: EstimateSummary; after: EstimateSummary } | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics (pure)

export interface Metrics {
  maxAbsError: number;
  meanAbsError: number;
  cosine: number;
  snrDb: number;
}

/** Error metrics of `actual` against `reference` (same length). */
export function compareArrays(reference: ArrayLike<number>, actual: ArrayLike<number>): Metrics {
  if (reference.length !== actual.length) {
    throw new RangeError(`arrays differ in length (${reference.length} and ${actual.length})`);
  }
  let maxAbs = 0;
  let sumAbs = 0;
  let dot = 0;
  let rr = 0;
  let aa = 0;
  let noise = 0;
  let nan = false;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i];
    const a = actual[i];
    if (Number.isNaN(r) !== Number.isNaN(a)) nan = true;
    if (Number.isNaN(r) && Number.isNaN(a)) continue;
    const d = Math.abs(r - a);
    if (d > maxAbs) maxAbs = d;
    sumAbs += d;
    dot += r * a;
    rr += r * r;
    aa += a * a;
    noise += (r - a) * (r - a);
  }
  if (nan) return { maxAbsError: Number.NaN, meanAbsError: Number.NaN, cosine: Number.NaN, snrDb: Number.NaN };
  const cosine = rr === 0 && aa === 0 ? 1 : rr === 0 || aa === 0 ? 0 : dot / Math.sqrt(rr * aa);
  const snrDb =
    noise === 0 ? Number.POSITIVE_INFINITY : rr === 0 ? Number.NEGATIVE_INFINITY : 10 * Math.log10(rr / noise);
  return {
    maxAbsError: maxAbs,
    meanAbsError: reference.length ? sumAbs / reference.length : 0,
    cosine: Math.min(1, Math.max(-1, cosine)),
    snrDb,
  };
}

/** Fraction of rows (of `classes` values each) whose arg-max is the same in both arrays. */
export function top1Agreement(reference: ArrayLike<number>, actual: ArrayLike<number>, classes: number): number {
  const rows = Math.floor(reference.length / classes);
  if (rows === 0 || classes < 1) return 1;
  let agree = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(reference, r * classes, classes) === argmax(actual, r * classes, classes)) agree++;
  }
  return agree / rows;
}

function argmax(v: ArrayLike<number>, start: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[start + k] > v[start + best]) best = k;
  return best;
}

/** Rows of `classes` non-negative values that sum to 1 (within 1e-3): the output of a softmax. */
export function looksLikeProbabilities(values: ArrayLike<number>, classes: number): boolean {
  if (classes < 2 || values.length < classes || values.length % classes) return false;
  for (let r = 0; r < values.length / classes; r++) {
    let s = 0;
    for (let k = 0; k < classes; k++) {
      const x = values[r * classes + k];
      if (!(x >= 0)) return false;
      s += x;
    }
    if (Math.abs(s - 1) > 1e-3) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Running

/** Serialized bytes ONNX Runtime can load without the model's folder (external data inlined). */
export async function loadableBytes(ref: ModelRef): Promise<Uint8Array> {
  let m = ref.model;
  if (externalTensors(m).length) {
    if (!ref.source) throw new Error('the model has external data and no source to read it from');
    m = await inlineExternalData(m, ref.source);
  }
  return encodeModel(m);
}

async function createSession(ref: ModelRef, threads: number): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  };
  if (ref.path) return ort.InferenceSession.create(ref.path, opts);
  return ort.InferenceSession.create(await loadableBytes(ref), opts);
}

/** Size on disk of a model written as is: encoded bytes plus the external data it references. */
export function modelSizeBytes(model: Model): number {
  const ext = externalTensors(model);
  const seen = new Set<string>();
  let data = 0;
  for (const t of ext) {
    if (t.data.kind !== 'external') continue;
    const key = `${t.data.location}\u0000${t.data.offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    data += t.data.length ?? 0;
  }
  return encodeModel(model).length + data;
}

/** Deflate size of all initializer bytes: a proxy for compressed weight storage. */
export async function compressedWeightBytes(model: Model, source?: ExternalDataSource): Promise<number> {
  const parts: Uint8Array[] = [];
  for (const t of model.graph.initializers) parts.push(await tensorBytes(t, source));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return deflateSync(all).length;
}

function sampleInputs(model: Model, session: ort.InferenceSession, options: ValidateOptions) {
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((v) => !initNames.has(v.name) && session.inputNames.includes(v.name));
  const given = options.feeds;
  const count = given?.length ? given.length : Math.max(1, options.samples ?? 4);
  const samples: Record<string, ort.Tensor>[] = [];
  let generated = false;
  for (let s = 0; s < count; s++) {
    const feed: Record<string, ort.Tensor> = {};
    for (const v of inputs) {
      const t = given?.[s]?.[v.name];
      if (t) {
        feed[v.name] = t;
        continue;
      }
      generated = true;
      const elemType = v.type?.kind === 'tensor' ? v.type.elemType : 0;
      const shape = v.type?.kind === 'tensor' ? v.type.shape : undefined;
      const base = generateInput(v.name, elemType, shape, options.dims);
      if (s > 0 && (elemType === DataType.FLOAT || elemType === DataType.DOUBLE)) {
        // Further samples: other uniform values in [-1, 1), from a seeded generator.
        const rng = new Rng(0x5eed + s * 7919);
        const n = base.dims.reduce((a, b) => a * b, 1);
        const data = elemType === DataType.FLOAT ? new Float32Array(n) : new Float64Array(n);
        for (let k = 0; k < n; k++) data[k] = rng.uniform(-1, 1);
        feed[v.name] = new ort.Tensor(base.type as 'float32', data as Float32Array, base.dims);
      } else feed[v.name] = base;
    }
    samples.push(feed);
  }
  return { samples, generated };
}

function toNumbers(t: ort.Tensor): Float64Array | undefined {
  const d = t.data;
  if (t.type === 'string') return undefined;
  if (t.type === 'float16') {
    const bits = d as Uint16Array;
    return Float64Array.from(bits, (h) => {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
      if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
      return sign * 2 ** (exp - 15) * (1 + frac / 1024);
    });
  }
  return Float64Array.from(d as ArrayLike<number | bigint>, (x) => Number(x));
}

function summarizeEstimate(model: Model, target: HardwareProfile, options: ValidateOptions): EstimateSummary {
  const { profile, facts } = analyzeModel(model, { dims: options.dims });
  const est = estimateModel(model, profile, facts, target, { profiles: options.profiles });
  return {
    latencyMs: est.totals.latencyMs,
    peakRamBytes: est.totals.peakRamBytes,
    flashBytes: est.totals.flashBytes,
    fitsRam: est.totals.fits.ram,
    fitsFlash: est.totals.fits.flash,
  };
}

/** Runs both models on the same inputs and measures everything the report needs. Never throws for a model's content. */
export async function validateTransform(
  original: ModelRef,
  transformed: ModelRef,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const thresholds = { minCosine: 0.99, ...options.thresholds };
  const report: ValidationReport = {
    ok: false,
    failures: [],
    notes: [],
    inputs: { generated: false, samples: 0, shapes: {} },
    outputs: [],
    summary: { cosine: null, maxAbsError: null, snrDb: null, top1Agreement: null },
    thresholds,
    sizeBytes: {
      before: original.fileBytes ?? modelSizeBytes(original.model),
      after: transformed.fileBytes ?? modelSizeBytes(transformed.model),
    },
    compressedWeightBytes: null,
    hostLatencyMs: null,
    estimate: null,
  };
  if (options.compressedSize ?? true) {
    try {
      report.compressedWeightBytes = {
        before: await compressedWeightBytes(original.model, original.source),
        after: await compressedWeightBytes(transformed.model, transformed.source),
      };
      report.notes.push('compressed weight size: deflate of the weight bytes, a proxy for sparse/compressed storage');
    } catch (err) {
      report.notes.push(`compressed weight size not measured: ${message(err)}`);
    }
  }
  if (options.target) {
    try {
      report.estimate = {
        target: options.target.id,
        accuracy: `estimate, ${describeCalibration(options.target.calibration)}`,
        before: summarizeEstimate(original.model, options.target, options),
        after: summarizeEstimate(transformed.model, options.target, options),
      };
    } catch (err) {
      report.notes.push(`estimate on ${options.target.id} failed: ${message(err)}`);
    }
  }

  let before: ort.InferenceSession | undefined;
  let after: ort.InferenceSession | undefined;
  const threads = options.threads ?? 1;
  try {
    try {
      before = await createSession(original, threads);
    } catch (err) {
      report.failures.push(`the original model does not load in ONNX Runtime: ${message(err)}`);
      return report;
    }
    try {
      after = await createSession(transformed, threads);
    } catch (err) {
      report.failures.push(`the transformed model does not load in ONNX Runtime: ${message(err)}`);
      return report;
    }
    const { samples, generated } = sampleInputs(original.model, before, options);
    report.inputs = {
      generated,
      samples: samples.length,
      shapes: Object.fromEntries(Object.entries(samples[0] ?? {}).map(([k, t]) => [k, [...t.dims]])),
    };
    if (generated) {
      report.notes.push(
        `inputs: ${samples.length} generated sample${samples.length === 1 ? '' : 's'} (uniform in [-1, 1)), not real data: errors on real inputs may differ`,
      );
    }
    const ref = new Map<string, { shape: number[]; values: Float64Array[] }>();
    const got = new Map<string, { shape: number[]; values: Float64Array[] }>();
    const feedFor = (s: ort.InferenceSession, feed: Record<string, ort.Tensor>) =>
      Object.fromEntries(Object.entries(feed).filter(([k]) => s.inputNames.includes(k)));
    for (const feed of samples) {
      let ra: ort.InferenceSession.ReturnType;
      let rb: ort.InferenceSession.ReturnType;
      try {
        ra = await before.run(feedFor(before, feed), quiet);
      } catch (err) {
        report.failures.push(`the original model fails to run: ${message(err)}`);
        return report;
      }
      try {
        rb = await after.run(feedFor(after, feed), quiet);
      } catch (err) {
        report.failures.push(`the transformed model fails to run: ${message(err)}`);
        return report;
      }
      for (const [map, r] of [
        [ref, ra],
        [got, rb],
      ] as const) {
        for (const [name, t] of Object.entries(r)) {
          const v = toNumbers(t);
          if (!v) continue;
          const e = map.get(name) ?? { shape: [...t.dims], values: [] };
          e.values.push(v);
          map.set(name, e);
        }
      }
    }
    const producers = new Map<string, string>();
    for (const n of original.model.graph.nodes) for (const o of n.outputs) producers.set(o, n.opType);
    for (const [name, r] of ref) {
      const t = got.get(name);
      if (!t) {
        report.failures.push(`the transformed model has no output '${name}'`);
        continue;
      }
      if (t.shape.join(',') !== r.shape.join(',')) {
        report.failures.push(`output '${name}' changed shape: [${r.shape.join(', ')}] → [${t.shape.join(', ')}]`);
        report.outputs.push({
          name,
          shape: r.shape,
          transformedShape: t.shape,
          maxAbsError: Number.NaN,
          meanAbsError: Number.NaN,
          cosine: Number.NaN,
          snrDb: Number.NaN,
          classifier: false,
          top1Agreement: null,
        });
        continue;
      }
      const a = concat(r.values);
      const b = concat(t.values);
      const m = compareArrays(a, b);
      const classes = r.shape[r.shape.length - 1] ?? 0;
      const producer = producers.get(name);
      const logits =
        options.logitOutputs === true &&
        r.shape.length === 2 &&
        classes <= 1000 &&
        (producer === 'Gemm' || producer === 'MatMul' || producer === 'Add');
      const classifier =
        classes >= 2 &&
        (producer === 'Softmax' || producer === 'LogSoftmax' || logits || looksLikeProbabilities(a, classes));
      report.outputs.push({
        name,
        shape: r.shape,
        ...m,
        classifier,
        top1Agreement: classifier ? top1Agreement(a, b, classes) : null,
      });
    }
    const outs = report.outputs.filter((o) => !o.transformedShape);
    if (outs.length) {
      report.summary = {
        cosine: Math.min(...outs.map((o) => o.cosine)),
        maxAbsError: Math.max(...outs.map((o) => o.maxAbsError)),
        snrDb: Math.min(...outs.map((o) => o.snrDb)),
        top1Agreement: outs.some((o) => o.classifier)
          ? Math.min(...outs.filter((o) => o.classifier).map((o) => o.top1Agreement as number))
          : null,
      };
    }
    for (const o of outs) {
      if (!(o.cosine >= thresholds.minCosine)) {
        report.failures.push(
          `output '${o.name}': cosine similarity ${fmt(o.cosine, 6)} is below the threshold ${thresholds.minCosine}`,
        );
      }
      if (thresholds.maxAbsError !== undefined && !(o.maxAbsError <= thresholds.maxAbsError)) {
        report.failures.push(
          `output '${o.name}': max abs error ${fmt(o.maxAbsError, 6)} is above the threshold ${thresholds.maxAbsError}`,
        );
      }
      if (thresholds.minSnrDb !== undefined && !(o.snrDb >= thresholds.minSnrDb)) {
        report.failures.push(`output '${o.name}': SNR ${fmt(o.snrDb, 2)} dB is below ${thresholds.minSnrDb} dB`);
      }
      if (thresholds.minTop1 !== undefined && o.classifier && !((o.top1Agreement ?? 0) >= thresholds.minTop1)) {
        report.failures.push(
          `output '${o.name}': top-1 agreement ${fmt(o.top1Agreement ?? 0, 4)} is below ${thresholds.minTop1}`,
        );
      }
    }

    const runs = options.latencyRuns ?? 10;
    if (runs > 0 && samples.length) {
      const fa = feedFor(before, samples[0]);
      const fb = feedFor(after, samples[0]);
      for (let w = 0; w < 2; w++) {
        await before.run(fa);
        await after.run(fb);
      }
      const ta: number[] = [];
      const tb: number[] = [];
      for (let k = 0; k < runs; k++) {
        let t0 = performance.now();
        await before.run(fa);
        ta.push(performance.now() - t0);
        t0 = performance.now();
        await after.run(fb);
        tb.push(performance.now() - t0);
      }
      report.hostLatencyMs = { before: median(ta), after: median(tb) };
      report.notes.push(
        `host latency: median of ${runs} runs each on this machine (ONNX Runtime CPU, ${threads} thread${threads === 1 ? '' : 's'}, all graph optimizations)`,
      );
    }
    report.ok = report.failures.length === 0;
    return report;
  } finally {
    await before?.release().catch(() => undefined);
    await after?.release().catch(() => undefined);
  }
}

/** Run errors are reported in the validation report; ONNX Runtime need not print them too. */
const quiet: ort.InferenceSession.RunOptions = { logSeverityLevel: 4 };

function concat(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0];
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

// ---------------------------------------------------------------------------------------------------------------
// Constant folding in ONNX Runtime

/** A ConstantEvaluator (preprocess.ts) that runs the constant subgraph once in ONNX Runtime. */
export const ortConstantEvaluator: ConstantEvaluator = async (model) => {
  const session = await ort.InferenceSession.create(encodeModel(model), {
    graphOptimizationLevel: 'disabled',
    logSeverityLevel: 3,
  });
  try {
    const result = await session.run({});
    const out = new Map<string, Tensor>();
    for (const [name, t] of Object.entries(result)) out.set(name, irTensor(name, t));
    return out;
  } finally {
    await session.release().catch(() => undefined);
  }
};

function irTensor(name: string, t: ort.Tensor): Tensor {
  const dataType = t.type === 'bool' ? DataType.BOOL : dataTypeOfOrt(t.type);
  if (dataType === undefined || t.type === 'string') throw new Error(`output '${name}' has type ${t.type}`);
  const d = t.data as ArrayBufferView;
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  // ONNX Runtime's buffers are in host byte order, little-endian on every platform it ships for.
  return rawTensor(name, dataType, [...t.dims], bytes);
}
