/**
 * Latency and memory estimates of a model on a hardware profile. Every figure here is an estimate and says so:
 * the result carries the profile's calibration status, and each layer says what bounds it.
 *
 * Latency per layer is a roofline: max(compute time, memory time) + the per-op overhead, where
 *   compute time = work / (peak MAC/s at the layer's element type × efficiency of its op class)
 *     (work: MACs for conv / depthwise / matmul; for the other classes the cost model's non-MAC FLOPs, each one
 *      MAC-equivalent, as HardwareProfile's `efficiency` documents)
 *   memory time  = activation bytes in and out / bandwidth of the level activations live in
 *                + weight bytes / bandwidth of the level weights live in.
 * Ops the runtime fuses into their producer (Conv+BatchNormalization+Relu…) cost nothing of their own, and the
 * tensor between them never goes to memory. Ops the target cannot run are priced on the profile's fallback.
 *
 * Memory: peak RAM is the activation arena (TFLite Micro's greedy plan over tensor lifetimes, arena.ts) plus the
 * runtime's persistent bytes, plus the weights when they live in RAM; flash is the weights when they live in flash
 * plus the runtime's code.
 */

import type { LayerCost, ModelProfile } from '../analysis/cost.js';
import type { ValueFacts } from '../analysis/facts.js';
import { dataTypeName, storageBytes } from '../onnx/dtype.js';
import type { Model, Node } from '../onnx/ir.js';
import { elementCount } from '../onnx/tensor.js';
import { opKey } from '../report/summary.js';
import { type ArenaPlan, planArena } from './arena.js';
import { builtinProfile } from './builtinProfiles.js';
import { activationLifetimes } from './lifetimes.js';
import {
  costAtSize,
  describeCalibration,
  type HardwareProfile,
  type MemoryLevelName,
  type OpClass,
  peakMacsPerSec,
} from './profile.js';
import { clipName, formatSize } from './units.js';

export type Bound = 'compute' | 'memory' | 'overhead';

export interface LayerEstimate {
  index: number;
  name: string;
  opType: string;
  opClass: OpClass;
  /**
   * Element type the layer computes in: its first input's, except QuantizeLinear (its output's), Where (its first
   * data input's) and ops fed by a DequantizeLinear (the quantized type: a QDQ model computes in int8).
   */
  dtype: string | null;
  /** Where it runs: the target, its fallback (host or on-chip CPU), or nowhere (no kernel). */
  runsOn: 'target' | 'fallback' | 'unsupported';
  /** Index of the layer this one is fused into; its time is counted there. */
  fusedInto?: number;
  computeMs: number | null;
  memoryMs: number | null;
  overheadMs: number;
  /** Crossing between the target and its fallback before this layer (fixed cost + tensor transfer). */
  boundaryMs?: number;
  /** Estimated latency: max(compute, memory) + overhead (+ boundary); null when its cost is unknown. */
  latencyMs: number | null;
  bound: Bound | null;
  /** Share of the model's known latency, 0..1. */
  share: number | null;
}

export type Severity = 'error' | 'warning' | 'info';

export type FixKind = 'quantize-int8' | 'quantize-fp16' | 'prune' | 'reduce-input-size' | 'replace-op' | 'set-dims';

export interface Diagnostic {
  severity: Severity;
  code:
    | 'ram-exceeded'
    | 'flash-exceeded'
    | 'unsupported-op'
    | 'unsupported-dtype'
    | 'fallback-partition'
    | 'unpriced-dtype'
    | 'hot-layer'
    | 'unknown-cost'
    | 'unsized-tensors';
  message: string;
  /** Layer indices involved. */
  layers: number[];
  fixes: FixKind[];
}

export interface Fits {
  /** null: the capacity is not published, or the need is not fully known (tensors of unknown size) and not over it. */
  ram: boolean | null;
  /** null: the target keeps no weights in flash, the capacity is not published. */
  flash: boolean | null;
}

export interface Estimate {
  target: {
    id: string;
    name: string;
    kind: HardwareProfile['kind'];
    runtime: string;
    calibration: HardwareProfile['calibration'];
    /** One line for UIs: `estimate (uncalibrated)` or `estimate (calibrated: …)`. */
    accuracy: string;
    /** Where unsupported ops go (`none`: nowhere, they make the model undeployable). */
    fallback: HardwareProfile['operators']['fallback']['target'];
    /** Memory levels weights and activations live in. */
    placement: HardwareProfile['placement'];
  };
  layers: LayerEstimate[];
  totals: {
    /** Sum of layer latencies + per-inference overhead; null when some layer's cost is unknown. */
    latencyMs: number | null;
    /** Sum over layers whose cost is known (a lower bound when latencyMs is null). */
    knownLatencyMs: number;
    /** The profile's fixed cost per inference, included in latencyMs. */
    perInferenceMs: number;
    /** Layers whose latency is unknown: shapes or cost unknown, or no kernel on the target. */
    unknownLatencyLayers: number;
    peakRamBytes: number;
    ramCapacityBytes: number | null;
    /** Tensors of unknown size left out of the arena: peakRamBytes is then a lower bound. */
    unsizedTensors: number;
    flashBytes: number;
    flashCapacityBytes: number | null;
    /** Parts of the RAM and flash figures, so reports can show what they are made of. */
    ram: { arenaBytes: number; arenaLowerBoundBytes: number; runtimeBytes: number; weightBytes: number };
    flash: { weightBytes: number; runtimeCodeBytes: number };
    fits: Fits;
    computeBoundLayers: number;
    memoryBoundLayers: number;
    fallbackLayers: number;
    fusedLayers: number;
  };
  arena: ArenaPlan;
  diagnostics: Diagnostic[];
}

const convOps = new Set(['Conv', 'ConvInteger', 'QLinearConv', 'FusedConv', 'ConvTranspose', 'DeformConv']);
const matmulOps = new Set([
  'MatMul',
  'Gemm',
  'MatMulInteger',
  'QLinearMatMul',
  'FusedGemm',
  'QGemm',
  'Einsum',
  'LSTM',
  'GRU',
  'RNN',
  'Attention',
  'MultiHeadAttention',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
]);
const poolingOps = new Set([
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'LpPool',
  'GlobalLpPool',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
  'NhwcMaxPool',
]);
const elementwiseOps = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'LeakyRelu',
  'HardSigmoid',
  'HardSwish',
  'PRelu',
  'Elu',
  'Selu',
  'Gelu',
  'Erf',
  'Exp',
  'Log',
  'Sqrt',
  'Pow',
  'Neg',
  'Abs',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'BatchNormalization',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearAdd',
  'QLinearMul',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
  'Softplus',
  'Mish',
  'Where',
  'Cast',
]);

/** Adds `value` to the list under `key` (in place: copying the list each time is quadratic in a large graph). */
function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The op class a node's work is priced in. */
export function opClassOf(node: Node, facts: ReadonlyMap<string, ValueFacts>): OpClass {
  const op = node.opType;
  if (convOps.has(op)) {
    const group = node.attributes.find((a) => a.name === 'group');
    const g = group?.type === 'int' ? Number(group.value) : 1;
    const w = facts.get(node.inputs[op === 'QLinearConv' ? 3 : 1] ?? '');
    const shape = w?.kind === 'tensor' ? w.shape : undefined;
    // Weights are [M, C/group, k…] (ConvTranspose: [C, M/group, k…]): depthwise when each group sees one input
    // channel, whatever the channel multiplier.
    const perGroupIn = op === 'ConvTranspose' ? (shape?.[0] === g ? 1 : undefined) : shape?.[1];
    return g > 1 && perGroupIn === 1 ? 'depthwise' : 'conv';
  }
  if (matmulOps.has(op)) return 'matmul';
  if (poolingOps.has(op)) return 'pooling';
  if (elementwiseOps.has(op)) return 'elementwise';
  return 'other';
}

function tensorDtype(facts: ReadonlyMap<string, ValueFacts>, name: string | undefined): string | null {
  const f = facts.get(name ?? '');
  return f?.kind === 'tensor' && f.dtype !== undefined ? dataTypeName(f.dtype) : null;
}

/** The element type a node computes in (see LayerEstimate.dtype). */
function dtypeOf(
  node: Node,
  facts: ReadonlyMap<string, ValueFacts>,
  producers: ReadonlyMap<string, Node>,
): string | null {
  const standard = !node.domain || node.domain === 'ai.onnx';
  if (standard && node.opType === 'QuantizeLinear') return tensorDtype(facts, node.outputs[0]);
  const first = node.inputs[standard && node.opType === 'Where' ? 1 : 0];
  const producer = producers.get(first ?? '');
  if (producer && producer.opType === 'DequantizeLinear' && (!producer.domain || producer.domain === 'ai.onnx')) {
    return tensorDtype(facts, producer.inputs[0]) ?? tensorDtype(facts, first);
  }
  return tensorDtype(facts, first);
}

function supported(profile: HardwareProfile, opType: string, dtype: string | null): { op: boolean; dtype: boolean } {
  // `opType` is domain-qualified outside the default domain, so custom ops never match a standard name.
  const listed = profile.operators.ops.includes(opType);
  const op = profile.operators.mode === 'only' ? listed : !listed;
  const dtypes = profile.operators.dtypes;
  return { op, dtype: !dtypes || dtype === null || dtypes.includes(dtype) };
}

/**
 * Layers fused into a producer: for each fusion pattern, a chain where every intermediate output has exactly one
 * consumer (the next op of the chain) and is not a graph output. Returns follower index -> head index.
 */
function findFusions(model: Model, profile: HardwareProfile, folded: ReadonlySet<number>): Map<number, number> {
  const nodes = model.graph.nodes;
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const input of new Set(n.inputs)) if (input) append(consumers, input, i);
  });
  // A value read inside a subgraph (If/Loop bodies capture outer values) has a consumer the list above misses.
  const captured = new Set<string>();
  const collect = (g: Model['graph']) => {
    for (const n of g.nodes) {
      for (const i of n.inputs) if (i) captured.add(i);
      for (const a of n.attributes) {
        if (a.type === 'graph') collect(a.value);
        else if (a.type === 'graphs') for (const sg of a.value) collect(sg);
      }
    }
  };
  for (const n of nodes) {
    for (const a of n.attributes) {
      if (a.type === 'graph') collect(a.value);
      else if (a.type === 'graphs') for (const sg of a.value) collect(sg);
    }
  }
  const outputs = new Set(model.graph.outputs.map((o) => o.name));
  const key = (n: Node) => opKey(n.domain, n.opType);
  const fused = new Map<number, number>();
  const patterns = [...profile.fusions].sort((a, b) => b.pattern.length - a.pattern.length);
  nodes.forEach((head, i) => {
    if (fused.has(i) || folded.has(i)) return;
    for (const { pattern } of patterns) {
      if (pattern[0] !== key(head)) continue;
      const chain = [i];
      let cur = i;
      for (const op of pattern.slice(1)) {
        const out = nodes[cur].outputs[0];
        const users = consumers.get(out) ?? [];
        if (
          nodes[cur].outputs.filter(Boolean).length !== 1 ||
          users.length !== 1 ||
          outputs.has(out) ||
          captured.has(out) ||
          key(nodes[users[0]]) !== op ||
          fused.has(users[0])
        )
          break;
        cur = users[0];
        chain.push(cur);
      }
      if (chain.length === pattern.length) {
        for (const f of chain.slice(1)) fused.set(f, i);
        return;
      }
    }
  });
  return fused;
}

function levelBandwidth(profile: HardwareProfile, level: MemoryLevelName): number | undefined {
  return profile.memory[level]?.bandwidthBytesPerSec;
}

/** Element types a profile can be priced in by themselves; integer index and boolean types are not. */
const computeTypes = new Set([
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int4',
  'uint4',
]);

/**
 * Peak MAC/s for a layer's element type: the type's own (or its closest, `peakMacsPerSec`), else the fastest rate
 * the profile has (an int8 model on a GPU without an int8 path runs in float16); `native` says which.
 */
function peakFor(profile: HardwareProfile, dtype: string | null): { peak: number | undefined; native: boolean } {
  const own = peakMacsPerSec(profile, dtype ?? 'float32');
  if (own) return { peak: own, native: true };
  const rates = Object.values(profile.compute)
    .map((c) => c?.macsPerSec ?? 0)
    .filter((r) => r > 0);
  return { peak: rates.length ? Math.max(...rates) : undefined, native: dtype === null || !computeTypes.has(dtype) };
}

interface Priced {
  computeMs: number | null;
  memoryMs: number | null;
  native: boolean;
}

/** Bytes a layer moves to and from activation memory: its inputs and outputs, or those of its fused chain. */
interface Traffic {
  inBytes: number | null;
  outBytes: number | null;
  weightBytes: number;
}

/** Roofline terms of one layer on one profile (no overhead). */
function price(layer: LayerCost, cls: OpClass, dtype: string | null, profile: HardwareProfile, t: Traffic): Priced {
  const work = cls === 'conv' || cls === 'depthwise' || cls === 'matmul' ? layer.macs : nonMacFlops(layer);
  const { peak, native } = peakFor(profile, dtype);
  const eff = profile.efficiency[cls];
  const computeMs = work === null || !peak ? null : (work / (peak * eff)) * 1000;
  // A level without a published bandwidth is not a limit (on-chip memory of an accelerator); the time is the sum of
  // the known terms, and unknown only when no term is known.
  const actBw = levelBandwidth(profile, profile.placement.activations);
  const wBw = levelBandwidth(profile, profile.placement.weights);
  const actBytes = t.inBytes === null || t.outBytes === null ? null : t.inBytes + t.outBytes;
  let memoryMs: number | null = null;
  if (actBw) memoryMs = actBytes === null ? null : (actBytes / actBw) * 1000;
  if (wBw && t.weightBytes > 0 && (memoryMs !== null || !actBw)) {
    memoryMs = (memoryMs ?? 0) + (t.weightBytes / wBw) * 1000;
  }
  return { computeMs, memoryMs, native };
}

/**
 * Fixed cost of executing one layer on a profile: the per-op overhead, plus the op type's own extra
 * (`opOverheadSec`) and the cost of the size it writes (`overheadByOutputBytes`) where the profile states them.
 */
export function opOverheadSec(profile: HardwareProfile, layer: Pick<LayerCost, 'opType' | 'activationBytes'>): number {
  return (
    profile.perOpOverheadSec +
    (profile.opOverheadSec?.[layer.opType] ?? 0) +
    costAtSize(profile.overheadByOutputBytes, layer.activationBytes ?? 0)
  );
}

/** Bytes of the graph's inputs (initializers excluded) and outputs whose sizes are known. */
export function graphIoBytes(model: Model, facts: ReadonlyMap<string, ValueFacts>): number {
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  let total = 0;
  for (const v of [...model.graph.inputs.filter((i) => !inits.has(i.name)), ...model.graph.outputs]) {
    const f = facts.get(v.name);
    if (f?.kind !== 'tensor' || f.dtype === undefined || !f.shape) continue;
    if (f.shape.some((d) => typeof d !== 'number')) continue;
    const n = elementCount(f.shape as number[]);
    if (Number.isFinite(n)) total += storageBytes(f.dtype, n);
  }
  return total;
}

function nonMacFlops(layer: LayerCost): number | null {
  if (layer.flops === null) return null;
  return Math.max(0, layer.flops - 2 * (layer.macs ?? 0));
}

export interface EstimateOptions {
  /**
   * Profiles by id, to price fallbacks that name another profile (e.g. host-cpu); ids not found here are looked up
   * among the built-ins.
   */
  profiles?: ReadonlyMap<string, HardwareProfile>;
  /** Layers above this share of latency get a `hot-layer` diagnostic (default 0.25). */
  hotLayerShare?: number;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

type LayerTimes = Pick<LayerEstimate, 'computeMs' | 'memoryMs' | 'overheadMs' | 'latencyMs' | 'bound'>;
const zeroTimes: LayerTimes = { computeMs: 0, memoryMs: 0, overheadMs: 0, latencyMs: 0, bound: null };
const unknownTimes: LayerTimes = { computeMs: null, memoryMs: null, overheadMs: 0, latencyMs: null, bound: null };

/**
 * A layer's estimate, written out as one object literal: spreading a base object and adding fields to it costs V8
 * some 15 µs a layer, most of estimating a 50k-node model. A fused layer's `fusedInto` comes last.
 */
function layerEstimate(
  base: Pick<LayerEstimate, 'index' | 'name' | 'opType' | 'opClass' | 'dtype'>,
  runsOn: LayerEstimate['runsOn'],
  t: LayerTimes,
  fusedInto?: number,
): LayerEstimate {
  const e: LayerEstimate = {
    index: base.index,
    name: base.name,
    opType: base.opType,
    opClass: base.opClass,
    dtype: base.dtype,
    runsOn,
    computeMs: t.computeMs,
    memoryMs: t.memoryMs,
    overheadMs: t.overheadMs,
    latencyMs: t.latencyMs,
    bound: t.bound,
    share: null,
  };
  if (fusedInto !== undefined) e.fusedInto = fusedInto;
  return e;
}

export function estimateModel(
  model: Model,
  cost: ModelProfile,
  facts: ReadonlyMap<string, ValueFacts>,
  profile: HardwareProfile,
  options: EstimateOptions = {},
): Estimate {
  const nodes = model.graph.nodes;
  const folded = new Set(cost.layers.filter((l) => l.folded).map((l) => l.index));
  const fused = findFusions(model, profile, folded);
  const chains = new Map<number, number[]>();
  for (const [follower, head] of fused) append(chains, head, follower);
  for (const list of chains.values()) list.sort((a, b) => a - b);
  const producers = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o) producers.set(o, n);
  const costByIndex = new Map(cost.layers.map((l) => [l.index, l]));

  const fallback = profile.operators.fallback;
  const fallbackProfile =
    fallback.target !== 'none' && fallback.profileId
      ? (options.profiles?.get(fallback.profileId) ?? builtinProfile(fallback.profileId))
      : undefined;
  const accuracy = `estimate, ${describeCalibration(profile.calibration)}`;
  const diagnostics: Diagnostic[] = [];
  const unsupportedOps = new Map<string, number[]>();
  const unsupportedDtypes = new Map<string, number[]>();
  const unpriced = new Map<string, number[]>();
  let onFallbackSince = -1;
  const byIndex = new Map<number, LayerEstimate>();

  /** What a layer (the head of a fused chain: the whole chain) reads and writes. */
  const traffic = (layer: LayerCost): Traffic => {
    const followers = (chains.get(layer.index) ?? []).map((i) => costByIndex.get(i) as LayerCost);
    let inBytes = layer.inputBytes;
    let prev = layer;
    for (const f of followers) {
      // The tensor between two fused ops never reaches memory; the followers' other inputs do.
      inBytes =
        inBytes === null || f.inputBytes === null || prev.activationBytes === null
          ? null
          : inBytes + Math.max(0, f.inputBytes - prev.activationBytes);
      prev = f;
    }
    return { inBytes, outBytes: prev.activationBytes, weightBytes: layer.weightBytesRead };
  };

  const layers: LayerEstimate[] = cost.layers.map((layer) => {
    const node = nodes[layer.index];
    const cls = opClassOf(node, facts);
    const dtype = dtypeOf(node, facts, producers);
    const base = { index: layer.index, name: layer.name, opType: layer.opType, opClass: cls, dtype };
    let est: LayerEstimate;
    const head = fused.get(layer.index);
    if (layer.folded) {
      est = layerEstimate(base, 'target', zeroTimes);
    } else if (head !== undefined) {
      // Runs inside its head's kernel, wherever that runs.
      est = layerEstimate(base, byIndex.get(head)?.runsOn ?? 'target', zeroTimes, head);
    } else {
      est = priceLayer(layer, cls, dtype, base);
    }
    byIndex.set(layer.index, est);
    return est;
  });

  function priceLayer(
    layer: LayerCost,
    cls: OpClass,
    dtype: string | null,
    base: Pick<LayerEstimate, 'index' | 'name' | 'opType' | 'opClass' | 'dtype'>,
  ): LayerEstimate {
    const support = supported(profile, layer.opType, dtype);
    if (!support.op) append(unsupportedOps, layer.opType, layer.index);
    else if (!support.dtype && dtype) append(unsupportedDtypes, dtype, layer.index);
    let onTarget = support.op && support.dtype;
    if (fallback.target !== 'none' && fallback.partition === 'rest-of-graph') {
      if (!onTarget && onFallbackSince < 0) onFallbackSince = layer.index;
      if (onFallbackSince >= 0) onTarget = false;
    }
    if (!onTarget && fallback.target === 'none') {
      return layerEstimate(base, 'unsupported', unknownTimes);
    }
    const pricing = onTarget ? profile : (fallbackProfile ?? profile);
    const p = price(layer, cls, dtype, pricing, traffic(layer));
    if (!p.native && dtype && (layer.macs || layer.flops)) {
      const key = `${pricing.id}|${dtype}`;
      append(unpriced, key, layer.index);
    }
    const factor = onTarget || fallback.target === 'none' ? 1 : fallback.costFactor;
    const overheadMs = opOverheadSec(pricing, layer) * 1000;
    const computeMs = p.computeMs === null ? null : p.computeMs * factor;
    const memoryMs = p.memoryMs === null ? null : p.memoryMs * factor;
    let latencyMs: number | null = null;
    let bound: Bound | null = null;
    if (computeMs !== null && memoryMs !== null) {
      latencyMs = Math.max(computeMs, memoryMs) + overheadMs;
      bound = overheadMs > Math.max(computeMs, memoryMs) ? 'overhead' : computeMs >= memoryMs ? 'compute' : 'memory';
    } else if (computeMs !== null) {
      // No memory term known (bandwidths unpublished): compute alone.
      latencyMs = computeMs + overheadMs;
      bound = overheadMs > computeMs ? 'overhead' : 'compute';
    }
    return layerEstimate(base, onTarget ? 'target' : 'fallback', { computeMs, memoryMs, overheadMs, latencyMs, bound });
  }

  // Crossing between target and fallback costs a fixed time plus the transfer of the crossing tensors.
  if (fallback.target !== 'none') {
    let prev: LayerEstimate['runsOn'] | undefined;
    for (const l of layers) {
      if (l.fusedInto !== undefined || folded.has(l.index)) continue;
      if (prev && l.runsOn !== prev && l.runsOn !== 'unsupported' && prev !== 'unsupported') {
        const bytes = costByIndex.get(l.index)?.inputBytes ?? 0;
        const ms =
          fallback.perBoundarySec * 1000 +
          (fallback.transferBytesPerSec ? (bytes / fallback.transferBytesPerSec) * 1000 : 0);
        l.boundaryMs = ms;
        if (l.latencyMs !== null) l.latencyMs += ms;
      }
      prev = l.runsOn;
    }
  }

  const knownLatencyMs = layers.reduce((s, l) => s + (l.latencyMs ?? 0), 0);
  const unknownLatencyLayers = layers.filter((l) => l.latencyMs === null).length;
  const perInferenceMs =
    (profile.perInferenceOverheadSec + costAtSize(profile.perInferenceByIoBytes, graphIoBytes(model, facts))) * 1000;
  const latencyMs = unknownLatencyLayers ? null : knownLatencyMs + perInferenceMs;
  const executed = layers.filter((l) => !folded.has(l.index) && l.fusedInto === undefined);
  for (const l of executed) l.share = l.latencyMs !== null && knownLatencyMs > 0 ? l.latencyMs / knownLatencyMs : null;

  // Memory. Outputs of constant-folded nodes are weights, not activations; a fused chain writes one tensor (its
  // last op's) from the head's step on, the intermediate ones never exist.
  const exclude = new Set<string>();
  for (const i of folded) for (const o of nodes[i].outputs) if (o) exclude.add(o);
  for (const [follower, head] of fused) {
    const chain = chains.get(head) ?? [];
    if (follower !== chain[chain.length - 1]) continue;
    for (const i of [head, ...chain.slice(0, -1)]) for (const o of nodes[i].outputs) if (o) exclude.add(o);
  }
  const lifetimes = activationLifetimes(model.graph, facts, { exclude });
  const producerStep = new Map<string, number>();
  for (const [head, chain] of chains) {
    for (const o of nodes[chain[chain.length - 1]].outputs) if (o) producerStep.set(o, head);
  }
  const buffers = lifetimes.buffers.map((b) => {
    const step = producerStep.get(b.id);
    return step === undefined ? b : { ...b, firstStep: Math.min(b.firstStep, step) };
  });
  const alignment = profile.runtimeMemory?.arenaAlignmentBytes ?? 16;
  const arena = planArena(buffers, alignment);
  const rm = profile.runtimeMemory;
  const weightTensors = model.graph.initializers.length;
  const tensorCount = buffers.length + lifetimes.unsized.length + weightTensors;
  const runtimeBytes = rm ? rm.perTensorBytes * tensorCount + rm.perOpBytes * executed.length : 0;
  const weightBytes = cost.totals.weightBytes;
  const ramLevel = profile.placement.activations;
  const weightsInRam = profile.placement.weights === ramLevel;
  const peakRamBytes = arena.peakBytes + runtimeBytes + (weightsInRam ? weightBytes : 0);
  const opTypes = new Set(executed.map((l) => l.opType)).size;
  const runtimeCodeBytes = rm ? rm.codeBytes + rm.perOpTypeCodeBytes * opTypes : 0;
  const weightsInFlash = profile.placement.weights === 'flash';
  const flashWeights = weightsInFlash ? weightBytes : 0;
  const flashBytes = flashWeights + runtimeCodeBytes;
  const ramCapacityBytes = profile.memory[ramLevel]?.bytes ?? null;
  const flashCapacityBytes = weightsInFlash ? (profile.memory.flash?.bytes ?? null) : null;
  const unsizedTensors = lifetimes.unsized.length;
  const fits: Fits = {
    ram: ramCapacityBytes === null ? null : peakRamBytes > ramCapacityBytes ? false : unsizedTensors > 0 ? null : true,
    flash: flashCapacityBytes === null ? null : flashBytes <= flashCapacityBytes,
  };

  const isFloat = layers.some((l) => l.dtype !== null && /^(float|bfloat)/.test(l.dtype));
  const kb = formatSize;
  if (fits.ram === false && ramCapacityBytes !== null) {
    const biggest = arena.timeline.reduce<(typeof arena.timeline)[number] | undefined>(
      (best, t) => (best === undefined || t.highWater > best.highWater ? t : best),
      undefined,
    );
    const parts = [`arena ${kb(arena.peakBytes)}`];
    if (runtimeBytes) parts.push(`runtime ${kb(runtimeBytes)}`);
    if (weightsInRam) parts.push(`weights ${kb(weightBytes)}`);
    diagnostics.push({
      severity: 'error',
      code: 'ram-exceeded',
      message: `model needs ${kb(peakRamBytes)} RAM (${parts.join(' + ')}; ${accuracy}), ${profile.id} has ${kb(ramCapacityBytes)}`,
      layers: biggest ? [biggest.step] : [],
      fixes: [...(isFloat ? (['quantize-int8'] as FixKind[]) : []), 'reduce-input-size', 'prune'],
    });
  }
  if (fits.flash === false && flashCapacityBytes !== null) {
    diagnostics.push({
      severity: 'error',
      code: 'flash-exceeded',
      message: `model needs ${kb(flashBytes)} flash (weights ${kb(flashWeights)} + runtime ${kb(runtimeCodeBytes)}; ${accuracy}), ${profile.id} has ${kb(flashCapacityBytes)}`,
      layers: [],
      fixes: [...(isFloat ? (['quantize-int8', 'quantize-fp16'] as FixKind[]) : []), 'prune'],
    });
  }
  const host = fallback.target === 'host-cpu' ? 'host CPU' : 'CPU core';
  const where = fallback.target === 'none' ? 'cannot run (no kernel)' : `runs on the ${host}`;
  for (const [op, idx] of unsupportedOps) {
    diagnostics.push({
      severity: fallback.target === 'none' ? 'error' : 'warning',
      code: 'unsupported-op',
      message: `${op} not supported on ${profile.id}: ${where} (${plural(idx.length, 'layer')})`,
      layers: idx,
      fixes: ['replace-op'],
    });
  }
  for (const [dtype, idx] of unsupportedDtypes) {
    const allowed = profile.operators.dtypes?.join('/') ?? '';
    diagnostics.push({
      severity: fallback.target === 'none' ? 'error' : 'warning',
      code: 'unsupported-dtype',
      message: `${plural(idx.length, 'layer')} compute in ${dtype}; ${profile.id} runs ${allowed} only: ${where}`,
      layers: idx,
      fixes: allowed.includes('int8') ? ['quantize-int8'] : allowed.includes('float16') ? ['quantize-fp16'] : [],
    });
  }
  if (onFallbackSince >= 0 && fallback.target !== 'none') {
    const after = executed.filter((l) => l.index >= onFallbackSince).map((l) => l.index);
    const first = byIndex.get(onFallbackSince);
    const what =
      after.length === executed.length
        ? `the whole model (${plural(after.length, 'layer')}) runs on the ${host}: its first layer ${clipName(first?.name ?? '')} (${first?.opType}) is not supported on ${profile.id}`
        : `from layer ${clipName(first?.name ?? '')} (${first?.opType}) on, ${plural(after.length, 'layer')} of ${executed.length} run on the ${host}`;
    diagnostics.push({
      severity: 'warning',
      code: 'fallback-partition',
      message: `${what}; ${profile.id} takes the graph only up to its first unsupported op`,
      layers: after,
      fixes: ['replace-op', ...(unsupportedDtypes.size && isFloat ? (['quantize-int8'] as FixKind[]) : [])],
    });
  }
  for (const [key, idx] of unpriced) {
    const [pid, dtype] = key.split('|');
    const p = pid === profile.id ? profile : fallbackProfile;
    const best = Object.entries(p?.compute ?? {}).reduce<[string, number] | undefined>(
      (m, [k, v]) => (v && (!m || v.macsPerSec > m[1]) ? [k, v.macsPerSec] : m),
      undefined,
    );
    diagnostics.push({
      severity: 'info',
      code: 'unpriced-dtype',
      message: `${plural(idx.length, 'layer')} compute in ${dtype}; ${pid} has no ${dtype} rate: priced at its ${best?.[0] ?? 'fastest'} rate`,
      layers: idx,
      fixes: [],
    });
  }
  const hot = options.hotLayerShare ?? 0.25;
  if (executed.length > 1) {
    for (const l of layers) {
      if (l.share === null || l.share < hot) continue;
      diagnostics.push({
        severity: 'info',
        code: 'hot-layer',
        message: `layer ${clipName(l.name)} (${l.opType}) takes ${Math.round(l.share * 100)}% of the estimated latency (${l.bound}-bound)`,
        layers: [l.index],
        fixes:
          l.bound === 'overhead'
            ? []
            : l.bound === 'memory'
              ? [...(isFloat ? (['quantize-int8'] as FixKind[]) : []), 'reduce-input-size']
              : ['prune', ...(isFloat ? (['quantize-int8'] as FixKind[]) : []), 'reduce-input-size'],
      });
    }
  }
  const unknown = layers.filter((l) => l.latencyMs === null && l.runsOn !== 'unsupported').map((l) => l.index);
  if (unknown.length) {
    diagnostics.push({
      severity: 'warning',
      code: 'unknown-cost',
      message: `${plural(unknown.length, 'layer')} without a latency estimate (shape or cost unknown); the total is a lower bound`,
      layers: unknown,
      fixes: ['set-dims'],
    });
  }
  if (unsizedTensors) {
    diagnostics.push({
      severity: 'warning',
      code: 'unsized-tensors',
      message: `${plural(unsizedTensors, 'tensor')} of unknown size left out of the RAM plan; the peak is a lower bound`,
      layers: [],
      fixes: ['set-dims'],
    });
  }

  return {
    target: {
      id: profile.id,
      name: profile.name,
      kind: profile.kind,
      runtime: `${profile.runtime.name} ${profile.runtime.version}`.trim(),
      calibration: profile.calibration,
      accuracy: `estimate (${describeCalibration(profile.calibration)})`,
      fallback: fallback.target,
      placement: { ...profile.placement },
    },
    layers,
    totals: {
      latencyMs,
      knownLatencyMs,
      perInferenceMs,
      unknownLatencyLayers,
      peakRamBytes,
      ramCapacityBytes,
      unsizedTensors,
      flashBytes,
      flashCapacityBytes,
      ram: {
        arenaBytes: arena.peakBytes,
        arenaLowerBoundBytes: arena.lowerBoundBytes,
        runtimeBytes,
        weightBytes: weightsInRam ? weightBytes : 0,
      },
      flash: { weightBytes: flashWeights, runtimeCodeBytes },
      fits,
      computeBoundLayers: layers.filter((l) => l.bound === 'compute').length,
      memoryBoundLayers: layers.filter((l) => l.bound === 'memory').length,
      fallbackLayers: executed.filter((l) => l.runsOn === 'fallback').length,
      fusedLayers: fused.size,
    },
    arena,
    diagnostics,
  };
}
