import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { readTensorValues } from '../../src/core/onnx/tensor.js';
import { quantizeStatic, sensitiveNodes } from '../../src/core/transforms/quantizeStatic.js';
import { randomTensor, runModel, worstCosine } from '../helpers/ort.js';

const F = DataType.FLOAT;

/** input -> Conv -> Relu -> Conv -> Clip(0, 6) -> Reshape -> Gemm -> Softmax, seeded weights. */
function convNet(): Model {
  const rng = new Rng(7);
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', F, [1, 3, 8, 8]);
  const w1 = b.initializer('w1', F, [8, 3, 3, 3], rng.uniformArray(8 * 27, -0.5, 0.5));
  const b1 = b.initializer('b1', F, [8], rng.uniformArray(8, -0.1, 0.1));
  const c1 = b.node('Conv', [x, w1, b1], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv1' });
  const r1 = b.node('Relu', [c1], {}, { name: 'relu1' });
  const w2 = b.initializer('w2', F, [8, 8, 3, 3], rng.uniformArray(8 * 72, -0.3, 0.3));
  const c2 = b.node('Conv', [r1, w2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, { name: 'conv2' });
  const lo = b.initializer('lo', F, [], [0]);
  const hi = b.initializer('hi', F, [], [6]);
  const r2 = b.node('Clip', [c2, lo, hi], {}, { name: 'clip2' });
  const shape = b.initializer('shape', DataType.INT64, [2], [1, 128]);
  const flat = b.node('Reshape', [r2, shape], {}, { name: 'flat' });
  const wf = b.initializer('wf', F, [128, 5], rng.uniformArray(640, -0.2, 0.2));
  const logits = b.node('Gemm', [flat, wf], {}, { name: 'fc' });
  const y = b.node('Softmax', [logits], { axis: 1 }, { name: 'softmax' });
  b.output(y, F, [1, 5]);
  return b.build();
}

const samples = (n: number, seed: number): Record<string, ort.Tensor>[] =>
  Array.from({ length: n }, (_, i) => ({ x: randomTensor([1, 3, 8, 8], seed + i) }));

const ops = (m: Model, op: string) => m.graph.nodes.filter((n) => n.opType === op);

test('a Relu or Clip(0, 6) after a Conv is folded into the Conv output quantization (zero point 0)', async () => {
  const model = convNet();
  const calibration = { feeds: samples(8, 100) };
  const folded = await quantizeStatic(model, { calibration });
  assert.equal(ops(folded.model, 'Relu').length, 0, 'the Relu is gone');
  assert.equal(ops(folded.model, 'Clip').length, 0, 'the Clip is gone');
  assert.ok(
    folded.report.notes.some((n) => /2 Relu\/Clip nodes folded/.test(n)),
    `the report says so: ${folded.report.notes.join(' | ')}`,
  );
  // The Conv output feeds a QuantizeLinear whose zero point is 0 (uint8 default, left out) or an explicit 0.
  for (const conv of ['conv1', 'conv2']) {
    const out = folded.model.graph.nodes.find((n) => n.name === conv)?.outputs[0];
    const q = folded.model.graph.nodes.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === out);
    assert.ok(q, `${conv}'s output is quantized`);
    const zp = q.inputs[2] ? folded.model.graph.initializers.find((t) => t.name === q.inputs[2]) : undefined;
    assert.ok(!zp || (await readTensorValues(zp))[0] === 0, `${conv}: zero point 0`);
  }
  const kept = await quantizeStatic(model, { calibration, fuseActivations: false });
  assert.equal(ops(kept.model, 'Relu').length, 1, 'without folding the Relu stays');
  assert.ok(
    ops(kept.model, 'QuantizeLinear').length > ops(folded.model, 'QuantizeLinear').length,
    'and the Conv outputs get pairs of their own',
  );
  const held = samples(4, 900);
  const c = await worstCosine(model, folded.model, held);
  assert.ok(c >= 0.99, `folded model cosine ${c} on held-out inputs`);
});

test('pairs with equal parameters share their scale initializer (the Reshape keeps its input scale)', async () => {
  const model = convNet();
  const q = await quantizeStatic(model, { calibration: { feeds: samples(4, 200) } });
  const qs = ops(q.model, 'QuantizeLinear');
  const scales = new Set(qs.map((n) => n.inputs[1]));
  assert.ok(scales.size < qs.length, `${qs.length} QuantizeLinear nodes, ${scales.size} scale initializers`);
  const flat = q.model.graph.nodes.find((n) => n.name === 'flat');
  const after = qs.find((n) => n.inputs[0] === flat?.outputs[0]);
  const before = q.model.graph.nodes.find((n) => n.opType === 'DequantizeLinear' && n.outputs[0] === flat?.inputs[0]);
  assert.ok(after && before, 'the Reshape is between a DequantizeLinear and a QuantizeLinear');
  assert.equal(after.inputs[1], before.inputs[1], 'same scale initializer on both sides of the Reshape');
});

test('sensitiveNodes: the first weighted layer and everything from the last one to the output', () => {
  const names = sensitiveNodes(convNet()).sort();
  assert.deepEqual(names, ['conv1', 'fc', 'softmax']);
});

test('a dead channel (weights ~1e-30) gets a larger weight scale so that its bias still fits int32', async () => {
  const rng = new Rng(11);
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', F, [1, 2, 6, 6]);
  const w = rng.uniformArray(4 * 2 * 9, -0.5, 0.5);
  for (let k = 18; k < 36; k++) w[k] = 1e-30 * (k % 3); // output channel 1 is dead
  const wt = b.initializer('w', F, [4, 2, 3, 3], w);
  const bias = b.initializer('bias', F, [4], [0.1, 0.25, -0.2, 0.05]);
  const y = b.node('Conv', [x, wt, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  b.output(y, F, [1, 4, 6, 6]);
  const model = b.build();
  const q = await quantizeStatic(model, { calibration: { feeds: samplesFor(x, 4, 300) } });
  const biasInit = q.model.graph.initializers.find((t) => t.name === 'bias');
  assert.equal(biasInit?.dataType, DataType.INT32, 'the bias is int32, not left in float');
  assert.ok(
    q.report.notes.some((n) => /near-zero channels got larger scales/.test(n)),
    `the report says so: ${q.report.notes.join(' | ')}`,
  );
  const c = await worstCosine(model, q.model, samplesFor(x, 2, 950));
  assert.ok(c >= 0.99, `cosine ${c}`);
});

function samplesFor(name: string, n: number, seed: number): Record<string, ort.Tensor>[] {
  return Array.from({ length: n }, (_, i) => ({ [name]: randomTensor([1, 2, 6, 6], seed + i) }));
}

test('bias correction takes the mean shift of weight rounding off the bias', async () => {
  // Every channel: one weight of 1, the other 26 of 0.0123, which int8 (scale 1/127) rounds up to 2/127 = 0.01575:
  // a bias of +0.00345 per weight, times positive inputs (mean 0.5), that averaging does not remove.
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', F, [1, 3, 6, 6]);
  const w = new Float32Array(4 * 27).fill(0.0123);
  for (let o = 0; o < 4; o++) w[o * 27] = 1;
  const wt = b.initializer('w', F, [4, 3, 3, 3], w);
  const bias = b.initializer('bias', F, [4], [0.1, -0.1, 0.2, 0]);
  const y = b.node('Conv', [x, wt, bias], { kernel_shape: [3, 3] }, { name: 'conv' });
  b.output(y, F, [1, 4, 4, 4]);
  const model = b.build();
  const positive = (n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => ({
      x: new ort.Tensor('float32', new Rng(seed + i).uniformArray(3 * 36, 0, 1), [1, 3, 6, 6]),
    }));
  const calibration = { feeds: positive(8, 40) };
  const meanError = async (m: Model) => {
    let sum = 0;
    let n = 0;
    for (const f of positive(4, 700)) {
      const ref = Object.values(await runModel(model, f))[0].data as Float32Array;
      const got = Object.values(await runModel(m, f))[0].data as Float32Array;
      for (let i = 0; i < got.length; i++) {
        sum += got[i] - ref[i];
        n++;
      }
    }
    return Math.abs(sum / n);
  };
  const withCorrection = await quantizeStatic(model, { calibration });
  const without = await quantizeStatic(model, { calibration, biasCorrection: false });
  assert.ok(
    withCorrection.report.notes.some((n) => /bias correction on 1 layer/.test(n)),
    `reported: ${withCorrection.report.notes.join(' | ')}`,
  );
  const e1 = await meanError(withCorrection.model);
  const e0 = await meanError(without.model);
  assert.ok(e0 > 0.02, `without correction the outputs are shifted by ${e0}`);
  assert.ok(e1 < e0 / 4, `with correction the mean error ${e1} is well below ${e0}`);
});

test('a weight shared by two Convs is quantized once, and both biases fit its (raised) scales', async () => {
  const rng = new Rng(12);
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', F, [1, 2, 6, 6]);
  const w = rng.uniformArray(2 * 2 * 9, -0.5, 0.5);
  for (let k = 18; k < 36; k++) w[k] = 1e-31; // output channel 1 is dead
  const wt = b.initializer('w', F, [2, 2, 3, 3], w);
  const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
  const b1 = b.initializer('b1', F, [2], [0.1, 0.3]);
  const b2 = b.initializer('b2', F, [2], [-0.2, 0.4]);
  const y1 = b.node('Conv', [x, wt, b1], attrs, { name: 'conv1' });
  const y2 = b.node('Conv', [y1, wt, b2], attrs, { name: 'conv2' });
  b.output(y2, F, [1, 2, 6, 6]);
  const model = b.build();
  const q = await quantizeStatic(model, { calibration: { feeds: samplesFor(x, 4, 500) }, fuseActivations: false });
  const weightDq = q.model.graph.nodes.filter((n) => n.opType === 'DequantizeLinear' && /^w/.test(n.inputs[0]));
  assert.equal(new Set(weightDq.map((n) => n.inputs[0])).size, 1, 'one quantized copy of the shared weight');
  for (const name of ['b1', 'b2']) {
    assert.equal(q.model.graph.initializers.find((t) => t.name === name)?.dataType, DataType.INT32, `${name} is int32`);
  }
  const c = await worstCosine(model, q.model, samplesFor(x, 2, 960));
  assert.ok(c >= 0.99, `cosine ${c}`);
});
