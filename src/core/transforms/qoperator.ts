/**
 * Operator form of a statically quantized (QDQ) graph: each Conv that reads DequantizeLinear outputs for its
 * activation, weight and int32 bias and whose output goes only to a QuantizeLinear becomes one QLinearConv, and a
 * MatMul of the same shape one QLinearMatMul (both in the standard domain, opset 10). The integer tensors flow from
 * one such operator to the next without the QuantizeLinear -> DequantizeLinear pair between them, and the bias
 * needs no scale of its own (QLinearConv's bias scale is input scale × weight scale by definition, which is how
 * static quantization computed it). Operators that only move or select values (Reshape, Transpose, Flatten,
 * Squeeze, Unsqueeze, MaxPool) between a pair of one scale run on the integers as they are; the other operators
 * (Add, Concat, average pooling, Gemm…) keep their QuantizeLinear / DequantizeLinear pairs.
 *
 * The numerics are the ones ONNX Runtime computes for the QDQ graph, which it fuses into the same integer kernels;
 * what changes is the file: fewer nodes, no bias scales, fewer references to long original tensor names. The
 * converted node keeps its name, and its output keeps the original output's name (now holding the quantized
 * values).
 */

import { DataType } from '../onnx/dtype.js';
import type { Graph, Node, Tensor } from '../onnx/ir.js';
import { normalizeDomain } from '../onnx/ir.js';
import { type NameAllocator, typedTensor } from './quantize.js';

export interface OperatorFormResult {
  graph: Graph;
  /** Converted nodes by operator type. */
  converted: Map<string, number>;
}

const convAttrs = new Set(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);

/** Operators that pass values through unchanged or select among them, for any element type (MaxPool: opset 12). */
const integerOps = new Set(['Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'MaxPool']);

/** Rewrites the QDQ patterns of `graph` that have a QLinear operator (see the module comment). */
export function toOperatorForm(graph: Graph, names: NameAllocator, opset: number): OperatorFormResult {
  const g = graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const graphOutputs = new Set(g.outputs.map((v) => v.name));
  const isStd = (n: Node | undefined, op: string) => n?.opType === op && normalizeDomain(n.domain) === '';
  const scalarInit = (name: string | undefined) => {
    const t = name ? inits.get(name) : undefined;
    return t?.dims.every((d) => d === 1) ? t : undefined;
  };

  /** A per-tensor activation DequantizeLinear feeding `value`: its quantized input, scale and zero point. */
  const activation = (value: string) => {
    const dq = producer.get(value);
    if (!dq || !isStd(dq, 'DequantizeLinear') || inits.has(dq.inputs[0])) return undefined;
    if (dq.attributes.some((a) => a.name === 'axis')) return undefined;
    const scale = scalarInit(dq.inputs[1]);
    if (!scale || (dq.inputs[2] && !scalarInit(dq.inputs[2]))) return undefined;
    return { q: dq.inputs[0], scale: dq.inputs[1], zp: dq.inputs[2] ?? '' };
  };
  /** An initializer of `type` dequantized into `value`. */
  const constant = (value: string, types: readonly number[]) => {
    const dq = producer.get(value);
    if (!dq || !isStd(dq, 'DequantizeLinear')) return undefined;
    const data = inits.get(dq.inputs[0]);
    const scale = inits.get(dq.inputs[1]);
    if (!data || !scale || !types.includes(data.dataType)) return undefined;
    const zp = dq.inputs[2] ? inits.get(dq.inputs[2]) : undefined;
    if (dq.inputs[2] && !zp) return undefined;
    const axisAttr = dq.attributes.find((a) => a.name === 'axis');
    const axis = axisAttr?.type === 'int' ? Number(axisAttr.value) : undefined;
    // Without an axis attribute a scale of several elements runs along axis 1 (the default).
    const perAxis = scale.dims.some((d) => d > 1);
    return { data, scale, zp, axis: axis ?? (perAxis ? 1 : undefined) };
  };
  /** The one QuantizeLinear that reads `value`, when nothing else does. */
  const onlyQuantizer = (value: string) => {
    const r = readers.get(value);
    if (graphOutputs.has(value) || r?.length !== 1 || !isStd(r[0], 'QuantizeLinear')) return undefined;
    const q = r[0];
    if (q.inputs[0] !== value || q.attributes.length || !scalarInit(q.inputs[1])) return undefined;
    if (q.inputs[2] && !scalarInit(q.inputs[2])) return undefined;
    return q;
  };

  // Zero points that QLinear operators require and QDQ leaves out (zero): one shared scalar per type.
  const added: Tensor[] = [];
  const zeros = new Map<string, string>();
  const zeroOf = (dataType: number, dims: readonly number[] = []) => {
    const key = `${dataType}:${dims.join('x')}`;
    let name = zeros.get(key);
    if (!name) {
      name = names.compact('z');
      const count = dims.reduce((a, d) => a * d, 1);
      added.push(
        typedTensor(name, dataType, dims, dataType === DataType.INT8 ? new Int8Array(count) : new Uint8Array(count)),
      );
      zeros.set(key, name);
    }
    return name;
  };
  const typeOfQ = (q: Node): number => {
    const zp = q.inputs[2] ? inits.get(q.inputs[2]) : undefined;
    return zp ? zp.dataType : DataType.UINT8;
  };
  /** The element type of a quantized activation: its DequantizeLinear zero point's, uint8 without one. */
  const typeOfDq = (zp: string) => (zp ? (inits.get(zp)?.dataType ?? DataType.UINT8) : DataType.UINT8);

  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();
  const rename = new Map<string, string>();
  const converted = new Map<string, number>();
  for (const n of g.nodes) {
    if (passThrough(n)) continue;
    const isConv = isStd(n, 'Conv');
    const isMatMul = isStd(n, 'MatMul');
    if (!isConv && !isMatMul) continue;
    const y = n.outputs[0];
    const x = activation(n.inputs[0]);
    const qy = y ? onlyQuantizer(y) : undefined;
    if (!x || !qy || n.outputs.length !== 1) continue;
    const w = constant(n.inputs[1], [DataType.INT8, DataType.UINT8]);
    if (!w) continue;
    const wZero = !w.zp || readsAllZero(w.zp);
    let inputs: string[];
    if (isConv) {
      // QLinearConv: per-tensor or per-output-channel weights (axis 0) with one zero point value; int32 bias.
      if (w.data.dims.length < 3 || (w.axis !== undefined && w.axis !== 0)) continue;
      if (w.zp && !wZero && w.zp.dims.some((d) => d > 1)) continue;
      const b = n.inputs[2] ? constant(n.inputs[2], [DataType.INT32]) : undefined;
      if (n.inputs[2] && (!b || (b.zp && !readsAllZero(b.zp)))) continue;
      inputs = [
        x.q,
        x.scale,
        x.zp || zeroOf(typeOfDq(x.zp)),
        w.data.name,
        w.scale.name,
        w.zp && !wZero ? w.zp.name : zeroOf(w.data.dataType),
        qy.inputs[1],
        qy.inputs[2] || zeroOf(typeOfQ(qy)),
        ...(b ? [b.data.name] : []),
      ];
      replaced.set(n, {
        name: n.name,
        opType: 'QLinearConv',
        domain: '',
        inputs,
        outputs: [y],
        attributes: n.attributes.filter((a) => convAttrs.has(a.name)),
      });
    } else {
      // QLinearMatMul: a 2-D weight, per tensor or per column (axis 1) with zero points of the scale's shape.
      if (w.data.dims.length !== 2 || (w.axis !== undefined && w.axis !== 1 && w.axis !== -1)) continue;
      const perColumn = w.scale.dims.length === 1 && w.scale.dims[0] > 1;
      const zp = w.zp ?? undefined;
      const zpName = zp ? zp.name : zeroOf(w.data.dataType, perColumn ? w.scale.dims : []);
      inputs = [
        x.q,
        x.scale,
        x.zp || zeroOf(typeOfDq(x.zp)),
        w.data.name,
        w.scale.name,
        zpName,
        qy.inputs[1],
        qy.inputs[2] || zeroOf(typeOfQ(qy)),
      ];
      replaced.set(n, { name: n.name, opType: 'QLinearMatMul', domain: '', inputs, outputs: [y], attributes: [] });
    }
    removed.add(qy);
    rename.set(qy.outputs[0], y);
    const op = isConv ? 'QLinearConv' : 'QLinearMatMul';
    converted.set(op, (converted.get(op) ?? 0) + 1);
  }
  if (replaced.size === 0) return { graph, converted };

  /**
   * An operator that only moves or selects values (Reshape, Transpose, MaxPool…) between a DequantizeLinear and a
   * QuantizeLinear of the same scale and zero point runs on the integer tensor itself: the values it passes are
   * the integers the pair would have given back. Records the rewrite and returns true.
   */
  function passThrough(n: Node): boolean {
    if (normalizeDomain(n.domain) !== '' || !integerOps.has(n.opType) || n.outputs.length !== 1) return false;
    if (n.opType === 'MaxPool' && opset < 12) return false;
    const y = n.outputs[0];
    const x = activation(n.inputs[0]);
    const q = y ? onlyQuantizer(y) : undefined;
    if (!x || !q || q.inputs[1] !== x.scale || (q.inputs[2] ?? '') !== x.zp) return false;
    replaced.set(n, { ...n, inputs: [x.q, ...n.inputs.slice(1)] });
    removed.add(q);
    rename.set(q.outputs[0], y);
    converted.set(n.opType, (converted.get(n.opType) ?? 0) + 1);
    return true;
  }

  let nodes = g.nodes
    .filter((n) => !removed.has(n))
    .map((n) => replaced.get(n) ?? n)
    .map((n) => (n.inputs.some((i) => rename.has(i)) ? { ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) } : n));
  // DequantizeLinear nodes nobody reads any more (the converted nodes read the integer data directly).
  for (;;) {
    const read = new Set<string>(g.outputs.map((v) => v.name));
    for (const n of nodes) for (const i of n.inputs) if (i) read.add(i);
    const next = nodes.filter((n) => !isStd(n, 'DequantizeLinear') || n.outputs.some((o) => read.has(o)));
    if (next.length === nodes.length) break;
    nodes = next;
  }
  // Initializers only quantization nodes read (bias scales, weight zero points) go with those nodes.
  const quantOnly = new Map<string, boolean>();
  for (const n of g.nodes) {
    const q = isStd(n, 'DequantizeLinear') || isStd(n, 'QuantizeLinear');
    for (const i of n.inputs) if (i) quantOnly.set(i, (quantOnly.get(i) ?? true) && q);
  }
  const read = new Set<string>(g.outputs.map((v) => v.name));
  for (const n of nodes) for (const i of n.inputs) if (i) read.add(i);
  const initializers = [...g.initializers, ...added].filter(
    (t) => read.has(t.name) || !(quantOnly.get(t.name) || added.includes(t)),
  );
  return { graph: { ...g, nodes, initializers }, converted };

  function readsAllZero(t: Tensor): boolean {
    if (t.data.kind !== 'raw') return false;
    return t.data.bytes.every((b) => b === 0);
  }
}
