import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder, makeTensor, Rng } from '../../src/core/onnx/builder.js';
import { DataType, type Model, readTensorValues, validateModel } from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { pruneModel } from '../../src/core/transforms/prune.js';
import { TransformError } from '../../src/core/transforms/types.js';
import { randomTensor, runModel as run } from '../helpers/ort.js';

const F = DataType.FLOAT;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same number of elements');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function initializer(m: Model, name: string) {
  const t = m.graph.initializers.find((x) => x.name === name);
  assert.ok(t, `initializer '${name}' exists`);
  return t;
}

function nodeNamed(m: Model, name: string) {
  const n = m.graph.nodes.find((x) => x.name === name);
  assert.ok(n, `node '${name}' exists`);
  return n;
}

const weightOf = (m: Model, node: string, input = 1) => initializer(m, nodeNamed(m, node).inputs[input]);

/**
 * x → a: Conv 3x3 (8) → Relu ─┐
 * x → b: Conv 1x1 (8) ────────┴ Add → d: depthwise Conv (8) → Relu ─┐
 * x → e: Conv 1x1 (4) ─────────────────────────────────────────────┴ Concat (12) → f: Conv 1x1 (6) → Relu
 *   → Flatten → g: Gemm (10) → y
 * Biases everywhere, no BatchNormalization: a channel whose filter and bias are zero stays zero downstream.
 */
function branchy(): Model {
  const rng = new Rng(7);
  const b = new GraphBuilder({ opset: 17, name: 'branchy' });
  const x = b.input('x', F, [1, 3, 8, 8]);
  const conv = (name: string, input: string, cout: number, cin: number, k: number, group = 1) => {
    const w = b.initializer(
      `${name}.w`,
      F,
      [cout, cin / group, k, k],
      rng.normalArray((cout * cin * k * k) / group, 0.5),
    );
    const bias = b.initializer(`${name}.b`, F, [cout], rng.uniformArray(cout, -0.2, 0.2));
    const p = (k - 1) / 2;
    return b.node('Conv', [input, w, bias], { kernel_shape: [k, k], pads: [p, p, p, p], group }, { name });
  };
  const ra = b.node('Relu', [conv('a', x, 8, 3, 3)], {}, { name: 'a.relu' });
  const sum = b.node('Add', [ra, conv('b', x, 8, 3, 1)], {}, { name: 'add' });
  const rd = b.node('Relu', [conv('d', sum, 8, 8, 3, 8)], {}, { name: 'd.relu' });
  const cat = b.node('Concat', [rd, conv('e', x, 4, 3, 1)], { axis: 1 }, { name: 'cat' });
  const rf = b.node('Relu', [conv('f', cat, 6, 12, 1)], {}, { name: 'f.relu' });
  const fl = b.node('Flatten', [rf], { axis: 1 }, { name: 'flatten' });
  const wg = b.initializer('g.w', F, [10, 6 * 64], rng.normalArray(10 * 6 * 64, 0.1));
  const bg = b.initializer('g.b', F, [10], rng.uniformArray(10, -0.1, 0.1));
  b.node('Gemm', [fl, wg, bg], { transB: 1 }, { name: 'g', outputs: ['y'] });
  b.output('y', F, [1, 10]);
  return b.build();
}

/** The original model with the given output channels' filters and biases set to zero (the depthwise ones too). */
async function zeroChannels(m: Model, removed: Record<string, number[]>): Promise<Model> {
  const initializers = await Promise.all(
    m.graph.initializers.map(async (t) => {
      const layer = t.name.split('.')[0];
      const channels = removed[layer];
      if (!channels?.length || layer === 'g') return t;
      const v = Float32Array.from((await readTensorValues(t)) as Float32Array);
      const per = v.length / t.dims[0];
      for (const c of channels) v.fill(0, c * per, (c + 1) * per);
      return makeTensor(t.name, t.dataType, t.dims, v);
    }),
  );
  return { ...m, graph: { ...m.graph, initializers } };
}

test('structured pruning of mobileNetLike at 50%: channels really gone, consumers rewritten, MACs drop as computed', async () => {
  const m = mobileNetLike();
  const r = await pruneModel(m, { sparsity: 0.5, structured: true });
  assert.deepEqual(
    validateModel(r.model).filter((p) => p.severity === 'error'),
    [],
    'the pruned model is structurally valid',
  );
  // Stem 8 -> 4 (tied to block0.pw by the residual Add), block1/2 pw 16 -> 8 (tied by block2's Add).
  assert.deepEqual(weightOf(r.model, 'stem.conv').dims, [4, 3, 3, 3], 'stem filters removed');
  assert.deepEqual(initializer(r.model, nodeNamed(r.model, 'stem.bn').inputs[1]).dims, [4], 'BN scale sliced');
  assert.deepEqual(weightOf(r.model, 'block0.dw.conv').dims, [4, 1, 3, 3], 'depthwise weights follow');
  const group = nodeNamed(r.model, 'block0.dw.conv').attributes.find((a) => a.name === 'group');
  assert.ok(group?.type === 'int' && group.value === 4n, 'depthwise group follows the channel count');
  assert.deepEqual(weightOf(r.model, 'block0.pw.conv').dims, [4, 4, 1, 1], 'pointwise in and out channels removed');
  assert.deepEqual(weightOf(r.model, 'block1.pw.conv').dims, [8, 4, 1, 1], 'block1 pointwise');
  assert.deepEqual(weightOf(r.model, 'block2.pw.conv').dims, [8, 8, 1, 1], 'block2 pointwise');
  assert.deepEqual(weightOf(r.model, 'fc').dims, [10, 8], 'classifier rows follow through Flatten');
  const removedOf = (node: string) => r.stats.channels?.find((c) => c.node === node)?.removedChannels;
  assert.deepEqual(removedOf('stem.conv'), removedOf('block0.pw.conv'), 'residual-tied layers lose the same channels');
  assert.deepEqual(removedOf('block1.pw.conv'), removedOf('block2.pw.conv'), 'second residual group tied as well');

  // MACs: stem 4·27·256 + dw0 4·9·256 + pw0 4·4·256 + dw1 4·9·64 + pw1 8·4·64 + dw2 8·9·64 + pw2 8·8·64 + fc 8·10.
  const expected = 4 * 27 * 256 + 4 * 9 * 256 + 4 * 4 * 256 + 4 * 9 * 64 + 8 * 4 * 64 + 8 * 9 * 64 + 8 * 8 * 64 + 80;
  assert.equal(profileModel(m).totals.macs, 128672, 'MACs before');
  assert.equal(profileModel(r.model).totals.macs, expected, 'MACs after');
  assert.ok(r.stats.prunedParams > 0 && r.stats.params === profileModel(m).totals.params, 'params counted');

  const x = randomTensor([1, 3, 32, 32], 3);
  const before = await run(m, { input: x });
  const after = await run(r.model, { input: x });
  assert.deepEqual(after.probabilities.dims, before.probabilities.dims, 'same output shape');
  assert.equal(m.graph.nodes.find((n) => n.name === 'stem.conv')?.inputs[1], 'stem.conv.weight', 'input not mutated');
});

test('structured pruning through a constant Reshape head rewrites the shape literal', async () => {
  const m = mobileNetLike({ head: 'reshape' });
  const r = await pruneModel(m, { sparsity: 0.5, structured: true, norm: 'l2' });
  const shape = initializer(r.model, nodeNamed(r.model, 'head.reshape').inputs[1]);
  assert.deepEqual(Array.from((await readTensorValues(shape)) as BigInt64Array), [0n, 8n], 'shape [0, 16] → [0, 8]');
  const out = await run(r.model, { input: randomTensor([1, 3, 32, 32], 3) });
  assert.deepEqual(out.probabilities.dims, [1, 10], 'runs with the same output shape');
});

test('residual Add and Concat are pruned consistently: equal to the original with those channels zeroed', async () => {
  const m = branchy();
  const r = await pruneModel(m, { sparsity: 0.5, structured: true });
  const removed = Object.fromEntries((r.stats.channels ?? []).map((c) => [c.node, c.removedChannels]));
  assert.deepEqual(removed.a, removed.b, 'a and b are tied by the Add');
  assert.equal(removed.a.length, 4, 'half of the tied group');
  assert.equal(removed.e.length, 2, 'half of e');
  assert.equal(removed.f.length, 3, 'half of f');
  assert.deepEqual(removed.g, [], 'the graph output keeps its channels');
  assert.deepEqual(weightOf(r.model, 'd').dims, [4, 1, 3, 3], 'depthwise follows the tied group');
  assert.deepEqual(weightOf(r.model, 'f').dims, [3, 6, 1, 1], 'f loses 4 + 2 input channels from the Concat');
  assert.deepEqual(weightOf(r.model, 'g').dims, [10, 3 * 64], 'Gemm loses the flattened positions of f');
  // MACs: a 4·27·64, b 4·3·64, d 4·9·64, e 2·3·64, f 3·6·64, g 10·192.
  assert.equal(profileModel(m).totals.macs, 29184, 'MACs before');
  assert.equal(profileModel(r.model).totals.macs, 13440, 'MACs after');

  const x = randomTensor([1, 3, 8, 8], 11);
  const zeroed = await zeroChannels(m, { ...removed, d: removed.a });
  const reference = await run(zeroed, { x });
  const pruned = await run(r.model, { x });
  const diff = maxAbsDiff(reference.y.data as Float32Array, pruned.y.data as Float32Array);
  assert.ok(diff < 1e-5, `pruned model equals the zeroed original (max diff ${diff})`);
  const full = await run(m, { x });
  assert.ok(
    maxAbsDiff(full.y.data as Float32Array, pruned.y.data as Float32Array) > 1e-3,
    'and differs from the unpruned one',
  );
});

test('a dependency that cannot be followed keeps those channels with a warning naming the node; strict refuses', async () => {
  const rng = new Rng(2);
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 3, 4, 4]);
  const w1 = b.initializer('w1', F, [8, 3, 1, 1], rng.normalArray(24));
  const c1 = b.node('Conv', [x, w1], {}, { name: 'c1' });
  const w2 = b.initializer('w2', F, [8, 3, 1, 1], rng.normalArray(24));
  const c2 = b.node('Conv', [x, w2], {}, { name: 'c2' });
  const shape = b.initializer('shape', DataType.INT64, [4], [1, 2, 64, 1]);
  const split = b.node('Reshape', [c1, shape], {}, { name: 'split_heads' });
  b.output(split, F, [1, 2, 64, 1]);
  const w3 = b.initializer('w3', F, [4, 8, 1, 1], rng.normalArray(32));
  b.node('Conv', [c2, w3], {}, { name: 'c3', outputs: ['z'] });
  b.output('z', F, [1, 4, 4, 4]);
  const m = b.build();

  const r = await pruneModel(m, { sparsity: 0.5, structured: true });
  const ch = Object.fromEntries((r.stats.channels ?? []).map((c) => [c.node, c.channelsAfter]));
  assert.equal(ch.c1, 8, 'c1 keeps its channels');
  assert.equal(ch.c2, 4, 'c2 is pruned');
  assert.ok(
    r.report.warnings.some((w) => w.includes("'split_heads'") && w.includes('Reshape')),
    `a warning names the Reshape: ${r.report.warnings.join(' | ')}`,
  );
  const out = await run(r.model, { x: randomTensor([1, 3, 4, 4], 3) });
  assert.deepEqual(out.z.dims, [1, 4, 4, 4], 'still runs');
  await assert.rejects(
    pruneModel(m, { sparsity: 0.5, structured: true, strict: true }),
    (err: unknown) => err instanceof TransformError && err.message.includes("'split_heads'"),
    'strict mode refuses and names the node',
  );
});

test('nothing prunable is a clear error', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 3, 4, 4]);
  const w = b.initializer('w', F, [4, 3, 1, 1], new Rng(1).normalArray(12));
  b.node('Conv', [x, w], {}, { name: 'only', outputs: ['y'] });
  b.output('y', F, [1, 4, 4, 4]);
  await assert.rejects(
    pruneModel(b.build(), { sparsity: 0.5, structured: true }),
    (err: unknown) => err instanceof TransformError && /graph output 'y'/.test(err.message),
    'the reason is given',
  );
  await assert.rejects(
    pruneModel(b.build(), { sparsity: 1.5 }),
    (err: unknown) => err instanceof TransformError,
    'sparsity out of range',
  );
});

test('unstructured pruning reaches the target sparsity globally or per layer and keeps shapes', async () => {
  const m = mobileNetLike();
  const g = await pruneModel(m, { sparsity: 0.6 });
  assert.equal(g.stats.kind, 'unstructured', 'kind');
  assert.equal(g.stats.prunedParams, Math.floor(0.6 * g.stats.params), 'exactly floor(0.6 · n) zeros globally');
  const layer = await pruneModel(m, { sparsity: 0.6, scope: 'layer' });
  for (const l of layer.stats.layers ?? []) {
    assert.equal(l.zeros, Math.floor(0.6 * l.params), `${l.node}: 60% of its own weights`);
  }
  // The weights zeroed are the smallest: every kept weight is at least as large as every zeroed one.
  const before = (await readTensorValues(weightOf(m, 'block2.pw.conv'))) as Float32Array;
  const after = (await readTensorValues(weightOf(layer.model, 'block2.pw.conv'))) as Float32Array;
  let maxZeroed = 0;
  let minKept = Number.POSITIVE_INFINITY;
  after.forEach((v, i) => {
    if (v === 0) maxZeroed = Math.max(maxZeroed, Math.abs(before[i]));
    else {
      minKept = Math.min(minKept, Math.abs(v));
      assert.equal(v, before[i], 'kept weights are unchanged');
    }
  });
  assert.ok(maxZeroed <= minKept, `magnitude order: zeroed ≤ ${maxZeroed}, kept ≥ ${minKept}`);
  assert.deepEqual(weightOf(layer.model, 'fc').dims, weightOf(m, 'fc').dims, 'shapes unchanged');
  assert.equal(profileModel(layer.model).totals.macs, profileModel(m).totals.macs, 'MACs unchanged (dense)');
  assert.ok(
    g.report.warnings.some((w) => w.includes('dense runtime')),
    'the report says a dense runtime gains nothing',
  );
  assert.ok((g.stats.bitmaskBytes ?? 0) < (g.stats.denseBytes ?? 0), 'bitmask storage estimate is smaller');
  const out = await run(g.model, { input: randomTensor([1, 3, 32, 32], 3) });
  assert.deepEqual(out.probabilities.dims, [1, 10], 'runs');
});

test('models before IR 4 (weights listed as graph inputs) are pruned, and their new weights listed as inputs', async () => {
  const rng = new Rng(5);
  const b = new GraphBuilder({ opset: 9, irVersion: 3 });
  const x = b.input('x', F, [1, 3, 6, 6]);
  const w1 = b.initializer('w1', F, [8, 3, 3, 3], rng.normalArray(216));
  const r1 = b.node('Relu', [b.node('Conv', [x, w1], { pads: [1, 1, 1, 1] }, { name: 'c1' })], {}, { name: 'r1' });
  const w2 = b.initializer('w2', F, [4, 8, 1, 1], rng.normalArray(32));
  b.node('Conv', [r1, w2], {}, { name: 'c2', outputs: ['y'] });
  b.output('y', F, [1, 4, 6, 6]);
  const m = b.build();
  for (const t of m.graph.initializers) {
    m.graph.inputs.push({ name: t.name, type: { kind: 'tensor', elemType: F, shape: [...t.dims] } });
  }
  const r = await pruneModel(m, { sparsity: 0.5, structured: true });
  assert.deepEqual(weightOf(r.model, 'c1').dims, [4, 3, 3, 3], 'c1 pruned');
  const inputs = r.model.graph.inputs.map((v) => v.name);
  assert.deepEqual(
    inputs.sort(),
    ['x', ...r.model.graph.initializers.map((t) => t.name)].sort(),
    'inputs: the real input and every initializer',
  );
  const out = await run(r.model, { x: randomTensor([1, 3, 6, 6], 3) });
  assert.deepEqual(out.y.dims, [1, 4, 6, 6], 'runs');
});
