/**
 * Mutations at the IR level: the model is decoded, changed in ways a schema-blind byte mutation would almost never
 * produce (cycles, dangling names, billions of declared elements, wrong attribute types, absurd opsets, deep
 * nesting, recursive functions…), and encoded again. Each mutator changes the model in place and returns a short
 * description, or undefined when it found nothing to change.
 */

import '../../src/core/analysis/ops/index.js';
import { knownOperators } from '../../src/core/analysis/registry.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type {
  Attribute,
  AttributeValue,
  Dim,
  FunctionDef,
  Graph,
  Model,
  Node,
  Tensor,
  TypeInfo,
  ValueInfo,
} from '../../src/core/onnx/ir.js';
import { walkGraphs } from '../../src/core/onnx/ir.js';
import { emptyGraph } from '../../src/core/onnx/reader.js';
import { type Chooser, interestingBigInts, interestingNumbers } from './random.js';

/** A list of nodes to mutate: a graph (main, subgraph, training) or a function body. */
interface Body {
  nodes: Node[];
  graph?: Graph;
  fn?: FunctionDef;
  path: string;
}

function bodies(model: Model): Body[] {
  const out: Body[] = [];
  const roots: Graph[] = [model.graph];
  for (const ti of model.trainingInfo) {
    if (ti.initialization) roots.push(ti.initialization);
    if (ti.algorithm) roots.push(ti.algorithm);
  }
  for (const root of roots)
    for (const { graph, path } of walkGraphs(root)) out.push({ nodes: graph.nodes, graph, path });
  for (const fn of model.functions) {
    out.push({ nodes: fn.nodes, fn, path: `function ${fn.name}` });
    for (const n of fn.nodes) {
      for (const a of n.attributes) {
        const gs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
        for (const g of gs) for (const { graph, path } of walkGraphs(g)) out.push({ nodes: graph.nodes, graph, path });
      }
    }
  }
  return out;
}

function graphs(model: Model): Graph[] {
  return bodies(model).flatMap((b) => (b.graph ? [b.graph] : []));
}

/** Every tensor in the model with a way to replace it. */
function tensorSlots(model: Model): { tensor: Tensor; set: (t: Tensor) => void }[] {
  const out: { tensor: Tensor; set: (t: Tensor) => void }[] = [];
  for (const b of bodies(model)) {
    if (b.graph) {
      const g = b.graph;
      g.initializers.forEach((t, i) => {
        out.push({ tensor: t, set: (x) => (g.initializers[i] = x) });
      });
      for (const s of g.sparseInitializers) {
        out.push({ tensor: s.values, set: (x) => (s.values = x) });
        out.push({ tensor: s.indices, set: (x) => (s.indices = x) });
      }
    }
    for (const n of b.nodes) {
      n.attributes.forEach((a, i) => {
        if (a.type === 'tensor') {
          out.push({ tensor: a.value, set: (x) => (n.attributes[i] = { ...a, value: x }) });
        } else if (a.type === 'tensors') {
          a.value.forEach((t, k) => {
            out.push({ tensor: t, set: (x) => (a.value[k] = x) });
          });
        }
      });
    }
  }
  return out;
}

function valueInfos(model: Model): ValueInfo[] {
  const out: ValueInfo[] = [];
  for (const g of graphs(model)) out.push(...g.inputs, ...g.outputs, ...g.valueInfo);
  for (const f of model.functions) out.push(...f.valueInfo);
  return out;
}

/** Names defined in a body: inputs, initializers, node outputs. */
function definedNames(b: Body): string[] {
  const names: string[] = [];
  if (b.graph) {
    names.push(...b.graph.inputs.map((v) => v.name), ...b.graph.initializers.map((t) => t.name));
  }
  if (b.fn) names.push(...b.fn.inputs);
  for (const n of b.nodes) names.push(...n.outputs.filter(Boolean));
  return names;
}

function pickBody(model: Model, c: Chooser, withNodes = true): Body | undefined {
  const list = bodies(model).filter((b) => !withNodes || b.nodes.length > 0);
  return list.length ? c.pick(list) : undefined;
}

const hugeDims: readonly number[][] = [
  [100_000, 100_000],
  [2 ** 20, 2 ** 20, 2 ** 20],
  [2 ** 31],
  [2 ** 32],
  [2 ** 40],
  [1e9, 16],
  [2 ** 53 - 1],
  [2 ** 62],
  [65536, 65536, 16],
  [1, 3, 1e6, 1e6],
  [-1, 2 ** 40],
  [2 ** 26, 2 ** 26, 2 ** 26, 2 ** 26],
];

function interestingDim(c: Chooser): number {
  return c.chance(0.7) ? c.pick(interestingNumbers) : c.range(0, 64);
}

function randomDims(c: Chooser): number[] {
  const kind = c.int(4);
  if (kind === 0) return [...c.pick(hugeDims)];
  if (kind === 1) return Array.from({ length: c.range(0, 6) }, () => interestingDim(c));
  if (kind === 2) return Array.from({ length: c.pick([0, 1, 2, 4, 8, 64, 300]) }, () => c.range(0, 3));
  return Array.from({ length: c.range(1, 4) }, () => c.range(0, 16));
}

function smallTensor(c: Chooser, name: string): Tensor {
  const dataType = c.pick([DataType.FLOAT, DataType.INT64, DataType.INT32, DataType.UINT8, DataType.BOOL]);
  const n = c.range(0, 4);
  const bytes = c.bytes(n * (dataType === DataType.INT64 ? 8 : dataType === DataType.FLOAT ? 4 : 1));
  return { name, dataType, dims: c.chance(0.7) ? [n] : randomDims(c), data: { kind: 'raw', bytes } };
}

function randomTensorData(c: Chooser, t: Tensor): Tensor['data'] {
  switch (c.int(9)) {
    case 0:
      return { kind: 'raw', bytes: c.bytes(c.range(0, 64)) };
    case 1:
      return { kind: 'empty' };
    case 2:
      return { kind: 'float', values: Float32Array.from({ length: c.range(0, 16) }, () => c.rng.normal()) };
    case 3:
      return {
        kind: 'int32',
        values: Int32Array.from({ length: c.range(0, 16) }, () => c.pick(interestingNumbers) | 0),
      };
    case 4:
      return {
        kind: 'int64',
        values: BigInt64Array.from({ length: c.range(0, 16) }, () => c.pick(interestingBigInts)),
      };
    case 5:
      return { kind: 'double', values: Float64Array.from({ length: c.range(0, 8) }, () => c.pick(interestingNumbers)) };
    case 6:
      return {
        kind: 'string',
        values: Array.from({ length: c.range(0, 4) }, () => c.bytes(c.range(0, 8))),
      };
    case 7:
      return { kind: 'uint64', values: BigUint64Array.from({ length: c.range(0, 4) }, () => 2n ** 63n + 5n) };
    default:
      return externalData(c, t);
  }
}

function externalData(c: Chooser, _t: Tensor): Tensor['data'] {
  const d: Tensor['data'] = {
    kind: 'external',
    location: c.pick([
      'weights.bin',
      '../../etc/passwd',
      '/etc/passwd',
      'C:\\Windows\\x.bin',
      '',
      'a\0b',
      'sub/../../x',
    ]),
    offset: c.chance(0.5) ? 0 : c.pick(interestingNumbers),
  };
  if (c.chance(0.6)) d.length = c.pick(interestingNumbers);
  if (c.chance(0.1)) d.checksum = 'deadbeef';
  return d;
}

const attrNames = [
  'axis',
  'axes',
  'perm',
  'kernel_shape',
  'strides',
  'pads',
  'dilations',
  'group',
  'to',
  'keepdims',
  'num_outputs',
  'split',
  'shape',
  'value',
  'value_ints',
  'value_float',
  'batch_dims',
  'blocksize',
  'k',
  'repeats',
  'output_shape',
  'output_padding',
  'auto_pad',
  'mode',
  'num_scan_inputs',
  'scan_input_axes',
  'scan_output_axes',
  'body',
  'then_branch',
  'else_branch',
  'allowzero',
  'largest',
  'start',
  'end',
  'direction',
  'hidden_size',
  'num_heads',
  'transA',
  'transB',
  'alpha',
  'beta',
  'epsilon',
  'dtype',
  'ceil_mode',
  'count_include_pad',
  'coordinate_transformation_mode',
  'equation',
  'block_size',
  'bits',
  'N',
  'K',
  'detect_negative',
];

function interestingInts(c: Chooser): bigint[] {
  const kind = c.int(5);
  if (kind === 0) return [];
  if (kind === 1) return Array.from({ length: c.range(1, 6) }, () => c.pick(interestingBigInts));
  if (kind === 2) return Array.from({ length: c.pick([100, 1000, 5000]) }, () => BigInt(c.range(-2, 3)));
  if (kind === 3) return Array.from({ length: c.range(1, 8) }, () => BigInt(c.range(-3, 8)));
  return Array.from({ length: c.range(1, 4) }, () => BigInt(c.pick(interestingNumbers)));
}

function randomAttrValue(c: Chooser, model: Model): AttributeValue {
  switch (c.int(14)) {
    case 0:
      return { type: 'int', value: c.pick(interestingBigInts) };
    case 1:
      return { type: 'int', value: BigInt(c.range(-4, 8)) };
    case 2:
      return { type: 'float', value: c.pick([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e38, -1e38, 0.5, 0]) };
    case 3:
      return {
        type: 'string',
        value: c.pick(['', 'NOTSET', 'SAME_UPPER', 'VALID', 'x'.repeat(10_000), '\u202e<img src=x>', 'bidirectional']),
      };
    case 4:
    case 5:
      return { type: 'ints', value: interestingInts(c) };
    case 6:
      return {
        type: 'floats',
        value: Array.from({ length: c.range(0, 6) }, () => c.pick([1, 0, -1, Number.NaN, 1e30])),
      };
    case 7:
      return { type: 'strings', value: Array.from({ length: c.range(0, 3) }, () => c.pick(['', 'a', 'b/c'])) };
    case 8:
      return { type: 'tensor', value: hugeOrSmallTensor(c, 'attr_t') };
    case 9: {
      // A graph: empty, or a copy of a real one (a copy: the original may be an ancestor of the node).
      const gs = graphs(model);
      return { type: 'graph', value: c.chance(0.5) ? emptyGraph('g') : structuredClone(c.pick(gs)) };
    }
    case 10:
      return { type: 'graphs', value: [emptyGraph('a'), emptyGraph('b')] };
    case 11:
      return { type: 'undefined' };
    case 12:
      return { type: 'type_proto', value: randomType(c, 3) };
    default:
      return {
        type: 'sparse_tensor',
        value: { values: smallTensor(c, 'sv'), indices: smallTensor(c, 'si'), dims: randomDims(c) },
      };
  }
}

function hugeOrSmallTensor(c: Chooser, name: string): Tensor {
  if (c.chance(0.5)) return smallTensor(c, name);
  const t: Tensor = {
    name,
    dataType: c.pick([DataType.FLOAT, DataType.INT64, DataType.UINT8]),
    dims: [],
    data: { kind: 'empty' },
  };
  t.dims = [...c.pick(hugeDims)];
  t.data = c.chance(0.5) ? { kind: 'raw', bytes: c.bytes(c.range(0, 16)) } : randomTensorData(c, t);
  return t;
}

function randomShape(c: Chooser): Dim[] {
  const rank = c.weighted<number>([
    [6, c.range(0, 5)],
    [1, c.pick([16, 100, 2000])],
  ]);
  return Array.from({ length: rank }, (): Dim => {
    const k = c.int(5);
    if (k === 0) return c.pick(interestingNumbers);
    if (k === 1) return c.pick(['batch', 'N', '', 'seq*2', 'a/b']);
    if (k === 2) return null;
    return c.range(0, 16);
  });
}

function randomType(c: Chooser, depth: number): TypeInfo {
  const k = depth <= 0 ? 0 : c.int(6);
  const elemType = c.chance(0.8) ? c.pick([1, 1, 1, 7, 6, 9, 10, 2, 3, 8]) : c.pick([0, 27, 999, -1, 2 ** 31 - 1]);
  switch (k) {
    case 0:
    case 1:
      return c.chance(0.8) ? { kind: 'tensor', elemType, shape: randomShape(c) } : { kind: 'tensor', elemType };
    case 2:
      return { kind: 'sequence', elem: randomType(c, depth - 1) };
    case 3:
      return { kind: 'optional', elem: randomType(c, depth - 1) };
    case 4:
      return { kind: 'map', keyType: c.pick([7, 8, 0, 99]), value: randomType(c, depth - 1) };
    default:
      return c.chance(0.5) ? { kind: 'none' } : { kind: 'sparse_tensor', elemType, shape: randomShape(c) };
  }
}

function nestedSequenceType(depth: number): TypeInfo {
  let t: TypeInfo = { kind: 'tensor', elemType: 1, shape: [1] };
  for (let i = 0; i < depth; i++) t = { kind: 'sequence', elem: t };
  return t;
}

let operatorList: { domain: string; opType: string }[] | undefined;
function operators(): { domain: string; opType: string }[] {
  operatorList ??= knownOperators().sort((a, b) => `${a.domain}.${a.opType}`.localeCompare(`${b.domain}.${b.opType}`));
  return operatorList;
}

function freshName(c: Chooser, base: string): string {
  return `${base}_${c.int(1_000_000)}`;
}

export type IrMutator = (model: Model, c: Chooser) => string | undefined;

export const irMutators: [weight: number, name: string, fn: IrMutator][] = [
  [
    3,
    'tensor-dims',
    (m, c) => {
      const slots = tensorSlots(m);
      if (!slots.length) return undefined;
      const s = c.pick(slots);
      const dims = [...s.tensor.dims];
      const k = c.int(5);
      if (k === 0 && dims.length) dims[c.int(dims.length)] = interestingDim(c);
      else if (k === 1) dims.push(c.pick([0, 1, 2, 3, 2 ** 31, 2 ** 40]));
      else if (k === 2 && dims.length) dims.splice(c.int(dims.length), 1);
      else if (k === 3 && dims.length) dims[c.int(dims.length)] *= c.pick([2, 3, 1000, -1]);
      else dims.splice(0, dims.length, ...randomDims(c));
      s.tensor.dims = dims;
      return `tensor '${s.tensor.name}' dims [${dims.join(',')}]`;
    },
  ],
  [
    2,
    'tensor-data',
    (m, c) => {
      const slots = tensorSlots(m);
      if (!slots.length) return undefined;
      const s = c.pick(slots);
      s.tensor.data = randomTensorData(c, s.tensor);
      return `tensor '${s.tensor.name}' data ${s.tensor.data.kind}`;
    },
  ],
  [
    1,
    'tensor-dtype',
    (m, c) => {
      const slots = tensorSlots(m);
      if (!slots.length) return undefined;
      const s = c.pick(slots);
      s.tensor.dataType = c.chance(0.7) ? c.range(0, 27) : c.pick([999, -1, 2 ** 31 - 1, 8]);
      return `tensor '${s.tensor.name}' dataType ${s.tensor.dataType}`;
    },
  ],
  [
    3,
    'huge-tensor',
    (m, c) => {
      // Billions of declared elements and (almost) no data: must be refused or sized, never allocated.
      const t: Tensor = {
        name: '',
        dataType: c.pick([DataType.FLOAT, DataType.INT64, DataType.INT8]),
        dims: [],
        data: { kind: 'empty' },
      };
      t.dims = [...c.pick(hugeDims)];
      t.data = c.weighted<Tensor['data']>([
        [3, { kind: 'raw', bytes: c.bytes(c.pick([0, 4, 8, 64])) }],
        [1, { kind: 'empty' }],
        [1, { kind: 'float', values: Float32Array.of(1, 2) }],
        [1, { kind: 'int64', values: BigInt64Array.of(1n) }],
        [2, externalData(c, t)],
      ]);
      const slots = tensorSlots(m);
      if (slots.length && c.chance(0.7)) {
        const s = c.pick(slots);
        t.name = s.tensor.name;
        s.set(t);
        return `tensor '${t.name}' replaced by [${t.dims.join(',')}] ${t.data.kind}`;
      }
      const b = pickBody(m, c);
      if (!b) return undefined;
      const node = c.pick(b.nodes);
      t.name = freshName(c, 'huge');
      if (b.graph) b.graph.initializers.push(t);
      else node.attributes.push({ name: 'value', type: 'tensor', value: t });
      if (node.inputs.length) node.inputs[c.int(node.inputs.length)] = t.name;
      else node.inputs.push(t.name);
      return `huge initializer '${t.name}' [${t.dims.join(',')}] fed to '${node.name}'`;
    },
  ],
  [
    3,
    'int-values',
    (m, c) => {
      // Shape, size, count and axis values (Reshape targets, ConstantOfShape shapes, Range limits, TopK k…).
      const slots = tensorSlots(m).filter(
        (s) =>
          (s.tensor.dataType === DataType.INT64 || s.tensor.dataType === DataType.INT32) &&
          s.tensor.data.kind === 'raw' &&
          s.tensor.data.bytes.length <= 4096,
      );
      if (!slots.length) return undefined;
      const s = c.pick(slots);
      const wide = s.tensor.dataType === DataType.INT64;
      const bytes = Uint8Array.from((s.tensor.data as { bytes: Uint8Array }).bytes);
      const view = new DataView(bytes.buffer);
      const n = Math.floor(bytes.length / (wide ? 8 : 4));
      if (!n) return undefined;
      const changed: string[] = [];
      for (let k = c.small(3); k > 0; k--) {
        const i = c.int(n);
        const v = c.chance(0.6) ? c.pick(interestingBigInts) : BigInt(c.pick([1e5, 1e6, 1e9, 65536, 4097]));
        if (wide) view.setBigInt64(i * 8, v, true);
        else view.setInt32(i * 4, Number(BigInt.asIntN(32, v)), true);
        changed.push(`[${i}]=${v}`);
      }
      s.tensor.data = { kind: 'raw', bytes };
      return `values of '${s.tensor.name}' ${changed.join(' ')}`;
    },
  ],
  [
    3,
    'value-shape',
    (m, c) => {
      const vs = valueInfos(m).filter((v) => v.type?.kind === 'tensor');
      if (!vs.length) return undefined;
      const v = c.pick(vs);
      const t = v.type as Extract<TypeInfo, { kind: 'tensor' | 'sparse_tensor' }>;
      const shape = [...(t.shape ?? [])];
      const k = c.int(4);
      if (k === 0 && shape.length)
        shape[c.int(shape.length)] = c.chance(0.5) ? c.pick(interestingNumbers) : c.pick(hugeDims)[0];
      else if (k === 1) shape.push(c.pick(interestingNumbers));
      else if (k === 2) {
        t.shape = randomShape(c);
        return `value '${v.name}' shape [${t.shape.join(',')}]`;
      } else {
        t.elemType = c.pick([0, 1, 6, 7, 8, 9, 16, 27, 999]);
        return `value '${v.name}' elemType ${t.elemType}`;
      }
      t.shape = shape;
      return `value '${v.name}' shape [${shape.join(',')}]`;
    },
  ],
  [
    1,
    'value-type',
    (m, c) => {
      const vs = valueInfos(m);
      if (!vs.length) return undefined;
      const v = c.pick(vs);
      if (c.chance(0.2)) {
        const depth = c.pick([10, 30]);
        v.type = nestedSequenceType(depth);
        return `value '${v.name}' type: ${depth} nested sequences`;
      }
      if (c.chance(0.2)) {
        delete v.type;
        return `value '${v.name}' type removed`;
      }
      v.type = randomType(c, 3);
      return `value '${v.name}' type ${v.type.kind}`;
    },
  ],
  [
    2,
    'cycle',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const i = c.int(b.nodes.length);
      const j = c.chance(0.3) ? i : i + c.int(b.nodes.length - i);
      const outs = b.nodes[j].outputs.filter(Boolean);
      if (!outs.length) return undefined;
      const node = b.nodes[i];
      const out = c.pick(outs);
      if (node.inputs.length && c.chance(0.8)) node.inputs[c.int(node.inputs.length)] = out;
      else node.inputs.push(out);
      return `${i === j ? 'self-loop' : 'cycle'}: node ${i} '${node.name}' reads '${out}' of node ${j}`;
    },
  ],
  [
    2,
    'dangling',
    (m, c) => {
      const b = pickBody(m, c, false);
      if (!b) return undefined;
      const name = freshName(c, 'missing');
      if (b.graph?.outputs.length && c.chance(0.3)) {
        c.pick(b.graph.outputs).name = name;
        return `graph output renamed '${name}'`;
      }
      if (!b.nodes.length) return undefined;
      const node = c.pick(b.nodes);
      if (node.inputs.length) node.inputs[c.int(node.inputs.length)] = name;
      else node.inputs.push(name);
      return `node '${node.name}' reads dangling '${name}'`;
    },
  ],
  [
    1,
    'duplicate-name',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const names = definedNames(b);
      const node = c.pick(b.nodes);
      if (!node.outputs.length || !names.length) return undefined;
      const name = c.pick(names);
      node.outputs[c.int(node.outputs.length)] = name;
      return `node '${node.name}' redefines '${name}'`;
    },
  ],
  [
    1,
    'drop-node',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const [n] = b.nodes.splice(c.int(b.nodes.length), 1);
      return `node '${n.name}' dropped`;
    },
  ],
  [
    1,
    'duplicate-node',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const i = c.int(b.nodes.length);
      const copy = { ...b.nodes[i], inputs: [...b.nodes[i].inputs], outputs: [...b.nodes[i].outputs] };
      b.nodes.splice(c.int(b.nodes.length + 1), 0, copy);
      return `node '${copy.name}' duplicated`;
    },
  ],
  [
    1,
    'shuffle-nodes',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b || b.nodes.length < 2) return undefined;
      if (c.chance(0.5)) {
        b.nodes.reverse();
        return `nodes of ${b.path || 'main'} reversed`;
      }
      for (let i = b.nodes.length - 1; i > 0; i--) {
        const j = c.int(i + 1);
        [b.nodes[i], b.nodes[j]] = [b.nodes[j], b.nodes[i]];
      }
      return `nodes of ${b.path || 'main'} shuffled`;
    },
  ],
  [
    4,
    'op-type',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const node = c.pick(b.nodes);
      if (c.chance(0.9)) {
        const op = c.pick(operators());
        node.opType = op.opType;
        node.domain = op.domain;
        if (op.domain && !m.opsetImports.some((o) => o.domain === op.domain) && c.chance(0.8)) {
          m.opsetImports.push({ domain: op.domain, version: c.pick([1, 2, 3]) });
        }
      } else {
        node.opType = c.pick(['', 'Foo', 'Conv ', 'conv', 'x'.repeat(5000), 'If', 'Loop', 'Scan']);
      }
      return `node '${node.name}' becomes ${node.domain ? `${node.domain}.` : ''}${node.opType.slice(0, 40)}`;
    },
  ],
  [
    1,
    'op-domain',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const node = c.pick(b.nodes);
      node.domain = c.pick([
        '',
        'ai.onnx',
        'ai.onnx.ml',
        'com.microsoft',
        'local',
        'unknown.domain',
        'ai.onnx.training',
      ]);
      return `node '${node.name}' domain '${node.domain}'`;
    },
  ],
  [
    2,
    'input-arity',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const node = c.pick(b.nodes);
      const names = definedNames(b);
      const k = c.int(4);
      if (k === 0 && node.inputs.length) node.inputs.splice(c.int(node.inputs.length), 1);
      else if (k === 1) node.inputs.splice(c.int(node.inputs.length + 1), 0, '');
      else if (k === 2 && names.length) {
        for (let i = c.small(6); i > 0; i--) node.inputs.push(c.pick(names));
      } else node.inputs = [];
      return `node '${node.name}' inputs [${node.inputs.join(',')}]`.slice(0, 200);
    },
  ],
  [
    1,
    'output-arity',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const node = c.pick(b.nodes);
      if (node.outputs.length && c.chance(0.4)) node.outputs.splice(c.int(node.outputs.length), 1);
      else if (c.chance(0.3)) node.outputs.push('');
      else for (let i = c.small(8); i > 0; i--) node.outputs.push(freshName(c, 'extra'));
      return `node '${node.name}' outputs [${node.outputs.join(',')}]`.slice(0, 200);
    },
  ],
  [
    4,
    'attr-type',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const withAttrs = b.nodes.filter((n) => n.attributes.length);
      if (!withAttrs.length) return undefined;
      const node = c.pick(withAttrs);
      const i = c.int(node.attributes.length);
      const old = node.attributes[i];
      node.attributes[i] = { ...randomAttrValue(c, m), name: old.name } as Attribute;
      return `attribute '${old.name}' of '${node.name}': ${old.type} -> ${node.attributes[i].type}`;
    },
  ],
  [
    3,
    'attr-value',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const withAttrs = b.nodes.filter((n) => n.attributes.some((a) => a.type === 'int' || a.type === 'ints'));
      if (!withAttrs.length) return undefined;
      const node = c.pick(withAttrs);
      const a = c.pick(node.attributes.filter((x) => x.type === 'int' || x.type === 'ints'));
      if (a.type === 'int') a.value = c.pick(interestingBigInts);
      else if (a.type === 'ints') {
        a.value = a.value.length && c.chance(0.6) ? [...a.value] : interestingInts(c);
        if (a.value.length) a.value[c.int(a.value.length)] = c.pick(interestingBigInts);
      }
      return `attribute '${a.name}' of '${node.name}' = ${String(a.value).slice(0, 80)}`;
    },
  ],
  [
    3,
    'attr-add',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const node = c.pick(b.nodes);
      const name = c.pick(attrNames);
      const value = randomAttrValue(c, m);
      const existing = node.attributes.findIndex((a) => a.name === name);
      const a = { ...value, name } as Attribute;
      if (existing >= 0 && c.chance(0.7)) node.attributes[existing] = a;
      else node.attributes.push(a);
      return `attribute '${name}' (${a.type}) set on '${node.name}'`;
    },
  ],
  [
    2,
    'opset',
    (m, c) => {
      const k = c.int(5);
      if (k === 0 && m.opsetImports.length) {
        const o = c.pick(m.opsetImports);
        o.version = c.pick([0, -1, 1, 5, 7, 9, 10000, 2 ** 31, 2 ** 53, 1e18, -(2 ** 63)]);
        return `opset '${o.domain}' version ${o.version}`;
      }
      if (k === 1 && m.opsetImports.length) {
        m.opsetImports.splice(c.int(m.opsetImports.length), 1);
        return 'opset import dropped';
      }
      if (k === 2 && m.opsetImports.length) {
        m.opsetImports.push({ ...c.pick(m.opsetImports), version: c.range(1, 30) });
        return 'opset import duplicated';
      }
      if (k === 3) {
        m.opsetImports.push({
          domain: c.pick(['com.microsoft', 'ai.onnx.ml', 'weird', 'ai.onnx']),
          version: c.range(-2, 40),
        });
        return 'opset import added';
      }
      m.irVersion = c.pick([0, -1, 1, 2, 3, 13, 14, 1000, 2 ** 40]);
      return `ir_version ${m.irVersion}`;
    },
  ],
  [
    2,
    'nest',
    (m, c) => {
      // The main graph moved into `depth` nested If nodes (then_branch); else_branch is a small graph.
      // Deeper nesting than the protobuf writer encodes (about 33 levels) is made at the wire level (cases.ts).
      const depth = c.pick([2, 5, 10, 20, 25, 30]);
      const inner = m.graph;
      const outs = inner.outputs.map((o) => ({ ...o }));
      const inputs = inner.inputs;
      let g: Graph = { ...inner, inputs: [] };
      for (let i = 0; i < depth; i++) {
        const wrapper = emptyGraph(`nest${i}`);
        const elseG = emptyGraph(`else${i}`);
        elseG.outputs = outs.map((o) => ({ ...o }));
        wrapper.nodes.push({
          name: `nest_if_${i}`,
          opType: c.chance(0.9) ? 'If' : 'Loop',
          domain: '',
          inputs: ['nest_cond'],
          outputs: outs.map((o) => o.name),
          attributes: [
            { name: 'then_branch', type: 'graph', value: g },
            { name: 'else_branch', type: 'graph', value: elseG },
          ],
        });
        wrapper.outputs = outs.map((o) => ({ ...o }));
        g = wrapper;
      }
      g.inputs = [...inputs, { name: 'nest_cond', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [] } }];
      m.graph = g;
      return `main graph nested in ${depth} If levels`;
    },
  ],
  [
    2,
    'function',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      let fn = m.functions.length && c.chance(0.6) ? c.pick(m.functions) : undefined;
      if (!fn) {
        fn = {
          name: freshName(c, 'Fn'),
          domain: 'local',
          inputs: ['X'],
          outputs: ['Y'],
          attributes: ['k'],
          attributeDefaults: [],
          nodes: [{ name: 'fn_relu', opType: 'Relu', domain: '', inputs: ['X'], outputs: ['Y'], attributes: [] }],
          opsetImports: [{ domain: '', version: 17 }],
          valueInfo: [],
        };
        m.functions.push(fn);
        if (!m.opsetImports.some((o) => o.domain === 'local')) m.opsetImports.push({ domain: 'local', version: 1 });
      }
      const call = (f: FunctionDef, inputs: string[], outputs: string[]): Node => ({
        name: freshName(c, 'call'),
        opType: f.name,
        domain: f.domain,
        inputs,
        outputs,
        attributes: c.chance(0.3) ? [{ name: 'k', type: 'int', value: 2n ** 40n }] : [],
      });
      const k = c.int(5);
      if (k === 0) {
        fn.nodes.push(call(fn, [...fn.inputs], [freshName(c, 'rec')]));
        return `function ${fn.name} calls itself`;
      }
      if (k === 1) {
        const other: FunctionDef = { ...fn, name: `${fn.name}_b`, nodes: [call(fn, [...fn.inputs], [...fn.outputs])] };
        fn.nodes.push(call(other, [...fn.inputs], [freshName(c, 'mutual')]));
        m.functions.push(other);
        return `functions ${fn.name} and ${other.name} call each other`;
      }
      if (k === 2) {
        m.functions.push({ ...fn });
        return `function ${fn.name} defined twice`;
      }
      if (k === 3) {
        fn.nodes.forEach((n) => {
          n.attributes.push({ name: 'axis', type: 'int', value: 0n, refAttrName: c.pick(['k', 'missing', '']) });
        });
        fn.outputs.push(freshName(c, 'unset'));
        return `function ${fn.name}: reference attributes and an unset output`;
      }
      const names = definedNames(b);
      const node = call(
        fn,
        Array.from({ length: c.range(0, 4) }, () => (names.length ? c.pick(names) : '')),
        [freshName(c, 'fn_out')],
      );
      b.nodes.splice(c.int(b.nodes.length + 1), 0, node);
      return `call of ${fn.name} with ${node.inputs.length} input(s) in ${b.path || 'main'}`;
    },
  ],
  [
    1,
    'names',
    (m, c) => {
      const b = pickBody(m, c);
      if (!b) return undefined;
      const node = c.pick(b.nodes);
      const k = c.int(5);
      if (k === 0) node.name = 'a/'.repeat(c.pick([100, 5000, 50_000]));
      else if (k === 1) node.name = `${'s;'.repeat(1000)}x`;
      else if (k === 2) node.name = '\u202e\u2066<script>alert(1)</script>\u0000\ud800';
      else if (k === 3) node.name = 'x'.repeat(c.pick([1000, 1_000_000]));
      else node.name = '';
      return `node name of length ${node.name.length}`;
    },
  ],
  [
    1,
    'sparse',
    (m, c) => {
      const g = c.pick(graphs(m));
      const name = g.initializers.length && c.chance(0.5) ? c.pick(g.initializers).name : freshName(c, 'sparse');
      g.sparseInitializers.push({
        values: { ...smallTensor(c, name), dims: c.chance(0.5) ? [c.pick(interestingNumbers)] : [3] },
        indices: { ...smallTensor(c, ''), dataType: DataType.INT64 },
        dims: randomDims(c),
      });
      return `sparse initializer '${name}'`;
    },
  ],
  [
    1,
    'training',
    (m, c) => {
      m.trainingInfo.push({
        initialization: c.chance(0.5) ? m.graph : emptyGraph('init'),
        algorithm: c.chance(0.5) ? emptyGraph('algo') : undefined,
        initializationBinding: [{ key: 'missing', value: 'also_missing' }],
        updateBinding: [],
      });
      return 'training info added';
    },
  ],
  [
    1,
    'grow',
    (m, c) => {
      // A long chain or a wide fan-out of cheap nodes: near-linear passes must stay fast.
      const b = pickBody(m, c);
      if (!b) return undefined;
      const names = definedNames(b);
      if (!names.length) return undefined;
      const n = c.pick([300, 1000, 2500]);
      const chain = c.chance(0.5);
      let prev = c.pick(names);
      const added: Node[] = [];
      for (let i = 0; i < n; i++) {
        const out = `grow_${i}`;
        added.push({
          name: `g${i}`,
          opType: c.pick(['Relu', 'Identity', 'Neg']),
          domain: '',
          inputs: [prev],
          outputs: [out],
          attributes: [],
        });
        if (chain) prev = out;
      }
      b.nodes.push(...added);
      return `${n} nodes added (${chain ? 'chain' : 'fan-out'})`;
    },
  ],
  [
    2,
    'fold-bomb',
    (m, c) => {
      // Small inputs whose constant folding or shapes would grow: [k, 1] op [1, k] constants (k² elements), many
      // nodes folding the same large constant, a rank of thousands carried through a chain.
      const b = pickBody(m, c, false);
      if (!b?.graph) return undefined;
      const g = b.graph;
      const kind = c.int(3);
      const k = c.pick([64, 1024, 4096]);
      const tag = c.int(1_000_000);
      if (kind === 0) {
        const raw = () => ({ kind: 'raw' as const, bytes: new Uint8Array(4 * k) });
        g.initializers.push({ name: `col_${tag}`, dataType: DataType.FLOAT, dims: [k, 1], data: raw() });
        g.initializers.push({ name: `row_${tag}`, dataType: DataType.FLOAT, dims: [1, k], data: raw() });
        const op = c.pick(['Add', 'Mul', 'Where', 'Max']);
        const inputs = op === 'Where' ? [`col_${tag}`, `row_${tag}`, `col_${tag}`] : [`col_${tag}`, `row_${tag}`];
        g.nodes.push({
          name: `bcast_${tag}`,
          opType: op,
          domain: '',
          inputs,
          outputs: [`bcast_out_${tag}`],
          attributes: [],
        });
        return `${op} of constants [${k},1] and [1,${k}]`;
      }
      const n = c.pick([200, 500, 1000]);
      if (kind === 1) {
        g.initializers.push({
          name: `big_${tag}`,
          dataType: DataType.INT64,
          dims: [k],
          data: { kind: 'raw', bytes: new Uint8Array(8 * k) },
        });
        for (let i = 0; i < n; i++) {
          const op = c.pick(['Relu', 'Neg', 'Abs', 'Add', 'Identity', 'Cast']);
          const inputs = op === 'Add' ? [`big_${tag}`, `big_${tag}`] : [`big_${tag}`];
          const attributes: Attribute[] = op === 'Cast' ? [{ name: 'to', type: 'int', value: 1n }] : [];
          g.nodes.push({
            name: `fan_${tag}_${i}`,
            opType: op,
            domain: '',
            inputs,
            outputs: [`fan_${tag}_${i}`],
            attributes,
          });
        }
        return `${n} nodes folding one ${k}-element constant`;
      }
      const rank = c.pick([100, 1000, 5000]);
      g.inputs.push({ name: `wide_${tag}`, type: { kind: 'tensor', elemType: 1, shape: new Array(rank).fill(1) } });
      let prev = `wide_${tag}`;
      for (let i = 0; i < n; i++) {
        const op = c.pick(['Relu', 'Neg', 'Add', 'Softmax', 'Transpose', 'Shape']);
        const inputs = op === 'Add' ? [prev, prev] : [prev];
        g.nodes.push({
          name: `chain_${tag}_${i}`,
          opType: op,
          domain: '',
          inputs,
          outputs: [`chain_${tag}_${i}`],
          attributes: [],
        });
        if (op !== 'Shape') prev = `chain_${tag}_${i}`;
      }
      return `rank-${rank} input through a chain of ${n} nodes`;
    },
  ],
  [
    1,
    'metadata',
    (m, c) => {
      const n = c.pick([10, 1000]);
      for (let i = 0; i < n; i++) m.metadataProps.push({ key: `k${i % 7}`, value: 'v'.repeat(c.range(0, 64)) });
      m.docString = c.chance(0.5) ? '<img src=x onerror=alert(1)>' : 'd'.repeat(100_000);
      return `${n} metadata entries`;
    },
  ],
];

/** Applies one weighted-random IR mutation; the description, or undefined when nothing applied. */
export function mutateIr(model: Model, c: Chooser): string | undefined {
  for (let tries = 0; tries < 5; tries++) {
    const [, name, fn] = c.weighted(irMutators.map((e) => [e[0], e] as const));
    const what = fn(model, c);
    if (what) return `ir ${name}: ${what}`;
  }
  return undefined;
}
