/**
 * The `host-cpu` profile from numbers measured on this machine: what the microbenchmarks of
 * src/core/runtime/hostBench.ts measured in ONNX Runtime (float32 and int8 MAC/s, memory bandwidth, overheads;
 * each the fastest of several runs, since other processes competing for the CPU only ever add time)
 * and, when present, efficiency factors fitted (calibrate.ts) to a fixed set of synthetic models run on this
 * machine (src/core/runtime/hostCalibration.ts). The record is cached as JSON keyed by CPU and ONNX Runtime
 * version; this module only turns text into records and records into a profile (the caller does the I/O).
 *
 * Optimization levels: the profile describes ONNX Runtime with graph optimizations disabled, the level measured
 * profiling uses by default. At that level ONNX Runtime fuses nothing and folds no constants (only Constant nodes
 * become initializers), so `hostCpuProfile` drops the fusions and `hostRuntimeCost` prices the layers the cost
 * model folds. At `basic` ONNX Runtime folds constants and applies its basic-level fusions; at `extended`/`all` it
 * also fuses activations and (`all`) rewrites convolutions to NCHWc kernels, which the efficiency factors, fitted
 * at `disabled`, do not describe.
 *
 * Kernel choices the roofline cannot see, measured by hostBench.ts and added by `hostRuntimeCost` to a copy of the
 * cost used for pricing on this runtime (the cost reports of other commands are not affected):
 *   - below level `all`, ONNX Runtime's Conv and ConvInteger kernels run one small GEMM per group, each costing a
 *     fixed time however small the group: added as MAC-equivalents (groups × per-group time × the layer's
 *     effective MAC rate on the profile), which the estimate turns back into exactly that time;
 *   - ConvInteger with int8 weights takes a slower kernel than with uint8 weights (whose rate is the int8 peak):
 *     its MACs count as many times more as the measured rates differ;
 *   - LRN's kernel is far slower per element than the other non-MAC ops its class is fitted on: its FLOPs are
 *     rescaled so that the estimate gives the measured time per FLOP;
 *   - the profile's bandwidth is what activation-sized tensors see; a tensor larger than the last-level cache
 *     (weights of large fully connected layers, generated weights) streams from RAM, so its bytes count as many
 *     times more as the cache and RAM bandwidths differ.
 */

import type { LayerCost, ModelProfile } from '../analysis/cost.js';
import type { ValueFacts } from '../analysis/facts.js';
import { DataType, dataTypeName, storageBytes } from '../onnx/dtype.js';
import { type Model, opsetVersion } from '../onnx/ir.js';
import { elementCount } from '../onnx/tensor.js';
import { buildHostCpuProfile } from './builtinProfiles.js';
import { opClassOf } from './estimate.js';
import { type HardwareProfile, OP_CLASSES, type OpClass, peakMacsPerSec, type SizeCost } from './profile.js';

export type HostOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** The machine and runtime a record belongs to. */
export interface HostIdentity {
  /** CPU model string (`os.cpus()[0].model`). */
  cpuModel: string;
  logicalCpus: number;
  arch: string;
  onnxRuntimeVersion: string;
}

export interface HostBenchmarkRecord {
  id: string;
  description: string;
  ms: number;
  value: number;
  unit: string;
}

/** Efficiency factors fitted to synthetic models measured on this machine. */
export interface HostFit {
  optimization: HostOptimizationLevel;
  efficiency: Record<OpClass, number>;
  /** Kernel time per op fitted on overhead-bound layers (the inter-kernel gap is added separately). */
  kernelOverheadSec: number;
  /**
   * Executor time between kernels as the synthetic models show it (wall − kernel time, less the per-run and
   * size-dependent parts): real graphs pay more per node than the chained one-element Adds of the microbenchmark.
   */
  interKernelSec?: number;
  /** The synthetic models, as `name (description)`. */
  models: string[];
  units: number;
  /** Median |error| per layer and of model totals (kernel time), before (assumed factors) and after the fit. */
  before: { layerPct: number; totalPct: number };
  after: { layerPct: number; totalPct: number };
  /** Layers that informed each class (0: the class kept its assumed factor). */
  unitsPerClass: Record<OpClass, number>;
}

export interface HostCpuRecord {
  /** Cache key: `hostCpuKey(identity)`. */
  key: string;
  identity: HostIdentity;
  /** ISO time of the measurement. */
  measuredAt: string;
  threads: number;
  clockMHz?: number;
  memoryBytes?: number;
  /** Best float32 rate (MatMul or Conv kernel), MAC/s. */
  float32MacsPerSec: number;
  /** Best int8 convolution rate (ConvInteger), MAC/s: the reference the conv efficiency applies to. */
  int8MacsPerSec?: number;
  /** Add of activation-sized (cache-resident) tensors, bytes as the cost model counts them. */
  bandwidthBytesPerSec: number;
  /** The same Add on tensors larger than the caches. */
  ramBandwidthBytesPerSec?: number;
  /** Kernel time of a trivial op. */
  kernelOverheadSec: number;
  /** Executor time between kernels. */
  interKernelSec: number;
  perInferenceOverheadSec: number;
  /** Time per group of ONNX Runtime's grouped convolution below level `all`. */
  groupedConvPerGroupSec?: number;
  /** The same for ConvInteger (uint8 × int8). */
  groupedConvIntegerPerGroupSec?: number;
  /** ConvInteger's rate with uint8 weights over its rate with int8 weights (different kernels). */
  convIntegerInt8WeightSlowdown?: number;
  /** LRN seconds per FLOP of the cost model's count. */
  lrnSecPerFlop?: number;
  /** Largest CPU cache; tensors beyond it stream from RAM at `ramBandwidthBytesPerSec`. */
  lastLevelCacheBytes?: number;
  /** Kernel time of float32 Conv, depthwise Conv and Gemm/MatMul as fitted to shape microbenchmarks. */
  kernelModels?: {
    conv?: KernelCostModel;
    /** 1×1 convolutions with unit strides and no padding (MLAS runs them as a GEMM on the input). */
    pointwise?: KernelCostModel;
    /** Depthwise convolutions of stride 1, and (`depthwiseStrided`) of larger strides, which take another path. */
    depthwise?: KernelCostModel;
    depthwiseStrided?: KernelCostModel;
    gemm?: KernelCostModel;
    /** ConvInteger with int8 weights (uint8 input), dense and depthwise. */
    convInteger?: KernelCostModel;
    convIntegerDepthwise?: KernelCostModel;
  };
  /** ai.onnx.ml SVMClassifier (with support vectors) by kernel type, fitted to shape microbenchmarks (svmFeatures). */
  svmModels?: Partial<Record<SvmKernelKey, KernelCostModel>>;
  /** Kernel time per element written, by op type (ops priced by the elements they write). */
  opSecPerElement?: Record<string, number>;
  /** Extra time per op of a type over a one-element Add. */
  opOverheadSec?: Record<string, number>;
  /** Executor time between kernels beyond a one-element op's, by the bytes the op writes. */
  gapByOutputBytes?: SizeCost[];
  /** run() time beyond a one-element graph's, by the bytes of the graph's inputs and outputs. */
  runByIoBytes?: SizeCost[];
  benchmarks: HostBenchmarkRecord[];
  fit?: HostFit;
}

/**
 * Time of one call of a GEMM-based kernel as a sum of physical terms, each a measured cost per unit:
 *   perCall      set-up (argument checks, buffer allocation, thread-pool dispatch)
 *   perMac       the multiply-accumulates (the GEMM's inner kernel)
 *   perOutput    each output element written (bias, activation, store): M·N
 *   perPatch     each element of the unfolded input (im2col / packing of B): K·N
 *   perWeight    each weight element touched per call (packing of A): M·K
 *   perGroup     each group of a grouped convolution (one small GEMM per group)
 *   perRow       each row the unfolding copies: one per input channel, kernel tap and output row (im2col and the
 *                direct depthwise kernel walk the output row by row, so a tall narrow map costs more than a wide
 *                flat one of the same size: measured 32 µs for a 32-channel depthwise 3×3 on 25×5 against 16 µs
 *                on 5×25)
 * No term is negative: the fit (hostBench.ts fitKernelCostModel) is a non-negative least squares, terms it leaves
 * out are 0.
 */
export interface KernelCostModel {
  perCall: number;
  perMac: number;
  perOutput: number;
  perPatch: number;
  perWeight: number;
  perGroup: number;
  perRow: number;
  /** Shapes it was fitted on, and the median |error| of the fit over them, percent. */
  shapes: number;
  medianAbsErrorPct: number;
}

export interface KernelFeatures {
  macs: number;
  outputs: number;
  patch: number;
  weights: number;
  groups: number;
  /** Rows the unfolding copies (convolutions: input channels × kernel taps × output rows; 0 otherwise). */
  rows: number;
}

export const KERNEL_TERMS = ['perCall', 'perMac', 'perOutput', 'perPatch', 'perWeight', 'perGroup', 'perRow'] as const;
export type KernelTerm = (typeof KERNEL_TERMS)[number];

export function featureOf(f: KernelFeatures, t: KernelTerm): number {
  switch (t) {
    case 'perCall':
      return 1;
    case 'perMac':
      return f.macs;
    case 'perOutput':
      return f.outputs;
    case 'perPatch':
      return f.patch;
    case 'perWeight':
      return f.weights;
    case 'perGroup':
      return f.groups;
    case 'perRow':
      return f.rows;
  }
}

/** Seconds the model predicts for a kernel call with these features. */
export function kernelTime(m: Omit<KernelCostModel, 'shapes' | 'medianAbsErrorPct'>, f: KernelFeatures): number {
  return KERNEL_TERMS.reduce((s, t) => s + m[t] * featureOf(f, t), 0);
}

export type SvmKernelKey = 'LINEAR' | 'POLY' | 'RBF' | 'SIGMOID';

/**
 * Key of the per-element rate of Softmax over an axis that is not the last (opset 13 on): ONNX Runtime transposes
 * that axis last and back around its kernel, an order of magnitude slower per element than over the last axis.
 */
export const SOFTMAX_NOT_LAST_AXIS = 'Softmax(axis not last)';

/**
 * Features of an SVMClassifier call on N examples against S support vectors of F features in C classes, in the
 * terms of KernelCostModel: perMac the kernel's N·S·F multiply-adds, perPatch its N·S per-vector finish (RBF's
 * exponential, POLY's power), perOutput the one-vs-one decision's N·(C−1)·S multiply-adds (N·S with 2 classes).
 */
export function svmFeatures(n: number, vectors: number, features: number, classes: number): KernelFeatures {
  return {
    macs: n * vectors * features,
    outputs: n * (classes > 2 ? classes - 1 : 1) * vectors,
    patch: n * vectors,
    weights: vectors * features,
    groups: 1,
    rows: 0,
  };
}

/** The cache file: records by key. */
export interface HostCpuCache {
  version: typeof HOST_CPU_CACHE_VERSION;
  records: Record<string, HostCpuRecord>;
}

/**
 * 2: records carry the kernel regressions and size-dependent overheads; 3: per-run and per-node overheads timed as
 * measurements time a model (medians), convolution fits with a per-row term, SVMClassifier fits. Records of
 * another version are measured again.
 */
export const HOST_CPU_CACHE_VERSION = 3;

export function hostCpuKey(id: HostIdentity): string {
  return `${id.cpuModel.trim()} | ${id.logicalCpus} logical CPUs | ${id.arch} | onnxruntime-node ${id.onnxRuntimeVersion}`;
}

/** Parses cache text; anything unreadable or of another version gives an empty cache (it is only a cache). */
export function parseHostCpuCache(text: string | undefined): HostCpuCache {
  const empty: HostCpuCache = { version: HOST_CPU_CACHE_VERSION, records: {} };
  if (!text) return empty;
  try {
    const v = JSON.parse(text) as Partial<HostCpuCache>;
    if (v?.version !== HOST_CPU_CACHE_VERSION || !v.records || typeof v.records !== 'object') return empty;
    const records: Record<string, HostCpuRecord> = {};
    for (const [k, r] of Object.entries(v.records)) if (isRecord(r) && r.key === k) records[k] = r;
    return { version: HOST_CPU_CACHE_VERSION, records };
  } catch {
    return empty;
  }
}

function isRecord(r: unknown): r is HostCpuRecord {
  if (!r || typeof r !== 'object') return false;
  const o = r as Record<string, unknown>;
  const pos = (k: string) => typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) > 0;
  const nonNeg = (k: string) => typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0;
  if (o.fit !== undefined) {
    const fit = o.fit as Partial<HostFit> | null;
    if (!fit || typeof fit !== 'object' || !fit.efficiency) return false;
    for (const c of OP_CLASSES) {
      const e = fit.efficiency[c];
      if (!(typeof e === 'number' && e > 0 && e <= 1)) return false;
    }
  }
  const table = (k: string) =>
    o[k] === undefined ||
    (Array.isArray(o[k]) &&
      (o[k] as unknown[]).every(
        (p) =>
          !!p &&
          typeof (p as SizeCost).bytes === 'number' &&
          (p as SizeCost).bytes >= 0 &&
          typeof (p as SizeCost).sec === 'number' &&
          (p as SizeCost).sec >= 0,
      ));
  const rates = (k: string) =>
    o[k] === undefined ||
    (!!o[k] &&
      typeof o[k] === 'object' &&
      Object.values(o[k] as object).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0));
  for (const field of ['kernelModels', 'svmModels']) {
    const models = o[field] as Record<string, Partial<KernelCostModel>> | undefined;
    if (models === undefined) continue;
    if (!models || typeof models !== 'object') return false;
    for (const m of Object.values(models))
      if (!m || KERNEL_TERMS.some((k) => !(typeof m[k] === 'number' && (m[k] as number) >= 0))) return false;
  }
  return (
    table('gapByOutputBytes') &&
    table('runByIoBytes') &&
    rates('opSecPerElement') &&
    rates('opOverheadSec') &&
    typeof o.key === 'string' &&
    pos('float32MacsPerSec') &&
    pos('bandwidthBytesPerSec') &&
    nonNeg('kernelOverheadSec') &&
    nonNeg('interKernelSec') &&
    nonNeg('perInferenceOverheadSec') &&
    (o.int8MacsPerSec === undefined || pos('int8MacsPerSec')) &&
    (o.groupedConvPerGroupSec === undefined || nonNeg('groupedConvPerGroupSec')) &&
    (o.groupedConvIntegerPerGroupSec === undefined || nonNeg('groupedConvIntegerPerGroupSec')) &&
    (o.convIntegerInt8WeightSlowdown === undefined || pos('convIntegerInt8WeightSlowdown')) &&
    (o.lrnSecPerFlop === undefined || pos('lrnSecPerFlop')) &&
    (o.lastLevelCacheBytes === undefined || pos('lastLevelCacheBytes')) &&
    (o.ramBandwidthBytesPerSec === undefined || pos('ramBandwidthBytesPerSec'))
  );
}

/** The cache with `record` added (replacing one with the same key). */
export function withRecord(cache: HostCpuCache, record: HostCpuRecord): HostCpuCache {
  return { version: HOST_CPU_CACHE_VERSION, records: { ...cache.records, [record.key]: record } };
}

export function serializeHostCpuCache(cache: HostCpuCache): string {
  return `${JSON.stringify(cache, null, 2)}\n`;
}

const sig = (x: number, d = 3) => Number(x.toPrecision(d));
const g = (x: number) => `${sig(x / 1e9)}e9`;
const us = (s: number) => `${sig(s * 1e6)} µs`;

/** Fusions ONNX Runtime applies at a graph optimization level, from the host profile's fusion rules. */
export function fusionsAtLevel(profile: HardwareProfile, level: HostOptimizationLevel): HardwareProfile['fusions'] {
  if (level === 'disabled') return [];
  if (level === 'basic') return profile.fusions.filter((f) => /basic level/.test(f.description ?? ''));
  return profile.fusions;
}

/**
 * The host-cpu profile for a measured record (absent: the assumed placeholders of builtinProfiles.ts), for ONNX
 * Runtime at `optimization` (default `disabled`, which the record's fit describes).
 */
export function hostCpuProfile(
  record?: HostCpuRecord,
  options: { optimization?: HostOptimizationLevel } = {},
): HardwareProfile {
  const level = options.optimization ?? 'disabled';
  if (!record) {
    const p = buildHostCpuProfile();
    p.fusions = fusionsAtLevel(p, level);
    return p;
  }
  const when = record.measuredAt.slice(0, 10);
  const how = `edge-profile host benchmark in ONNX Runtime ${record.identity.onnxRuntimeVersion}, ${record.threads} thread, ${when}`;
  const bench = (id: string) => record.benchmarks.find((b) => b.id === id);
  const describe = (id: string) => {
    const b = bench(id);
    return b ? `${b.description}: ${sig(b.ms)} ms` : id;
  };
  const p = buildHostCpuProfile({
    peakFlopsPerSec: 2 * record.float32MacsPerSec,
    ...(record.int8MacsPerSec !== undefined ? { peakInt8OpsPerSec: 2 * record.int8MacsPerSec } : {}),
    memoryBandwidthBytesPerSec: record.bandwidthBytesPerSec,
    ...(record.memoryBytes !== undefined ? { memoryBytes: record.memoryBytes } : {}),
    ...(record.clockMHz !== undefined ? { clockMHz: record.clockMHz } : {}),
    cpuName: record.identity.cpuModel,
    threads: record.threads,
    source: how,
    onnxRuntimeVersion: record.identity.onnxRuntimeVersion,
  });
  const f32 = ['matmul-f32', 'conv-f32'].filter((id) => bench(id)).map(describe);
  p.sources['compute.float32.macsPerSec'] =
    `measured: ${how}; the faster kernel of ${f32.join(' and ')} → ${g(record.float32MacsPerSec)} MAC/s`;
  if (record.int8MacsPerSec !== undefined) {
    const mmi = bench('matmulinteger-u8s8');
    p.sources['compute.int8.macsPerSec'] =
      `measured: ${how}; the faster int8 convolution (ConvInteger uint8×int8 or uint8×uint8) → ${g(record.int8MacsPerSec)} MAC/s. ` +
      `Efficiency factors are per op class for every element type, so the int8 reference is the kernel int8 CNNs run${
        mmi ? ` (MatMulInteger reaches ${g(mmi.value)} MAC/s)` : ''
      }`;
  }
  p.sources['memory.dram.bandwidthBytesPerSec'] =
    `measured: ${how}; ${describe('add-bandwidth')} → ${g(record.bandwidthBytesPerSec)} B/s as the cost model counts bytes (inputs + output): activation-sized tensors, so caches included${
      record.ramBandwidthBytesPerSec !== undefined
        ? ` (streaming from RAM, ${describe('add-bandwidth-ram')}: ${g(record.ramBandwidthBytesPerSec)} B/s)`
        : ''
    }`;
  p.memory.dram = {
    description: 'host RAM behind the CPU caches (bandwidth as activation-sized tensors see it)',
    ...(p.memory.dram?.bytes !== undefined ? { bytes: p.memory.dram.bytes } : {}),
    bandwidthBytesPerSec: record.bandwidthBytesPerSec,
  };
  if (record.clockMHz !== undefined) p.sources.clockMHz = 'measured: /proc/cpuinfo "cpu MHz" at benchmark time';
  p.perInferenceOverheadSec = record.perInferenceOverheadSec;
  p.sources.perInferenceOverheadSec = `measured: ${how}; ${describe('run-overhead')}`;
  const kernelOverhead = record.fit?.kernelOverheadSec ?? record.kernelOverheadSec;
  const gap = Math.max(record.interKernelSec, record.fit?.interKernelSec ?? 0);
  p.perOpOverheadSec = kernelOverhead + gap;
  p.sources.perOpOverheadSec = `measured: ${how}; kernel time of a trivial op ${us(kernelOverhead)}${
    record.fit ? ' (fitted on overhead-bound layers of the synthetic models)' : ` (${describe('op-overhead')})`
  } + time between kernels ${us(gap)} (${
    gap > record.interKernelSec
      ? `wall − kernel time of the synthetic models per node, less the per-run and size-dependent parts; ${describe('inter-kernel')} gives ${us(record.interKernelSec)}`
      : describe('inter-kernel')
  })`;
  if (record.fit) {
    const fit = record.fit;
    p.efficiency = { ...fit.efficiency };
    for (const c of OP_CLASSES) {
      const n = fit.unitsPerClass[c] ?? 0;
      if (n > 0)
        p.sources[`efficiency.${c}`] =
          `calibrated: fitted (calibrate.ts) to ${n} measured layers of synthetic models on this machine at optimization level ${fit.optimization}: ${fit.models.join('; ')}`;
    }
    p.calibration = {
      status: 'calibrated',
      measurements: fit.models.length,
      medianAbsErrorPct: sig(fit.after.totalPct, 3),
      source: `synthetic models measured on this machine (${when}), ONNX Runtime kernel times; median |error| per layer ${sig(fit.after.layerPct, 3)}% (before the fit: ${sig(fit.before.layerPct, 3)}%)`,
    };
  }
  if (record.opOverheadSec && Object.keys(record.opOverheadSec).length) {
    p.opOverheadSec = { ...record.opOverheadSec };
    for (const k of Object.keys(record.opOverheadSec))
      p.sources[`opOverheadSec.${k}`] = `measured: ${how}; ${describe(`op-overhead-${k}`)}`;
  }
  const table = (
    field: 'overheadByOutputBytes' | 'perInferenceByIoBytes',
    points: SizeCost[] | undefined,
    what: string,
  ) => {
    if (!points?.length) return;
    p[field] = points.map((x) => ({ ...x }));
    points.forEach((_, i) => {
      p.sources[`${field}.${i}.bytes`] = `measured: ${how}; ${what}: the tensor size benchmarked`;
      p.sources[`${field}.${i}.sec`] =
        `measured: ${how}; ${what} (chains of 1 and 9 Relus; ${record.benchmarks.filter((b) => b.id.startsWith('gap-')).length} sizes, the fastest of three interleaved rounds each)`;
    });
  };
  table(
    'overheadByOutputBytes',
    record.gapByOutputBytes,
    'executor time between kernels beyond a one-element op, by output bytes',
  );
  table('perInferenceByIoBytes', record.runByIoBytes, 'run() time beyond a one-element graph, by input + output bytes');
  p.fusions = fusionsAtLevel(p, level);
  p.description = `${p.description}; graph optimization level ${level}${
    level === 'disabled' ? '' : ' (efficiency factors were fitted at level disabled)'
  }${
    record.groupedConvPerGroupSec !== undefined && level !== 'all'
      ? `; grouped convolutions cost ${us(record.groupedConvPerGroupSec)} per group more (measured)`
      : ''
  }; estimates on this runtime also price ConvInteger with int8 weights, LRN and tensors larger than the last-level cache as measured (hostRuntimeCost)${
    record.kernelModels
      ? '; float32 Conv, depthwise Conv and Gemm/MatMul kernel times come from a cost model fitted to shape microbenchmarks'
      : ''
  }${record.opSecPerElement ? '; element-wise and data-movement ops from their measured time per element written' : ''}${
    record.svmModels && Object.keys(record.svmModels).length
      ? '; ai.onnx.ml SVMClassifier from a cost model per kernel type fitted to SVM microbenchmarks'
      : ''
  }`;
  return p;
}

/** The kernel measurements `hostRuntimeCost` uses (a HostCpuRecord has them). */
export type HostKernelCosts = Partial<
  Pick<
    HostCpuRecord,
    | 'groupedConvPerGroupSec'
    | 'groupedConvIntegerPerGroupSec'
    | 'convIntegerInt8WeightSlowdown'
    | 'lrnSecPerFlop'
    | 'lastLevelCacheBytes'
    | 'bandwidthBytesPerSec'
    | 'ramBandwidthBytesPerSec'
    | 'kernelModels'
    | 'svmModels'
    | 'opSecPerElement'
    | 'kernelOverheadSec'
    | 'fit'
  >
>;

export interface RuntimeCostOptions {
  level: HostOptimizationLevel;
  /** The profile the estimate uses (its peaks and efficiencies turn per-group time into MAC-equivalents). */
  profile?: HardwareProfile;
  /** Measured kernel costs (absent: only the constant-folding difference is applied). */
  kernels?: HostKernelCosts;
}

function dtypeOfInput(facts: ReadonlyMap<string, ValueFacts>, name: string | undefined): string {
  const f = facts.get(name ?? '');
  return f?.kind === 'tensor' && f.dtype !== undefined ? dataTypeName(f.dtype) : 'float32';
}

function knownShape(facts: ReadonlyMap<string, ValueFacts>, name: string | undefined): number[] | undefined {
  const f = facts.get(name ?? '');
  if (f?.kind !== 'tensor' || !f.shape || f.shape.some((d) => typeof d !== 'number')) return undefined;
  return f.shape as number[];
}

/** Elements a node writes (all its outputs), or undefined when some output's size is unknown. */
function elementsWritten(node: Model['graph']['nodes'][number], facts: ReadonlyMap<string, ValueFacts>) {
  let total = 0;
  for (const o of node.outputs) {
    if (!o) continue;
    const s = knownShape(facts, o);
    if (!s) return undefined;
    total += elementCount(s);
  }
  return total;
}

/**
 * Kernel time of a layer from the record's measured kernel models, where one applies: float32 Conv (dense,
 * grouped, depthwise) and Gemm/MatMul from the fitted shape regressions, ops of the per-element table from their
 * time per element written. Undefined: the roofline prices the layer as before.
 */
export function measuredKernelSec(
  node: Model['graph']['nodes'][number],
  layer: LayerCost,
  facts: ReadonlyMap<string, ValueFacts>,
  kernels: HostKernelCosts,
  /** The model's ai.onnx opset (Softmax's axis means a trailing block before 13, a single axis from 13). */
  opset = 13,
): number | undefined {
  if (node.domain === 'ai.onnx.ml' && node.opType === 'SVMClassifier') return svmKernelSec(node, facts, kernels);
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  const dtype = dtypeOfInput(facts, node.inputs[0]);
  const models = kernels.kernelModels;
  const macs = layer.macs ?? 0;
  if (node.opType === 'Conv' && dtype === 'float32' && models && macs > 0) {
    const y = knownShape(facts, node.outputs[0]);
    const w = knownShape(facts, node.inputs[1]);
    if (!y || !w || y.length < 3) return undefined;
    const outputs = elementCount(y);
    const cout = y[1];
    const pixels = outputs / cout;
    const a = node.attributes.find((x) => x.name === 'group');
    const g = a?.type === 'int' ? Number(a.value) : 1;
    const kdim = elementCount(w.slice(1));
    const depthwise = g > 1 && w[1] === 1;
    const strides = node.attributes.find((x) => x.name === 'strides');
    const strided = strides?.type === 'ints' && strides.value.some((v) => Number(v) > 1);
    const dwModel = strided ? (models.depthwiseStrided ?? models.depthwise) : models.depthwise;
    const rows = unfoldRows(g, kdim, y);
    if (depthwise && dwModel) {
      return kernelTime(dwModel, { macs, outputs, patch: macs, weights: elementCount(w), groups: g, rows });
    }
    // A pointwise convolution with unit strides and no padding is a GEMM on the input itself: nothing unfolded
    // (MLAS GemmDirect), priced by its own fit where the record has one.
    const ints = (name: string) => {
      const at = node.attributes.find((x) => x.name === name);
      return at?.type === 'ints' ? at.value.map(Number) : [];
    };
    const direct =
      w.slice(2).every((d) => d === 1) && ints('strides').every((v) => v === 1) && ints('pads').every((v) => v === 0);
    const features = {
      macs,
      outputs,
      patch: g * kdim * pixels,
      weights: cout * kdim,
      groups: g,
      rows: direct ? 0 : rows,
    };
    const fitted = direct && g === 1 && models.pointwise ? models.pointwise : models.conv;
    if (!fitted) return undefined;
    // A grouped (not depthwise) convolution runs one small GEMM per group: the per-group time is the depthwise fit's.
    return kernelTime(fitted, features) + (g > 1 ? g * (models.depthwise?.perGroup ?? 0) : 0);
  }
  const wFacts = facts.get(node.inputs[1] ?? '');
  if (
    node.opType === 'ConvInteger' &&
    wFacts?.kind === 'tensor' &&
    wFacts.dtype === DataType.INT8 &&
    (models?.convInteger || models?.convIntegerDepthwise) &&
    macs > 0
  ) {
    const y = knownShape(facts, node.outputs[0]);
    const w = knownShape(facts, node.inputs[1]);
    if (!y || !w || y.length < 3) return undefined;
    const outputs = elementCount(y);
    const a = node.attributes.find((x) => x.name === 'group');
    const g = a?.type === 'int' ? Number(a.value) : 1;
    const kdim = elementCount(w.slice(1));
    if (g > 1 && w[1] === 1 && models.convIntegerDepthwise)
      return kernelTime(models.convIntegerDepthwise, {
        macs,
        outputs,
        patch: macs,
        weights: elementCount(w),
        groups: g,
        rows: unfoldRows(g, kdim, y),
      });
    if (g === 1 && models.convInteger)
      return kernelTime(models.convInteger, {
        macs,
        outputs,
        patch: kdim * (outputs / y[1]),
        weights: y[1] * kdim,
        groups: 1,
        rows: unfoldRows(1, kdim, y),
      });
    return undefined;
  }
  if ((node.opType === 'Gemm' || node.opType === 'MatMul') && dtype === 'float32' && models?.gemm && macs > 0) {
    const y = knownShape(facts, node.outputs[0]);
    if (!y?.length) return undefined;
    const outputs = elementCount(y);
    const n = y[y.length - 1];
    const k = macs / outputs;
    return kernelTime(models.gemm, { macs, outputs, patch: (outputs / n) * k, weights: k * n, groups: 1, rows: 0 });
  }
  let perElement = kernels.opSecPerElement?.[node.opType];
  if (node.opType === 'Softmax' && opset >= 13) {
    const x = knownShape(facts, node.inputs[0]);
    const a = node.attributes.find((v) => v.name === 'axis');
    const axis = a?.type === 'int' ? Number(a.value) : -1;
    const rank = x?.length ?? 0;
    const notLast = rank > 0 && (axis < 0 ? axis + rank : axis) < rank - 1;
    if (notLast && x && elementCount(x.slice((axis < 0 ? axis + rank : axis) + 1)) > 1)
      perElement = kernels.opSecPerElement?.[SOFTMAX_NOT_LAST_AXIS] ?? perElement;
  }
  if (perElement !== undefined && macs === 0) {
    const e = elementsWritten(node, facts);
    return e === undefined ? undefined : (kernels.kernelOverheadSec ?? 0) + e * perElement;
  }
  return undefined;
}

/** Rows a convolution's unfolding copies: groups × (input channels per group × kernel taps) × output rows. */
function unfoldRows(groups: number, kdim: number, y: readonly number[]): number {
  return groups * kdim * elementCount(y.slice(2, -1));
}

/** SVMClassifier with support vectors from the record's fit for its kernel type; undefined when none applies. */
function svmKernelSec(
  node: Model['graph']['nodes'][number],
  facts: ReadonlyMap<string, ValueFacts>,
  kernels: HostKernelCosts,
): number | undefined {
  const attr = (name: string) => node.attributes.find((a) => a.name === name);
  const kind = attr('kernel_type');
  const key = (kind?.type === 'string' ? String(kind.value) : 'LINEAR').toUpperCase() as SvmKernelKey;
  const model = kernels.svmModels?.[key];
  const perClass = attr('vectors_per_class');
  const labels = attr('classlabels_ints') ?? attr('classlabels_strings');
  const x = knownShape(facts, node.inputs[0]);
  if (!model || perClass?.type !== 'ints' || !labels || !x?.length) return undefined;
  const vectors = perClass.value.reduce((a: number, v) => a + Number(v), 0);
  const classes =
    Array.isArray(labels.value) || ArrayBuffer.isView(labels.value) ? (labels.value as ArrayLike<unknown>).length : 0;
  if (!(vectors > 0 && classes > 1)) return undefined;
  const n = x.length === 1 ? 1 : x[0];
  return kernelTime(model, svmFeatures(n, vectors, x[x.length - 1], classes));
}

/**
 * The cost profile as ONNX Runtime's CPU provider executes the model at `level`:
 *   - with optimizations disabled it evaluates constant subgraphs (ConstantOfShape weight generators, weight
 *     Transposes, Dequantize…) on every run, only Constant nodes becoming initializers: those layers are priced as
 *     writing their outputs (no FLOPs);
 *   - the measured kernel facts of the module comment (per-group time of grouped convolutions below level `all`,
 *     ConvInteger with int8 weights, LRN, tensors larger than the last-level cache).
 * Returns `cost` itself when nothing changes.
 */
export function hostRuntimeCost(
  model: Model,
  cost: ModelProfile,
  facts: ReadonlyMap<string, ValueFacts>,
  options: RuntimeCostOptions,
): ModelProfile {
  const { level, profile, kernels } = options;
  const bytes = (name: string): number => {
    const f = facts.get(name);
    if (f?.kind !== 'tensor' || f.dtype === undefined || !f.shape || f.shape.some((d) => typeof d !== 'number'))
      return 0;
    const n = elementCount(f.shape as number[]);
    return Number.isNaN(n) ? 0 : storageBytes(f.dtype, n);
  };
  const groups = (i: number): number => {
    const node = model.graph.nodes[i];
    if (!node || (node.opType !== 'Conv' && node.opType !== 'ConvInteger') || node.domain) return 1;
    const a = node.attributes.find((x) => x.name === 'group');
    return a?.type === 'int' ? Number(a.value) : 1;
  };
  // Bytes of a tensor larger than the last-level cache count as many times more as RAM is slower.
  const cache = kernels?.lastLevelCacheBytes;
  const ramFactor =
    cache &&
    kernels?.ramBandwidthBytesPerSec &&
    kernels.bandwidthBytesPerSec &&
    kernels.bandwidthBytesPerSec > kernels.ramBandwidthBytesPerSec
      ? kernels.bandwidthBytesPerSec / kernels.ramBandwidthBytesPerSec
      : 1;
  const streamed = (b: number) => (ramFactor > 1 && cache !== undefined && b > cache ? b * ramFactor : b);
  let changed = false;
  const layers = cost.layers.map((l): LayerCost => {
    const node = model.graph.nodes[l.index];
    if (l.folded && level === 'disabled' && l.opType !== 'Constant' && node) {
      const out = streamed(node.outputs.filter(Boolean).reduce((s, o) => s + bytes(o), 0));
      const inp = node.inputs.filter(Boolean).reduce((s, i) => s + bytes(i), 0);
      // Its kernel (a fill, a copy, a transpose) at its measured time per element written, where measured.
      const perElement = kernels?.opSecPerElement?.[node.opType];
      const e = perElement !== undefined && profile ? elementsWritten(node, facts) : undefined;
      const fillFlops =
        e !== undefined && perElement !== undefined && profile
          ? e * perElement * (peakMacsPerSec(profile, 'float32') ?? 0) * profile.efficiency[opClassOf(node, facts)]
          : 0;
      const unfolded: LayerCost = {
        ...l,
        macs: 0,
        flops: fillFlops,
        activationBytes: out,
        inputBytes: 0,
        weightBytesRead: inp,
        memoryBytes: inp + out,
      };
      delete unfolded.folded;
      changed = true;
      return unfolded;
    }
    if (!node || l.folded || l.macs === null || l.flops === null || !profile || !kernels) return l;
    const measured = measuredKernelSec(node, l, facts, kernels, opsetVersion(model, '') ?? 13);
    if (measured !== undefined) {
      // Work in the layer's own class so that the estimate's compute time is the measured kernel time (beyond the
      // per-op overhead the estimate adds).
      const cls = opClassOf(node, facts);
      const dtype0 = dtypeOfInput(facts, node.inputs[0]);
      const classRate =
        (peakMacsPerSec(profile, dtype0) ?? peakMacsPerSec(profile, 'float32') ?? 0) * profile.efficiency[cls];
      const base = kernels.fit?.kernelOverheadSec ?? kernels.kernelOverheadSec ?? 0;
      const work = Math.max(0, measured - base) * classRate;
      const macWork = cls === 'conv' || cls === 'depthwise' || cls === 'matmul';
      const macs = macWork ? work : l.macs;
      const flops = macWork ? 2 * work : 2 * l.macs + work;
      const weightBytesRead = streamed(l.weightBytesRead);
      changed = true;
      return {
        ...l,
        macs,
        flops,
        weightBytesRead,
        memoryBytes: l.memoryBytes === null ? null : l.memoryBytes + weightBytesRead - l.weightBytesRead,
      };
    }
    let macs = l.macs;
    let flops = l.flops;
    const integer = node.opType === 'ConvInteger' && !node.domain;
    const slowdown = kernels.convIntegerInt8WeightSlowdown;
    const w = facts.get(node.inputs[1] ?? '');
    if (integer && slowdown && slowdown > 1 && w?.kind === 'tensor' && w.dtype === DataType.INT8) macs *= slowdown;
    const g = groups(l.index);
    const perGroupSec = integer ? kernels.groupedConvIntegerPerGroupSec : kernels.groupedConvPerGroupSec;
    const f = facts.get(node.inputs[0] ?? '');
    const dtype = f?.kind === 'tensor' && f.dtype !== undefined ? dataTypeName(f.dtype) : 'float32';
    const rate = () =>
      (peakMacsPerSec(profile, dtype) ?? peakMacsPerSec(profile, 'float32') ?? 0) *
      profile.efficiency[opClassOf(node, facts)];
    if (g > 1 && level !== 'all' && perGroupSec) macs += g * perGroupSec * rate();
    flops += 2 * (macs - l.macs);
    if (node.opType === 'LRN' && !node.domain && kernels.lrnSecPerFlop) {
      // The class rate turns FLOPs into time; scale them so that the time is the measured one.
      const nonMac = l.flops - 2 * l.macs;
      flops += nonMac * (kernels.lrnSecPerFlop * rate() - 1);
    }
    const weightBytesRead = streamed(l.weightBytesRead);
    if (macs !== l.macs || flops !== l.flops || weightBytesRead !== l.weightBytesRead) {
      changed = true;
      return {
        ...l,
        macs,
        flops,
        weightBytesRead,
        memoryBytes: l.memoryBytes === null ? null : l.memoryBytes + weightBytesRead - l.weightBytesRead,
      };
    }
    return l;
  });
  return changed ? { ...cost, layers } : cost;
}
