/**
 * INT8 quantization: the numerics shared by every mode (scales, zero points, rounding), graph helpers shared with
 * static quantization (`quantizeStatic.ts`), a conservative opset upgrade (per-channel DequantizeLinear needs opset
 * 13), and dynamic quantization.
 *
 * Dynamic quantization quantizes weights ahead of time and activations at run time. Two output forms:
 * - 'qdq': each weight becomes an int8/uint8 initializer read through DequantizeLinear; the operators themselves
 *   stay float. Any runtime that reads QDQ models can fuse the pairs; ONNX Runtime's CPU provider keeps them as they
 *   are (the size shrinks, the compute stays float).
 * - 'operator': MatMul, Gemm and Conv become DynamicQuantizeLinear + MatMulInteger / ConvInteger + a float rescale
 *   (Cast, Mul), the integer operators of the standard domain. Other selected operators (LSTM, GRU, RNN, Gather,
 *   ConvTranspose) have no integer counterpart there and get DequantizeLinear on their weights as in 'qdq'.
 *
 * Conventions (the same in dynamic and static mode): signed weights are symmetric in [-127, 127] (zero point 0;
 * `reduceRange`: [-63, 63], 7 bits), unsigned weights asymmetric in [0, 255] (`reduceRange`: [0, 127]); every range
 * is widened to contain 0 so that zero (padding) is exact; rounding is half to even, as QuantizeLinear does.
 */

import { inferShapes } from '../analysis/infer.js';
import { irVersionForOpset, makeTensor, type TensorInput, toAttribute } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import type { Attribute, Graph, Model, Node, Tensor } from '../onnx/ir.js';
import { normalizeDomain, opsetVersion, walkGraphs } from '../onnx/ir.js';
import { readTensorValues } from '../onnx/tensor.js';
import { nodeLabel } from '../onnx/validate.js';
import { dropIntermediateValueInfo, shareIdenticalInitializers } from './graphEdit.js';
import { TransformError, type TransformReport, type TransformResult } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Numerics

export type QuantType = 'int8' | 'uint8';

/** The integer interval values are mapped onto, and the ONNX element type that holds them. */
export interface IntRange {
  qmin: number;
  qmax: number;
  dataType: DataType.INT8 | DataType.UINT8;
}

/** Weights: int8 symmetric [-127, 127] (reduced: [-63, 63]); uint8 asymmetric [0, 255] (reduced: [0, 127]). */
export function weightIntRange(type: QuantType, reduceRange = false): IntRange {
  if (type === 'int8') {
    return reduceRange
      ? { qmin: -63, qmax: 63, dataType: DataType.INT8 }
      : { qmin: -127, qmax: 127, dataType: DataType.INT8 };
  }
  return reduceRange
    ? { qmin: 0, qmax: 127, dataType: DataType.UINT8 }
    : { qmin: 0, qmax: 255, dataType: DataType.UINT8 };
}

/** Activations (static mode), always asymmetric: uint8 [0, 255] or int8 [-128, 127]. */
export function activationIntRange(type: QuantType): IntRange {
  return type === 'int8'
    ? { qmin: -128, qmax: 127, dataType: DataType.INT8 }
    : { qmin: 0, qmax: 255, dataType: DataType.UINT8 };
}

/** Round to the nearest integer, ties to even (the rounding of ONNX QuantizeLinear). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

export interface QuantParams {
  /** A positive float32 value. */
  scale: number;
  zeroPoint: number;
}

/**
 * Scale and zero point that map [rmin, rmax], widened to contain 0, onto [qmin, qmax]. A zero-width range (all
 * zeros) gets scale 1. Infinite bounds are treated as the largest float32.
 */
export function asymmetricParams(rmin: number, rmax: number, range: IntRange): QuantParams {
  const big = 3.4028234663852886e38;
  const lo = Math.max(-big, Math.min(0, Number.isNaN(rmin) ? 0 : rmin));
  const hi = Math.min(big, Math.max(0, Number.isNaN(rmax) ? 0 : rmax));
  const scale = Math.fround((hi - lo) / (range.qmax - range.qmin));
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: clamp(0, range.qmin, range.qmax) };
  return { scale, zeroPoint: clamp(roundHalfEven(range.qmin - lo / scale), range.qmin, range.qmax) };
}

/** Symmetric parameters (zero point 0) for values in [-absMax, absMax]. */
export function symmetricParams(absMax: number, range: IntRange): QuantParams {
  const scale = Math.fround(Math.min(absMax, 3.4028234663852886e38) / range.qmax);
  return { scale: scale > 0 && Number.isFinite(scale) ? scale : 1, zeroPoint: 0 };
}

/** `round(x / scale) + zeroPoint`, saturated: QuantizeLinear for one value. */
export function quantizeValue(x: number, p: QuantParams, range: IntRange): number {
  return clamp(roundHalfEven(x / p.scale) + p.zeroPoint, range.qmin, range.qmax);
}

export interface QuantizedTensor {
  values: Int8Array | Uint8Array;
  dataType: DataType.INT8 | DataType.UINT8;
  /** One per channel along `axis`, or one (per tensor). */
  scales: Float32Array;
  zeroPoints: Int32Array;
  /** Undefined: per tensor. */
  axis?: number;
}

export interface WeightQuantOptions {
  type: QuantType;
  reduceRange?: boolean;
  /** Quantize each slice along this axis with its own scale (per channel); undefined: per tensor. */
  axis?: number;
  /** Default: true for int8, false for uint8. */
  symmetric?: boolean;
}

/**
 * Quantizes a float tensor per tensor or per channel. Dequantized, every value is within scale/2 of the original.
 * Per channel where every channel gets the same scale and zero point, the result is per tensor (no `axis`).
 */
export function quantizeWeight(
  values: ArrayLike<number>,
  dims: readonly number[],
  options: WeightQuantOptions,
): QuantizedTensor {
  const range = weightIntRange(options.type, options.reduceRange);
  const symmetric = options.symmetric ?? options.type === 'int8';
  const n = values.length;
  const axis = options.axis;
  let channels = 1;
  let inner = n;
  if (axis !== undefined) {
    if (axis < 0 || axis >= dims.length) throw new RangeError(`axis ${axis} is out of range for rank ${dims.length}`);
    channels = dims[axis];
    inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  }
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const lo = new Float64Array(channels).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(channels).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    const c = channelOf(i);
    if (v < lo[c]) lo[c] = v;
    if (v > hi[c]) hi[c] = v;
  }
  const params: QuantParams[] = [];
  for (let c = 0; c < channels; c++) {
    const l = lo[c] === Number.POSITIVE_INFINITY ? 0 : lo[c];
    const h = hi[c] === Number.NEGATIVE_INFINITY ? 0 : hi[c];
    params.push(symmetric ? symmetricParams(Math.max(Math.abs(l), Math.abs(h)), range) : asymmetricParams(l, h, range));
  }
  // Channels that all got the same scale and zero point need one pair, not one per channel (a per-tensor weight).
  const uniform = params.every((p) => p.scale === params[0].scale && p.zeroPoint === params[0].zeroPoint);
  const out = range.dataType === DataType.INT8 ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = params[channelOf(i)];
    out[i] = Number.isNaN(values[i]) ? p.zeroPoint : quantizeValue(values[i], p, range);
  }
  const kept = uniform ? params.slice(0, 1) : params;
  return {
    values: out,
    dataType: range.dataType,
    scales: Float32Array.from(kept, (p) => p.scale),
    zeroPoints: Int32Array.from(kept, (p) => p.zeroPoint),
    ...(axis !== undefined && !uniform ? { axis } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors and graph editing

/** A tensor from typed values, stored little-endian in raw data (int8/uint8 without a per-element check). */
export function typedTensor(name: string, dataType: number, dims: readonly number[], values: TensorInput): Tensor {
  if ((dataType === DataType.INT8 || dataType === DataType.UINT8) && ArrayBuffer.isView(values)) {
    const v = values as Int8Array | Uint8Array;
    const bytes = new Uint8Array(v.length);
    bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.length));
    return { name, dataType, dims: [...dims], data: { kind: 'raw', bytes } };
  }
  if (dataType === DataType.FLOAT || dataType === DataType.INT32) {
    const v = values as ArrayLike<number>;
    const bytes = new Uint8Array(v.length * 4);
    const view = new DataView(bytes.buffer);
    if (dataType === DataType.FLOAT) for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
    else for (let i = 0; i < v.length; i++) view.setInt32(i * 4, v[i], true);
    return { name, dataType, dims: [...dims], data: { kind: 'raw', bytes } };
  }
  // Other types are rare here (scalars, shapes): makeTensor checks every element.
  return makeTensor(name, dataType, dims, values);
}

/** A float32 constant (initializer or Constant node output) of a graph, with where it comes from. */
export interface ConstantInfo {
  tensor: Tensor;
  /** The Constant node that produces it, when it is not an initializer. */
  node?: Node;
}

/** Initializers and Constant-node tensors (`value` attribute) of one graph, by value name. */
export function graphConstants(graph: Graph): Map<string, ConstantInfo> {
  const out = new Map<string, ConstantInfo>();
  for (const t of graph.initializers) out.set(t.name, { tensor: t });
  for (const n of graph.nodes) {
    if (n.opType !== 'Constant' || normalizeDomain(n.domain) !== '' || n.outputs.length !== 1) continue;
    const a = n.attributes.find((x) => x.name === 'value');
    if (a?.type === 'tensor') out.set(n.outputs[0], { tensor: { ...a.value, name: n.outputs[0] }, node: n });
  }
  return out;
}

/** A readable short form of a value or node name, for names derived from it. */
export function shortName(name: string, max = 48): string {
  const semi = name.indexOf(';');
  const s = semi > 0 ? name.slice(0, semi) : name;
  return s.length > max ? s.slice(s.length - max) : s;
}

/** Allocates value and node names that exist nowhere in the model yet. */
export class NameAllocator {
  private readonly used = new Set<string>();
  /** Next number per letter of compact names. */
  private readonly counters = new Map<string, number>();
  /**
   * @param stemLength longest stem kept by `fresh` (its last characters). 0: compact names — a letter for the kind
   * of value and a base-36 counter per letter (`s0`, `d1f`), whatever the stem: quantization and FP16 insert several names per
   * tensor, each written once per reference, and on small models with long converter names their bytes weigh
   * against what the smaller weights save. The original model's names are never changed.
   */
  constructor(
    model: Model,
    private readonly stemLength = 48,
  ) {
    for (const { graph } of walkGraphs(model.graph)) {
      for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) this.used.add(v.name);
      for (const t of graph.initializers) this.used.add(t.name);
      for (const n of graph.nodes) {
        if (n.name) this.used.add(n.name);
        for (const o of n.outputs) if (o) this.used.add(o);
        for (const i of n.inputs) if (i) this.used.add(i);
      }
    }
  }
  /**
   * A fresh name `<stem><suffix>`. Long stems are shortened first (converters write names such as
   * `model/re_lu_3/Relu;model/batch_normalization_3/FusedBatchNormV3;…`, and every new name repeating them would
   * cost more bytes than the quantized weights save): the part before the first ';', then its last `stemLength`
   * characters. In compact mode (stemLength 0) the name is the suffix's first letter and a counter.
   */
  fresh(stem: string, suffix = ''): string {
    if (this.stemLength === 0) return this.compact(suffix.replace(/^_+/, '').charAt(0).toLowerCase() || 'v');
    const base = shortName(stem, this.stemLength) + suffix;
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
  /** `<letter><base-36 counter>`, skipping names the model has. */
  compact(letter: string): string {
    let k = this.counters.get(letter) ?? 0;
    let name: string;
    do name = `${letter}${(k++).toString(36)}`;
    while (this.used.has(name));
    this.counters.set(letter, k);
    this.used.add(name);
    return name;
  }
}

/** A node of the standard domain, with attributes from plain values. */
export function makeNode(
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, Parameters<typeof toAttribute>[1]> = {},
  domain = '',
): Node {
  return {
    name,
    opType,
    domain,
    inputs,
    outputs,
    attributes: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
  };
}

export function getAttr(node: Node, name: string): Attribute | undefined {
  return node.attributes.find((a) => a.name === name);
}

export function intAttr(node: Node, name: string, fallback: number): number {
  const a = getAttr(node, name);
  return a?.type === 'int' ? Number(a.value) : fallback;
}

export function floatAttr(node: Node, name: string, fallback: number): number {
  const a = getAttr(node, name);
  return a?.type === 'float' ? a.value : a?.type === 'int' ? Number(a.value) : fallback;
}

/** Every value name read by a node of a subgraph (If/Loop/Scan bodies): values those graphs may take from outside. */
export function namesUsedInSubgraphs(graph: Graph): Set<string> {
  const out = new Set<string>();
  for (const { graph: g, path } of walkGraphs(graph)) {
    if (!path) continue;
    for (const n of g.nodes) for (const i of n.inputs) if (i) out.add(i);
    for (const o of g.outputs) out.add(o.name);
  }
  return out;
}

/**
 * Drops initializers and Constant nodes named in `candidates` that nothing reads any more (no node of any graph,
 * no graph output), and graph inputs of the same name (IR < 4 models list initializers as inputs).
 */
export function dropUnused(graph: Graph, candidates: Set<string>): Graph {
  if (candidates.size === 0) return graph;
  const read = namesUsedInSubgraphs(graph);
  for (const n of graph.nodes) for (const i of n.inputs) if (i) read.add(i);
  for (const o of graph.outputs) read.add(o.name);
  const dead = new Set([...candidates].filter((c) => !read.has(c)));
  if (dead.size === 0) return graph;
  return {
    ...graph,
    initializers: graph.initializers.filter((t) => !dead.has(t.name)),
    inputs: graph.inputs.filter((v) => !dead.has(v.name)),
    valueInfo: graph.valueInfo.filter((v) => !dead.has(v.name)),
    nodes: graph.nodes.filter((n) => !(n.opType === 'Constant' && n.outputs.length === 1 && dead.has(n.outputs[0]))),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Models that are quantized already

const standardQuantOps = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'MatMulInteger',
  'ConvInteger',
]);
const msQuantOps = new Set([
  'DynamicQuantizeMatMul',
  'DynamicQuantizeLSTM',
  'MatMulIntegerToFloat',
  'MatMulNBits',
  'MatMulBnb4',
  'GatherBlockQuantized',
  'QuantizeBFP',
  'DequantizeBFP',
]);

/**
 * What makes a model quantized already: operator counts such as `12 DequantizeLinear`, over every graph and
 * function. Empty for a float model.
 */
export function findQuantizedOperators(model: Model): string[] {
  const counts = new Map<string, number>();
  const visit = (nodes: Node[]) => {
    for (const n of nodes) {
      const d = normalizeDomain(n.domain);
      const quantized =
        (d === '' && standardQuantOps.has(n.opType)) ||
        (d === 'com.microsoft' &&
          (msQuantOps.has(n.opType) || standardQuantOps.has(n.opType) || /^Q[A-Z]/.test(n.opType))) ||
        d.includes('qonnx') ||
        d.includes('finn');
      if (quantized) {
        const key = d ? `${d}.${n.opType}` : n.opType;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  };
  for (const { graph } of walkGraphs(model.graph)) visit(graph.nodes);
  for (const f of model.functions) visit(f.nodes);
  return [...counts].map(([op, n]) => `${n} ${op}`);
}

/** Throws TransformError('already-quantized') when the model has quantization operators. */
export function refuseQuantized(model: Model, what: string): void {
  const found = findQuantizedOperators(model);
  if (found.length) {
    throw new TransformError(
      `the model is already quantized (${found.join(', ')}); ${what} works on float models only, so it was not applied`,
      'already-quantized',
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Opset upgrade

/**
 * Standard operators whose versions from opset 7 on remain valid unchanged at opset 13 (newer versions only add
 * types, attributes with the old default, or negative axes).
 */
const stableOps = new Set(
  (
    'Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BitShift Cast Ceil Celu Compress Concat ' +
    'Constant ConstantOfShape Conv ConvTranspose Cos Cosh CumSum DepthToSpace Det Div Einsum Elu Equal Erf Exp Expand ' +
    'EyeLike Flatten Floor GRU Gather GatherElements GatherND Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater ' +
    'GreaterOrEqual HardSigmoid Identity InstanceNormalization IsInf IsNaN LRN LSTM LeakyRelu Less LessOrEqual Log ' +
    'LpNormalization LpPool MatMul Max MaxPool MaxRoiPool MaxUnpool Mean MeanVarianceNormalization Min Mod Mul Neg ' +
    'NonMaxSuppression NonZero Not OneHot Or PRelu Pow RNN Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ' +
    'ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare Relu Reshape ReverseSequence RoiAlign ' +
    'Round ScatterElements ScatterND Selu Shape Shrink Sigmoid Sign Sin Sinh Size Softplus Softsign SpaceToDepth Sqrt ' +
    'Sub Sum Tan Tanh ThresholdedRelu Tile Transpose Unique Where Xor'
  ).split(' '),
);

export interface OpsetUpgrade {
  model: Model;
  notes: string[];
}

/**
 * Raises the standard-domain opset of a model to `target` (13 or later is what per-channel DequantizeLinear needs),
 * rewriting the operators whose signature or meaning changed on the way: Squeeze, Unsqueeze, Split and ReduceSum
 * (axes/split from attribute to input), Softmax/LogSoftmax/Hardmax (axis semantics), Slice, Clip, Pad and TopK
 * (attributes to inputs), Dropout (to Identity, inference only), BatchNormalization `spatial`. Throws
 * TransformError('opset-upgrade') naming the operator when a model has one it does not know how to carry over,
 * subgraphs, or an opset older than 7.
 */
export function upgradeOpset(model: Model, target: number): OpsetUpgrade {
  const from = opsetVersion(model, '') ?? 1;
  if (from >= target) return { model, notes: [] };
  const refuse = (why: string) => {
    throw new TransformError(`cannot raise the opset from ${from} to ${target}: ${why}`, 'opset-upgrade');
  };
  if (from < 7) refuse('opsets before 7 use a different broadcasting scheme');
  const g = model.graph;
  for (const n of g.nodes) {
    if (n.attributes.some((a) => a.type === 'graph' || a.type === 'graphs')) {
      refuse(`node '${n.name || n.opType}' has subgraphs, which this upgrade does not rewrite`);
    }
  }
  const names = new NameAllocator(model);
  const inits: Tensor[] = [];
  const nodes: Node[] = [];
  const changed = new Map<string, number>();
  let needRanks = false;
  for (const n of g.nodes) if (/^(Softmax|LogSoftmax|Hardmax)$/.test(n.opType) && !n.domain) needRanks = true;
  const facts = needRanks ? inferShapes(model).values : undefined;
  const dtypeOf = (name: string): number | undefined => {
    const t = g.initializers.find((i) => i.name === name);
    if (t) return t.dataType;
    const f = (facts ?? inferShapes(model).values).get(name);
    return f?.kind === 'tensor' ? f.dtype : undefined;
  };
  const count = (op: string) => changed.set(op, (changed.get(op) ?? 0) + 1);
  const i64 = (stem: string, suffix: string, values: readonly (number | bigint)[], scalar = false) => {
    const name = names.fresh(stem, suffix);
    inits.push(
      typedTensor(
        name,
        DataType.INT64,
        scalar ? [] : [values.length],
        values.map((v) => BigInt(v)),
      ),
    );
    return name;
  };
  const scalarOf = (stem: string, suffix: string, dtype: number | undefined, value: number, node: Node) => {
    if (dtype !== DataType.FLOAT)
      refuse(`node '${node.name || node.opType}' needs a ${node.opType} bound of a non-float type`);
    const name = names.fresh(stem, suffix);
    inits.push(typedTensor(name, DataType.FLOAT, [], [value]));
    return name;
  };
  const without = (n: Node, ...attrNames: string[]) => n.attributes.filter((a) => !attrNames.includes(a.name));
  const ints = (n: Node, name: string): bigint[] | undefined => {
    const a = getAttr(n, name);
    return a?.type === 'ints' ? a.value : undefined;
  };

  for (const n of g.nodes) {
    const label = n.name || n.opType;
    if (normalizeDomain(n.domain) !== '') {
      nodes.push(n);
      continue;
    }
    const op = n.opType;
    if (op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') {
      const axes = ints(n, 'axes');
      if (axes === undefined || n.inputs.length > 1) nodes.push(n);
      else {
        nodes.push({ ...n, inputs: [n.inputs[0], i64(label, '_axes', axes)], attributes: without(n, 'axes') });
        count(op);
      }
    } else if (op === 'Split') {
      const split = ints(n, 'split');
      if (split === undefined || n.inputs.length > 1) nodes.push(n);
      else {
        nodes.push({ ...n, inputs: [n.inputs[0], i64(label, '_split', split)], attributes: without(n, 'split') });
        count(op);
      }
    } else if (op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') {
      if (from >= 13) {
        nodes.push(n);
        continue;
      }
      const axis = intAttr(n, 'axis', 1);
      const f = facts?.get(n.inputs[0]);
      const rank = f?.kind === 'tensor' ? f.shape?.length : undefined;
      if (rank !== undefined && (axis === rank - 1 || axis === -1)) {
        nodes.push({ ...n, attributes: [...without(n, 'axis'), toAttribute('axis', -1)] });
      } else {
        // Old meaning: coerce to 2-D at `axis`, normalize each row; then restore the shape.
        const flat = names.fresh(label, '_flat');
        const shape = names.fresh(label, '_shape');
        const inner = names.fresh(label, '_2d');
        nodes.push(makeNode('Flatten', names.fresh(label, '_Flatten'), [n.inputs[0]], [flat], { axis }));
        nodes.push({ ...n, inputs: [flat], outputs: [inner], attributes: [toAttribute('axis', 1)] });
        nodes.push(makeNode('Shape', names.fresh(label, '_Shape'), [n.inputs[0]], [shape]));
        nodes.push(makeNode('Reshape', names.fresh(label, '_Reshape'), [inner, shape], [n.outputs[0]]));
      }
      count(op);
    } else if (op === 'Slice' && from < 10) {
      const starts = ints(n, 'starts') ?? [];
      const ends = ints(n, 'ends') ?? [];
      const axes = ints(n, 'axes');
      const inputs = [n.inputs[0], i64(label, '_starts', starts), i64(label, '_ends', ends)];
      if (axes) inputs.push(i64(label, '_axes', axes));
      nodes.push({ ...n, inputs, attributes: [] });
      count(op);
    } else if (op === 'Clip' && from < 11) {
      const min = getAttr(n, 'min');
      const max = getAttr(n, 'max');
      const dt = min || max ? dtypeOf(n.inputs[0]) : undefined;
      const inputs = [
        n.inputs[0],
        min ? scalarOf(label, '_min', dt, floatAttr(n, 'min', 0), n) : '',
        max ? scalarOf(label, '_max', dt, floatAttr(n, 'max', 0), n) : '',
      ];
      while (inputs.length > 1 && inputs[inputs.length - 1] === '') inputs.pop();
      nodes.push({ ...n, inputs, attributes: [] });
      count(op);
    } else if (op === 'Pad' && from < 11) {
      const pads = ints(n, 'pads') ?? [];
      const value = floatAttr(n, 'value', 0);
      const inputs = [n.inputs[0], i64(label, '_pads', pads)];
      if (value !== 0) inputs.push(scalarOf(label, '_value', dtypeOf(n.inputs[0]), value, n));
      nodes.push({ ...n, inputs, attributes: without(n, 'pads', 'value') });
      count(op);
    } else if (op === 'TopK' && from < 10) {
      nodes.push({ ...n, inputs: [n.inputs[0], i64(label, '_k', [intAttr(n, 'k', 1)])], attributes: without(n, 'k') });
      count(op);
    } else if (op === 'Dropout' && from < 12) {
      const maskUsed = n.outputs[1] && g.nodes.some((m) => m.inputs.includes(n.outputs[1]));
      if (maskUsed || g.outputs.some((o) => o.name === n.outputs[1]))
        refuse(`the mask output of Dropout '${label}' is used`);
      nodes.push({ ...n, opType: 'Identity', inputs: [n.inputs[0]], outputs: [n.outputs[0]], attributes: [] });
      count(op);
    } else if (op === 'BatchNormalization') {
      const spatial = getAttr(n, 'spatial');
      if (spatial && intAttr(n, 'spatial', 1) !== 1) refuse(`BatchNormalization '${label}' uses spatial=0`);
      if (getAttr(n, 'is_test')) refuse(`BatchNormalization '${label}' uses the pre-opset-7 is_test attribute`);
      nodes.push(spatial ? { ...n, attributes: without(n, 'spatial') } : n);
      if (spatial) count(op);
    } else if (op === 'Resize') {
      if (from < 11) refuse(`Resize '${label}' has opset-10 semantics`);
      const mode = getAttr(n, 'coordinate_transformation_mode');
      if (mode?.type === 'string' && mode.value === 'tf_half_pixel_for_nn') {
        refuse(`Resize '${label}' uses coordinate_transformation_mode tf_half_pixel_for_nn`);
      }
      nodes.push(n);
    } else if (op === 'Slice' || op === 'Clip' || op === 'Pad' || op === 'TopK' || op === 'Dropout') {
      nodes.push(n);
    } else if (stableOps.has(op)) {
      nodes.push(n);
    } else {
      refuse(`operator ${op} (node '${label}') is not known to this upgrade`);
    }
  }
  const notes = [`raised the opset from ${from} to ${target}`];
  if (changed.size) {
    notes[0] += `, rewriting ${[...changed].map(([op, k]) => `${k} ${op}`).join(', ')} for the new operator versions`;
  }
  return {
    model: {
      ...model,
      irVersion: Math.max(model.irVersion, irVersionForOpset(target)),
      opsetImports: model.opsetImports.map((o) => (normalizeDomain(o.domain) === '' ? { ...o, version: target } : o)),
      graph: { ...g, nodes, initializers: [...g.initializers, ...inits] },
    },
    notes,
  };
}

/**
 * What opset the quantized model can use. `need` is the lowest opset the output form needs at all, `perChannel`
 * whether per-channel DequantizeLinear (opset 13) is wanted. Upgrades when allowed and needed; otherwise falls
 * back to per-tensor or refuses.
 */
export function prepareOpset(
  model: Model,
  options: { need: number; perChannel: boolean; upgrade: boolean; what: string },
): { model: Model; perChannelAxis: boolean; notes: string[]; warnings: string[] } {
  const opset = opsetVersion(model, '') ?? 1;
  const want = options.perChannel ? Math.max(13, options.need) : options.need;
  if (opset >= want) return { model, perChannelAxis: opset >= 13, notes: [], warnings: [] };
  if (options.upgrade) {
    try {
      const up = upgradeOpset(model, want);
      return { model: up.model, perChannelAxis: want >= 13, notes: up.notes, warnings: [] };
    } catch (err) {
      if (!(err instanceof TransformError)) throw err;
      if (opset >= options.need) {
        return {
          model,
          perChannelAxis: false,
          notes: [],
          warnings: [`per-channel quantization needs opset 13 and ${err.message}; weights are quantized per tensor`],
        };
      }
      throw new TransformError(
        `${options.what} needs opset ${options.need} or later, and ${err.message}`,
        'opset-too-old',
      );
    }
  }
  if (opset >= options.need) {
    return {
      model,
      perChannelAxis: false,
      notes: [],
      warnings: [`per-channel quantization needs opset 13 (the model has ${opset}); weights are quantized per tensor`],
    };
  }
  throw new TransformError(
    `${options.what} needs opset ${options.need} or later; the model has opset ${opset} (allow the opset upgrade)`,
    'opset-too-old',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Which input of an operator is its weight, and along which axis its output channels run

export interface WeightSlot {
  input: number;
  /** Axis of the output channels, for per-channel scales; undefined when per-channel makes no sense. */
  axis?: number;
}

/** Weight inputs of an operator that weight quantization handles (given the node and the weight's rank). */
export function weightSlots(node: Node, rankOf: (input: number) => number | undefined): WeightSlot[] {
  switch (node.opType) {
    case 'Conv':
      return [{ input: 1, axis: 0 }];
    case 'ConvTranspose':
      return [{ input: 1, axis: 1 }];
    case 'Gemm':
      return [{ input: 1, axis: intAttr(node, 'transB', 0) ? 0 : 1 }];
    case 'MatMul': {
      const r = rankOf(1);
      return [{ input: 1, axis: r !== undefined && r >= 2 ? r - 1 : undefined }];
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return [
        { input: 1, axis: 1 },
        { input: 2, axis: 1 },
      ];
    case 'Gather':
      return rankOf(0) === 2 ? [{ input: 0, axis: 0 }] : [];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Dynamic quantization

export const DEFAULT_DYNAMIC_OP_TYPES: readonly string[] = [
  'MatMul',
  'Gemm',
  'Conv',
  'ConvTranspose',
  'LSTM',
  'GRU',
  'RNN',
  'Gather',
];

export interface DynamicQuantizeOptions {
  /** 'qdq' (default): DequantizeLinear on weights. 'operator': MatMulInteger / ConvInteger + DynamicQuantizeLinear. */
  format?: 'qdq' | 'operator';
  /** One scale per output channel (default true); per tensor otherwise. */
  perChannel?: boolean;
  /** Weight element type: 'int8' (symmetric, default) or 'uint8' (asymmetric). */
  weightType?: QuantType;
  /** 7-bit weights, for CPUs whose 8-bit dot products can overflow (x86 without VNNI). Default false. */
  reduceRange?: boolean;
  /** Operators whose weights are quantized. Default DEFAULT_DYNAMIC_OP_TYPES. */
  opTypes?: readonly string[];
  /** Node names left in float. */
  excludeNodes?: readonly string[];
  /** Operator types left in float (applied after `opTypes`). */
  excludeOpTypes?: readonly string[];
  /** Weights with fewer elements stay float. Default 16. */
  minWeightElements?: number;
  /** Raise the opset when the output needs it (per-channel: 13). Default true. */
  upgradeOpset?: boolean;
  /**
   * Keep the value_info (declared types and shapes) of intermediate values. Default false: they are dropped (ONNX
   * Runtime infers them; inputs and outputs stay typed), which saves their bytes.
   */
  keepValueInfo?: boolean;
}

interface EditState {
  names: NameAllocator;
  inits: Tensor[];
  replaced: Set<string>;
  cache: Map<string, string>;
  /** Quantized initializer -> the float initializer it replaces (its name is taken over when that one is gone). */
  adopt: Map<string, string>;
}

/**
 * DequantizeLinear over integer data: adds the data, scale and zero-point initializers (the zero point is left out
 * when it is all zeros: ONNX's default) and returns the node (not yet placed) and its output. Names are `<base>_q`,
 * `<base>_scale`, `<base>_zp`, `<base>_dq` (made unique).
 */
export function dequantizeLinearNode(
  names: NameAllocator,
  inits: Tensor[],
  base: string,
  data: { dataType: number; dims: readonly number[]; values: Int8Array | Uint8Array | Int32Array },
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  axis: number | undefined,
): { node: Node; output: string; dataName: string } {
  const dataName = names.fresh(base, '_q');
  const sName = names.fresh(base, '_scale');
  const sdims = axis !== undefined ? [scales.length] : [];
  inits.push(typedTensor(dataName, data.dataType, data.dims, data.values));
  inits.push(typedTensor(sName, DataType.FLOAT, sdims, Float32Array.from(scales)));
  const inputs = [dataName, sName];
  if (Array.prototype.some.call(zeroPoints, (z: number) => z !== 0)) {
    const zName = names.fresh(base, '_zp');
    const zp =
      data.dataType === DataType.INT8
        ? Int8Array.from(zeroPoints)
        : data.dataType === DataType.UINT8
          ? Uint8Array.from(zeroPoints)
          : Int32Array.from(zeroPoints);
    inits.push(typedTensor(zName, data.dataType, sdims, zp));
    inputs.push(zName);
  }
  const output = names.fresh(base, '_dq');
  // Unnamed: ONNX does not require node names, and the node is known by what it reads.
  const node = makeNode('DequantizeLinear', '', inputs, [output], axis !== undefined ? { axis } : {});
  return { node, output, dataName };
}

/**
 * Gives each quantized initializer the name of the float initializer it replaced, when that one is gone from the
 * graph (its name is then free): the quantized model keeps the weight names the original had.
 */
export function adoptNames(graph: Graph, adopt: ReadonlyMap<string, string>): Graph {
  if (adopt.size === 0) return graph;
  const taken = new Set<string>();
  for (const t of graph.initializers) taken.add(t.name);
  for (const v of graph.inputs) taken.add(v.name);
  for (const n of graph.nodes) for (const o of n.outputs) taken.add(o);
  const read = namesUsedInSubgraphs(graph);
  const rename = new Map<string, string>();
  const claimed = new Set<string>();
  for (const [from, to] of adopt) {
    if (taken.has(to) || read.has(to) || claimed.has(to) || !taken.has(from)) continue;
    rename.set(from, to);
    claimed.add(to);
  }
  if (rename.size === 0) return graph;
  return {
    ...graph,
    initializers: graph.initializers.map((t) =>
      rename.has(t.name) ? { ...t, name: rename.get(t.name) as string } : t,
    ),
    nodes: graph.nodes.map((n) =>
      n.inputs.some((i) => rename.has(i)) ? { ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) } : n,
    ),
    valueInfo: graph.valueInfo.filter((v) => !claimed.has(v.name)),
  };
}

function summarizeSkips(skips: Map<string, string[]>): string[] {
  return [...skips].map(([why, nodes]) => {
    const shown = nodes.slice(0, 5).map((n) => `'${n}'`);
    return `${nodes.length} node${nodes.length === 1 ? '' : 's'} left in float (${why}): ${shown.join(', ')}${nodes.length > 5 ? ', …' : ''}`;
  });
}

/**
 * Dynamic INT8 quantization of weights. Refuses (TransformError 'already-quantized') a model that has quantization
 * operators already. Only the main graph is quantized; subgraphs are left as they are.
 */
export async function quantizeDynamic(
  model: Model,
  options: DynamicQuantizeOptions = {},
  source?: ExternalDataSource,
): Promise<TransformResult> {
  refuseQuantized(model, 'dynamic quantization');
  const format = options.format ?? 'qdq';
  const weightType = options.weightType ?? 'int8';
  const reduceRange = options.reduceRange ?? false;
  const opTypes = new Set(options.opTypes ?? DEFAULT_DYNAMIC_OP_TYPES);
  for (const op of options.excludeOpTypes ?? []) opTypes.delete(op);
  const excluded = new Set(options.excludeNodes ?? []);
  const minElements = options.minWeightElements ?? 16;
  const report: TransformReport = { transform: 'quantize-dynamic', changedNodes: [], notes: [], warnings: [] };

  const prep = prepareOpset(model, {
    need: format === 'operator' ? 11 : 10,
    perChannel: options.perChannel ?? true,
    upgrade: options.upgradeOpset ?? true,
    what: format === 'operator' ? 'operator-form quantization (DynamicQuantizeLinear)' : 'QDQ quantization',
  });
  report.notes.push(...prep.notes);
  report.warnings.push(...prep.warnings);
  const perChannel = (options.perChannel ?? true) && prep.perChannelAxis;
  const src = prep.model;
  const g = src.graph;
  const consts = graphConstants(g);
  const facts = format === 'operator' ? inferShapes(src).values : undefined;
  const floatActivation = (name: string) => {
    const f = facts?.get(name);
    return f?.kind === 'tensor' && f.dtype === DataType.FLOAT;
  };
  const st: EditState = {
    names: new NameAllocator(src, 0),
    inits: [],
    replaced: new Set(),
    cache: new Map(),
    adopt: new Map(),
  };
  const dynQuant = new Map<string, [string, string, string]>();
  const skips = new Map<string, string[]>();
  const skip = (why: string, label: string) => skips.set(why, [...(skips.get(why) ?? []), label]);
  const fallbacks = new Map<string, string[]>();
  const nodes: Node[] = [];
  let weightBytesBefore = 0;
  let weightBytesAfter = 0;
  let integerOps = 0;
  let convPerTensor = 0;

  /** A constant float weight of `node` at `input` quantized (cached), or a reason not to. */
  const loadWeight = async (node: Node, input: number): Promise<{ values: Float32Array; tensor: Tensor } | string> => {
    const name = node.inputs[input];
    const c = name ? consts.get(name) : undefined;
    if (!c) return 'weight is not a constant';
    if (c.tensor.dataType !== DataType.FLOAT) return 'weight is not float32';
    const values = (await readTensorValues(c.tensor, source)) as Float32Array;
    if (values.length < minElements) return `weight has fewer than ${minElements} elements`;
    return { values, tensor: c.tensor };
  };

  /** QDQ form of one weight: DequantizeLinear placed before the node (once per weight and axis). */
  const qdqWeight = async (
    node: Node,
    slot: WeightSlot,
    out: Node[],
  ): Promise<{ output: string } | { reason: string }> => {
    const w = await loadWeight(node, slot.input);
    if (typeof w === 'string') return { reason: w };
    const axis = perChannel ? slot.axis : undefined;
    const key = `${w.tensor.name}\u0000${axis ?? ''}`;
    let output = st.cache.get(key);
    if (!output) {
      const q = quantizeWeight(w.values, w.tensor.dims, { type: weightType, reduceRange, axis });
      const dq = dequantizeLinearNode(
        st.names,
        st.inits,
        w.tensor.name,
        { dataType: q.dataType, dims: w.tensor.dims, values: q.values },
        q.scales,
        q.zeroPoints,
        q.axis,
      );
      st.adopt.set(dq.dataName, w.tensor.name);
      st.cache.set(key, dq.output);
      output = dq.output;
      out.push(dq.node);
      weightBytesBefore += w.values.length * 4;
      weightBytesAfter += w.values.length + q.scales.length * 5;
    }
    st.replaced.add(w.tensor.name);
    return { output };
  };

  const dynamicQuantize = (x: string, out: Node[]): [string, string, string] => {
    let r = dynQuant.get(x);
    if (!r) {
      r = [st.names.fresh(x, '_q'), st.names.fresh(x, '_scale'), st.names.fresh(x, '_zp')];
      out.push(makeNode('DynamicQuantizeLinear', '', [x], r));
      dynQuant.set(x, r);
    }
    return r;
  };

  /** Operator form of MatMul / Gemm / Conv; returns false (with a reason recorded) to fall back to QDQ. */
  const integerForm = async (node: Node, label: string, out: Node[]): Promise<string | true> => {
    const op = node.opType;
    const w = await loadWeight(node, 1);
    if (typeof w === 'string') return w;
    const x = node.inputs[0];
    if (!x || consts.has(x)) return 'input is a constant';
    if (!floatActivation(x)) return 'input is not known to be float32';
    const dims = w.tensor.dims;
    const y = node.outputs[0];
    const nm = (s: string) => st.names.fresh(label, `_${s}`);
    if (op === 'MatMul' || op === 'Gemm') {
      if (dims.length !== 2 && op === 'Gemm') return 'Gemm weight is not 2-D';
      if (dims.length < 2) return 'MatMul weight is 1-D';
      const transB = op === 'Gemm' && intAttr(node, 'transB', 0) === 1;
      const axis = perChannel && dims.length === 2 ? (transB ? 0 : 1) : undefined;
      const q = quantizeWeight(w.values, dims, { type: weightType, reduceRange, axis });
      let qValues = q.values;
      let qDims = [...dims];
      if (transB) {
        const [n, k] = dims;
        const t = q.dataType === DataType.INT8 ? new Int8Array(n * k) : new Uint8Array(n * k);
        for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) t[j * n + i] = q.values[i * k + j];
        qValues = t;
        qDims = [k, n];
      }
      const alpha = op === 'Gemm' ? floatAttr(node, 'alpha', 1) : 1;
      const beta = op === 'Gemm' ? floatAttr(node, 'beta', 1) : 1;
      const symmetricZero = q.zeroPoints.every((z) => z === 0);
      const perColumn = q.axis !== undefined;
      const wq = st.names.fresh(w.tensor.name, '_q');
      const ws = st.names.fresh(w.tensor.name, '_scale');
      st.inits.push(typedTensor(wq, q.dataType, qDims, qValues));
      st.adopt.set(wq, w.tensor.name);
      let wz = '';
      if (!symmetricZero) {
        wz = st.names.fresh(w.tensor.name, '_zp');
        const zpValues = perColumn ? q.zeroPoints : Int32Array.of(q.zeroPoints[0]);
        st.inits.push(
          typedTensor(
            wz,
            q.dataType,
            perColumn ? [zpValues.length] : [],
            q.dataType === DataType.INT8 ? Int8Array.from(zpValues) : Uint8Array.from(zpValues),
          ),
        );
      }
      st.inits.push(
        typedTensor(
          ws,
          DataType.FLOAT,
          perColumn ? [q.scales.length] : [],
          q.scales.map((s) => s * alpha),
        ),
      );
      let a = x;
      if (op === 'Gemm' && intAttr(node, 'transA', 0) === 1) {
        a = nm('A_transposed');
        out.push(makeNode('Transpose', '', [x], [a], { perm: [1, 0] }));
      }
      const [aq, as, az] = dynamicQuantize(a, out);
      const acc = nm('int32');
      const accF = nm('float');
      const scale = nm('scale');
      out.push(makeNode('MatMulInteger', node.name, wz ? [aq, wq, az, wz] : [aq, wq, az], [acc]));
      out.push(makeNode('Cast', '', [acc], [accF], { to: DataType.FLOAT }));
      out.push(makeNode('Mul', '', [as, ws], [scale]));
      const c = op === 'Gemm' ? node.inputs[2] : undefined;
      if (!c) {
        out.push(makeNode('Mul', '', [accF, scale], [y]));
      } else {
        const scaled = nm('scaled');
        out.push(makeNode('Mul', '', [accF, scale], [scaled]));
        let bias = c;
        const cc = consts.get(c);
        if (beta !== 1) {
          if (cc && cc.tensor.dataType === DataType.FLOAT) {
            const v = (await readTensorValues(cc.tensor, source)) as Float32Array;
            bias = st.names.fresh(c, '_beta');
            st.inits.push(
              typedTensor(
                bias,
                DataType.FLOAT,
                cc.tensor.dims,
                v.map((e) => e * beta),
              ),
            );
            st.replaced.add(c);
          } else {
            const betaName = st.names.fresh(label, '_beta');
            st.inits.push(typedTensor(betaName, DataType.FLOAT, [], [beta]));
            bias = nm('bias');
            out.push(makeNode('Mul', '', [c, betaName], [bias]));
          }
        }
        out.push(makeNode('Add', '', [scaled, bias], [y]));
      }
      st.replaced.add(w.tensor.name);
      weightBytesBefore += w.values.length * 4;
      weightBytesAfter += w.values.length + q.scales.length * 5;
      return true;
    }
    // Conv: ONNX Runtime's ConvInteger takes one weight zero point only, so per-channel needs symmetric weights.
    if (dims.length < 3) return 'Conv weight has rank < 3';
    const bias = node.inputs[2];
    const bc = bias ? consts.get(bias) : undefined;
    if (bias && !bc) return 'Conv bias is not a constant';
    let axis = perChannel ? 0 : undefined;
    let q = quantizeWeight(w.values, dims, { type: weightType, reduceRange, axis });
    if (axis !== undefined && q.zeroPoints.some((z) => z !== q.zeroPoints[0])) {
      axis = undefined;
      convPerTensor++;
      q = quantizeWeight(w.values, dims, { type: weightType, reduceRange });
    }
    const ones = new Array<number>(dims.length - 2).fill(1);
    const wq = st.names.fresh(w.tensor.name, '_q');
    const ws = st.names.fresh(w.tensor.name, '_scale');
    st.inits.push(typedTensor(wq, q.dataType, dims, q.values));
    st.adopt.set(wq, w.tensor.name);
    let wz = '';
    if (q.zeroPoints[0] !== 0) {
      wz = st.names.fresh(w.tensor.name, '_zp');
      st.inits.push(
        typedTensor(
          wz,
          q.dataType,
          [],
          q.dataType === DataType.INT8 ? Int8Array.of(q.zeroPoints[0]) : Uint8Array.of(q.zeroPoints[0]),
        ),
      );
    }
    st.inits.push(typedTensor(ws, DataType.FLOAT, q.axis !== undefined ? [q.scales.length, ...ones] : [], q.scales));
    const [xq, xs, xz] = dynamicQuantize(x, out);
    const acc = nm('int32');
    const accF = nm('float');
    const scale = nm('scale');
    const convAttrs = node.attributes.filter((a) =>
      ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'].includes(a.name),
    );
    out.push({
      ...makeNode('ConvInteger', node.name, wz ? [xq, wq, xz, wz] : [xq, wq, xz], [acc]),
      attributes: convAttrs,
    });
    out.push(makeNode('Cast', '', [acc], [accF], { to: DataType.FLOAT }));
    out.push(makeNode('Mul', '', [xs, ws], [scale]));
    if (!bc) out.push(makeNode('Mul', '', [accF, scale], [y]));
    else {
      const scaled = nm('scaled');
      out.push(makeNode('Mul', '', [accF, scale], [scaled]));
      const bv = await readTensorValues(bc.tensor, source);
      const bName = st.names.fresh(bc.tensor.name, '_reshaped');
      st.inits.push(typedTensor(bName, bc.tensor.dataType, [bv.length, ...ones], bv as Float32Array));
      st.replaced.add(bc.tensor.name);
      out.push(makeNode('Add', '', [scaled, bName], [y]));
    }
    st.replaced.add(w.tensor.name);
    weightBytesBefore += w.values.length * 4;
    weightBytesAfter += w.values.length + q.scales.length * 4 + 1;
    return true;
  };

  for (let i = 0; i < g.nodes.length; i++) {
    const node = g.nodes[i];
    const label = nodeLabel(node, i);
    if (normalizeDomain(node.domain) !== '' || !opTypes.has(node.opType)) {
      nodes.push(node);
      continue;
    }
    if (excluded.has(node.name)) {
      skip('excluded by name', label);
      nodes.push(node);
      continue;
    }
    if (format === 'operator' && (node.opType === 'MatMul' || node.opType === 'Gemm' || node.opType === 'Conv')) {
      const out: Node[] = [];
      const r = await integerForm(node, node.name || `${node.opType}_${i}`, out);
      if (r === true) {
        nodes.push(...out);
        report.changedNodes.push(label);
        integerOps++;
        continue;
      }
      if (r !== 'weight is not a constant' && r !== 'weight is not float32' && !r.startsWith('weight has fewer')) {
        // Fall back to the QDQ form for this node.
        fallbacks.set(r, [...(fallbacks.get(r) ?? []), label]);
      }
    }
    const rankOf = (k: number) => consts.get(node.inputs[k])?.tensor.dims.length;
    const slots = weightSlots(node, rankOf);
    const inputs = [...node.inputs];
    const before: Node[] = [];
    let reason = 'no weight input';
    let done = false;
    for (const slot of slots) {
      const r = await qdqWeight(node, slot, before);
      if ('output' in r) {
        inputs[slot.input] = r.output;
        done = true;
      } else reason = r.reason;
    }
    nodes.push(...before);
    if (done) {
      nodes.push({ ...node, inputs });
      report.changedNodes.push(label);
    } else {
      skip(reason, label);
      nodes.push(node);
    }
  }

  const originalNames = new Set(g.initializers.map((t) => t.name));
  const graph = shareIdenticalInitializers(
    adoptNames(dropUnused({ ...g, nodes, initializers: [...g.initializers, ...st.inits] }, st.replaced), st.adopt),
    (name) => !originalNames.has(name),
  );
  const out: Model = { ...src, graph };
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  report.notes.push(
    `quantized the weights of ${report.changedNodes.length} node${report.changedNodes.length === 1 ? '' : 's'} to ${weightType}` +
      `${perChannel ? ' per channel' : ' per tensor'}${weightType === 'int8' ? ' (symmetric)' : ' (asymmetric)'}` +
      `${reduceRange ? ', 7-bit range' : ''}: ${kb(weightBytesBefore)} of float weights -> ${kb(weightBytesAfter)}`,
  );
  if (format === 'operator') {
    report.notes.push(
      `${integerOps} MatMul/Gemm/Conv node${integerOps === 1 ? '' : 's'} became DynamicQuantizeLinear + MatMulInteger/ConvInteger (activations quantized to uint8 at run time); other quantized operators read their weights through DequantizeLinear`,
    );
    if (convPerTensor) {
      report.warnings.push(
        `${convPerTensor} Conv weight${convPerTensor === 1 ? '' : 's'} quantized per tensor: ONNX Runtime's ConvInteger takes a single weight zero point, and asymmetric (uint8) per-channel weights have one per channel`,
      );
    }
  } else {
    report.notes.push(
      'QDQ form: weights are stored as 8-bit integers and dequantized by DequantizeLinear; the operators compute in float (ONNX Runtime CPU: smaller model, no integer speed-up)',
    );
  }
  for (const [why, list] of fallbacks) {
    report.notes.push(
      `${list.length} node${list.length === 1 ? '' : 's'} without an integer form (${why}) read their weights through DequantizeLinear instead: ${list
        .slice(0, 5)
        .map((l) => `'${l}'`)
        .join(', ')}${list.length > 5 ? ', …' : ''}`,
    );
  }
  report.notes.push(...summarizeSkips(skips));
  if (g.nodes.some((n) => n.attributes.some((a) => a.type === 'graph' || a.type === 'graphs'))) {
    report.warnings.push('subgraphs (If/Loop/Scan bodies) were left in float');
  }
  if (report.changedNodes.length === 0)
    report.warnings.push('nothing was quantized: no selected operator has a float32 constant weight');
  return { model: options.keepValueInfo ? out : dropIntermediateValueInfo(out, report.notes), report };
}
