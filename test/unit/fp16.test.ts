import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float32ToFloat16Bits, GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { mobileNetLike, mobileNetV1, transformerBlock } from '../../src/core/onnx/syntheticModels.js';
import { float16ToFloat32, readTensorValues } from '../../src/core/onnx/tensor.js';
import { validateModel } from '../../src/core/onnx/validate.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { convertToFloat16, DEFAULT_FP16_BLOCK_LIST, FP16_DEFAULT_BLOCKED } from '../../src/core/transforms/fp16.js';
import { cosine } from '../helpers/ort.js';

const F = DataType.FLOAT;
const H = DataType.FLOAT16;

function feedsFor(model: Model, seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const v of model.graph.inputs) {
    if (v.type?.kind !== 'tensor') continue;
    const n = (v.type.shape ?? []).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
    out[v.name] = rng.uniformArray(n, -1, 1);
  }
  return out;
}

/** Runs the model, feeding float32 or float16 as its inputs declare; returns outputs as numbers with their ORT type. */
async function run(
  model: Model,
  values: Record<string, Float32Array>,
): Promise<Record<string, { type: string; data: number[] }>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const v of model.graph.inputs) {
    if (v.type?.kind !== 'tensor') continue;
    const shape = (v.type.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    const data = values[v.name];
    feeds[v.name] =
      v.type.elemType === H
        ? new ort.Tensor(
            'float16',
            Uint16Array.from(data, (x) => float32ToFloat16Bits(x)),
            shape,
          )
        : new ort.Tensor('float32', data, shape);
  }
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  try {
    const r = await session.run(feeds);
    const out: Record<string, { type: string; data: number[] }> = {};
    for (const [k, t] of Object.entries(r)) {
      const d = t.data as ArrayLike<number>;
      out[k] = { type: t.type, data: Array.from(d, (x) => (t.type === 'float16' ? float16ToFloat32(x) : x)) };
    }
    return out;
  } finally {
    await session.release();
  }
}

function assertValid(model: Model, what: string): void {
  const errors = validateModel(model).filter((p) => p.severity === 'error');
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
    `${what}: validateModel reports no errors`,
  );
}

const init = (m: Model, name: string) => m.graph.initializers.find((t) => t.name === name);
const elemType = (v: Model['graph']['inputs'][number]) => (v.type?.kind === 'tensor' ? v.type.elemType : undefined);

test('FP16 with keep-IO: float32 inputs and outputs, float16 weights, cosine >= 0.999 (mobileNetLike, transformerBlock)', async () => {
  for (const model of [mobileNetLike({ blocks: 4 }), transformerBlock()]) {
    const { model: h, report } = await convertToFloat16(model, {});
    assertValid(h, model.graph.name);
    assert.ok(
      h.graph.inputs.every((v) => elemType(v) === F) && h.graph.outputs.every((v) => elemType(v) === F),
      `${model.graph.name}: declared inputs and outputs stay float32`,
    );
    const x = feedsFor(model, 7);
    const a = await run(model, x);
    const b = await run(h, x);
    for (const name of Object.keys(a)) {
      assert.equal(b[name].type, 'float32', `${model.graph.name}: output '${name}' is float32 at run time`);
      const cos = cosine(a[name].data, b[name].data);
      assert.ok(cos >= 0.999, `${model.graph.name} '${name}': cosine ${cos}`);
    }
    const big = h.graph.initializers.filter((t) => t.dims.reduce((p, d) => p * d, 1) >= 16);
    assert.ok(big.length > 0, 'there are weights');
    const layerNormWeights = new Set(
      model.graph.nodes.filter((n) => n.opType === 'LayerNormalization').flatMap((n) => n.inputs.slice(1)),
    );
    for (const t of big) {
      assert.equal(
        t.dataType,
        layerNormWeights.has(t.name) ? F : H,
        `${t.name}: ${layerNormWeights.has(t.name) ? 'LayerNormalization (blocked) keeps float32' : 'float16'}`,
      );
    }
    assert.ok(report.changedNodes.length > 0, 'nodes were converted');
  }
});

test('FP16 without keep-IO: inputs and outputs become float16 and ONNX Runtime takes float16 feeds', async () => {
  const model = mobileNetLike();
  const { model: h } = await convertToFloat16(model, { keepIoTypes: false });
  assertValid(h, 'fp16 io');
  assert.equal(elemType(h.graph.inputs[0]), H, 'input is float16');
  assert.equal(elemType(h.graph.outputs[0]), H, 'output is float16');
  const x = feedsFor(model, 3);
  const a = await run(model, x);
  const b = await run(h, x);
  assert.equal(b.probabilities.type, 'float16', 'ONNX Runtime returns float16');
  assert.ok(cosine(a.probabilities.data, b.probabilities.data) >= 0.999, 'and agrees');
});

test('block lists: the default list keeps LayerNormalization in float32 with Casts around it; node blocks and an empty list work', async () => {
  const model = transformerBlock();
  assert.ok(
    DEFAULT_FP16_BLOCK_LIST.includes('LayerNormalization') && FP16_DEFAULT_BLOCKED.LayerNormalization.length > 20,
    'the default list says why',
  );
  const def = await convertToFloat16(model, {});
  const ln = def.model.graph.nodes.find((n) => n.name === 'ln2');
  assert.ok(ln, 'ln2 is still there');
  const producer = def.model.graph.nodes.find((n) => n.outputs.includes(ln?.inputs[0] ?? ''));
  assert.equal(producer?.opType, 'Cast', 'a blocked node reads its float16 input through a Cast');
  assert.ok(
    def.report.notes.some((n) => /LayerNormalization/.test(n) && /'ln1'/.test(n) && /overflow/.test(n)),
    `the report names the blocked nodes and why: ${def.report.notes.join(' | ')}`,
  );
  assert.ok(!def.report.changedNodes.includes('ln1'), 'ln1 is not converted');

  const byNode = await convertToFloat16(model, { blockNodes: ['mlp.fc1.matmul'] });
  assert.equal(init(byNode.model, 'mlp.fc1.weight')?.dataType, F, 'a blocked node keeps its float32 weight');
  assert.equal(init(byNode.model, 'mlp.fc2.weight')?.dataType, H, 'others are float16');
  assertValid(byNode.model, 'block node');

  const none = await convertToFloat16(model, { blockOpTypes: [] });
  assert.equal(init(none.model, 'ln1.weight')?.dataType, H, 'with an empty block list LayerNormalization converts too');
  assertValid(none.model, 'no block list');
  const x = feedsFor(model, 5);
  const [a, b, c] = await Promise.all([run(model, x), run(byNode.model, x), run(none.model, x)]);
  assert.ok(cosine(a.y.data, b.y.data) >= 0.999 && cosine(a.y.data, c.y.data) >= 0.999, 'all variants agree');
});

test('constants outside the float16 range are clamped and counted', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 6]);
  const c = b.initializer('c', F, [1, 6], [1e5, -7e4, 1e-9, -1e-10, 0.5, 0]);
  b.node('Add', [x, c], {}, { name: 'add', outputs: ['y'] });
  b.output('y', F, [1, 6]);
  const model = b.build();
  const { model: h, report } = await convertToFloat16(model, {});
  assertValid(h, 'clamp');
  const values = Array.from(await readTensorValues(init(h, 'c') as NonNullable<ReturnType<typeof init>>), Number);
  assert.deepEqual(
    values,
    [65504, -65504, 2 ** -24, -(2 ** -24), 0.5, 0],
    'clamped to ±65504 and ±2^-24; zero stays 0',
  );
  assert.ok(
    report.warnings.some(
      (w) => /clamped 4 constant values/.test(w) && /2 above 65504/.test(w) && /2 non-zero below/.test(w),
    ),
    `the report counts them: ${report.warnings.join(' | ')}`,
  );
  const out = await run(h, { x: new Float32Array(6) });
  assert.equal(out.y.type, 'float32', 'keep-IO output');
  assert.equal(out.y.data[0], 65504, 'the clamped value is what the model now adds');
});

test('FP16 halves a weight-dominated model (<= 0.52x) and a value read both as output and inside stays float32 outside', async () => {
  const model = mobileNetV1({ widthMultiplier: 0.5, inputSize: 32, batchNorm: 'folded' });
  const { model: h } = await convertToFloat16(model, {});
  const ratio = encodeModel(h).length / encodeModel(model).length;
  assert.ok(ratio <= 0.52, `FP16 size ratio ${ratio.toFixed(3)}`);
  // transformerBlock's attention_probs is a graph output that the next MatMul also reads.
  const tb = transformerBlock();
  const t = await convertToFloat16(tb, {});
  const probs = t.model.graph.nodes.find((n) => n.outputs.includes('attention_probs'));
  assert.equal(probs?.opType, 'Cast', 'the graph output is produced by a Cast back to float32');
  const ctx = t.model.graph.nodes.find((n) => n.name === 'attn.context');
  assert.notEqual(
    ctx?.inputs[0],
    'attention_probs',
    'the float16 MatMul reads the float16 value, not the float32 output',
  );
});
