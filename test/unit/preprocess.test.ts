import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { GraphBuilder, makeTensor, Rng } from '../../src/core/onnx/builder.js';
import { DataType, type Model, validateModel } from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { preprocessModel } from '../../src/core/transforms/preprocess.js';
import { ortConstantEvaluator } from '../../src/core/transforms/validate.js';
import { randomTensor, runModel as run } from '../helpers/ort.js';

const F = DataType.FLOAT;

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  assert.deepEqual(a.dims, b.dims, 'same shape');
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

const ops = (m: Model) => m.graph.nodes.map((n) => n.opType);

test('BatchNormalization folds into Conv exactly (ORT outputs within 1e-5)', async () => {
  const m = mobileNetLike({ blocks: 4, width: 8 });
  const r = await preprocessModel(m, { foldConstants: false, removeIdentities: false });
  assert.ok(!ops(r.model).includes('BatchNormalization'), 'no BatchNormalization left');
  assert.equal(
    ops(r.model).length,
    ops(m).length - ops(m).filter((o) => o === 'BatchNormalization').length,
    'one node less per BN',
  );
  assert.deepEqual(
    validateModel(r.model).filter((p) => p.severity === 'error'),
    [],
    'valid',
  );
  for (const seed of [1, 2]) {
    const x = randomTensor([1, 3, 32, 32], seed);
    const d = maxAbsDiff((await run(m, { input: x })).probabilities, (await run(r.model, { input: x })).probabilities);
    assert.ok(d < 1e-5, `outputs equal within 1e-5 (max diff ${d})`);
  }
  assert.ok(ops(m).includes('BatchNormalization'), 'the input model is unchanged');
});

test('BatchNormalization folds into Gemm (with bias and beta) exactly', async () => {
  const rng = new Rng(4);
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [2, 6]);
  const w = b.initializer('w', F, [5, 6], rng.normalArray(30));
  const c = b.initializer('c', F, [5], rng.normalArray(5));
  const y = b.node('Gemm', [x, w, c], { transB: 1, alpha: 0.7, beta: 1.3 }, { name: 'fc' });
  const p = (name: string, lo: number, hi: number) => b.initializer(name, F, [5], rng.uniformArray(5, lo, hi));
  b.node(
    'BatchNormalization',
    [y, p('s', 0.5, 1.5), p('bb', -1, 1), p('mu', -1, 1), p('var', 0.2, 2)],
    { epsilon: 1e-3 },
    {
      name: 'bn',
      outputs: ['out'],
    },
  );
  b.output('out', F, [2, 5]);
  const m = b.build();
  const r = await preprocessModel(m);
  assert.deepEqual(ops(r.model), ['Gemm'], 'BN folded into the Gemm');
  assert.equal(r.model.graph.outputs[0].name, 'out', 'graph output keeps its name');
  const feeds = { x: randomTensor([2, 6], 5) };
  const d = maxAbsDiff((await run(m, feeds)).out, (await run(r.model, feeds)).out);
  assert.ok(d < 1e-5, `outputs equal within 1e-5 (max diff ${d})`);
});

/** A model with constant subgraphs: a transposed weight, a Constant bias, shape arithmetic, and a QDQ weight. */
function constantHeavy(): Model {
  const rng = new Rng(9);
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 4]);
  const wt = b.initializer('w_t', F, [6, 4], rng.normalArray(24));
  const w = b.node('Transpose', [wt], { perm: [1, 0] }, { name: 'transpose_w' });
  const mm = b.node('MatMul', [x, w], {}, { name: 'mm' });
  const bias = b.constant('bias', F, [6], rng.normalArray(6));
  const two = b.constant('two', F, [], [2]);
  const bias2 = b.node('Mul', [bias, two], {}, { name: 'bias_times_two' });
  const sq = b.node('Sqrt', [b.node('Abs', [bias2], {}, { name: 'abs' })], {}, { name: 'sqrt' });
  const added = b.node('Add', [mm, sq], {}, { name: 'add_bias' });
  // Shape [2, 3] computed from constants: Concat(Unsqueeze(2), Unsqueeze(3)).
  const axes = b.initializer('axes', DataType.INT64, [1], [0]);
  const d0 = b.node('Unsqueeze', [b.constant('d0', DataType.INT64, [], [2]), axes], {}, { name: 'unsq0' });
  const d1 = b.node('Unsqueeze', [b.constant('d1', DataType.INT64, [], [3]), axes], {}, { name: 'unsq1' });
  const shape = b.node('Concat', [d0, d1], { axis: 0 }, { name: 'shape_concat' });
  const reshaped = b.node('Reshape', [added, shape], {}, { name: 'reshape' });
  // A quantized weight: DequantizeLinear must stay.
  const q = b.initializer('q', DataType.INT8, [3], [10, -20, 30]);
  const scale = b.initializer('q_scale', F, [], [0.05]);
  const dq = b.node('DequantizeLinear', [q, scale], {}, { name: 'dq' });
  b.node('Add', [reshaped, dq], {}, { name: 'add_q', outputs: ['y'] });
  b.output('y', F, [2, 3]);
  return b.build();
}

for (const evaluator of ['built-in', 'onnxruntime'] as const) {
  test(`constant folding (${evaluator} evaluator) replaces constant subgraphs and keeps outputs identical`, async () => {
    const m = constantHeavy();
    const r = await preprocessModel(m, evaluator === 'onnxruntime' ? { evaluate: ortConstantEvaluator } : {});
    assert.deepEqual(ops(r.model).sort(), ['Add', 'Add', 'DequantizeLinear', 'MatMul', 'Reshape'], 'folded');
    assert.deepEqual(r.report.warnings, [], 'no warnings');
    assert.deepEqual(
      validateModel(r.model).filter((p) => p.severity === 'error'),
      [],
      'valid',
    );
    const feeds = { x: randomTensor([1, 4], 5) };
    const before = (await run(m, feeds)).y;
    const after = (await run(r.model, feeds)).y;
    assert.deepEqual(Array.from(after.data as Float32Array), Array.from(before.data as Float32Array), 'identical');
  });
}

test('no-op nodes are removed and graph outputs keep their names', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 4]);
  const id = b.node('Identity', [x], {}, { name: 'id_in' });
  const relu = b.node('Relu', [id], {}, { name: 'relu' });
  const ratio = b.initializer('ratio', F, [], [0.5]);
  const drop = b.nodeOutputs('Dropout', [relu, ratio], 2, {}, { name: 'drop' })[0];
  const cast = b.node('Cast', [drop], { to: DataType.FLOAT }, { name: 'cast_same' });
  const neg = b.node('Neg', [cast], {}, { name: 'neg' });
  b.node('Identity', [neg], {}, { name: 'id_out', outputs: ['y'] });
  b.node('Identity', [x], {}, { name: 'passthrough', outputs: ['x_copy'] });
  b.output('y', F, [1, 4]);
  b.output('x_copy', F, [1, 4]);
  const m = b.build();
  const r = await preprocessModel(m);
  assert.deepEqual(ops(r.model), ['Relu', 'Neg', 'Identity'], 'Identity, Dropout and same-type Cast removed');
  assert.deepEqual(
    r.model.graph.outputs.map((o) => o.name),
    ['y', 'x_copy'],
    'graph outputs keep their names',
  );
  assert.equal(r.model.graph.nodes.find((n) => n.opType === 'Neg')?.outputs[0], 'y', 'Neg now writes y');
  assert.ok(
    r.report.notes.some((n) => n.includes("'passthrough'")),
    'the Identity from input to output is kept and said so',
  );
  const feeds = { x: randomTensor([1, 4], 5) };
  const before = await run(m, feeds);
  const after = await run(r.model, feeds);
  for (const name of ['y', 'x_copy']) {
    assert.deepEqual(Array.from(after[name].data as Float32Array), Array.from(before[name].data as Float32Array), name);
  }
});

test('constant folding does not store large generated tensors', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 128, 128]);
  const one = makeTensor('one_value', F, [1], [1]);
  const shape = b.initializer('shape', DataType.INT64, [3], [1, 128, 128]);
  const ones = b.node('ConstantOfShape', [shape], { value: one }, { name: 'big_ones' });
  const s2 = b.initializer('s2', DataType.INT64, [1], [4]);
  const small = b.node('ConstantOfShape', [s2], { value: one }, { name: 'small_ones' });
  const sum = b.node('Add', [x, ones], {}, { name: 'add_big' });
  const red = b.node('ReduceSum', [sum], { keepdims: 0 }, { name: 'reduce' });
  const flat = b.node('Reshape', [red, b.initializer('minus_one', DataType.INT64, [1], [-1])], {}, { name: 'r' });
  const head = b.node('Slice', [flat, b.initializer('st', DataType.INT64, [1], [0]), s2], {}, { name: 'head' });
  b.node('Add', [head, small], {}, { name: 'add_small', outputs: ['y'] });
  b.output('y', F, [4]);
  const m = b.build();
  const r = await preprocessModel(m);
  assert.ok(
    r.model.graph.nodes.some((n) => n.name === 'big_ones'),
    '128·128 generated elements stay generated',
  );
  assert.ok(!r.model.graph.nodes.some((n) => n.name === 'small_ones'), '4 elements are folded');
  const feeds = { x: randomTensor([1, 128, 128], 5) };
  const before = (await run(m, feeds)).y.data as Float32Array;
  const after = (await run(r.model, feeds)).y.data as Float32Array;
  assert.deepEqual(Array.from(after), Array.from(before), 'identical');
});
