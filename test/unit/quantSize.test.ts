/**
 * What the quantized and FP16 files carry beyond their payload: weight zero points left out, per-channel scales
 * that are all equal stored once, identical inserted constants shared, compact inserted names, unnamed inserted
 * nodes, the static operator form (QLinearConv / QLinearMatMul) — each checked for being smaller and for computing
 * what it should in ONNX Runtime.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model, Tensor } from '../../src/core/onnx/ir.js';
import { readTensorValues } from '../../src/core/onnx/tensor.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { convertToFloat16 } from '../../src/core/transforms/fp16.js';
import { shareIdenticalInitializers } from '../../src/core/transforms/graphEdit.js';
import { measureModelBytes } from '../../src/core/transforms/modelBytes.js';
import { preprocessModel } from '../../src/core/transforms/preprocess.js';
import { quantizeDynamic, quantizeWeight } from '../../src/core/transforms/quantize.js';
import { quantizeStatic } from '../../src/core/transforms/quantizeStatic.js';
import { randomTensor, runModel, worstCosine } from '../helpers/ort.js';

const F = DataType.FLOAT;
const LONG = 'model/block_with_a_rather_long_converter_name';

/** x -> Conv -> Relu -> MaxPool -> Conv -> Relu -> Reshape -> MatMul -> Add(bias) -> y, long original names. */
function net(): Model {
  const rng = new Rng(3);
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input(`${LONG}/input`, F, [1, 3, 8, 8]);
  const w1 = b.initializer(`${LONG}/conv1/kernel`, F, [8, 3, 3, 3], rng.uniformArray(216, -0.5, 0.5));
  const b1 = b.initializer(`${LONG}/conv1/bias`, F, [8], rng.uniformArray(8, -0.1, 0.1));
  const c1 = b.node('Conv', [x, w1, b1], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: `${LONG}/conv1` });
  const r1 = b.node('Relu', [c1], {}, { name: `${LONG}/relu1` });
  const p1 = b.node('MaxPool', [r1], { kernel_shape: [2, 2], strides: [2, 2] }, { name: `${LONG}/pool1` });
  const w2 = b.initializer(`${LONG}/conv2/kernel`, F, [16, 8, 3, 3], rng.uniformArray(1152, -0.3, 0.3));
  const b2 = b.initializer(`${LONG}/conv2/bias`, F, [16], rng.uniformArray(16, -0.1, 0.1));
  const c2 = b.node('Conv', [p1, w2, b2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: `${LONG}/conv2` });
  const r2 = b.node('Relu', [c2], {}, { name: `${LONG}/relu2` });
  const shape = b.initializer(`${LONG}/shape`, DataType.INT64, [2], [1, 256]);
  const flat = b.node('Reshape', [r2, shape], {}, { name: `${LONG}/flatten` });
  const wm = b.initializer(`${LONG}/dense/kernel`, F, [256, 10], rng.uniformArray(2560, -0.2, 0.2));
  const mm = b.node('MatMul', [flat, wm], {}, { name: `${LONG}/dense/MatMul` });
  const bm = b.initializer(`${LONG}/dense/bias`, F, [10], rng.uniformArray(10, -0.1, 0.1));
  const y = b.node('Add', [mm, bm], {}, { name: `${LONG}/dense/BiasAdd` });
  b.output(y, F, [1, 10]);
  return b.build();
}

const feeds = (n: number, seed: number): Record<string, ort.Tensor>[] =>
  Array.from({ length: n }, (_, i) => ({ [`${LONG}/input`]: randomTensor([1, 3, 8, 8], seed + i) }));

const ops = (m: Model, op: string) => m.graph.nodes.filter((n) => n.opType === op);
const size = (m: Model) => encodeModel(m).length;

function originalNames(m: Model): Set<string> {
  const names = new Set<string>();
  for (const n of m.graph.nodes) for (const v of [n.name, ...n.inputs, ...n.outputs]) if (v) names.add(v);
  for (const t of m.graph.initializers) names.add(t.name);
  for (const v of [...m.graph.inputs, ...m.graph.outputs]) names.add(v.name);
  return names;
}

test('static operator form: QLinearConv/QLinearMatMul, MaxPool and Reshape on integers, smaller, same outputs as QDQ', async () => {
  const model = net();
  const calibration = { feeds: feeds(8, 10) };
  const qdq = await quantizeStatic(model, { calibration });
  const op = await quantizeStatic(model, { calibration, format: 'operator' });
  assert.equal(ops(op.model, 'QLinearConv').length, 2, 'both Convs became QLinearConv');
  assert.equal(ops(op.model, 'QLinearMatMul').length, 1, 'the MatMul became QLinearMatMul');
  assert.equal(ops(op.model, 'Conv').length + ops(op.model, 'MatMul').length, 0, 'no float Conv/MatMul left');
  // No bias scale: QLinearConv reads the int32 bias directly, and no DequantizeLinear reads an int32 tensor.
  const inits = new Map(op.model.graph.initializers.map((t) => [t.name, t]));
  for (const dq of ops(op.model, 'DequantizeLinear')) {
    assert.notEqual(inits.get(dq.inputs[0])?.dataType, DataType.INT32, 'no DequantizeLinear on a bias');
  }
  for (const conv of ops(op.model, 'QLinearConv')) {
    assert.equal(conv.inputs.length, 9, 'QLinearConv has its bias');
    assert.equal(inits.get(conv.inputs[8])?.dataType, DataType.INT32, 'an int32 bias');
  }
  // MaxPool and Reshape read the integer tensors: no pair around them.
  const pool = op.model.graph.nodes.find((n) => n.name === `${LONG}/pool1`);
  const flat = op.model.graph.nodes.find((n) => n.name === `${LONG}/flatten`);
  const producers = new Map(op.model.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  assert.equal(producers.get(pool?.inputs[0] ?? '')?.opType, 'QLinearConv', 'MaxPool reads the QLinearConv output');
  assert.equal(producers.get(flat?.inputs[0] ?? '')?.opType, 'QLinearConv', 'Reshape reads the QLinearConv output');
  // The converted layers keep their node and output names.
  for (const name of [`${LONG}/conv1`, `${LONG}/conv2`, `${LONG}/dense/MatMul`]) {
    const before = model.graph.nodes.find((n) => n.name === name);
    const after = op.model.graph.nodes.find((n) => n.name === name);
    assert.ok(after, `${name} keeps its name`);
    assert.equal(after.outputs[0], before?.outputs[0], `${name} keeps its output name`);
  }
  assert.ok(
    op.model.graph.nodes.length < qdq.model.graph.nodes.length,
    `fewer nodes: ${op.model.graph.nodes.length} < ${qdq.model.graph.nodes.length}`,
  );
  assert.ok(size(op.model) < size(qdq.model), `smaller: ${size(op.model)} < ${size(qdq.model)} bytes`);
  assert.ok(
    op.report.notes.some((n) => /operator form: 2 QLinearConv/.test(n)),
    op.report.notes.join(' | '),
  );
  // ONNX Runtime fuses the QDQ graph into the same integer kernels: the outputs agree closely.
  const held = feeds(4, 500);
  const same = await worstCosine(qdq.model, op.model, held);
  assert.ok(same >= 0.999, `operator form vs QDQ cosine ${same}`);
  const vsFloat = await worstCosine(model, op.model, held);
  assert.ok(vsFloat >= 0.99, `operator form vs float cosine ${vsFloat}`);
  const out = await runModel(op.model, held[0]);
  assert.equal(out[model.graph.outputs[0].name].type, 'float32', 'the model output stays float32');
});

test('weights without zero points: DequantizeLinear reads two inputs, runs in ONNX Runtime, values within scale/2', async () => {
  const model = net();
  const { model: q } = await quantizeDynamic(model, {});
  const inits = new Map(q.graph.initializers.map((t) => [t.name, t]));
  const dqs = ops(q, 'DequantizeLinear');
  assert.equal(dqs.length, 3, 'three weights behind DequantizeLinear');
  // The same model with each DequantizeLinear replaced by the float values it must produce.
  const ref: Model = {
    ...q,
    graph: { ...q.graph, nodes: [...q.graph.nodes], initializers: [...q.graph.initializers] },
  };
  for (const dq of dqs) {
    assert.equal(dq.inputs.length, 2, 'no zero-point input (int8 symmetric: 0 is the default)');
    assert.equal(dq.name, '', 'the inserted node is unnamed');
    const data = inits.get(dq.inputs[0]) as Tensor;
    const scale = inits.get(dq.inputs[1]) as Tensor;
    assert.equal(data.dataType, DataType.INT8);
    const qv = await readTensorValues(data);
    const sv = await readTensorValues(scale);
    const axisAttr = dq.attributes.find((a) => a.name === 'axis');
    const axis = axisAttr?.type === 'int' ? Number(axisAttr.value) : 1;
    const inner = data.dims.slice(axis + 1).reduce((a, d) => a * d, 1);
    const channelOf = (i: number) => (sv.length === 1 ? 0 : Math.floor(i / inner) % data.dims[axis]);
    const deq = Float32Array.from(qv as Int8Array, (v, i) => v * (sv[channelOf(i)] as number));
    const original = model.graph.initializers.find((t) => t.name === data.name) as Tensor;
    assert.ok(original, `the quantized weight keeps the name '${data.name}'`);
    const w = await readTensorValues(original);
    for (let i = 0; i < w.length; i++) {
      const half = (sv[channelOf(i)] as number) / 2;
      assert.ok(Math.abs(deq[i] - (w[i] as number)) <= half * (1 + 1e-6), `${data.name}[${i}] within scale/2`);
    }
    ref.graph.nodes = ref.graph.nodes.filter((n) => n !== dq);
    ref.graph.initializers.push({
      name: dq.outputs[0],
      dataType: F,
      dims: [...data.dims],
      data: { kind: 'float', values: deq },
    });
  }
  // Optimizations off: ONNX Runtime would otherwise turn DequantizeLinear -> MatMul into its own dynamic kernels.
  const plain = async (m: Model, f: Record<string, ort.Tensor>) => {
    const s = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'disabled' });
    try {
      return await s.run(f);
    } finally {
      await s.release();
    }
  };
  for (const f of feeds(2, 40)) {
    const a = await plain(q, f);
    const b = await plain(ref, f);
    for (const k of Object.keys(a)) {
      const x = a[k].data as Float32Array;
      const y = b[k].data as Float32Array;
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= 1e-5, `${k}[${i}]: ${x[i]} vs ${y[i]}`);
    }
  }
});

test('per-channel scales that are all equal are stored once (per tensor); different ones stay per channel', () => {
  const same = Float32Array.from({ length: 24 }, (_, i) => ((i % 6) - 3) * 0.1);
  // Every channel (6 values each) spans [-0.3, 0.2]: the same absolute maximum, the same scale.
  const q = quantizeWeight(same, [4, 6], { type: 'int8', axis: 0 });
  assert.equal(q.scales.length, 1, 'one scale');
  assert.equal(q.axis, undefined, 'no axis: per tensor');
  const different = Float32Array.from({ length: 24 }, (_, i) => (i + 1) * 0.01);
  const p = quantizeWeight(different, [4, 6], { type: 'int8', axis: 0 });
  assert.equal(p.scales.length, 4, 'one scale per channel');
  assert.equal(p.axis, 0);
  for (let i = 0; i < 24; i++) {
    const s = p.scales[Math.floor(i / 6)];
    assert.ok(Math.abs(p.values[i] * s - different[i]) <= s / 2 + 1e-9, `value ${i} within scale/2`);
  }
});

test('identical inserted constants are shared; tensors of the user are never merged', () => {
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', F, [2]);
  const u1 = b.initializer('user_a', F, [], [0.5]);
  const u2 = b.initializer('user_b', F, [], [0.5]);
  const s1 = b.initializer('s0', F, [], [0.25]);
  const s2 = b.initializer('s1', F, [], [0.25]);
  const s3 = b.initializer('s2', F, [], [0.75]);
  let v = x;
  for (const c of [u1, u2, s1, s2, s3]) v = b.node('Mul', [v, c]);
  b.output(v, F, [2]);
  const g = b.build().graph;
  const user = new Set(['user_a', 'user_b']);
  const shared = shareIdenticalInitializers(g, (n) => !user.has(n));
  assert.deepEqual(
    shared.initializers.map((t) => t.name),
    ['user_a', 'user_b', 's0', 's2'],
    'the second 0.25 goes, the user tensors stay',
  );
  assert.deepEqual(
    shared.nodes.map((n) => n.inputs[1]),
    ['user_a', 'user_b', 's0', 's0', 's2'],
    'its reader reads the first',
  );
});

test('inserted names are compact, inserted nodes unnamed, original names kept (QDQ, operator form, dynamic, FP16)', async () => {
  const model = net();
  const original = originalNames(model);
  const calibration = { feeds: feeds(4, 60) };
  const runs: [string, () => Promise<{ model: Model }>][] = [
    ['static', () => quantizeStatic(model, { calibration })],
    ['static operator', () => quantizeStatic(model, { calibration, format: 'operator' })],
    ['dynamic', () => quantizeDynamic(model, {})],
    ['dynamic operator', () => quantizeDynamic(model, { format: 'operator' })],
    ['fp16', () => convertToFloat16(model, {})],
  ];
  for (const [label, run] of runs) {
    const { model: out } = await run();
    const inserted = new Set<string>();
    for (const n of out.graph.nodes) {
      for (const v of [...n.inputs, ...n.outputs]) if (v && !original.has(v)) inserted.add(v);
      if (n.name && !original.has(n.name)) assert.fail(`${label}: inserted node named '${n.name}'`);
      assert.equal(n.docString, undefined, `${label}: no doc string on ${n.opType}`);
    }
    for (const t of out.graph.initializers) if (!original.has(t.name)) inserted.add(t.name);
    assert.ok(inserted.size > 0, `${label} inserts values`);
    const longest = Math.max(...[...inserted].map((s) => s.length));
    assert.ok(longest <= 3, `${label}: longest inserted name has ${longest} characters: ${[...inserted].join(', ')}`);
    for (const name of [`${LONG}/conv1`, `${LONG}/conv2`]) {
      assert.ok(
        out.graph.nodes.some((n) => n.name === name),
        `${label} keeps the node name ${name}`,
      );
    }
    assert.deepEqual(
      out.graph.outputs.map((o) => o.name),
      model.graph.outputs.map((o) => o.name),
      `${label} keeps the output names`,
    );
  }
});

test('measureModelBytes: categories add up to the file size and find the integer weights, biases and scales', async () => {
  const model = net();
  const { model: q } = await quantizeStatic(model, { calibration: { feeds: feeds(4, 70) } });
  const b = measureModelBytes(q, model);
  assert.equal(b.total, size(q), 'total is the encoded size');
  const parts =
    b.intWeights +
    b.intBiases +
    b.weightScales +
    b.weightZeroPoints +
    b.activationParams +
    b.floatTensors +
    b.otherTensors +
    b.originalNodes +
    b.insertedNodes +
    b.valueInfo +
    b.io +
    b.rest;
  assert.equal(parts, b.total, 'the categories add up');
  const weightElements = 216 + 1152 + 2560;
  assert.ok(
    b.intWeights >= weightElements && b.intWeights < weightElements + 400,
    `int8 weights ${b.intWeights} bytes for ${weightElements} elements`,
  );
  assert.ok(b.intBiases >= 24 * 4, `int32 biases ${b.intBiases} bytes`);
  assert.ok(b.weightScales >= (8 + 16 + 10) * 4, `per-channel scales ${b.weightScales} bytes`);
  assert.ok(b.insertedNodes > 0 && b.originalNodes > 0, 'inserted and original nodes told apart');
  assert.equal(b.floatTensors, 0, 'nothing left in float32');
});

test('BatchNormalization folding replaces the Conv weight under its own name (no new long names)', async () => {
  const rng = new Rng(5);
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', F, [1, 2, 4, 4]);
  const w = b.initializer('conv.weight', F, [3, 2, 1, 1], rng.uniformArray(6, -1, 1));
  const c = b.node('Conv', [x, w], { kernel_shape: [1, 1] }, { name: 'conv' });
  const p = (name: string, lo: number, hi: number) => b.initializer(name, F, [3], rng.uniformArray(3, lo, hi));
  const y = b.node('BatchNormalization', [c, p('g', 0.5, 1.5), p('beta', -1, 1), p('mean', -1, 1), p('var', 0.5, 2)]);
  b.output(y, F, [1, 3, 4, 4]);
  const model = b.build();
  const { model: out } = await preprocessModel(model, {});
  const conv = out.graph.nodes.find((n) => n.name === 'conv');
  assert.ok(conv && out.graph.nodes.length === 1, 'the BatchNormalization is folded into the Conv');
  assert.equal(conv.inputs[1], 'conv.weight', 'the folded weight keeps its name');
  assert.ok(conv.inputs[2].length <= 3, `the new bias has a short name: '${conv.inputs[2]}'`);
  const f = { x: randomTensor([1, 2, 4, 4], 9) };
  const a = (await runModel(model, f))[y].data as Float32Array;
  const r = (await runModel(out, f))[y].data as Float32Array;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - r[i]) < 1e-5, `output ${i}: ${a[i]} vs ${r[i]}`);
});

test('fp16: compact Cast names and nothing left in float32 but the kept inputs and outputs', async () => {
  const model = net();
  const { model: out } = await convertToFloat16(model, {});
  const b = measureModelBytes(out, model);
  const f32 = out.graph.initializers.filter((t) => t.dataType === F);
  assert.deepEqual(
    f32.map((t) => t.name),
    [],
    'no float32 initializer',
  );
  assert.ok(b.insertedNodeNames === 0, 'the Casts are unnamed');
  assert.ok(
    ops(out, 'Cast').every((n) => n.name === ''),
    'unnamed Casts',
  );
});

test('operator form with uint8 weights, int8 activations or per-tensor weights: loads and matches the QDQ form', async () => {
  const model = net();
  const calibration = { feeds: feeds(4, 80) };
  const held = feeds(2, 700);
  for (const v of [{ weightType: 'uint8' }, { activationType: 'int8' }, { perChannel: false }] as const) {
    const qdq = await quantizeStatic(model, { calibration, ...v });
    const op = await quantizeStatic(model, { calibration, format: 'operator', ...v });
    assert.ok(ops(op.model, 'QLinearMatMul').length === 1, `${JSON.stringify(v)}: QLinearMatMul`);
    // uint8 per-channel weights have one zero point per channel, which QLinearConv (in ONNX Runtime) cannot take:
    // those Convs stay in QDQ form.
    const convs = ops(op.model, 'QLinearConv').length;
    assert.equal(convs, v.weightType === 'uint8' ? 0 : 2, `${JSON.stringify(v)}: ${convs} QLinearConv`);
    assert.ok(size(op.model) < size(qdq.model), `${JSON.stringify(v)}: smaller`);
    const c = await worstCosine(qdq.model, op.model, held);
    assert.ok(c >= 0.999, `${JSON.stringify(v)}: cosine to the QDQ form ${c}`);
  }
});
