/**
 * The models every fuzz case starts from: the real sample model, the two synthetic families, a model with control
 * flow (If, Loop, an If nested in the Loop body) and a model-local function, and a model full of operators whose
 * inputs are shapes, sizes and counts (where a huge declared value would make an engine allocate per element).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attr, GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { FunctionDef, Model } from '../../src/core/onnx/ir.js';
import { mobileNetLike, transformerBlock } from '../../src/core/onnx/syntheticModels.js';
import { encodeModel } from '../../src/core/onnx/writer.js';

const F = DataType.FLOAT;
const I64 = DataType.INT64;
const BOOL = DataType.BOOL;

export interface SeedModel {
  name: string;
  bytes: Uint8Array;
}

export const samplePath = join(__dirname, '..', '..', 'samples', 'vww_96_float.onnx');

/**
 * main: x [batch, 4] -> MatMul w -> If(cond) { then: Relu; else: Loop 3 times { body: If(c) { Neg } else { Abs } + y } }
 * -> local.ScaledAdd(if_out, h) (a model-local function: Mul by its `alpha` attribute through a Constant with a
 * reference attribute, then Add) -> y.
 */
export function controlFlowModel(): Model {
  const b = new GraphBuilder({ opset: 17, name: 'control', opsetImports: [{ domain: 'local', version: 1 }] });
  const x = b.input('x', F, ['batch', 4]);
  const cond = b.input('cond', BOOL, []);
  const w = b.initializer(
    'w',
    F,
    [4, 4],
    Array.from({ length: 16 }, (_, i) => (i % 5) * 0.25),
  );
  const h = b.node('MatMul', [x, w], {}, { name: 'proj' });

  const thenB = b.subgraph('then');
  thenB.output(thenB.node('Relu', [h], {}, { name: 'then_relu' }), F, ['batch', 4]);

  const elseB = b.subgraph('else');
  const trip = elseB.constant('trip', I64, [], [3]);
  const body = elseB.subgraph('body');
  body.input('iter', I64, []);
  const cIn = body.input('c_in', BOOL, []);
  const yIn = body.input('y_in', F, ['batch', 4]);
  const innerThen = body.subgraph('inner_then');
  innerThen.output(innerThen.node('Neg', [yIn], {}, { name: 'inner_neg' }), F, ['batch', 4]);
  const innerElse = body.subgraph('inner_else');
  innerElse.output(innerElse.node('Abs', [yIn], {}, { name: 'inner_abs' }), F, ['batch', 4]);
  const [picked] = body.nodeOutputs(
    'If',
    [cond],
    ['picked'],
    { then_branch: attr.graph(innerThen.toGraph()), else_branch: attr.graph(innerElse.toGraph()) },
    { name: 'inner_if' },
  );
  const yOut = body.node('Add', [picked, h], {}, { name: 'body_add', outputs: ['y_out'] });
  const cOut = body.node('Identity', [cIn], {}, { name: 'body_cond', outputs: ['c_out'] });
  body.output(cOut, BOOL, []);
  body.output(yOut, F, ['batch', 4]);
  const [looped] = elseB.nodeOutputs(
    'Loop',
    [trip, '', h],
    ['looped'],
    { body: attr.graph(body.toGraph()) },
    {
      name: 'loop',
    },
  );
  elseB.output(looped, F, ['batch', 4]);

  const [ifOut] = b.nodeOutputs(
    'If',
    [cond],
    ['if_out'],
    { then_branch: attr.graph(thenB.toGraph()), else_branch: attr.graph(elseB.toGraph()) },
    { name: 'branch' },
  );
  b.node('ScaledAdd', [ifOut, h], { alpha: attr.float(0.5) }, { name: 'scaled_add', domain: 'local', outputs: ['y'] });
  b.output('y', F, ['batch', 4]);
  const model = b.build();
  const fn: FunctionDef = {
    name: 'ScaledAdd',
    domain: 'local',
    inputs: ['A', 'B'],
    outputs: ['C'],
    attributes: [],
    attributeDefaults: [{ name: 'alpha', type: 'float', value: 1 }],
    nodes: [
      {
        name: 'alpha_const',
        opType: 'Constant',
        domain: '',
        inputs: [],
        outputs: ['alpha_v'],
        attributes: [{ name: 'value_float', type: 'float', value: 0, refAttrName: 'alpha' }],
      },
      { name: 'mul', opType: 'Mul', domain: '', inputs: ['A', 'alpha_v'], outputs: ['scaled'], attributes: [] },
      { name: 'add', opType: 'Add', domain: '', inputs: ['scaled', 'B'], outputs: ['C'], attributes: [] },
    ],
    opsetImports: [{ domain: '', version: 17 }],
    valueInfo: [],
  };
  model.functions.push(fn);
  return model;
}

/** Operators whose inputs are shapes, sizes, counts and axes, all fed from constants, so folding reaches them. */
export function shapeOpsModel(): Model {
  const b = new GraphBuilder({ opset: 17, name: 'shape_ops' });
  const x = b.input('x', F, [1, 3, 8, 8]);
  const i64 = (name: string, dims: number[], values: number[]) => b.initializer(name, I64, dims, values);
  const shape = b.node('Shape', [x], {}, { name: 'shape' });
  const first = b.node('Gather', [shape, i64('idx0', [1], [0])], { axis: 0 }, { name: 'gather' });
  const target = b.node('Concat', [first, i64('minus_one', [1], [-1])], { axis: 0 }, { name: 'concat' });
  const flat = b.node('Reshape', [x, target], {}, { name: 'reshape' });
  const filled = b.node('ConstantOfShape', [i64('cos_shape', [2], [2, 3])], {
    value: { name: 'v', dataType: F, dims: [1], data: { kind: 'float', values: Float32Array.of(1) } },
  });
  const range = b.node('Range', [i64('r0', [], [0]), i64('r1', [], [10]), i64('r2', [], [1])], {}, { name: 'range' });
  const one = b.initializer('one', F, [1], [1]);
  const expanded = b.node('Expand', [one, i64('ex_shape', [2], [2, 3])], {}, { name: 'expand' });
  const tiled = b.node('Tile', [x, i64('reps', [4], [1, 1, 2, 2])], {}, { name: 'tile' });
  const unsq = b.node('Unsqueeze', [flat, i64('axes0', [1], [0])], {}, { name: 'unsqueeze' });
  const squeezed = b.node('Squeeze', [unsq, i64('axes0b', [1], [0])], {}, { name: 'squeeze' });
  const [s1, s2] = b.nodeOutputs('Split', [x, i64('split', [2], [1, 2])], 2, { axis: 1 }, { name: 'split' });
  const padded = b.node('Pad', [x, i64('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1])], {}, { name: 'pad' });
  const scales = b.initializer('scales', F, [4], [1, 1, 2, 2]);
  const resized = b.node('Resize', [x, '', scales], { mode: 'nearest' }, { name: 'resize' });
  const [topV] = b.nodeOutputs('TopK', [squeezed, i64('k', [1], [5])], 2, { axis: -1 }, { name: 'topk' });
  const onehot = b.node(
    'OneHot',
    [i64('oh_idx', [3], [0, 2, 1]), i64('depth', [], [10]), i64('oh_vals', [2], [0, 1])],
    { axis: -1 },
    { name: 'onehot' },
  );
  const sliced = b.node(
    'Slice',
    [x, i64('starts', [1], [0]), i64('ends', [1], [2]), i64('sl_axes', [1], [1])],
    {},
    {
      name: 'slice',
    },
  );
  const nz = b.node('NonZero', [x], {}, { name: 'nonzero' });
  const tr = b.node('Transpose', [x], { perm: [0, 2, 3, 1] }, { name: 'transpose' });
  const reduced = b.node('ReduceSum', [tr, i64('r_axes', [2], [1, 2])], { keepdims: 1 }, { name: 'reduce' });
  const cast = b.node('Cast', [range], { to: F }, { name: 'cast' });
  const mm = b.node('MatMul', [filled, b.initializer('mmw', F, [3, 4], new Array(12).fill(0.5))], {}, { name: 'mm' });
  const conv = b.node(
    'Conv',
    [padded, b.initializer('cw', F, [4, 3, 3, 3], new Array(108).fill(0.1))],
    { kernel_shape: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], group: 1 },
    { name: 'conv' },
  );
  const pool = b.node('MaxPool', [conv], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool' });
  for (const [v, shapeOut] of [
    [flat, [1, 192]],
    [expanded, [2, 3]],
    [tiled, [1, 3, 16, 16]],
    [s1, [1, 1, 8, 8]],
    [s2, [1, 2, 8, 8]],
    [resized, [1, 3, 16, 16]],
    [topV, [1, 5]],
    [onehot, [3, 10]],
    [sliced, [1, 2, 8, 8]],
    [nz, [4, null]],
    [reduced, [1, 1, 1, 3]],
    [cast, [10]],
    [mm, [2, 4]],
    [pool, [1, 4, 4, 4]],
  ] as [string, (number | null)[]][]) {
    b.output(v, v === nz ? I64 : F, shapeOut);
  }
  return b.build();
}

/** A copy in a plain Uint8Array: the writer returns a Node Buffer, whose slice() is a view, not a copy. */
function encoded(model: Model): Uint8Array {
  return Uint8Array.from(encodeModel(model));
}

let cache: SeedModel[] | undefined;

/** The seed corpus, encoded once per process. */
export function seedModels(): SeedModel[] {
  cache ??= [
    { name: 'vww_96_float', bytes: new Uint8Array(readFileSync(samplePath)) },
    { name: 'mobileNetLike', bytes: encoded(mobileNetLike()) },
    { name: 'transformerBlock', bytes: encoded(transformerBlock()) },
    { name: 'controlFlow', bytes: encoded(controlFlowModel()) },
    { name: 'shapeOps', bytes: encoded(shapeOpsModel()) },
  ];
  return cache;
}
