/**
 * Where the bytes of an encoded model go, exactly: every initializer, node and value_info entry of the main graph
 * is measured as the protobuf field it is written as (tag + length + message), and sorted into a category by the
 * role it plays. The quantization transforms are judged by their size against the original file; this tells which
 * part of a quantized model is payload (integer weights, biases) and which is overhead (scales, zero points,
 * inserted nodes, names), so that the overhead can be cut where it carries no information.
 */

import type { Model, Node } from '../onnx/ir.js';
import { normalizeDomain } from '../onnx/ir.js';
import { onnx } from '../onnx/proto.js';
import { modelToProto } from '../onnx/writer.js';

/** Byte counts per category; they add up to `total`. */
export interface ModelBytes {
  total: number;
  /** Integer tensors of more than one element read as quantized data (weights). */
  intWeights: number;
  /** int32 tensors read as quantized biases (DequantizeLinear data, QLinearConv's bias). */
  intBiases: number;
  /** Scales of weights and biases (more than one element: per channel, or the scalar of a per-tensor weight). */
  weightScales: number;
  /** Zero points of weights and biases. */
  weightZeroPoints: number;
  /** Scales and zero points of activations (QuantizeLinear / DequantizeLinear pairs, QLinear* operators). */
  activationParams: number;
  /** float32 / float16 / double / bfloat16 initializers not counted above. */
  floatTensors: number;
  /** Every other initializer (shapes, axes, indices). */
  otherTensors: number;
  /** Nodes of the reference model (by name, or by outputs that all exist there): the layers, possibly rewritten. */
  originalNodes: number;
  /** Other nodes, which produce a value the reference model does not have (inserted Q/DQ, Cast…). */
  insertedNodes: number;
  /** Of `insertedNodes`: the bytes of their node names. */
  insertedNodeNames: number;
  /** Of all initializers and nodes: the bytes of names (tensor names, node input/output names) not in the reference. */
  insertedValueNames: number;
  /** value_info of intermediate values. */
  valueInfo: number;
  /** Graph inputs and outputs. */
  io: number;
  /** Everything else: model header, opset imports, metadata, doc strings, graph name, sparse initializers. */
  rest: number;
}

/** Bytes of a length-delimited protobuf field of a small field number: tag + varint length + body. */
function fieldBytes(body: number): number {
  let len = 1;
  for (let v = body; v >= 0x80; v = Math.floor(v / 128)) len++;
  return 1 + len + body;
}

type Role = 'weight' | 'bias' | 'weightScale' | 'weightZp' | 'actParam';

/**
 * The role of each initializer name that a quantization node reads, by operator and input position. Weights and
 * biases are the integer data; the scales and zero points that go with them are weight parameters; the rest of a
 * quantization node's parameters belong to activations.
 */
function roles(nodes: readonly Node[], intData: (name: string) => 'int8' | 'int32' | undefined): Map<string, Role> {
  const out = new Map<string, Role>();
  const set = (name: string | undefined, role: Role) => {
    if (name && !out.has(name)) out.set(name, role);
  };
  for (const n of nodes) {
    const d = normalizeDomain(n.domain);
    if (d !== '' && d !== 'com.microsoft') continue;
    const i = n.inputs;
    switch (n.opType) {
      case 'DequantizeLinear': {
        const kind = intData(i[0]);
        if (kind === 'int8') {
          set(i[0], 'weight');
          set(i[1], 'weightScale');
          set(i[2], 'weightZp');
        } else if (kind === 'int32') {
          set(i[0], 'bias');
          set(i[1], 'weightScale');
          set(i[2], 'weightZp');
        } else {
          set(i[1], 'actParam');
          set(i[2], 'actParam');
        }
        break;
      }
      case 'QuantizeLinear':
      case 'DynamicQuantizeLinear':
        set(i[1], 'actParam');
        set(i[2], 'actParam');
        break;
      case 'QLinearConv':
        set(i[3], 'weight');
        set(i[4], 'weightScale');
        set(i[5], 'weightZp');
        set(i[8], 'bias');
        for (const k of [1, 2, 6, 7]) set(i[k], 'actParam');
        break;
      case 'QLinearMatMul':
        if (intData(i[3])) {
          set(i[3], 'weight');
          set(i[4], 'weightScale');
          set(i[5], 'weightZp');
        }
        for (const k of [1, 2, 6, 7]) set(i[k], 'actParam');
        break;
      case 'QLinearAdd':
      case 'QLinearMul':
        for (const k of [1, 2, 4, 5, 6, 7]) set(i[k], 'actParam');
        break;
      case 'QLinearConcat':
        for (let k = 0; k < i.length; k++)
          if (k === 0 || k === 1 || (k >= 2 && (k - 2) % 3 !== 0)) set(i[k], 'actParam');
        break;
      case 'QLinearGlobalAveragePool':
      case 'QLinearAveragePool':
      case 'QLinearLeakyRelu':
      case 'QLinearSigmoid':
      case 'QLinearSoftmax':
        for (const k of [1, 2, 3, 4]) set(i[k], 'actParam');
        break;
      case 'MatMulInteger':
      case 'ConvInteger':
        set(i[1], 'weight');
        set(i[3], 'weightZp');
        break;
      default:
        break;
    }
  }
  return out;
}

const FLOATS = new Set([1, 10, 11, 16]);

/**
 * Measures `model` as it encodes. `reference` (the original model) tells which node outputs and names are new:
 * without it, every node counts as original and no name as inserted.
 */
export function measureModelBytes(model: Model, reference?: Model): ModelBytes {
  const proto = modelToProto(model);
  const total = onnx.ModelProto.encode(proto).finish().length;
  const g = model.graph;
  const gp = proto.graph as onnx.IGraphProto;
  const known = new Set<string>();
  if (reference) {
    const r = reference.graph;
    for (const v of [...r.inputs, ...r.outputs, ...r.valueInfo]) known.add(v.name);
    for (const t of r.initializers) known.add(t.name);
    for (const n of r.nodes) {
      for (const o of n.outputs) known.add(o);
      if (n.name) known.add(n.name);
    }
  }
  const isNew = (name: string) => reference !== undefined && name !== '' && !known.has(name);
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const role = roles(g.nodes, (name) => {
    const t = inits.get(name);
    if (!t) return undefined;
    if (t.dataType === 3 || t.dataType === 2) return 'int8';
    if (t.dataType === 6) return 'int32';
    return undefined;
  });
  const b: ModelBytes = {
    total,
    intWeights: 0,
    intBiases: 0,
    weightScales: 0,
    weightZeroPoints: 0,
    activationParams: 0,
    floatTensors: 0,
    otherTensors: 0,
    originalNodes: 0,
    insertedNodes: 0,
    insertedNodeNames: 0,
    insertedValueNames: 0,
    valueInfo: 0,
    io: 0,
    rest: 0,
  };
  let counted = 0;
  g.initializers.forEach((t, k) => {
    const bytes = fieldBytes(onnx.TensorProto.encode((gp.initializer ?? [])[k]).finish().length);
    counted += bytes;
    if (isNew(t.name)) b.insertedValueNames += t.name.length;
    const r = role.get(t.name);
    const elements = t.dims.reduce((a, d) => a * d, 1);
    if (r === 'weight' && elements > 1) b.intWeights += bytes;
    else if (r === 'bias') b.intBiases += bytes;
    else if (r === 'weightScale') b.weightScales += bytes;
    else if (r === 'weightZp') b.weightZeroPoints += bytes;
    else if (r === 'actParam') b.activationParams += bytes;
    else if (r === 'weight') b.weightZeroPoints += bytes;
    else if (FLOATS.has(t.dataType)) b.floatTensors += bytes;
    else b.otherTensors += bytes;
  });
  g.nodes.forEach((n, k) => {
    const bytes = fieldBytes(onnx.NodeProto.encode((gp.node ?? [])[k]).finish().length);
    counted += bytes;
    // A node of the reference keeps its name (and may write a renamed output, as FP16 does around kept nodes).
    const inserted = reference !== undefined && n.outputs.some((o) => isNew(o)) && !(n.name && known.has(n.name));
    if (inserted) {
      b.insertedNodes += bytes;
      b.insertedNodeNames += n.name ? fieldBytes(n.name.length) : 0;
    } else b.originalNodes += bytes;
    for (const o of n.outputs) if (isNew(o)) b.insertedValueNames += o.length;
    for (const i of n.inputs) if (isNew(i)) b.insertedValueNames += i.length;
  });
  for (const v of gp.valueInfo ?? []) {
    const bytes = fieldBytes(onnx.ValueInfoProto.encode(v).finish().length);
    b.valueInfo += bytes;
    counted += bytes;
  }
  for (const v of [...(gp.input ?? []), ...(gp.output ?? [])]) {
    const bytes = fieldBytes(onnx.ValueInfoProto.encode(v).finish().length);
    b.io += bytes;
    counted += bytes;
  }
  b.rest = total - counted;
  return b;
}
