import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { validateModel } from '../../src/core/onnx/validate.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { convertToFloat16 } from '../../src/core/transforms/fp16.js';
import { quantizeDynamic } from '../../src/core/transforms/quantize.js';
import { quantizeStatic } from '../../src/core/transforms/quantizeStatic.js';
import type { TransformResult } from '../../src/core/transforms/types.js';
import { randomTensor, worstCosine } from '../helpers/ort.js';

const F = DataType.FLOAT;
/** Converter-style long names (TensorFlow exports write names like these), repeated in every inserted name if kept. */
const LONG = 'functional_1/very_long_block_name/batch_normalization_with_a_long_name/FusedBatchNormV3';

/** input -> Conv -> Relu -> Conv -> Relu -> Reshape -> Gemm, long names, value_info declared for every intermediate. */
function longNamedNet(): Model {
  const rng = new Rng(11);
  const b = new GraphBuilder({ opset: 13 });
  const x = b.input('x', F, [1, 4, 8, 8]);
  const w1 = b.initializer(`${LONG}/w1`, F, [16, 4, 3, 3], rng.uniformArray(16 * 36, -0.5, 0.5));
  const b1 = b.initializer(`${LONG}/b1`, F, [16], rng.uniformArray(16, -0.1, 0.1));
  const c1 = b.node('Conv', [x, w1, b1], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: `${LONG}/conv1` });
  const r1 = b.node('Relu', [c1], {}, { name: `${LONG}/relu1` });
  const w2 = b.initializer(`${LONG}/w2`, F, [16, 16, 3, 3], rng.uniformArray(16 * 144, -0.3, 0.3));
  const c2 = b.node(
    'Conv',
    [r1, w2],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
    { name: `${LONG}/conv2` },
  );
  const r2 = b.node('Relu', [c2], {}, { name: `${LONG}/relu2` });
  const shape = b.initializer(`${LONG}/shape`, DataType.INT64, [2], [1, 256]);
  const flat = b.node('Reshape', [r2, shape], {}, { name: `${LONG}/flat` });
  const wf = b.initializer(`${LONG}/wf`, F, [256, 10], rng.uniformArray(2560, -0.2, 0.2));
  const y = b.node('Gemm', [flat, wf], {}, { name: `${LONG}/fc` });
  b.output(y, F, [1, 10]);
  const m = b.build();
  const shapes: Record<string, number[]> = {
    [c1]: [1, 16, 8, 8],
    [r1]: [1, 16, 8, 8],
    [c2]: [1, 16, 4, 4],
    [r2]: [1, 16, 4, 4],
    [flat]: [1, 256],
  };
  m.graph.valueInfo = Object.entries(shapes).map(([name, s]) => ({
    name,
    type: { kind: 'tensor', elemType: F, shape: s },
  }));
  return m;
}

const feeds = (n: number, seed: number): Record<string, ort.Tensor>[] =>
  Array.from({ length: n }, (_, i) => ({ x: randomTensor([1, 4, 8, 8], seed + i) }));

const worstCosineOf = (a: Model, b: Model) => worstCosine(a, b, feeds(3, 100));

const transforms: { label: string; min: number; run: (m: Model, keep?: boolean) => Promise<TransformResult> }[] = [
  { label: 'fp16', min: 0.999, run: (m, keep) => convertToFloat16(m, keep ? { keepValueInfo: true } : {}) },
  { label: 'dynamic', min: 0.99, run: (m, keep) => quantizeDynamic(m, keep ? { keepValueInfo: true } : {}) },
  {
    label: 'static',
    min: 0.99,
    run: (m, keep) =>
      quantizeStatic(m, { calibration: { feeds: feeds(8, 1) }, ...(keep ? { keepValueInfo: true } : {}) }),
  },
];

for (const t of transforms) {
  test(`${t.label}: intermediate value_info is dropped (typed inputs/outputs kept, valid, runs), kept on request`, async () => {
    const model = longNamedNet();
    const { model: out, report } = await t.run(model);
    assert.equal(out.graph.valueInfo.length, 0, 'no intermediate value_info by default');
    assert.ok(
      report.notes.some((n) => /value_info of 5 intermediate values/.test(n)),
      `the report says what was dropped: ${report.notes.join(' | ')}`,
    );
    for (const v of [...out.graph.inputs, ...out.graph.outputs]) {
      assert.ok(v.type?.kind === 'tensor' && v.type.elemType === F, `${v.name} keeps its float32 type`);
      assert.ok(v.type?.kind === 'tensor' && v.type.shape?.length, `${v.name} keeps its shape`);
    }
    const errors = validateModel(out).filter((p) => p.severity === 'error');
    assert.deepEqual(errors, [], 'the output passes the model validation');
    const cos = await worstCosineOf(model, out);
    assert.ok(cos >= t.min, `${t.label} cosine ${cos} >= ${t.min}`);

    const kept = await t.run(model, true);
    assert.ok(kept.model.graph.valueInfo.length > 0, 'keepValueInfo keeps value_info');
    assert.ok(
      encodeModel(kept.model).length > encodeModel(out).length,
      'the file without value_info is smaller than with it',
    );
  });
}

test('names inserted by quantization and FP16 are compact, whatever the original names', async () => {
  const model = longNamedNet();
  const original = new Set<string>();
  for (const n of model.graph.nodes) for (const v of [n.name, ...n.inputs, ...n.outputs]) original.add(v);
  for (const t of model.graph.initializers) original.add(t.name);
  for (const t of transforms) {
    const { model: out } = await t.run(model);
    const inserted = new Set<string>();
    for (const n of out.graph.nodes)
      for (const v of [n.name, ...n.inputs, ...n.outputs]) if (v && !original.has(v)) inserted.add(v);
    for (const i of out.graph.initializers) if (!original.has(i.name)) inserted.add(i.name);
    assert.ok(inserted.size > 0, `${t.label} inserts names`);
    const longest = Math.max(...[...inserted].map((s) => s.length));
    // A letter for the kind of value and a base-36 counter: `s0`, `d1f`.
    assert.ok(longest <= 4, `${t.label}: longest inserted name ${longest} characters: ${[...inserted].join(', ')}`);
    // The original nodes keep their names: the per-layer comparison matches on them.
    for (const n of model.graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')) {
      assert.ok(
        out.graph.nodes.some((o) => o.name === n.name),
        `${t.label} keeps the node name ${n.name}`,
      );
    }
  }
});
