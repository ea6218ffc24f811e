import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileModel } from '../../src/core/analysis/cost.js';
import { inferShapes } from '../../src/core/analysis/infer.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import { mobileNetLike, mobileNetV1 } from '../../src/core/onnx/syntheticModels.js';
import { ExactShapesError, measureShapes } from '../../src/core/runtime/exactShapes.js';

const F = DataType.FLOAT;

test('exact mode measures every value of the synthetic MobileNets, agreeing with inference', async () => {
  for (const model of [mobileNetLike({ blocks: 4 }), mobileNetV1({ weights: 'zeros', inputSize: 96 })]) {
    const exact = await measureShapes(model);
    const inferred = inferShapes(model).values;
    const produced = model.graph.nodes.flatMap((n) => n.outputs).filter((o) => o !== '');
    for (const name of produced) {
      const m = exact.values.get(name);
      const f = inferred.get(name);
      assert.ok(m, `'${name}' was not measured`);
      assert.equal(m?.origin, 'measured', `origin of '${name}'`);
      assert.deepEqual(m?.shape, f?.kind === 'tensor' ? f.shape : undefined, `shape of '${name}'`);
      assert.equal(m?.dtype, f?.kind === 'tensor' ? f.dtype : undefined, `dtype of '${name}'`);
    }
    const staticProfile = profileModel(model);
    const exactProfile = profileModel(model, { measured: exact.values });
    assert.equal(exactProfile.model.mode, 'exact');
    assert.equal(exactProfile.totals.macs, staticProfile.totals.macs);
    assert.ok(
      exactProfile.layers.every((l) => l.outputs.every((o) => o.origin === 'measured')),
      'every layer output is marked measured',
    );
  }
});

test('exact mode resolves a data-dependent shape (NonZero) that static inference cannot know', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, ['batch', 4]);
  const nz = b.node('NonZero', [x], {}, { name: 'nonzero' }); // [2, count]
  const t = b.node('Transpose', [nz], { perm: [1, 0] }, { name: 'transpose' }); // [count, 2]
  const f = b.node('Cast', [t], { to: F }, { name: 'cast' });
  const w = b.initializer('w', F, [2, 3], [1, 2, 3, 4, 5, 6]);
  const y = b.node('MatMul', [f, w], {}, { name: 'mm' });
  b.output(y, F, [null, 3]);
  const model = b.build();

  const staticProfile = profileModel(model, { dims: { batch: 2 } });
  const mm = staticProfile.layers.find((l) => l.name === 'mm');
  assert.equal(mm?.macs, null, 'the number of non-zeros is unknown statically');

  const exact = await measureShapes(model, { dims: { batch: 2 } });
  assert.deepEqual(exact.inputs, [{ name: 'x', dtype: 'float32', shape: [2, 4] }]);
  // Generated floats are in [0, 1) and none is exactly 0: all 8 elements are non-zero.
  assert.deepEqual(exact.values.get(nz)?.shape, [2, 8]);
  assert.equal(exact.values.get(nz)?.dtype, DataType.INT64);
  const p = profileModel(model, { dims: { batch: 2 }, measured: exact.values });
  const measured = p.layers.find((l) => l.name === 'mm');
  assert.equal(measured?.macs, 8 * 3 * 2);
  assert.deepEqual(measured?.outputs[0], { name: y, dtype: 'float32', shape: [8, 3], origin: 'measured', bytes: 96 });
  assert.equal(p.totals.macs, 48);
});

test('a model ONNX Runtime cannot load is a clear ExactShapesError', async () => {
  const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'example.custom', version: 1 }] });
  const x = b.input('x', F, [1, 4]);
  b.output(b.node('Mystery', [x], {}, { name: 'mystery', domain: 'example.custom' }), F, [1, 4]);
  await assert.rejects(measureShapes(b.build()), (err: unknown) => {
    assert.ok(err instanceof ExactShapesError, `not an ExactShapesError: ${err}`);
    assert.match((err as Error).message, /ONNX Runtime cannot load the model: .*Mystery/);
    return true;
  });
});
