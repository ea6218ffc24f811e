import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type LayerCost, type ModelProfile, profileModel, type ScopeCost } from '../../src/core/analysis/cost.js';
import { GraphBuilder, makeTensor } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import { decodeModel } from '../../src/core/onnx/reader.js';
import { mobileNetV1, mobileNetV2, resNet50 } from '../../src/core/onnx/syntheticModels.js';

const F = DataType.FLOAT;
const sample = join(__dirname, '..', '..', 'samples', 'vww_96_float.onnx');

function within(actual: number | null, expected: number, tolerance: number, what: string): void {
  assert.ok(actual !== null, `${what}: n/a`);
  const err = Math.abs((actual as number) - expected) / expected;
  assert.ok(err <= tolerance, `${what}: ${actual} is ${(err * 100).toFixed(2)}% from ${expected}`);
}

function layer(p: ModelProfile, name: string): LayerCost {
  const l = p.layers.find((x) => x.name === name);
  assert.ok(l, `no layer '${name}' in ${p.layers.map((x) => x.name).join(', ')}`);
  return l as LayerCost;
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Published reference counts (shared/reference/published-measurements.md)
//
// The convention that makes them match: MACs of convolutions and fully connected layers only (BatchNorm, ReLU,
// pooling and residual adds have 0 MACs; they are FLOPs), padding positions counted, as torchvision and TF-slim
// do. Parameters: every stored tensor. torchvision counts BatchNorm as weight + bias (2 per channel), while an
// ONNX model stores either 4 tensors per BatchNorm (running mean and variance too: 'separate') or a conv bias
// instead (1 per channel: 'folded', as torch.onnx.export writes eval-mode models) — within 1% either way except
// for MobileNetV2, whose BatchNorm channels (17,056) are large relative to its size: it is checked folded.

test('ResNet-50 (torchvision layout) lands within 1% of 4.089 G MACs and 25.557 M parameters', () => {
  const p = profileModel(resNet50({ weights: 'zeros' }));
  within(p.totals.macs, 4.089e9, 0.01, 'MACs');
  within(p.totals.params, 25.557e6, 0.01, 'params');
  // Exact counts: conv + fc MACs; torchvision's 25,557,032 parameters + running mean/variance (2 × 26,560).
  assert.equal(p.totals.macs, 4_089_184_256);
  assert.equal(p.totals.params, 25_557_032 + 2 * 26_560);
  assert.deepEqual(p.warnings, []);
  const folded = profileModel(resNet50({ weights: 'zeros', batchNorm: 'folded' }));
  assert.equal(folded.totals.macs, 4_089_184_256, 'folding BatchNorm does not change MACs');
  within(folded.totals.params, 25.557e6, 0.01, 'params (folded)');
});

test('MobileNetV1 1.0-224 (TF-slim, 1001 classes) lands within 1% of 569 M MACs and 4.24 M parameters', () => {
  const p = profileModel(mobileNetV1({ weights: 'zeros' }));
  within(p.totals.macs, 569e6, 0.01, 'MACs');
  within(p.totals.params, 4.24e6, 0.01, 'params');
  assert.equal(p.totals.macs, 568_741_376);
  assert.deepEqual(p.warnings, []);
});

test('MobileNetV2 1.0-224 (torchvision) lands within 1% of 300 M MACs and 3.5 M parameters', () => {
  const p = profileModel(mobileNetV2({ weights: 'zeros', batchNorm: 'folded' }));
  within(p.totals.macs, 300e6, 0.01, 'MACs');
  within(p.totals.params, 3.5e6, 0.01, 'params');
  // torchvision: 300.77 M MACs, 3,504,872 parameters (BatchNorm 2 × 17,056) vs conv biases (17,056) + 2 ReLU6 bounds.
  assert.equal(p.totals.macs, 300_774_272);
  assert.equal(p.totals.params, 3_504_872 - 17_056 + 2);
});

test('the MLPerf Tiny VWW reference model gives 7,489,664 MACs', () => {
  const p = profileModel(decodeModel(readFileSync(sample)));
  within(p.totals.macs, 7_489_664, 0.01, 'MACs');
  assert.equal(p.totals.macs, 7_489_664, 'same count as the reference .tflite');
  within(p.totals.params, 210.9e3, 0.01, 'params');
  assert.deepEqual(p.warnings, []);
  assert.equal(p.layers.length, 59);
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-computed cases

test('grouped and depthwise Conv: out · (C/group) · kernel MACs, bias one FLOP per output, bytes and intensity', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 8, 10, 10]);
  const w = b.initializer('w', F, [16, 2, 3, 3], zeros(288));
  const bias = b.initializer('b', F, [16], zeros(16));
  const y = b.node('Conv', [x, w, bias], { group: 4, kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'grouped' });
  const dw = b.initializer('dw', F, [16, 1, 3, 3], zeros(144));
  const z = b.node(
    'Conv',
    [y, dw],
    { group: 16, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
    { name: 'depthwise' },
  );
  b.output(z, F, [1, 16, 5, 5]);
  const p = profileModel(b.build());

  const g = layer(p, 'grouped');
  assert.deepEqual(g.outputs[0].shape, [1, 16, 10, 10]);
  assert.equal(g.macs, 1600 * 2 * 9, '1,600 outputs × (8/4 channels × 3×3)');
  assert.equal(g.flops, 2 * 28_800 + 1600, '2 per MAC + bias');
  assert.equal(g.params, 288 + 16);
  assert.equal(g.weightBytes, 304 * 4);
  assert.equal(g.inputBytes, 800 * 4);
  assert.equal(g.weightBytesRead, 1216);
  assert.equal(g.activationBytes, 1600 * 4);
  assert.equal(g.memoryBytes, 3200 + 1216 + 6400);
  assert.ok(Math.abs((g.intensity ?? 0) - 59_200 / 10_816) < 1e-12, `intensity ${g.intensity}`);

  const d = layer(p, 'depthwise');
  assert.equal(d.macs, 16 * 5 * 5 * 9, 'depthwise: one 3×3 window per output');
  assert.equal(d.flops, 2 * 3600);
  assert.equal(p.totals.macs, 28_800 + 3600);
});

test('Gemm with transB (and transA): M·N·K MACs, C adds one FLOP per output', () => {
  const b = new GraphBuilder({ opset: 17 });
  const a = b.input('a', F, [4, 32]);
  const w = b.initializer('w', F, [10, 32], zeros(320));
  const c = b.initializer('c', F, [10], zeros(10));
  const y = b.node('Gemm', [a, w, c], { transB: 1 }, { name: 'fc' });
  const at = b.input('at', F, [32, 4]);
  const w2 = b.initializer('w2', F, [32, 10], zeros(320));
  const y2 = b.node('Gemm', [at, w2], { transA: 1 }, { name: 'fcT' });
  b.output(y, F, [4, 10]);
  b.output(y2, F, [4, 10]);
  const p = profileModel(b.build());
  assert.equal(layer(p, 'fc').macs, 4 * 10 * 32);
  assert.equal(layer(p, 'fc').flops, 2 * 1280 + 40);
  assert.equal(layer(p, 'fc').params, 330);
  assert.equal(layer(p, 'fcT').macs, 1280);
  assert.equal(layer(p, 'fcT').flops, 2560, 'no C, no bias FLOPs');
});

test('MatMul with batch broadcast: every output element is a dot product of length K', () => {
  const b = new GraphBuilder({ opset: 17 });
  const a = b.input('a', F, [2, 3, 5, 8]);
  const w = b.initializer('w', F, [8, 6], zeros(48));
  const y = b.node('MatMul', [a, w], {}, { name: 'mm' });
  const m = b.input('m', F, [5, 8]);
  const batched = b.input('batched', F, [4, 8, 6]);
  const y2 = b.node('MatMul', [m, batched], {}, { name: 'mm2' });
  b.output(y, F, [2, 3, 5, 6]);
  b.output(y2, F, [4, 5, 6]);
  const p = profileModel(b.build());
  assert.deepEqual(layer(p, 'mm').outputs[0].shape, [2, 3, 5, 6]);
  assert.equal(layer(p, 'mm').macs, 2 * 3 * 5 * 6 * 8);
  assert.equal(layer(p, 'mm').flops, 2 * 1440);
  assert.equal(layer(p, 'mm2').macs, 4 * 5 * 6 * 8);
  assert.equal(layer(p, 'mm2').params, 0, 'both operands are activations');
  assert.equal(layer(p, 'mm2').inputBytes, (40 + 192) * 4);
});

test('int8 ConvInteger: MACs as Conv, parameters and bytes by their real element types', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.UINT8, [1, 4, 8, 8]);
  const w = b.initializer('w', DataType.INT8, [8, 4, 3, 3], zeros(288));
  const xzp = b.initializer('x_zp', DataType.UINT8, [], [128]);
  const wzp = b.initializer('w_zp', DataType.INT8, [], [0]);
  const y = b.node('ConvInteger', [x, w, xzp, wzp], { kernel_shape: [3, 3] }, { name: 'convint' });
  b.output(y, DataType.INT32, [1, 8, 6, 6]);
  const p = profileModel(b.build());
  const l = layer(p, 'convint');
  assert.equal(l.macs, 8 * 6 * 6 * 36);
  assert.equal(l.params, 290);
  assert.equal(l.weightBytes, 290, 'one byte per int8/uint8 element');
  assert.deepEqual(l.paramsByDtype, { int8: { params: 289, bytes: 289 }, uint8: { params: 1, bytes: 1 } });
  assert.equal(l.inputBytes, 256, 'uint8 input');
  assert.equal(l.activationBytes, 288 * 4, 'int32 output');
  assert.deepEqual(p.totals.paramsByDtype, l.paramsByDtype);
});

test('an int4 weight behind DequantizeLinear: half a byte per element, counted on the MatMul that reads it', () => {
  const b = new GraphBuilder({ opset: 21 });
  const x = b.input('x', F, [2, 5]);
  const w = b.initializer('w_int4', DataType.INT4, [5, 3], [1, -2, 3, -4, 5, -6, 7, -8, 0, 1, 2, 3, 4, 5, 6]);
  const scale = b.initializer('scale', F, [], [0.5]);
  const deq = b.node('DequantizeLinear', [w, scale], {}, { name: 'dq' });
  const y = b.node('MatMul', [x, deq], {}, { name: 'mm' });
  b.output(y, F, [2, 3]);
  const p = profileModel(b.build());
  const dq = layer(p, 'dq');
  assert.equal(dq.folded, true, 'DequantizeLinear of a weight is constant-folded');
  assert.equal(dq.params, 0);
  assert.equal(dq.flops, 0);
  const mm = layer(p, 'mm');
  assert.equal(mm.macs, 2 * 3 * 5);
  assert.deepEqual(mm.paramsByDtype, { int4: { params: 15, bytes: 8 }, float32: { params: 1, bytes: 4 } });
  assert.equal(mm.weightBytes, 12);
  assert.deepEqual(mm.weights.sort(), ['scale', 'w_int4']);
  assert.equal(p.totals.foldedLayers, 1);
});

test('weights generated by ConstantOfShape count as parameters; a shared weight is counted once', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 3, 8, 8]);
  const shape = b.constant('w_shape', DataType.INT64, [4], [8, 3, 3, 3]);
  const w = b.node(
    'ConstantOfShape',
    [shape],
    { value: makeTensor('v', DataType.FLOAT16, [1], [0.25]) },
    { name: 'gen', outputs: ['w'] },
  );
  const y = b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  const m = b.input('m', F, [2, 16]);
  const shared = b.initializer('shared', F, [16, 16], zeros(256));
  const h1 = b.node('MatMul', [m, shared], {}, { name: 'first' });
  const h2 = b.node('MatMul', [h1, shared], {}, { name: 'second' });
  b.output(y, DataType.FLOAT16, [1, 8, 8, 8]);
  b.output(h2, F, [2, 16]);
  const p = profileModel(b.build());
  assert.equal(layer(p, 'gen').folded, true);
  assert.equal(layer(p, 'Constant_0').folded, true, 'the Constant holding the shape is folded too');
  const conv = layer(p, 'conv');
  assert.equal(conv.params, 216, 'the generated [8, 3, 3, 3] tensor, not its 4-element shape');
  assert.deepEqual(conv.paramsByDtype, { float16: { params: 216, bytes: 432 } });
  assert.equal(conv.macs, 512 * 27);
  assert.equal(layer(p, 'first').params, 256);
  assert.equal(layer(p, 'second').params, 0, 'counted at the first reader only');
  assert.equal(layer(p, 'second').weightBytesRead, 1024, 'but read again');
  assert.equal(p.totals.params, 216 + 256);
  assert.equal(p.totals.weightBytesRead, 432 + 2048);
});

test('FLOP conventions: pooling by window, softmax and normalization per element, data movement free', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 4, 8, 8]);
  const c = (name: string) => b.initializer(name, F, [4], [1, 1, 1, 1]);
  const bn = b.node('BatchNormalization', [x, c('s'), c('bb'), c('mean'), c('var')], {}, { name: 'bn' });
  const relu = b.node('Relu', [bn], {}, { name: 'relu' });
  const add = b.node('Add', [relu, x], {}, { name: 'add' });
  const pool = b.node('MaxPool', [add], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool' });
  const gap = b.node('GlobalAveragePool', [pool], {}, { name: 'gap' });
  const shape = b.initializer('shape', DataType.INT64, [2], [1, 4]);
  const flat = b.node('Reshape', [gap, shape], {}, { name: 'reshape' });
  const sm = b.node('Softmax', [flat], { axis: -1 }, { name: 'softmax' });
  const ln = b.node('LayerNormalization', [sm, c('g'), c('beta')], { axis: -1 }, { name: 'ln' });
  b.output(ln, F, [1, 4]);
  const p = profileModel(b.build());
  const flops = Object.fromEntries(p.layers.map((l) => [l.name, l.flops]));
  assert.deepEqual(flops, {
    bn: 2 * 256,
    relu: 256,
    add: 256,
    pool: 64 * 4,
    gap: 64,
    reshape: 0,
    softmax: 5 * 4,
    ln: 5 * 4,
  });
  assert.ok(
    p.layers.every((l) => l.macs === 0),
    'none of these has MACs',
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Unknown and symbolic shapes

test('an operator without shapes or cost rule is n/a with a warning naming it, never a guess', () => {
  const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'example.custom', version: 1 }] });
  const x = b.input('x', F, [1, 16]);
  const y = b.node('Mystery', [x], {}, { name: 'mystery', domain: 'example.custom' });
  const w = b.initializer('w', F, [16, 4], zeros(64));
  const z = b.node('MatMul', [y, w], {}, { name: 'after' });
  b.output(z, F, undefined);
  const p = profileModel(b.build());
  assert.equal(layer(p, 'mystery').macs, null);
  assert.equal(layer(p, 'after').macs, null);
  assert.equal(layer(p, 'after').params, 64, 'parameters do not depend on shapes');
  assert.equal(p.totals.macs, null);
  assert.equal(p.totals.known.macs, 0);
  assert.equal(p.totals.unknownLayers.macs, 2);
  const noRule = p.warnings.find((w) => w.code === 'no-cost-rule');
  assert.ok(
    noRule?.message.includes('example.custom.Mystery') && noRule.message.includes("'mystery'"),
    JSON.stringify(p.warnings),
  );
  const unknownShape = p.warnings.find((w) => w.code === 'unknown-shape');
  assert.ok(unknownShape?.message.includes("'after'"), JSON.stringify(p.warnings));
});

test('symbolic batch: MACs n/a with a warning naming the symbol, unless dims gives it a size', () => {
  const model = mobileNetV1({ weights: 'zeros', batch: 'batch', inputSize: 96 });
  const symbolic = profileModel(model);
  assert.equal(symbolic.totals.macs, null);
  assert.equal(symbolic.totals.flops, null);
  assert.equal(symbolic.totals.params, profileModel(mobileNetV1({ weights: 'zeros', inputSize: 96 })).totals.params);
  const w = symbolic.warnings.find((x) => x.code === 'symbolic-shape');
  assert.ok(w, JSON.stringify(symbolic.warnings));
  assert.deepEqual(w?.symbols, ['batch']);
  assert.match(w?.message ?? '', /'batch'.*--dim batch=1/);
  assert.deepEqual(layer(symbolic, '/features/1/dw/Conv').outputs[0].shape, ['batch', 32, 48, 48]);

  const one = profileModel(model, { dims: { batch: 1 } });
  const fixed = profileModel(mobileNetV1({ weights: 'zeros', inputSize: 96 }));
  assert.equal(one.totals.macs, fixed.totals.macs);
  assert.deepEqual(one.warnings, []);
  const two = profileModel(model, { dims: { batch: 2 } });
  assert.equal(two.totals.macs, 2 * (fixed.totals.macs ?? 0));
  const override = profileModel(model, { inputShapes: { input: [3, 3, 96, 96] } });
  assert.equal(override.totals.macs, 3 * (fixed.totals.macs ?? 0));
  assert.deepEqual(override.model.inputs[0].shape, [3, 3, 96, 96]);
});

// ---------------------------------------------------------------------------------------------------------------
// Scopes and subgraphs

function checkScope(s: ScopeCost, layers: LayerCost[]): void {
  const direct = s.layerIndices.map((i) => layers[i]);
  const sum = (key: 'params' | 'weightBytes' | 'layers') =>
    direct.reduce((a, l) => a + (key === 'layers' ? 1 : l[key]), 0) + s.children.reduce((a, c) => a + c.totals[key], 0);
  const knownOf = (t: ScopeCost['totals']) => t.known?.macs ?? (t.macs as number);
  const knownMacs =
    direct.reduce((a, l) => a + (l.macs ?? 0), 0) + s.children.reduce((a, c) => a + knownOf(c.totals), 0);
  const anyUnknown =
    direct.some((l) => l.macs === null) || s.children.some((c) => c.totals.unknownLayers !== undefined);
  assert.equal(
    s.totals.unknownLayers !== undefined,
    anyUnknown,
    `scope '${s.path}' carries known/unknownLayers exactly when some layer in it is unknown`,
  );
  assert.equal(s.totals.known !== undefined, anyUnknown, `known and unknownLayers go together in '${s.path}'`);
  assert.equal(s.totals.params, sum('params'), `params of scope '${s.path}'`);
  assert.equal(s.totals.weightBytes, sum('weightBytes'), `weight bytes of scope '${s.path}'`);
  assert.equal(s.totals.layers, sum('layers'), `layers of scope '${s.path}'`);
  assert.equal(knownOf(s.totals), knownMacs, `MACs of scope '${s.path}'`);
  for (const c of s.children) checkScope(c, layers);
}

test('name-scope totals add up to the model totals at every level', () => {
  const p = profileModel(resNet50({ weights: 'zeros' }));
  const { known: _k, unknownLayers: _u, ...strict } = p.totals;
  assert.deepEqual(
    p.scopes.totals,
    strict,
    'the root scope is the whole model (nothing unknown: no known/unknownLayers)',
  );
  checkScope(p.scopes, p.layers);
  const names = p.scopes.children.map((c) => c.name);
  assert.deepEqual(names, ['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'fc']);
  const layer3 = p.scopes.children.find((c) => c.name === 'layer3') as ScopeCost;
  assert.equal(layer3.children.length, 6, 'six bottlenecks');
  assert.equal(layer3.children[0].path, 'layer3/layer3.0');
  assert.deepEqual(
    layer3.children[0].children.map((c) => c.name),
    ['conv1', 'bn1', 'relu', 'conv2', 'bn2', 'relu_1', 'conv3', 'bn3', 'downsample', 'relu_2'],
  );
  assert.equal(p.scopes.layerIndices.length, 1, "only '/Flatten' sits at the root");
  const sumOfStages = p.scopes.children.reduce((a, c) => a + (c.totals.macs ?? 0), 0);
  assert.equal(sumOfStages, p.totals.macs);
});

test('a scope with an unknown layer keeps known/unknownLayers; its fully known siblings leave them out', () => {
  const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'example.custom', version: 1 }] });
  const x = b.input('x', F, [1, 16]);
  const w = b.initializer('w', F, [16, 16], zeros(256));
  const a = b.node('MatMul', [x, w], {}, { name: '/known/MatMul' });
  const y = b.node('Mystery', [a], {}, { name: '/odd/Mystery', domain: 'example.custom' });
  const z = b.node('Relu', [a], {}, { name: '/known2/Relu' });
  b.output(y, F, undefined);
  b.output(z, F, [1, 16]);
  const p = profileModel(b.build());
  checkScope(p.scopes, p.layers);
  const odd = p.scopes.children.find((c) => c.name === 'odd');
  const known = p.scopes.children.find((c) => c.name === 'known');
  assert.deepEqual(odd?.totals.unknownLayers, { macs: 1, flops: 1, activationBytes: 1, inputBytes: 0, memoryBytes: 1 });
  assert.equal(odd?.totals.macs, null, 'the strict total is n/a');
  assert.equal(known?.totals.macs, 256, 'MatMul 1x16 by 16x16');
  assert.equal(known?.totals.known, undefined, 'nothing unknown: no known/unknownLayers');
  assert.deepEqual(p.scopes.totals.unknownLayers, p.totals.unknownLayers, 'the root carries them too');
});

test('scopes revisited out of order, with more children than are scanned, collect the right layers', () => {
  // 12 sibling scopes under '/blocks', visited round-robin three times: each visit after the first finds its scope
  // again, by scanning while '/blocks' has few children and by name once it has many.
  const b = new GraphBuilder({ opset: 17 });
  let x = b.input('x', F, [1, 4]);
  const expected = new Map<string, number[]>();
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < 12; k++) {
      const index = round * 12 + k;
      x = b.node('Relu', [x], {}, { name: `/blocks/s${k}/Relu_${round}` });
      expected.set(`blocks/s${k}`, [...(expected.get(`blocks/s${k}`) ?? []), index]);
    }
  }
  b.output(x, F, [1, 4]);
  const p = profileModel(b.build());
  checkScope(p.scopes, p.layers);
  const blocks = p.scopes.children[0];
  assert.equal(p.scopes.children.length, 1, 'one top-level scope');
  assert.deepEqual(
    blocks.children.map((c) => c.name),
    Array.from({ length: 12 }, (_, k) => `s${k}`),
    'children in order of first appearance, each once',
  );
  for (const c of blocks.children) {
    assert.equal(c.path, `blocks/${c.name}`);
    assert.deepEqual(c.layerIndices, expected.get(c.path), `layers of ${c.path}`);
    assert.equal(c.totals.layers, 3, `layer count of ${c.path}`);
  }
  assert.equal(blocks.totals.layers, 36);
});

test('a Loop body is costed once (one iteration), an If by its heavier branch, and a warning says so', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', F, [1, 4]);
  const trips = b.initializer('trips', DataType.INT64, [], [3]);
  const w = b.initializer('w', F, [4, 4], zeros(16));
  const body = b.subgraph('body');
  body.input('i', DataType.INT64, []);
  const cond = body.input('cond', DataType.BOOL, []);
  const h = body.input('h', F, [1, 4]);
  const h2 = body.node('MatMul', [h, w], {}, { name: 'body_mm' });
  const condOut = body.node('Identity', [cond], {}, { name: 'body_cond' });
  body.output(condOut, DataType.BOOL, []);
  body.output(h2, F, [1, 4]);
  const looped = b.node('Loop', [trips, '', x], { body: body.toGraph() }, { name: 'loop' });

  const flag = b.input('flag', DataType.BOOL, []);
  const heavy = b.subgraph('then');
  const w8 = heavy.addInitializer(makeTensor('w8', F, [4, 8], zeros(32)));
  heavy.output(heavy.node('MatMul', [looped, w8], {}, { name: 'then_mm' }), F, [1, 8]);
  const light = b.subgraph('else');
  const w8b = light.addInitializer(makeTensor('w8b', F, [4, 8], zeros(32)));
  const sliced = light.node('Mul', [looped, looped], {}, { name: 'else_mul' });
  light.output(light.node('MatMul', [sliced, w8b], {}, { name: 'else_mm' }), F, [1, 8]);
  const y = b.node('If', [flag], { then_branch: heavy.toGraph(), else_branch: light.toGraph() }, { name: 'if' });
  b.output(y, F, [1, 8]);
  const p = profileModel(b.build());

  const loop = layer(p, 'loop');
  assert.equal(loop.macs, 16, 'one iteration of a [1,4]×[4,4] MatMul, not three');
  assert.equal(loop.params, 16 + 1, 'the body reads w; the trip count is an initializer too');
  assert.equal(loop.subgraphs?.[0].attribute, 'body');
  const ifLayer = layer(p, 'if');
  assert.equal(ifLayer.macs, 32);
  assert.equal(ifLayer.flops, 64 + 4, 'the else branch: a Mul (4 FLOPs) and a [1,4]×[4,8] MatMul');
  assert.equal(ifLayer.params, 64, 'weights of both branches are stored');
  assert.deepEqual(
    ifLayer.subgraphs?.map((s) => [s.attribute, s.counted]),
    [
      ['then_branch', false],
      ['else_branch', true],
    ],
  );
  const w2 = p.warnings.find((x) => x.code === 'subgraph-once');
  assert.ok(w2?.message.includes("'loop (Loop)'") && w2.message.includes("'if (If)'"), JSON.stringify(p.warnings));
});

// ---------------------------------------------------------------------------------------------------------------
// Traditional ML (ai.onnx.ml)

test('SVMClassifier: kernel MACs per support vector plus one-vs-one decision values, counted by hand', () => {
  const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'ai.onnx.ml', version: 1 }] });
  const x = b.input('x', F, [2, 5]);
  // 3 classes, 4 support vectors (2 + 1 + 1) of 5 features, RBF kernel, with Platt probabilities.
  const [label, scores] = b.nodeOutputs(
    'SVMClassifier',
    [x],
    2,
    {
      classlabels_ints: [0, 1, 2],
      vectors_per_class: [2, 1, 1],
      support_vectors: zeros(20),
      coefficients: zeros(8),
      rho: [0, 0, 0],
      prob_a: [1, 1, 1],
      prob_b: [0, 0, 0],
      kernel_type: 'RBF',
      kernel_params: [0.1, 0, 3],
    },
    { name: 'svm', domain: 'ai.onnx.ml' },
  );
  b.output(label, DataType.INT64, [2]);
  b.output(scores, F, [2, 3]);
  const svm = layer(profileModel(b.build()), 'svm');
  // Kernel: N·S·F = 2·4·5 = 40 MACs; decision: N·(C−1)·S = 2·2·4 = 16 MACs.
  assert.equal(svm.macs, 56);
  // 2·56 multiply-adds + RBF extra (F + 2 = 7 per example and vector: 2·4·7 = 56) + rho and vote per pair
  // (2·3·2 = 12) + Platt scaling (4 per pair: 2·3·4 = 24).
  assert.equal(svm.flops, 112 + 56 + 12 + 24);
});

test('SVMRegressor and a linear SVMClassifier (no support vectors) are priced too', () => {
  const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'ai.onnx.ml', version: 1 }] });
  const x = b.input('x', F, [3, 4]);
  const y = b.node(
    'SVMRegressor',
    [x],
    {
      n_supports: 6,
      support_vectors: zeros(24),
      coefficients: zeros(6),
      rho: [0],
      kernel_type: 'POLY',
      kernel_params: [1, 0, 2],
    },
    { name: 'svr', domain: 'ai.onnx.ml' },
  );
  b.output(y, F, [3, 1]);
  const [label, scores] = b.nodeOutputs(
    'SVMClassifier',
    [x],
    2,
    { classlabels_ints: [0, 1, 2], coefficients: zeros(12), rho: [0, 0, 0], kernel_type: 'LINEAR' },
    { name: 'linear', domain: 'ai.onnx.ml' },
  );
  b.output(label, DataType.INT64, [3]);
  b.output(scores, F, [3, 3]);
  const p = profileModel(b.build());
  const svr = layer(p, 'svr');
  // 3·6·4 = 72 kernel MACs + 3·6 = 18 coefficient MACs; POLY adds 3 per example and vector; one rho per example.
  assert.equal(svr.macs, 90);
  assert.equal(svr.flops, 180 + 54 + 3);
  const linear = layer(p, 'linear');
  // 3 rows of 4 weights per example: 3·3·4 = 36 MACs, one rho per row and example.
  assert.equal(linear.macs, 36);
  assert.equal(linear.flops, 72 + 9);
  assert.equal(p.warnings.filter((w) => w.code === 'no-cost-rule').length, 0, JSON.stringify(p.warnings));
});

test('a node with many inputs counts each run-time input value once (repeats and weights left out)', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 8]);
  const y = b.input('y', DataType.FLOAT, [1, 8]);
  const w = b.initializer('w', DataType.FLOAT, [1, 8], new Array(8).fill(1));
  const distinct = Array.from({ length: 30 }, (_, i) => b.node('Relu', [i % 2 ? x : y], {}, { name: `r${i}` }));
  // 30 distinct values, x and y twice each, and a weight: more inputs than a scan handles.
  const sum = b.node('Sum', [...distinct, x, y, x, w, y], {}, { name: 'sum' });
  b.output(sum, DataType.FLOAT, [1, 8]);
  const p = profileModel(b.build());
  const layer = p.layers.find((l) => l.name === 'sum');
  assert.ok(layer, 'the Sum layer');
  assert.equal(layer.inputBytes, 32 * 32, '30 distinct values + x + y, 32 bytes each, the weight not counted');
  assert.equal(layer.weightBytesRead, 32, 'the weight is read as a weight');
});

test("a scope's strict totals have every field of the model's totals but known/unknownLayers, in the same order", () => {
  const p = profileModel(mobileNetV2());
  const strict = (s: ScopeCost): ScopeCost[] => [s, ...s.children.flatMap(strict)];
  const scopes = strict(p.scopes);
  assert.ok(scopes.length > 10, 'MobileNetV2 has name scopes');
  const expected = Object.keys(p.totals).filter((k) => k !== 'known' && k !== 'unknownLayers');
  for (const s of scopes) assert.deepEqual(Object.keys(s.totals), expected, `scope '${s.path}'`);
});
