import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, makeTensor, Rng } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model, Node, Tensor } from '../../src/core/onnx/ir.js';
import { mobileNetLike, mobileNetV1, transformerBlock } from '../../src/core/onnx/syntheticModels.js';
import { readTensorValues } from '../../src/core/onnx/tensor.js';
import { validateModel } from '../../src/core/onnx/validate.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { calibrate, RangeCollector } from '../../src/core/transforms/calibration.js';
import { convertToFloat16 } from '../../src/core/transforms/fp16.js';
import {
  findQuantizedOperators,
  quantizeDynamic,
  quantizeWeight,
  upgradeOpset,
  weightIntRange,
} from '../../src/core/transforms/quantize.js';
import { quantizeStatic } from '../../src/core/transforms/quantizeStatic.js';
import { TransformError } from '../../src/core/transforms/types.js';
import { cosine, runModel } from '../helpers/ort.js';

const F = DataType.FLOAT;

// ---------------------------------------------------------------------------------------------------------------
// Helpers, independent of the transforms under test

/** Deterministic float inputs uniform in [-1, 1) for every graph input, one draw per seed. */
function feedsFor(model: Model, seed: number): Record<string, ort.Tensor> {
  const rng = new Rng(seed);
  const feeds: Record<string, ort.Tensor> = {};
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  for (const v of model.graph.inputs) {
    if (inits.has(v.name) || v.type?.kind !== 'tensor') continue;
    const shape = (v.type.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    feeds[v.name] = new ort.Tensor('float32', rng.uniformArray(n, -1, 1), shape);
  }
  return feeds;
}

/** The smallest cosine similarity over all outputs of the float model and the transformed one, on the same input. */
async function outputCosine(original: Model, transformed: Model, seed = 99): Promise<number> {
  const feeds = feedsFor(original, seed);
  const a = await runModel(original, feeds);
  const b = await runModel(transformed, feeds);
  let worst = 1;
  for (const name of Object.keys(a)) {
    assert.ok(b[name], `output '${name}' is missing from the transformed model`);
    assert.equal(b[name].type, a[name].type, `output '${name}' keeps its element type`);
    worst = Math.min(worst, cosine(a[name].data as Float32Array, b[name].data as Float32Array));
  }
  return worst;
}

function assertValid(model: Model, what: string): void {
  const errors = validateModel(model).filter((p) => p.severity === 'error');
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
    `${what}: validateModel reports no errors`,
  );
}

const size = (m: Model) => encodeModel(m).length;
const count = (m: Model, op: string) => m.graph.nodes.filter((n) => n.opType === op).length;
const init = (m: Model, name: string) => m.graph.initializers.find((t) => t.name === name);

/**
 * For every weight of `original` that `quantized` reads through a DequantizeLinear whose data initializer has the
 * weight's name, the dequantized values ((q - zp) * scale, per channel along `axis`) and the largest |error| / scale.
 */
async function dequantizedWeights(
  original: Model,
  quantized: Model,
): Promise<{ name: string; worst: number; perChannel: boolean; dataType: number }[]> {
  const out: { name: string; worst: number; perChannel: boolean; dataType: number }[] = [];
  for (const dq of quantized.graph.nodes.filter((n: Node) => n.opType === 'DequantizeLinear')) {
    const data = init(quantized, dq.inputs[0]);
    const orig = init(original, dq.inputs[0]);
    if (!data || !orig || orig.dataType !== F) continue;
    const q = await readTensorValues(data);
    const w = (await readTensorValues(orig)) as Float32Array;
    const scales = (await readTensorValues(init(quantized, dq.inputs[1]) as Tensor)) as Float32Array;
    const zpT = dq.inputs[2] ? init(quantized, dq.inputs[2]) : undefined;
    const zps = zpT ? Array.from(await readTensorValues(zpT), Number) : [0];
    const axisAttr = dq.attributes.find((a) => a.name === 'axis');
    const axis = axisAttr?.type === 'int' ? Number(axisAttr.value) : 1;
    const perChannel = scales.length > 1;
    const inner = data.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    let worst = 0;
    for (let i = 0; i < w.length; i++) {
      const c = perChannel ? Math.floor(i / inner) % data.dims[axis] : 0;
      const deq = (Number(q[i]) - zps[perChannel && zps.length > 1 ? c : 0]) * scales[c];
      worst = Math.max(worst, Math.abs(deq - w[i]) / scales[c]);
    }
    out.push({ name: dq.inputs[0], worst, perChannel, dataType: data.dataType });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Numerics

test('quantized weights dequantize to within scale/2, per tensor and per channel, int8 and uint8, reduced range', () => {
  const rng = new Rng(5);
  const dims = [6, 3, 3, 3];
  const w = rng.normalArray(6 * 27, 0.3);
  w[4] = 2.5; // an outlier in channel 0
  w[40] = -1.7;
  for (const type of ['int8', 'uint8'] as const) {
    for (const axis of [undefined, 0, 1]) {
      for (const reduceRange of [false, true]) {
        const q = quantizeWeight(w, dims, { type, axis, reduceRange });
        const range = weightIntRange(type, reduceRange);
        const inner = axis === undefined ? w.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
        const channels = axis === undefined ? 1 : dims[axis];
        assert.equal(q.scales.length, channels, `${type} axis ${axis}: one scale per channel`);
        for (let i = 0; i < w.length; i++) {
          const c = axis === undefined ? 0 : Math.floor(i / inner) % channels;
          assert.ok(q.values[i] >= range.qmin && q.values[i] <= range.qmax, `value ${i} within the integer range`);
          const deq = (q.values[i] - q.zeroPoints[c]) * q.scales[c];
          assert.ok(
            Math.abs(deq - w[i]) <= (q.scales[c] / 2) * (1 + 1e-5),
            `${type} axis ${axis} reduce ${reduceRange}: |${deq} - ${w[i]}| <= ${q.scales[c] / 2}`,
          );
        }
        if (type === 'int8')
          assert.ok(
            q.zeroPoints.every((z) => z === 0),
            'signed weights are symmetric',
          );
        else
          assert.ok(
            q.zeroPoints.every((z) => z >= range.qmin && z <= range.qmax),
            'zero points in range: 0 is exact',
          );
      }
    }
  }
  const zeros = quantizeWeight(new Float32Array(8), [8], { type: 'int8' });
  assert.ok(
    zeros.scales[0] > 0 && zeros.values.every((v) => v === 0),
    'an all-zero tensor gets a positive scale and zeros',
  );
});

test('range collection: min/max, percentile clips outliers, entropy keeps a sensible threshold, re-binning keeps counts', () => {
  const rng = new Rng(11);
  const c = new RangeCollector(2048, true);
  const relu = new RangeCollector(2048, true);
  for (let b = 0; b < 6; b++) {
    // Each batch wider than the last: the histogram is re-binned five times.
    const d = rng.normalArray(20000, 1 + b * 0.2);
    c.add(d);
    relu.add(d.map((v) => Math.max(0, v)));
  }
  c.add(Float32Array.of(40)); // one outlier
  const mm = c.range('minmax');
  assert.equal(mm.max, 40, 'min/max sees the outlier');
  const p = c.range('percentile', 99.99);
  assert.ok(p.max < 10 && p.max > 3, `percentile 99.99 clips the outlier (${p.max})`);
  assert.ok(p.min < -3 && p.min > -10, `and the low tail (${p.min})`);
  const e = relu.range('entropy');
  assert.equal(e.min, 0, 'a ReLU output keeps 0 as its lower bound');
  assert.ok(e.max > 2 && e.max <= relu.max, `entropy threshold ${e.max} between 2 and the max ${relu.max}`);
  assert.equal(c.count, 6 * 20000 + 1, 'every value counted');
});

// ---------------------------------------------------------------------------------------------------------------
// Dynamic quantization

test('dynamic QDQ: weights in the model dequantize to within scale/2 of the float weights (per channel and per tensor)', async () => {
  const model = mobileNetLike({ blocks: 4 });
  for (const perChannel of [true, false]) {
    for (const weightType of ['int8', 'uint8'] as const) {
      const { model: q, report } = await quantizeDynamic(model, { perChannel, weightType });
      assertValid(q, `dynamic ${weightType} perChannel=${perChannel}`);
      const weights = await dequantizedWeights(model, q);
      const convs = model.graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').length;
      assert.equal(weights.length, convs, `every Conv/Gemm weight is quantized (${report.notes.join(' ')})`);
      for (const w of weights) {
        assert.ok(w.worst <= 0.5 + 1e-5, `${w.name}: worst error ${w.worst} scales`);
        assert.equal(w.perChannel, perChannel, `${w.name}: per-channel = ${perChannel}`);
        assert.equal(w.dataType, weightType === 'int8' ? DataType.INT8 : DataType.UINT8, `${w.name}: element type`);
      }
      assert.equal(count(q, 'DequantizeLinear'), convs, 'one DequantizeLinear per weight');
    }
  }
});

test('dynamic INT8 in both forms runs in ONNX Runtime with cosine >= 0.99 on mobileNetLike and transformerBlock', async () => {
  for (const model of [mobileNetLike({ blocks: 4 }), transformerBlock()]) {
    for (const format of ['qdq', 'operator'] as const) {
      const { model: q, report } = await quantizeDynamic(model, { format });
      assertValid(q, `${model.graph.name} ${format}`);
      const cos = await outputCosine(model, q);
      assert.ok(cos >= 0.99, `${model.graph.name} ${format}: cosine ${cos}`);
      if (format === 'operator') {
        assert.ok(count(q, 'DynamicQuantizeLinear') > 0, 'activations are quantized at run time');
        const integer = count(q, 'MatMulInteger') + count(q, 'ConvInteger');
        assert.ok(integer > 0, `integer operators are used (${report.notes.join(' ')})`);
        const inits = new Set(model.graph.initializers.map((t) => t.name));
        const activationOnly = model.graph.nodes.filter((n) => n.opType === 'MatMul' && !inits.has(n.inputs[1])).length;
        assert.equal(
          count(q, 'MatMul') + count(q, 'Conv') + count(q, 'Gemm'),
          activationOnly,
          'only activation x activation MatMuls stay float',
        );
      } else {
        assert.equal(count(q, 'MatMulInteger') + count(q, 'ConvInteger'), 0, 'QDQ form keeps the float operators');
      }
    }
  }
});

test('exclusion lists: excluded nodes and operator types keep float weights; opTypes limits what is quantized', async () => {
  const model = mobileNetLike({ blocks: 4 });
  const byName = await quantizeDynamic(model, { excludeNodes: ['fc', 'stem.conv'] });
  assert.equal(init(byName.model, 'fc.weight')?.dataType, F, 'fc keeps its float weight');
  assert.equal(init(byName.model, 'stem.conv.weight')?.dataType, F, 'stem.conv keeps its float weight');
  assert.equal(init(byName.model, 'block0.dw.conv.weight')?.dataType, DataType.INT8, 'other convs are quantized');
  assert.ok(!byName.report.changedNodes.includes('fc'), 'fc is not reported as changed');
  assert.ok(
    byName.report.notes.some((n) => n.includes('excluded by name') && n.includes("'fc'")),
    'the report names the excluded nodes',
  );
  const byOp = await quantizeDynamic(model, { excludeOpTypes: ['Conv'] });
  assert.deepEqual(byOp.report.changedNodes, ['fc'], 'only the Gemm is quantized when Conv is excluded');
  const tb = transformerBlock();
  const onlyMatMul = await quantizeStatic(tb, {
    opTypes: ['MatMul'],
    excludeNodes: ['attn.q.matmul'],
    generated: { count: 2 },
  });
  assert.equal(init(onlyMatMul.model, 'attn.q.weight')?.dataType, F, 'excluded MatMul keeps its float weight');
  assert.equal(init(onlyMatMul.model, 'attn.k.weight')?.dataType, DataType.INT8, 'other MatMul weights are int8');
  const touched = new Set(onlyMatMul.report.changedNodes.map((n) => tb.graph.nodes.find((x) => x.name === n)?.opType));
  assert.deepEqual([...touched], ['MatMul'], 'static quantization touched MatMul nodes only');
  assert.equal(
    onlyMatMul.model.graph.nodes.filter((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'ln1_out').length,
    1,
    'the input of the quantized MatMuls is quantized once',
  );
});

test('an already-quantized model is refused with a clear message (QDQ input, ConvInteger input)', async () => {
  const model = mobileNetLike();
  const qdq = (await quantizeDynamic(model, {})).model;
  const integer = (await quantizeDynamic(model, { format: 'operator' })).model;
  const found = findQuantizedOperators(integer).join(', ');
  assert.ok(/ConvInteger/.test(found) && /MatMulInteger/.test(found) && /DynamicQuantizeLinear/.test(found), found);
  for (const [what, q] of [
    ['QDQ', qdq],
    ['ConvInteger', integer],
  ] as const) {
    for (const [name, run] of [
      ['dynamic', () => quantizeDynamic(q, {})],
      ['static', () => quantizeStatic(q, { generated: { count: 1 } })],
      ['fp16', () => convertToFloat16(q, {})],
    ] as const) {
      await assert.rejects(
        run(),
        (err: unknown) =>
          err instanceof TransformError &&
          err.code === 'already-quantized' &&
          /already quantized/.test(err.message) &&
          (what === 'QDQ' ? /DequantizeLinear/ : /ConvInteger/).test(err.message),
        `${name} refuses a ${what} model`,
      );
    }
  }
});

test('size: a weight-dominated model shrinks to <= 0.27x in INT8 (dynamic both forms, static) and <= 0.52x in FP16', async () => {
  const tb = transformerBlock({ hidden: 256, seqLen: 4 });
  const before = size(tb);
  const dyn = await quantizeDynamic(tb, {});
  const op = await quantizeDynamic(tb, { format: 'operator' });
  const st = await quantizeStatic(tb, { generated: { count: 2 } });
  const half = await convertToFloat16(tb, {});
  for (const [what, m, limit] of [
    ['dynamic qdq', dyn.model, 0.27],
    ['dynamic operator', op.model, 0.27],
    ['static', st.model, 0.27],
    ['fp16', half.model, 0.52],
  ] as const) {
    const ratio = size(m) / before;
    assert.ok(ratio <= limit, `${what}: ${ratio.toFixed(3)} of the float model (limit ${limit})`);
  }
  const cnn = mobileNetV1({ widthMultiplier: 0.5, inputSize: 32, batchNorm: 'folded' });
  const cnnRatio = size((await quantizeDynamic(cnn, {})).model) / size(cnn);
  assert.ok(cnnRatio <= 0.27, `MobileNetV1 0.5 dynamic INT8: ${cnnRatio.toFixed(3)}`);
  assert.ok((await outputCosine(cnn, (await quantizeDynamic(cnn, {})).model)) >= 0.99, 'and it still agrees');
});

// ---------------------------------------------------------------------------------------------------------------
// Static quantization

test('static QDQ with calibration data: mobileNetLike cosine >= 0.99 by min/max, percentile and entropy', async () => {
  const model = mobileNetLike({ blocks: 4 });
  const samples = Array.from({ length: 8 }, (_, i) => feedsFor(model, 1000 + i));
  for (const method of ['minmax', 'percentile', 'entropy'] as const) {
    const progress: number[] = [];
    const { model: q, report } = await quantizeStatic(model, {
      method,
      calibration: { feeds: samples, total: samples.length },
      onProgress: (p) => progress.push(p.done),
    });
    assertValid(q, `static ${method}`);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8], `${method}: one progress report per sample`);
    assert.ok(count(q, 'QuantizeLinear') > 10, `${method}: activations are quantized`);
    assert.ok(!report.warnings.some((w) => /GENERATED/.test(w)), 'real calibration data is not labelled as generated');
    const cos = await outputCosine(model, q);
    assert.ok(cos >= 0.99, `${method}: cosine ${cos}`);
    // Weights int8 per channel, biases int32 with scale = input scale x weight scale.
    const weights = (await dequantizedWeights(model, q)).filter((w) => w.dataType !== DataType.INT32);
    assert.ok(
      weights.length >= 10 && weights.every((w) => w.worst <= 0.5 + 1e-5 && w.perChannel),
      'int8 weights per channel within scale/2',
    );
    assert.equal(init(q, 'fc.bias')?.dataType, DataType.INT32, 'the Gemm bias is int32');
  }
  // Without bias correction the int32 biases are the float ones rounded (with it, they move by design).
  const plain = await quantizeStatic(model, { calibration: { feeds: samples }, biasCorrection: false });
  const biases = (await dequantizedWeights(model, plain.model)).filter((w) => w.dataType === DataType.INT32);
  assert.ok(
    biases.length >= 1 && biases.every((w) => w.worst <= 0.5 + 1e-5),
    `int32 biases within scale/2: ${biases.map((b) => b.worst.toFixed(3)).join(', ')}`,
  );
});

test('static quantization on generated inputs says so; calibration can be cancelled; ONNX tensors are accepted as samples', async () => {
  const model = mobileNetLike();
  const generated = await quantizeStatic(model, { generated: { count: 3 } });
  assert.ok(
    generated.report.warnings.some((w) => /GENERATED/.test(w) && /rough approximation/.test(w)),
    `generated calibration is labelled: ${generated.report.warnings.join(' | ')}`,
  );
  assert.ok((await outputCosine(model, generated.model)) >= 0.98, 'and still close on inputs from the same range');

  const controller = new AbortController();
  let seen = 0;
  async function* endless() {
    for (let i = 0; ; i++) yield feedsFor(model, i);
  }
  await assert.rejects(
    quantizeStatic(model, {
      calibration: { feeds: endless() },
      signal: controller.signal,
      onProgress: (p) => {
        seen = p.done;
        if (p.done === 2) controller.abort();
      },
    }),
    (err: unknown) => err instanceof TransformError && err.code === 'cancelled',
    'cancel stops calibration with a TransformError',
  );
  assert.equal(seen, 2, 'cancelled after the second sample');

  const rng = new Rng(3);
  const pb = [0, 1].map(() => ({
    input: makeTensor('input', F, [1, 3, 32, 32], rng.uniformArray(3 * 32 * 32, -1, 1)),
  }));
  const r = await calibrate(model, ['input', 'stem.conv_out', 'probabilities'], pb, { method: 'minmax' });
  assert.equal(r.samples, 2, 'two samples run');
  assert.ok(
    r.ranges.get('input')?.min !== undefined && (r.ranges.get('input')?.min as number) >= -1,
    'input range measured',
  );
  assert.ok(r.ranges.has('stem.conv_out') && r.ranges.has('probabilities'), 'intermediate and output ranges measured');
});

// ---------------------------------------------------------------------------------------------------------------
// Opset

/** An opset-11 model with the operators whose meaning or signature changed by opset 13. */
function opset11Model(): Model {
  const b = new GraphBuilder({ opset: 11 });
  const rng = new Rng(2);
  const x = b.input('x', F, [1, 4, 6]);
  const w = b.initializer('w', F, [8, 4, 3], rng.normalArray(96, 0.5));
  const conv = b.node('Conv', [x, w], { kernel_shape: [3], pads: [1, 1] }, { name: 'conv' }); // [1, 8, 6]
  const sm = b.node('Softmax', [conv], { axis: 1 }, { name: 'softmax' }); // old meaning: over 8 x 6
  const us = b.node('Unsqueeze', [sm], { axes: [0] }, { name: 'unsqueeze' }); // [1, 1, 8, 6]
  const sq = b.node('Squeeze', [us], { axes: [0] }, { name: 'squeeze' }); // [1, 8, 6]
  const [s1, s2] = b.nodeOutputs('Split', [sq], 2, { axis: 1, split: [3, 5] }, { name: 'split' });
  const r = b.node('ReduceSum', [s2], { axes: [1], keepdims: 1 }, { name: 'reduce' }); // [1, 1, 6]
  const y = b.node('Add', [s1, r], {}, { name: 'add' }); // [1, 3, 6]
  const m = b.node('MatMul', [y, b.initializer('m', F, [6, 16], rng.normalArray(96, 0.5))], {}, { name: 'mm' });
  b.output(m, F, [1, 3, 16]);
  return b.build();
}

test('opset upgrade 11 -> 13 keeps the results; quantization of an opset-11 model raises it for per-channel scales', async () => {
  const model = opset11Model();
  const up = upgradeOpset(model, 13);
  assertValid(up.model, 'upgraded');
  assert.equal(up.model.opsetImports.find((o) => o.domain === '')?.version, 13, 'opset 13');
  assert.ok(/Softmax/.test(up.notes[0]) && /Squeeze/.test(up.notes[0]), `the note lists the rewrites: ${up.notes[0]}`);
  const cos = await outputCosine(model, up.model);
  assert.ok(cos > 0.999999, `same results after the upgrade (cosine ${cos})`);
  const feeds = feedsFor(model, 4);
  const a = (await runModel(model, feeds)).mm_out.data as Float32Array;
  const b = (await runModel(up.model, feeds)).mm_out.data as Float32Array;
  assert.ok(
    a.every((v, i) => Math.abs(v - b[i]) <= 1e-5 * Math.max(1, Math.abs(v))),
    'element-wise equal',
  );

  const q = await quantizeDynamic(model, {});
  assert.ok(
    q.report.notes.some((n) => /raised the opset from 11 to 13/.test(n)),
    'the report says the opset was raised',
  );
  const dq = q.model.graph.nodes.filter((n) => n.opType === 'DequantizeLinear');
  assert.ok(
    dq.length === 2 && dq.every((n) => n.attributes.some((a) => a.name === 'axis')),
    'per-channel DequantizeLinear',
  );
  assert.ok((await outputCosine(model, q.model)) >= 0.99, 'quantized opset-11 model agrees');

  const noUp = await quantizeDynamic(model, { upgradeOpset: false });
  assert.equal(
    noUp.model.opsetImports.find((o) => o.domain === '')?.version,
    11,
    'opset kept when not allowed to raise it',
  );
  assert.ok(
    noUp.report.warnings.some((w) => /per tensor/.test(w)),
    'and the weights fall back to per tensor, with a warning',
  );
  assertValid(noUp.model, 'per-tensor opset 11');
  assert.ok((await outputCosine(model, noUp.model)) >= 0.99, 'per-tensor opset-11 model agrees');
});

test('an opset-9 model (Slice and Pad with attributes) is raised to opset 13 for QDQ and still agrees', async () => {
  const b = new GraphBuilder({ opset: 9 });
  const rng = new Rng(8);
  const x = b.input('x', F, [1, 2, 8, 8]);
  const p = b.node('Pad', [x], { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: 0.5 }, { name: 'pad' });
  const c = b.node(
    'Conv',
    [p, b.initializer('w', F, [4, 2, 3, 3], rng.normalArray(72, 0.4))],
    { kernel_shape: [3, 3] },
    { name: 'conv' },
  );
  const s = b.node('Slice', [c], { starts: [1], ends: [7], axes: [3] }, { name: 'slice' });
  b.node('Relu', [s], {}, { name: 'relu', outputs: ['y'] });
  b.output('y', F, [1, 4, 8, 6]);
  const model = b.build();
  const st = await quantizeStatic(model, { calibration: { feeds: [0, 1, 2].map((i) => feedsFor(model, i)) } });
  assertValid(st.model, 'opset 9 static');
  assert.equal(st.model.opsetImports.find((o) => o.domain === '')?.version, 13, 'raised to 13');
  assert.ok((await outputCosine(model, st.model)) >= 0.99, 'agrees with the float model');
});
