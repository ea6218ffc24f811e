/**
 * Static INT8 quantization in QDQ form: every activation a quantized operator reads or writes gets a
 * QuantizeLinear -> DequantizeLinear pair whose scale comes from calibration; weights become int8 (per channel by
 * default) behind DequantizeLinear, and the biases of Conv and Gemm int32 with scale input_scale × weight_scale
 * (what integer kernels expect). Runtimes that understand QDQ (ONNX Runtime among them) fuse the pairs into
 * integer operators. With `format: 'operator'` the Conv and MatMul nodes become QLinearConv / QLinearMatMul
 * afterwards (qoperator.ts): the same numerics in a smaller file.
 *
 * Three steps, the middle one the only one that runs a model:
 *   planStaticQuantization (pure: opset, which tensors to calibrate) -> calibrate (calibration.ts, onnxruntime-node)
 *   -> applyStaticQuantization (pure: rewrite with the ranges).
 * `quantizeStatic` does all three, loading calibration.ts only then, so this module stays free of the runtime.
 *
 * Conventions: activations asymmetric uint8 (or int8), one scale per tensor, ranges widened to contain 0; a
 * quantized tensor is replaced by its dequantized copy for every reader in the main graph (what an integer
 * deployment computes), except graph outputs, which keep the float value; data-movement operators (Reshape,
 * Transpose, MaxPool…) reuse their input's scale so that they stay exact.
 */

import { DataType } from '../onnx/dtype.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import type { Model, Node, Tensor } from '../onnx/ir.js';
import { normalizeDomain, opsetVersion } from '../onnx/ir.js';
import { readTensorValues } from '../onnx/tensor.js';
import { nodeLabel } from '../onnx/validate.js';
import type {
  CalibrationFeed,
  CalibrationMethod,
  CalibrationProgress,
  GeneratedFeedOptions,
  TensorRange,
} from './calibration.js';
import { dropIntermediateValueInfo, shareIdenticalInitializers } from './graphEdit.js';
import { toOperatorForm } from './qoperator.js';
import {
  activationIntRange,
  adoptNames,
  asymmetricParams,
  type ConstantInfo,
  dequantizeLinearNode,
  dropUnused,
  graphConstants,
  intAttr,
  makeNode,
  NameAllocator,
  prepareOpset,
  type QuantizedTensor,
  type QuantParams,
  type QuantType,
  quantizeValue,
  quantizeWeight,
  refuseQuantized,
  roundHalfEven,
  typedTensor,
  weightIntRange,
} from './quantize.js';
import type { TransformReport, TransformResult } from './types.js';

const DEFAULT_METHOD: CalibrationMethod = 'percentile';
const DEFAULT_PERCENTILE = 99.99;

export const DEFAULT_STATIC_OP_TYPES: readonly string[] = [
  'Conv',
  'ConvTranspose',
  'MatMul',
  'Gemm',
  'Add',
  'Mul',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Concat',
  'Resize',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Softmax',
  'Split',
  'Pad',
];

/** Operators whose output holds (a subset of) the input's values: they reuse the input's scale. */
const sameScaleOps = new Set([
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'MaxPool',
  'GlobalMaxPool',
  'Split',
  'Slice',
  'Pad',
  'DepthToSpace',
  'SpaceToDepth',
  'Gather',
]);

/** Inputs that carry tensor data (the others are shapes, scales, bounds…). Undefined: all inputs. */
function dataInputs(op: string, n: number): number[] {
  switch (op) {
    case 'Conv':
    case 'ConvTranspose':
    case 'Gemm':
      return [0, 1, 2].filter((i) => i < n);
    case 'Clip':
    case 'Resize':
    case 'Reshape':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Split':
    case 'Pad':
    case 'Slice':
    case 'Gather':
    case 'Upsample':
      return [0];
    case 'Where':
      return [1, 2].filter((i) => i < n);
    default:
      return Array.from({ length: n }, (_, i) => i);
  }
}

export interface StaticQuantizeOptions {
  /** Calibration samples. Without them, generated inputs are used (a rough approximation; the report says so). */
  calibration?: { feeds: AsyncIterable<CalibrationFeed> | Iterable<CalibrationFeed>; total?: number };
  /** Generated samples when no calibration data is given. Default 8. */
  generated?: GeneratedFeedOptions;
  /**
   * Default 'percentile' (99.99 %): on the benchmark models (bench:optimize --sweep) it gives the best worst case of
   * the three, with Relu/Clip folding and bias correction.
   */
  method?: CalibrationMethod;
  /** For 'percentile'. Default 99.99. */
  percentile?: number;
  /** Weights per output channel (default true). */
  perChannel?: boolean;
  /** Weights: 'int8' symmetric (default) or 'uint8' asymmetric. */
  weightType?: QuantType;
  /** Activations, asymmetric: 'uint8' (default) or 'int8'. */
  activationType?: QuantType;
  reduceRange?: boolean;
  opTypes?: readonly string[];
  excludeNodes?: readonly string[];
  excludeOpTypes?: readonly string[];
  /** Raise the opset when needed (per-channel: 13). Default true. */
  upgradeOpset?: boolean;
  /**
   * Quantize a Conv/Gemm/MatMul output read only by a Relu or Clip at the activation's output alone (as integer
   * runtimes fuse them). Default true.
   */
  fuseActivations?: boolean;
  /**
   * Bias correction: subtract from each Conv/Gemm bias the mean shift that weight rounding causes, (Wq - W) · E[x],
   * with E[x] the per-channel input means measured during calibration (Nagel et al., "Data-Free Quantization",
   * 2019). Default true.
   */
  biasCorrection?: boolean;
  /**
   * Keep the value_info (declared types and shapes) of intermediate values. Default false: they are dropped (ONNX
   * Runtime infers them; inputs and outputs stay typed), which saves their bytes.
   */
  keepValueInfo?: boolean;
  /**
   * 'qdq' (default): QuantizeLinear/DequantizeLinear around float operators, which runtimes fuse. 'operator': Conv
   * and MatMul become QLinearConv / QLinearMatMul reading and writing the integer tensors (no Q/DQ pair between
   * two of them, no bias scales: a smaller file); the other operators keep the QDQ form.
   */
  format?: 'qdq' | 'operator';
  onProgress?: (p: CalibrationProgress) => void;
  signal?: AbortSignal;
}

export interface StaticPlan {
  /** The model to calibrate and to quantize (its opset possibly raised). */
  model: Model;
  /** Activations that need a range. */
  tensors: string[];
  perChannel: boolean;
  notes: string[];
  warnings: string[];
}

function selectedNodes(model: Model, options: StaticQuantizeOptions): Set<Node> {
  const ops = new Set(options.opTypes ?? DEFAULT_STATIC_OP_TYPES);
  for (const op of options.excludeOpTypes ?? []) ops.delete(op);
  const excluded = new Set(options.excludeNodes ?? []);
  return new Set(
    model.graph.nodes.filter((n) => normalizeDomain(n.domain) === '' && ops.has(n.opType) && !excluded.has(n.name)),
  );
}

/**
 * The nodes most sensitive to quantization, by name: the first weighted operator (Conv/Gemm/MatMul) reading each
 * graph input, and the last one before each graph output (with the nodes between it and the output), where
 * errors are not averaged out by later layers. Unnamed nodes are left out (exclusion goes by name).
 */
export function sensitiveNodes(model: Model): string[] {
  const g = model.graph;
  const weighted = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const out = new Set<Node>();
  const inits = new Set(g.initializers.map((t) => t.name));
  // Forward from each input, breadth first, to the first weighted nodes.
  for (const v of g.inputs) {
    if (inits.has(v.name)) continue;
    const seen = new Set<string>([v.name]);
    let frontier = [v.name];
    while (frontier.length) {
      const next: string[] = [];
      for (const t of frontier) {
        for (const r of readers.get(t) ?? []) {
          if (weighted.has(r.opType)) out.add(r);
          else for (const o of r.outputs) if (o && !seen.has(o) && seen.add(o)) next.push(o);
        }
      }
      frontier = next;
    }
  }
  // Backward from each output to the last weighted nodes, keeping the nodes on the way.
  for (const o of g.outputs) {
    const seen = new Set<string>();
    const stack = [o.name];
    while (stack.length) {
      const t = stack.pop() as string;
      if (seen.has(t)) continue;
      seen.add(t);
      const n = producer.get(t);
      if (!n) continue;
      out.add(n);
      if (!weighted.has(n.opType)) for (const i of n.inputs) if (i) stack.push(i);
    }
  }
  return [...out].map((n) => n.name).filter(Boolean);
}

/** The inputs of the planned Conv and Gemm nodes whose per-channel means bias correction needs. */
export function biasCorrectionInputs(plan: StaticPlan): string[] {
  const wanted = new Set(plan.tensors);
  return [
    ...new Set(
      plan.model.graph.nodes
        .filter((n) => (n.opType === 'Conv' || n.opType === 'Gemm') && n.inputs[2] && wanted.has(n.inputs[0]))
        .map((n) => n.inputs[0]),
    ),
  ];
}

/** Opset preparation and the list of tensors calibration must measure. Pure. */
export function planStaticQuantization(model: Model, options: StaticQuantizeOptions = {}): StaticPlan {
  refuseQuantized(model, 'static quantization');
  const prep = prepareOpset(model, {
    need: 10,
    perChannel: options.perChannel ?? true,
    upgrade: options.upgradeOpset ?? true,
    what: 'QDQ quantization (QuantizeLinear/DequantizeLinear)',
  });
  const m = prep.model;
  const consts = graphConstants(m.graph);
  const tensors = new Set<string>();
  for (const node of selectedNodes(m, options)) {
    for (const i of dataInputs(node.opType, node.inputs.length)) {
      const name = node.inputs[i];
      if (name && !consts.has(name)) tensors.add(name);
    }
    for (const o of node.outputs) if (o) tensors.add(o);
  }
  return {
    model: m,
    tensors: [...tensors],
    perChannel: (options.perChannel ?? true) && prep.perChannelAxis,
    notes: prep.notes,
    warnings: prep.warnings,
  };
}

/** Operators whose output a following Relu / Clip can be folded into (integer kernels apply it on requantization). */
const fusableProducers = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * Relu / Clip nodes (with a lower bound of 0) that are the only reader of a Conv/Gemm/MatMul output, by that
 * output. Such an activation is folded into the quantization of the operator's output, as ONNX Runtime's own
 * quantizer does: the output gets the activation's range ([0, max]), whose zero point is the lowest integer, so
 * QuantizeLinear's saturation is the Relu (and the range's top, at most the Clip's, its upper bound), and the node
 * goes. Integer runtimes fuse it so; the range is half as wide as [min, max]; and DQ -> Conv -> Relu -> Q, kept,
 * makes ONNX Runtime 1.30's optimizer fail ("two nodes with same node name").
 */
function foldableActivations(
  g: Model['graph'],
  selected: ReadonlySet<Node>,
  consts: ReadonlyMap<string, ConstantInfo>,
  lowerBound: (c: ConstantInfo) => number | undefined,
): Map<string, Node> {
  const out = new Map<string, Node>();
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(g.outputs.map((o) => o.name));
  for (const n of g.nodes) {
    if (!selected.has(n) || !fusableProducers.has(n.opType) || n.outputs.length !== 1) continue;
    const o = n.outputs[0];
    const r = readers.get(o);
    if (!o || outputs.has(o) || r?.length !== 1) continue;
    const act = r[0];
    if (!selected.has(act) || act.inputs[0] !== o || act.outputs.length !== 1 || outputs.has(act.outputs[0])) continue;
    if (act.opType === 'Relu') out.set(o, act);
    else if (act.opType === 'Clip') {
      const minAttr = act.attributes.find((a) => a.name === 'min');
      const min =
        minAttr?.type === 'float'
          ? minAttr.value
          : act.inputs[1]
            ? (() => {
                const c = consts.get(act.inputs[1]);
                return c ? lowerBound(c) : undefined;
              })()
            : undefined;
      if (min === 0) out.set(o, act);
    }
  }
  return out;
}

/** The weight input of an operator and its output-channel axis, for the static form. */
function weightOf(node: Node, consts: Map<string, ConstantInfo>): { input: number; axis?: number } | undefined {
  const c = (i: number) => consts.get(node.inputs[i]);
  switch (node.opType) {
    case 'Conv':
      return c(1) ? { input: 1, axis: 0 } : undefined;
    case 'ConvTranspose':
      return c(1) ? { input: 1, axis: 1 } : undefined;
    case 'Gemm':
      return c(1) && c(1)?.tensor.dims.length === 2
        ? { input: 1, axis: intAttr(node, 'transB', 0) ? 0 : 1 }
        : undefined;
    case 'MatMul': {
      const r = c(1)?.tensor.dims.length;
      return r !== undefined ? { input: 1, axis: r >= 2 ? r - 1 : undefined } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Rewrites the planned model with Q/DQ pairs from the calibrated `ranges` (tensors without a range stay float).
 * Pure: no runtime involved.
 */
export async function applyStaticQuantization(
  plan: StaticPlan,
  ranges: ReadonlyMap<string, TensorRange>,
  options: StaticQuantizeOptions = {},
  source?: ExternalDataSource,
  /** Per-channel input means from calibration (`biasCorrectionInputs`), for bias correction. */
  channelMeans?: ReadonlyMap<string, Float64Array>,
): Promise<TransformResult> {
  const weightType = options.weightType ?? 'int8';
  const actType = options.activationType ?? 'uint8';
  const actRange = activationIntRange(actType);
  const reduceRange = options.reduceRange ?? false;
  const m = plan.model;
  const g = m.graph;
  const selected = selectedNodes(m, options);
  const consts = graphConstants(g);
  const names = new NameAllocator(m, 0);
  const originalNames = new Set(g.initializers.map((t) => t.name));
  const report: TransformReport = {
    transform: 'quantize-static',
    changedNodes: [],
    notes: [...plan.notes],
    warnings: [...plan.warnings],
  };

  // 1. Quantization parameters of every activation, in graph order (same-scale operators follow their input).
  const params = new Map<string, QuantParams>();
  const consumers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  // The Clip bounds are scalars: read synchronously from raw or typed data.
  const scalar = (c: ConstantInfo): number | undefined => {
    const t = c.tensor;
    if (t.dataType !== DataType.FLOAT || t.dims.some((d) => d !== 1)) return undefined;
    if (t.data.kind === 'raw' && t.data.bytes.length >= 4) {
      return new DataView(t.data.bytes.buffer, t.data.bytes.byteOffset, 4).getFloat32(0, true);
    }
    if (t.data.kind === 'float') return t.data.values[0];
    return undefined;
  };
  const foldable = (options.fuseActivations ?? true) ? foldableActivations(g, selected, consts, scalar) : new Map();
  const fused = new Set(foldable.keys());
  const missing = new Set<string>();
  const paramsOf = (name: string): QuantParams | undefined => {
    const r = ranges.get(name);
    if (!r) {
      missing.add(name);
      return undefined;
    }
    return asymmetricParams(r.min, r.max, actRange);
  };
  for (const node of g.nodes) {
    if (!selected.has(node)) continue;
    for (const i of dataInputs(node.opType, node.inputs.length)) {
      const name = node.inputs[i];
      if (!name || consts.has(name) || params.has(name) || fused.has(name)) continue;
      if ((node.opType === 'Conv' || node.opType === 'ConvTranspose' || node.opType === 'Gemm') && i === 2) continue;
      const p = paramsOf(name);
      if (p) params.set(name, p);
    }
    for (const o of node.outputs) {
      if (!o || params.has(o) || !consumers.has(o) || fused.has(o)) continue;
      const shared = sameScaleOps.has(node.opType) ? params.get(node.inputs[0]) : undefined;
      const p = shared ?? paramsOf(o);
      if (p) params.set(o, p);
    }
  }

  // Folded activations: the operator's output takes the activation's parameters when their zero point is the
  // lowest integer (the range starts at 0); otherwise it is quantized on its own and the activation stays.
  const dropped = new Set<Node>();
  for (const [o, act] of foldable) {
    const p = params.get(act.outputs[0]);
    if (p && p.zeroPoint === actRange.qmin) {
      params.set(o, p);
      dropped.add(act);
    } else {
      const own = paramsOf(o);
      if (own) params.set(o, own);
    }
  }

  // 2. Rewrite.
  const inits: Tensor[] = [];
  const replaced = new Set<string>();
  const nodes: Node[] = [];
  const rename = new Map<string, string>();
  const constDq = new Map<string, string>();
  const constQ = new Map<string, QuantizedTensor>();
  let weightCount = 0;
  let biasFloat = 0;
  let raisedScales = 0;
  let corrected = 0;
  let pairs = 0;
  // Scale and zero-point initializers are shared by every pair with the same values (same-scale operators, equal
  // ranges); a uint8 zero point of 0 is left out (ONNX's default, and its type is then uint8).
  const scaleNames = new Map<number, string>();
  const zeroNames = new Map<number, string>();
  const qdq = (name: string, p: QuantParams, out: Node[]) => {
    let s = scaleNames.get(p.scale);
    if (!s) {
      s = names.fresh(name, '_s');
      inits.push(typedTensor(s, DataType.FLOAT, [], [p.scale]));
      scaleNames.set(p.scale, s);
    }
    let z = zeroNames.get(p.zeroPoint);
    if (!z && (p.zeroPoint !== 0 || actRange.dataType === DataType.INT8)) {
      z = names.fresh(name, '_z');
      const zp = actRange.dataType === DataType.INT8 ? Int8Array.of(p.zeroPoint) : Uint8Array.of(p.zeroPoint);
      inits.push(typedTensor(z, actRange.dataType, [], zp));
      zeroNames.set(p.zeroPoint, z);
    }
    const q = names.fresh(name, '_q');
    const dq = names.fresh(name, '_d');
    const io = z ? [s, z] : [s];
    out.push(makeNode('QuantizeLinear', '', [name, ...io], [q]));
    out.push(makeNode('DequantizeLinear', '', [q, ...io], [dq]));
    rename.set(name, dq);
    pairs++;
  };
  const adopt = new Map<string, string>();
  /** DequantizeLinear over integer data already made; returns the output name. */
  const dequantize = (
    base: string,
    dataType: number,
    dims: readonly number[],
    values: Int8Array | Uint8Array | Int32Array,
    scales: ArrayLike<number>,
    zeroPoints: ArrayLike<number>,
    axis: number | undefined,
    out: Node[],
  ) => {
    const dq = dequantizeLinearNode(names, inits, base, { dataType, dims, values }, scales, zeroPoints, axis);
    adopt.set(dq.dataName, base);
    out.push(dq.node);
    return dq.output;
  };

  for (const name of g.inputs.map((v) => v.name)) {
    const p = params.get(name);
    if (p && !consts.has(name)) qdq(name, p, nodes);
  }

  for (let idx = 0; idx < g.nodes.length; idx++) {
    const node = g.nodes[idx];
    if (dropped.has(node)) {
      // Readers of the activation read the dequantized operator output, which already holds its values.
      rename.set(node.outputs[0], rename.get(node.inputs[0]) ?? node.inputs[0]);
      for (const i of node.inputs.slice(1)) if (i) replaced.add(i);
      report.changedNodes.push(nodeLabel(node, idx));
      continue;
    }
    const inputs = node.inputs.map((i) => rename.get(i) ?? i);
    const before: Node[] = [];
    let changed = false;
    if (selected.has(node)) {
      const w = weightOf(node, consts);
      let weightScales: Float32Array | undefined;
      let weightAxis: number | undefined;
      let lastWeight: { values: Float32Array; q: QuantizedTensor; dims: readonly number[] } | undefined;
      if (w) {
        const c = consts.get(node.inputs[w.input]) as ConstantInfo;
        if (c.tensor.dataType === DataType.FLOAT) {
          const axis = plan.perChannel ? w.axis : undefined;
          const key = `${c.tensor.name}\u0000${axis ?? ''}`;
          const values = (await readTensorValues(c.tensor, source)) as Float32Array;
          // A weight shared by several nodes is quantized once, by its first reader (whose bias it fits).
          let q = constQ.get(key) ?? quantizeWeight(values, c.tensor.dims, { type: weightType, reduceRange, axis });
          const b = biasOf(node);
          const xs = params.get(node.inputs[0])?.scale;
          if (b && xs && !constQ.has(key)) {
            q = fitBias(values, c.tensor.dims, q, (await readTensorValues(b.tensor, source)) as Float32Array, xs);
          }
          constQ.set(key, q);
          lastWeight = { values, q, dims: c.tensor.dims };
          let out = constDq.get(key);
          if (!out) {
            out = dequantize(
              c.tensor.name,
              q.dataType,
              c.tensor.dims,
              q.values,
              q.scales,
              q.zeroPoints,
              q.axis,
              before,
            );
            constDq.set(key, out);
            weightCount++;
          }
          inputs[w.input] = out;
          replaced.add(c.tensor.name);
          weightScales = q.scales;
          weightAxis = q.axis;
          changed = true;
        }
      }
      // Bias of Conv / ConvTranspose / Gemm: int32 with scale input_scale × weight_scale.
      const biasInput = node.opType === 'Conv' || node.opType === 'ConvTranspose' || node.opType === 'Gemm' ? 2 : -1;
      const bc = biasInput > 0 ? consts.get(node.inputs[biasInput]) : undefined;
      const xp = params.get(node.inputs[0]);
      if (bc && bc.tensor.dataType === DataType.FLOAT) {
        const correction =
          (options.biasCorrection ?? true) && w && weightScales && lastWeight
            ? biasShift(node, lastWeight, channelMeans?.get(node.inputs[0]))
            : undefined;
        if (correction) corrected++;
        const done =
          weightScales && xp ? await quantizeBias(bc, xp, weightScales, weightAxis, node, correction) : undefined;
        if (done) {
          inputs[biasInput] = dequantize(
            bc.tensor.name,
            DataType.INT32,
            bc.tensor.dims,
            done.values,
            done.scales,
            done.scales.map(() => 0),
            done.axis,
            before,
          );
          replaced.add(bc.tensor.name);
        } else biasFloat++;
      }
      // Other constant operands (Add/Mul/Concat…): per tensor, activation type, their own range.
      for (const i of dataInputs(node.opType, node.inputs.length)) {
        const name = node.inputs[i];
        const c = name ? consts.get(name) : undefined;
        if (!c || i === w?.input || i === biasInput || c.tensor.dataType !== DataType.FLOAT) continue;
        let out = constDq.get(name);
        if (!out) {
          const values = (await readTensorValues(c.tensor, source)) as Float32Array;
          if (values.length === 0) continue;
          let lo = Number.POSITIVE_INFINITY;
          let hi = Number.NEGATIVE_INFINITY;
          for (const v of values) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          const p = asymmetricParams(lo, hi, actRange);
          const qv = actRange.dataType === DataType.INT8 ? new Int8Array(values.length) : new Uint8Array(values.length);
          for (let k = 0; k < values.length; k++) qv[k] = quantizeValue(values[k], p, actRange);
          out = dequantize(name, actRange.dataType, c.tensor.dims, qv, [p.scale], [p.zeroPoint], undefined, before);
          constDq.set(name, out);
        }
        inputs[i] = out;
        replaced.add(name);
        changed = true;
      }
      if (node.inputs.some((i) => rename.has(i)) || node.outputs.some((o) => params.has(o))) changed = true;
    }
    nodes.push(...before);
    nodes.push(inputs.every((v, k) => v === node.inputs[k]) ? node : { ...node, inputs });
    if (changed) report.changedNodes.push(nodeLabel(node, idx));
    for (const o of node.outputs) {
      const p = o ? params.get(o) : undefined;
      if (p) qdq(o, p, nodes);
    }
  }

  /** The float bias constant of a Conv / ConvTranspose / Gemm. */
  function biasOf(node: Node): ConstantInfo | undefined {
    if (node.opType !== 'Conv' && node.opType !== 'ConvTranspose' && node.opType !== 'Gemm') return undefined;
    const c = node.inputs[2] ? consts.get(node.inputs[2]) : undefined;
    return c?.tensor.dataType === DataType.FLOAT ? c : undefined;
  }

  /**
   * Raises the weight scale of channels whose int32 bias would overflow (bias / (input scale × weight scale) beyond
   * 2^31 - 1): dead channels, whose weights are ~1e-30 after BatchNorm folding, get weight scales of ~1e-34. The
   * raised scale rounds such weights to 0, which they nearly are, and keeps the bias an integer (as ONNX Runtime's
   * quantizer does).
   */
  function fitBias(
    values: Float32Array,
    dims: readonly number[],
    q: QuantizedTensor,
    bias: Float32Array,
    inputScale: number,
  ): QuantizedTensor {
    const per = q.scales.length;
    const limit = (2 ** 31 - 1) * 0.5;
    const floors = new Float64Array(per);
    for (let k = 0; k < bias.length; k++) {
      const c = per === 1 ? 0 : k % per;
      floors[c] = Math.max(floors[c], Math.abs(bias[k]) / (inputScale * limit));
    }
    if (!q.scales.some((sc, c) => sc < floors[c])) return q;
    const range = weightIntRange(weightType, reduceRange);
    const scales = Float32Array.from(q.scales, (sc, c) => (sc < floors[c] ? Math.fround(floors[c] * 1.0001) : sc));
    const inner = q.axis === undefined ? values.length : dims.slice(q.axis + 1).reduce((a, d) => a * d, 1);
    const out = q.values.slice();
    for (let i = 0; i < values.length; i++) {
      const c = q.axis === undefined ? 0 : Math.floor(i / inner) % per;
      if (scales[c] !== q.scales[c]) {
        out[i] = quantizeValue(values[i], { scale: scales[c], zeroPoint: q.zeroPoints[c] }, range);
      }
    }
    raisedScales++;
    return { ...q, values: out, scales };
  }

  /**
   * (Wq - W) · E[x] per output channel of a Conv (any group count) or Gemm: the mean error weight rounding adds to
   * the output. Undefined when the means are missing or the layout is not one handled here.
   */
  function biasShift(
    node: Node,
    weight: { values: Float32Array; q: QuantizedTensor; dims: readonly number[] },
    means: Float64Array | undefined,
  ): Float64Array | undefined {
    if (!means) return undefined;
    const { values, q, dims } = weight;
    const per = q.scales.length;
    const deq = (i: number, c: number) => (q.values[i] - q.zeroPoints[c]) * q.scales[c];
    if (node.opType === 'Conv' && dims.length >= 3) {
      const [m, cPerGroup] = dims;
      const k = dims.slice(2).reduce((a, d) => a * d, 1);
      const group = intAttr(node, 'group', 1);
      if (means.length !== cPerGroup * group || m % group !== 0 || (q.axis !== undefined && q.axis !== 0))
        return undefined;
      const shift = new Float64Array(m);
      const mPerGroup = m / group;
      for (let o = 0; o < m; o++) {
        const c = per === 1 ? 0 : o;
        const g0 = Math.floor(o / mPerGroup) * cPerGroup;
        let sum = 0;
        for (let j = 0; j < cPerGroup; j++) {
          const base = (o * cPerGroup + j) * k;
          let err = 0;
          for (let t = 0; t < k; t++) err += deq(base + t, c) - values[base + t];
          sum += err * means[g0 + j];
        }
        shift[o] = sum;
      }
      return shift;
    }
    if (node.opType === 'Gemm' && dims.length === 2 && !intAttr(node, 'transA', 0)) {
      const transB = intAttr(node, 'transB', 0) === 1;
      const [kDim, n] = transB ? [dims[1], dims[0]] : dims;
      if (means.length !== kDim) return undefined;
      const shift = new Float64Array(n);
      for (let o = 0; o < n; o++) {
        let sum = 0;
        for (let t = 0; t < kDim; t++) {
          const i = transB ? o * kDim + t : t * n + o;
          const c = per === 1 ? 0 : q.axis === 0 ? Math.floor(i / dims[1]) : i % dims[1];
          sum += (deq(i, c) - values[i]) * means[t];
        }
        shift[o] = sum;
      }
      return shift;
    }
    return undefined;
  }

  async function quantizeBias(
    bc: ConstantInfo,
    xp: QuantParams,
    ws: Float32Array,
    wAxis: number | undefined,
    node: Node,
    correction?: Float64Array,
  ): Promise<{ values: Int32Array; scales: Float32Array; axis?: number } | undefined> {
    const raw = (await readTensorValues(bc.tensor, source)) as Float32Array;
    const b = correction && correction.length === raw.length ? raw.map((v, k) => v - correction[k]) : raw;
    const dims = bc.tensor.dims;
    let axis: number | undefined;
    let channelOf: (k: number) => number = () => 0;
    let scales: Float32Array;
    if (wAxis === undefined) scales = Float32Array.of(Math.fround(xp.scale * ws[0]));
    else {
      // Per-channel bias: one scale per output channel; ConvTranspose with groups maps channel c to c mod (M/group).
      const channels = b.length;
      const per = ws.length;
      if (dims.length === 1) axis = 0;
      else if (dims.length === 2 && dims[0] === 1) axis = 1;
      else return undefined;
      if (node.opType !== 'ConvTranspose' && per !== channels) return undefined;
      if (node.opType === 'ConvTranspose' && channels % per !== 0) return undefined;
      scales = Float32Array.from({ length: channels }, (_, c) => Math.fround(xp.scale * ws[c % per]));
      channelOf = (k) => k;
    }
    const values = new Int32Array(b.length);
    for (let k = 0; k < b.length; k++) {
      const q = roundHalfEven(b[k] / scales[channelOf(k)]);
      if (!(Math.abs(q) <= 2 ** 31 - 1)) return undefined;
      values[k] = q;
    }
    return { values, scales, ...(axis !== undefined ? { axis } : {}) };
  }

  let graph = adoptNames(dropUnused({ ...g, nodes, initializers: [...g.initializers, ...inits] }, replaced), adopt);
  graph = shareIdenticalInitializers(graph, (name) => !originalNames.has(name));
  if (options.format === 'operator') {
    const op = toOperatorForm(graph, names, opsetVersion(m, '') ?? 1);
    graph = op.graph;
    const list = [...op.converted].map(([t, k]) => `${k} ${t}`).join(', ');
    report.notes.push(
      list
        ? `operator form: ${list} (integer inputs and outputs, no QuantizeLinear/DequantizeLinear between them); other operators keep the QDQ form`
        : 'operator form: no Conv/MatMul had the quantized inputs and output a QLinear operator needs; the model stays in QDQ form',
    );
  }
  report.notes.push(
    `inserted ${pairs} QuantizeLinear/DequantizeLinear pair${pairs === 1 ? '' : 's'} on activations (${actType}, asymmetric, per tensor) and quantized ${weightCount} weight${weightCount === 1 ? '' : 's'} to ${weightType}${plan.perChannel ? ' per channel' : ' per tensor'}${reduceRange ? ' (7-bit range)' : ''}; ${report.changedNodes.length} node${report.changedNodes.length === 1 ? '' : 's'} quantized`,
  );
  if (dropped.size)
    report.notes.push(
      `${dropped.size} Relu/Clip node${dropped.size === 1 ? '' : 's'} folded into the quantization of the Conv/Gemm/MatMul before (range from 0, as integer kernels fuse them)`,
    );
  if (corrected)
    report.notes.push(
      `bias correction on ${corrected} layer${corrected === 1 ? '' : 's'}: the mean output shift of weight rounding, measured on the calibration inputs, is taken off the bias`,
    );
  if (raisedScales)
    report.notes.push(
      `${raisedScales} weight${raisedScales === 1 ? '' : 's'} with near-zero channels got larger scales there so that their biases fit int32`,
    );
  if (biasFloat)
    report.notes.push(
      `${biasFloat} bias${biasFloat === 1 ? '' : 'es'} left in float (input not quantized, or a shape int32 biases cannot take)`,
    );
  if (missing.size) {
    const list = [...missing];
    report.warnings.push(
      `${list.length} tensor${list.length === 1 ? '' : 's'} got no calibration range (not float32 at run time, or not produced) and stay float: ${list
        .slice(0, 5)
        .map((t) => `'${t}'`)
        .join(', ')}${list.length > 5 ? ', …' : ''}`,
    );
  }
  if (g.nodes.some((n) => n.opType === 'BatchNormalization')) {
    report.notes.push(
      'the model has BatchNormalization nodes, which stay float: folding them into the preceding Conv first (pre-processing) gives better accuracy and integer fusion',
    );
  }
  const out = { ...m, graph };
  return { model: options.keepValueInfo ? out : dropIntermediateValueInfo(out, report.notes), report };
}

/**
 * Static quantization end to end: plan, calibrate in onnxruntime-node (with progress and cancel), apply. Without
 * `options.calibration`, generated inputs are used and the report warns that the ranges are a rough approximation.
 */
export async function quantizeStatic(
  model: Model,
  options: StaticQuantizeOptions = {},
  source?: ExternalDataSource,
): Promise<TransformResult> {
  const plan = planStaticQuantization(model, options);
  const { calibrate, generatedFeeds } = await import('./calibration.js');
  const generated = !options.calibration;
  const count = options.generated?.count ?? 8;
  const feeds = options.calibration?.feeds ?? generatedFeeds(plan.model, { ...options.generated, count });
  const result = await calibrate(plan.model, plan.tensors, feeds, {
    method: options.method ?? DEFAULT_METHOD,
    percentile: options.percentile ?? DEFAULT_PERCENTILE,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(generated
      ? { total: count }
      : options.calibration?.total !== undefined
        ? { total: options.calibration.total }
        : {}),
    ...(source ? { externalData: source } : {}),
    ...((options.biasCorrection ?? true) ? { channelMeans: biasCorrectionInputs(plan) } : {}),
  });
  const out = await applyStaticQuantization(plan, result.ranges, options, source, result.channelMeans);
  const method =
    result.method === 'percentile'
      ? `percentile (${options.percentile ?? DEFAULT_PERCENTILE} %)`
      : result.method === 'entropy'
        ? 'entropy (KL divergence)'
        : 'min/max';
  out.report.notes.unshift(
    `calibrated ${plan.tensors.length} tensors on ${result.samples} sample${result.samples === 1 ? '' : 's'} with the ${method} method`,
  );
  if (generated) {
    out.report.warnings.unshift(
      `calibrated on ${result.samples} GENERATED inputs (uniform in [-1, 1)), not real data: the activation ranges are a rough approximation, and accuracy on real inputs may be worse; give calibration data for a faithful result`,
    );
  }
  return out;
}
