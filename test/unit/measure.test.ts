import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeModel, encodeModel } from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { nodeLabel } from '../../src/core/onnx/validate.js';
import { measureModel, parseProfile } from '../../src/core/runtime/measure.js';

const sample = join(__dirname, '..', '..', 'samples', 'vww_96_float.onnx');

test('every node of the sample gets a measured time; layer times add up to the kernel total and stay below wall time', async () => {
  const bytes = readFileSync(sample);
  const model = decodeModel(bytes);
  const r = await measureModel(bytes, model, { runs: 5, warmup: 1 });
  assert.equal(r.layers.length, model.graph.nodes.length, 'one measured layer per node with optimizations disabled');
  assert.deepEqual(r.unmatched, [], 'no kernel left unattributed');
  assert.deepEqual(
    r.layers.map((l) => l.name),
    model.graph.nodes.map((n, i) => nodeLabel(n, i)),
    'layers in model order',
  );
  assert.ok(
    r.layers.every((l) => l.measuredMs >= 0 && l.kernels === 1 && !l.fused),
    'one unfused kernel per node',
  );
  const sum = r.layers.reduce((s, l) => s + l.measuredMs, 0);
  assert.ok(Math.abs(sum - r.kernelMs) < 1e-9, 'kernel total is the sum of layers');
  assert.ok(r.kernelMs > 0 && r.kernelMs <= r.wallMs * 1.05, `kernel ${r.kernelMs} ms vs wall ${r.wallMs} ms`);
  const conv = r.layers.filter((l) => l.opType === 'Conv').reduce((s, l) => s + l.measuredMs, 0);
  const relu = r.layers.filter((l) => l.opType === 'Relu').reduce((s, l) => s + l.measuredMs, 0);
  assert.ok(conv > relu, `27 convolutions (${conv} ms) should outweigh 27 ReLUs (${relu} ms)`);
  assert.deepEqual(r.inputs, [{ name: 'input_1', dtype: 'float32', shape: [1, 3, 96, 96], generated: true }]);
});

test('with all optimizations, fused kernels are attributed to the node whose name they extend', async () => {
  const model = mobileNetLike({ blocks: 2, width: 8, inputSize: 32 });
  const bytes = encodeModel(model);
  const r = await measureModel(bytes, model, { runs: 3, warmup: 1, optimization: 'all' });
  const total = r.layers.reduce((s, l) => s + l.measuredMs, 0) + r.unmatched.reduce((s, u) => s + u.measuredMs, 0);
  assert.ok(Math.abs(total - r.kernelMs) < 1e-9, 'nothing dropped: matched + unmatched = kernel total');
  assert.ok(
    r.layers.length > 0 && r.layers.length < model.graph.nodes.length,
    `fusion leaves fewer timed nodes (${r.layers.length})`,
  );
});

test('profile parsing assigns kernels to runs by time span', () => {
  const trace = JSON.stringify([
    { cat: 'Session', name: 'model_run', ts: 100, dur: 50 },
    { cat: 'Node', name: 'a_kernel_time', ts: 110, dur: 7, args: { op_name: 'Relu' } },
    { cat: 'Session', name: 'model_run', ts: 200, dur: 50 },
    { cat: 'Node', name: 'a_kernel_time', ts: 210, dur: 9, args: { op_name: 'Relu' } },
    { cat: 'Node', name: 'b_kernel_time', ts: 220, dur: 3, args: { op_name: 'Neg' } },
    { cat: 'Node', name: 'fence_before', ts: 230, dur: 1 },
  ]);
  assert.deepEqual(parseProfile(trace), [
    { name: 'a', opType: 'Relu', durUs: 7, run: 0 },
    { name: 'a', opType: 'Relu', durUs: 9, run: 1 },
    { name: 'b', opType: 'Neg', durUs: 3, run: 1 },
  ]);
});

test('a model ONNX Runtime cannot load gives a clear error', async () => {
  const model = mobileNetLike({ blocks: 1, width: 8, inputSize: 16 });
  model.graph.nodes[0] = { ...model.graph.nodes[0], opType: 'NoSuchOp' };
  await assert.rejects(() => measureModel(encodeModel(model), model), /ONNX Runtime cannot load the model: .*NoSuchOp/);
});
