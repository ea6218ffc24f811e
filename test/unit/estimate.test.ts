import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { estimateJson, formatEstimateCsv, formatEstimateTable } from '../../src/core/report/estimateReport.js';
import { checkBudgets, parseDuration, parseSize } from '../../src/core/targets/budget.js';
import { builtinProfile } from '../../src/core/targets/builtinProfiles.js';
import { type Estimate, estimateModel, type LayerEstimate } from '../../src/core/targets/estimate.js';
import { costAtSize, type HardwareProfile, type OperatorFallback } from '../../src/core/targets/profile.js';
import { formatMs, formatSize } from '../../src/core/targets/units.js';

const KiB = 1024;

/**
 * A made-up MCU with round numbers, so every estimate below can be computed by hand:
 * float32 1e8 MAC/s, int8 4e8 MAC/s; SRAM 64 KiB at 1e8 B/s (activations); flash 256 KiB at 5e7 B/s (weights);
 * 0.01 ms per op, 0.1 ms per inference; efficiency conv 0.5, depthwise 0.25, matmul 0.5, element-wise 0.1.
 */
function mcu(over: Partial<HardwareProfile> = {}): HardwareProfile {
  return {
    id: 'test-mcu',
    name: 'Test MCU',
    kind: 'mcu',
    runtime: { name: 'Test RT', version: '1.0' },
    clockMHz: 100,
    compute: { float32: { macsPerSec: 1e8 }, int8: { macsPerSec: 4e8 } },
    memory: {
      sram: { description: 'SRAM', bytes: 64 * KiB, bandwidthBytesPerSec: 1e8 },
      flash: { description: 'flash', bytes: 256 * KiB, bandwidthBytesPerSec: 5e7 },
    },
    placement: { weights: 'flash', activations: 'sram' },
    dtypes: ['float32', 'int8'],
    operators: { mode: 'all-except', ops: [], fallback: { target: 'none', description: 'no kernel' } },
    perOpOverheadSec: 1e-5,
    perInferenceOverheadSec: 1e-4,
    efficiency: { conv: 0.5, depthwise: 0.25, matmul: 0.5, elementwise: 0.1, pooling: 0.2, other: 0.1 },
    fusions: [],
    calibration: { status: 'uncalibrated' },
    sources: {},
    ...over,
  };
}

/** A host for fallbacks: float32 and int8 at 1e9 MAC/s, DRAM at 1e9 B/s, no per-op cost. */
function host(): HardwareProfile {
  return mcu({
    id: 'test-host',
    kind: 'cpu',
    compute: { float32: { macsPerSec: 1e9 }, int8: { macsPerSec: 1e9 } },
    memory: { dram: { description: 'DRAM', bytes: 1024 * 1024 * KiB, bandwidthBytesPerSec: 1e9 } },
    placement: { weights: 'dram', activations: 'dram' },
    perOpOverheadSec: 0,
    perInferenceOverheadSec: 0,
    efficiency: { conv: 1, depthwise: 1, matmul: 1, elementwise: 1, pooling: 1, other: 1 },
  });
}

function estimate(model: Model, profile: HardwareProfile, extra: HardwareProfile[] = []): Estimate {
  const { profile: cost, facts } = analyzeModel(model);
  const profiles = new Map([profile, host(), ...extra].map((p) => [p.id, p]));
  return estimateModel(model, cost, facts, profile, { profiles });
}

function close(actual: number | null | undefined, expected: number, what: string) {
  assert.ok(actual !== null && actual !== undefined, `${what}: expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

function layer(est: Estimate, index: number): LayerEstimate {
  const l = est.layers.find((x) => x.index === index);
  assert.ok(l, `layer ${index} present`);
  return l;
}

/** x [1,3,8,8] -> Conv 3x3, 4 filters, pads 1 -> y [1,4,8,8]: 4·8·8·27 = 6,912 MACs. */
function convModel(): Model {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const w = b.initializer('w', DataType.FLOAT, [4, 3, 3, 3], new Array(108).fill(0.5));
  b.output(b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), DataType.FLOAT, [1, 4, 8, 8]);
  return b.build();
}

test('roofline: a compute-bound Conv costs MACs / (peak × efficiency) + per-op overhead', () => {
  const est = estimate(convModel(), mcu());
  const conv = layer(est, 0);
  assert.equal(conv.opClass, 'conv');
  assert.equal(conv.dtype, 'float32');
  // compute: 6,912 MACs / (1e8 MAC/s × 0.5) = 138.24 µs.
  close(conv.computeMs, 0.13824, 'compute');
  // memory: activations (768 B in + 1,024 B out) / 1e8 B/s = 17.92 µs; weights 432 B / 5e7 B/s = 8.64 µs.
  close(conv.memoryMs, 0.01792 + 0.00864, 'memory');
  close(conv.overheadMs, 0.01, 'overhead');
  close(conv.latencyMs, 0.13824 + 0.01, 'latency = max(compute, memory) + overhead');
  assert.equal(conv.bound, 'compute');
  close(conv.share, 1, 'share');
  close(est.totals.latencyMs, 0.13824 + 0.01 + 0.1, 'total = layers + per-inference overhead');
  close(est.totals.perInferenceMs, 0.1, 'per inference');
  assert.equal(est.totals.computeBoundLayers, 1);
});

test('roofline: an Add is memory-bound', () => {
  // x, y [1,1000] float -> Add -> z: 1,000 FLOPs; 8,000 B in + 4,000 B out.
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 1000]);
  const y = b.input('y', DataType.FLOAT, [1, 1000]);
  b.output(b.node('Add', [x, y]), DataType.FLOAT, [1, 1000]);
  const add = layer(estimate(b.build(), mcu()), 0);
  assert.equal(add.opClass, 'elementwise');
  close(add.computeMs, 0.1, '1,000 / (1e8 × 0.1) s');
  close(add.memoryMs, 0.12, '12,000 B / 1e8 B/s');
  close(add.latencyMs, 0.13, 'memory + overhead');
  assert.equal(add.bound, 'memory');
});

test('roofline: a depthwise Conv is priced with the depthwise efficiency (any channel multiplier)', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const w = b.initializer('w', DataType.FLOAT, [4, 1, 3, 3], new Array(36).fill(0.1));
  const w2 = b.initializer('w2', DataType.FLOAT, [8, 1, 3, 3], new Array(72).fill(0.1));
  const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 4 };
  const dw = b.node('Conv', [x, w], conv);
  b.output(b.node('Conv', [dw, w2], conv), DataType.FLOAT, [1, 8, 8, 8]);
  const est = estimate(b.build(), mcu());
  const first = layer(est, 0);
  assert.equal(first.opClass, 'depthwise');
  // 4·8·8·9 = 2,304 MACs / (1e8 × 0.25) = 92.16 µs; memory (1,024 + 1,024) / 1e8 + 144 / 5e7 = 23.36 µs.
  close(first.computeMs, 0.09216, 'compute');
  close(first.memoryMs, 0.02048 + 0.00288, 'memory');
  close(first.latencyMs, 0.10216, 'latency');
  assert.equal(layer(est, 1).opClass, 'depthwise', 'channel multiplier 2 is still depthwise');
});

/** x int8 [1,1000] -> Relu -> Cast(float) -> Relu (float) -> Cast(int8) -> Relu -> out: a float island. */
function floatIsland(): Model {
  const b = new GraphBuilder({ opset: 17 });
  let v = b.input('x', DataType.INT8, [1, 1000]);
  v = b.node('Relu', [v], {}, { name: 'relu0' });
  v = b.node('Cast', [v], { to: DataType.FLOAT }, { name: 'to_float' });
  v = b.node('Relu', [v], {}, { name: 'relu_float' });
  v = b.node('Cast', [v], { to: DataType.INT8 }, { name: 'to_int8' });
  v = b.node('Relu', [v], {}, { name: 'relu_last' });
  b.output(v, DataType.INT8, [1, 1000]);
  return b.build();
}

function int8Only(partition: 'per-op' | 'rest-of-graph'): HardwareProfile {
  const fallback: OperatorFallback = {
    target: 'host-cpu',
    description: 'host',
    profileId: 'test-host',
    costFactor: 2,
    perBoundarySec: 1e-3,
    transferBytesPerSec: 1e6,
    partition,
  };
  return mcu({ id: 'test-npu', kind: 'npu', operators: { mode: 'all-except', ops: [], dtypes: ['int8'], fallback } });
}

test('a float model on an int8-only profile runs on the fallback, priced by the fallback profile × costFactor', () => {
  const est = estimate(convModel(), int8Only('per-op'));
  const conv = layer(est, 0);
  assert.equal(conv.runsOn, 'fallback');
  // On the host: 6,912 / 1e9 s = 6.912 µs compute, × costFactor 2.
  close(conv.computeMs, 0.006912 * 2, 'compute on host × 2');
  // Host DRAM: (768 + 1,024 + 432) B / 1e9 B/s = 2.224 µs, × 2.
  close(conv.memoryMs, 0.002224 * 2, 'memory on host × 2');
  close(conv.latencyMs, 0.013824, 'no per-op cost on the host, no boundary before the first layer');
  const d = est.diagnostics.find((x) => x.code === 'unsupported-dtype');
  assert.ok(d, 'unsupported-dtype diagnostic');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.layers, [0]);
  assert.ok(d.fixes.includes('quantize-int8'), 'quantize is offered');
  assert.match(d.message, /float32; test-npu runs int8 only: runs on the host CPU/);
});

test("fallback 'rest-of-graph' moves everything after the first unsupported op; 'per-op' only that op", () => {
  const rest = estimate(floatIsland(), int8Only('rest-of-graph'));
  assert.deepEqual(
    rest.layers.map((l) => l.runsOn),
    ['target', 'target', 'fallback', 'fallback', 'fallback'],
  );
  // One crossing, before relu_float: 1 ms + 4,000 B over 1e6 B/s = 5 ms.
  close(layer(rest, 2).boundaryMs, 5, 'boundary into the host');
  assert.equal(layer(rest, 4).boundaryMs, undefined);
  const partition = rest.diagnostics.find((d) => d.code === 'fallback-partition');
  assert.ok(partition, 'partition diagnostic');
  assert.deepEqual(partition.layers, [2, 3, 4]);
  assert.match(partition.message, /from layer relu_float \(Relu\) on, 3 layers of 5 run on the host CPU/);

  const perOp = estimate(floatIsland(), int8Only('per-op'));
  assert.deepEqual(
    perOp.layers.map((l) => l.runsOn),
    ['target', 'target', 'fallback', 'fallback', 'target'],
  );
  close(layer(perOp, 2).boundaryMs, 5, 'into the host');
  close(layer(perOp, 4).boundaryMs, 1 + 1, 'back: 1 ms + 1,000 B / 1e6 B/s');
  assert.equal(
    perOp.diagnostics.find((d) => d.code === 'fallback-partition'),
    undefined,
  );
  // relu_last on the target (int8): 1,000 / (4e8 × 0.1) = 25 µs vs (1,000 + 1,000) B / 1e8 = 20 µs.
  close(layer(perOp, 4).latencyMs, 0.025 + 0.01 + 2, 'compute + overhead + boundary');
  const sum = perOp.layers.reduce((s, l) => s + (l.latencyMs ?? 0), 0);
  close(perOp.totals.latencyMs, sum + 0.1, 'total = sum of layers (boundaries included) + per inference');
});

test("an op the target lacks with fallback 'none' is an error and has no latency", () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 10]);
  const r = b.node('Relu', [x]);
  b.output(b.node('Softmax', [r], {}, { name: 'probs' }), DataType.FLOAT, [1, 10]);
  const profile = mcu({
    operators: { mode: 'all-except', ops: ['Softmax'], fallback: { target: 'none', description: 'no kernel' } },
  });
  const est = estimate(b.build(), profile);
  const softmax = layer(est, 1);
  assert.equal(softmax.runsOn, 'unsupported');
  assert.equal(softmax.latencyMs, null);
  assert.equal(est.totals.latencyMs, null, 'the total is unknown');
  close(est.totals.knownLatencyMs, layer(est, 0).latencyMs ?? Number.NaN, 'known part: the Relu');
  const d = est.diagnostics.find((x) => x.code === 'unsupported-op');
  assert.ok(d, 'unsupported-op diagnostic');
  assert.equal(d.severity, 'error');
  assert.deepEqual(d.layers, [1]);
  assert.deepEqual(d.fixes, ['replace-op']);
  assert.match(d.message, /^Softmax not supported on test-mcu: cannot run/);
  // An 'only' list rejects ops outside the default domain even when their name matches.
  const custom = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'example.custom', version: 1 }] });
  const cx = custom.input('x', DataType.FLOAT, [1, 10]);
  custom.output(custom.node('Relu', [cx], {}, { domain: 'example.custom' }), DataType.FLOAT);
  const only = mcu({ operators: { mode: 'only', ops: ['Relu'], fallback: { target: 'none', description: 'none' } } });
  assert.equal(layer(estimate(custom.build(), only), 0).runsOn, 'unsupported');
});

/** Adds x -> Conv -> BatchNormalization -> Relu to `b`; returns the Conv's and the Relu's outputs. */
function addConvBnRelu(b: GraphBuilder): { conv: string; relu: string } {
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const w = b.initializer('w', DataType.FLOAT, [4, 3, 3, 3], new Array(108).fill(0.5));
  const bn = ['scale', 'bias', 'mean', 'var'].map((n) => b.initializer(n, DataType.FLOAT, [4], [1, 1, 1, 1]));
  const conv = b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  const n = b.node('BatchNormalization', [conv, ...bn], {}, { name: 'bn' });
  return { conv, relu: b.node('Relu', [n], {}, { name: 'relu' }) };
}

/** x -> Conv -> BatchNormalization -> Relu -> y; with `branch`, the Conv output also feeds an Add with y. */
function convBnRelu(branch: boolean): Model {
  const b = new GraphBuilder({ opset: 17 });
  const { conv: c, relu: r } = addConvBnRelu(b);
  b.output(branch ? b.node('Add', [c, r], {}, { name: 'add' }) : r, DataType.FLOAT, [1, 4, 8, 8]);
  return b.build();
}

test('Conv + BatchNormalization + Relu fuse into the Conv; not when the Conv output has a second consumer', () => {
  const fusions = [{ pattern: ['Conv', 'BatchNormalization', 'Relu'] }, { pattern: ['Conv', 'Relu'] }];
  const est = estimate(convBnRelu(false), mcu({ fusions }));
  const [conv, bn, relu] = est.layers;
  assert.equal(bn.fusedInto, 0);
  assert.equal(relu.fusedInto, 0);
  assert.equal(conv.fusedInto, undefined);
  for (const f of [bn, relu]) {
    assert.equal(f.latencyMs, 0, `${f.name} costs nothing of its own`);
    assert.equal(f.share, null, `${f.name} has no share`);
  }
  close(conv.latencyMs, 0.14824, 'the chain costs what the Conv costs');
  // The chain reads x and the Conv weights (the batch norm folds into them) and writes the Relu output only.
  close(conv.memoryMs, (768 + 1024) / 1e5 + 0.00864, 'memory of the chain');
  assert.equal(est.totals.fusedLayers, 2);
  const ids = est.arena.placements.map((p) => p.id);
  assert.deepEqual(ids.sort(), ['relu_out', 'x'], 'no arena buffer for the fused intermediates');
  assert.equal(est.arena.peakBytes, 768 + 1024, 'x and the chain output at the Conv step');
  close(est.totals.latencyMs, 0.14824 + 0.1, 'total');

  const branched = estimate(convBnRelu(true), mcu({ fusions }));
  assert.deepEqual(
    branched.layers.map((l) => l.fusedInto),
    [undefined, undefined, undefined, undefined],
    'the Conv output is read twice: nothing fuses',
  );
  assert.ok(
    branched.layers.every((l) => (l.latencyMs ?? 0) > 0),
    'every layer has its own cost',
  );
});

test('RAM: an arena larger than the SRAM is a ram-exceeded error naming both numbers', () => {
  // x [1,16384] float (64 KiB) -> Relu -> y (64 KiB): both alive at step 0, 128 KiB > 64 KiB.
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 16384]);
  b.output(b.node('Relu', [x]), DataType.FLOAT, [1, 16384]);
  const est = estimate(b.build(), mcu());
  assert.equal(est.totals.peakRamBytes, 128 * KiB);
  assert.equal(est.totals.ramCapacityBytes, 64 * KiB);
  assert.equal(est.totals.fits.ram, false);
  const d = est.diagnostics.find((x) => x.code === 'ram-exceeded');
  assert.ok(d, 'ram-exceeded diagnostic');
  assert.equal(d.severity, 'error');
  assert.match(d.message, /^model needs 128 KB RAM \(arena 128 KB; estimate, uncalibrated\), test-mcu has 64 KB$/);
  assert.deepEqual(d.layers, [0]);
  assert.ok(d.fixes.includes('quantize-int8') && d.fixes.includes('reduce-input-size'), 'fixes');
});

test('flash: weights beyond the flash capacity are a flash-exceeded error; runtime memory counts', () => {
  // Gemm with a 256×512 float weight: 512 KiB of weights in 256 KiB of flash.
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 512]);
  const w = b.initializer('w', DataType.FLOAT, [512, 256], new Float32Array(512 * 256));
  b.output(b.node('Gemm', [x, w]), DataType.FLOAT, [1, 256]);
  const runtimeMemory = {
    perTensorBytes: 24,
    perOpBytes: 56,
    arenaAlignmentBytes: 16,
    codeBytes: 16 * KiB,
    perOpTypeCodeBytes: 2 * KiB,
  };
  const est = estimate(b.build(), mcu({ runtimeMemory }));
  assert.equal(est.totals.flash.weightBytes, 512 * KiB);
  assert.equal(est.totals.flash.runtimeCodeBytes, 18 * KiB, '16 KiB core + 2 KiB for one op type');
  assert.equal(est.totals.flashBytes, 530 * KiB);
  assert.equal(est.totals.fits.flash, false);
  // Runtime RAM: 3 tensors (x, output, w) × 24 + 1 op × 56.
  assert.equal(est.totals.ram.runtimeBytes, 3 * 24 + 56);
  assert.equal(est.totals.peakRamBytes, 2048 + 1024 + 128, 'arena (x 2 KiB + y 1 KiB) + runtime');
  const d = est.diagnostics.find((x) => x.code === 'flash-exceeded');
  assert.ok(d, 'flash-exceeded diagnostic');
  assert.match(
    d.message,
    /^model needs 530 KB flash \(weights 512 KB \+ runtime 18 KB; estimate, uncalibrated\), test-mcu has 256 KB$/,
  );
  assert.ok(d.fixes.includes('quantize-int8') && d.fixes.includes('prune'), 'fixes');
});

test('weights in DRAM on a GPU profile count toward RAM and are read at DRAM bandwidth; no flash', () => {
  const gpu = mcu({
    id: 'test-gpu',
    kind: 'gpu',
    memory: { dram: { description: 'LPDDR', bytes: 4 * 1024 * 1024 * KiB, bandwidthBytesPerSec: 1e10 } },
    placement: { weights: 'dram', activations: 'dram' },
    compute: { float32: { macsPerSec: 1e12 } },
  });
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 512]);
  const w = b.initializer('w', DataType.FLOAT, [512, 256], new Float32Array(512 * 256));
  b.output(b.node('Gemm', [x, w]), DataType.FLOAT, [1, 256]);
  const est = estimate(b.build(), gpu);
  assert.equal(est.totals.ram.weightBytes, 512 * KiB);
  assert.equal(est.totals.peakRamBytes, 512 * KiB + 3 * KiB);
  assert.equal(est.totals.flashBytes, 0);
  assert.equal(est.totals.fits.flash, null);
  assert.equal(est.totals.fits.ram, true);
  const gemm = layer(est, 0);
  // 131,072 MACs / (1e12 × 0.5) = 0.262 µs; memory (2,048 + 1,024 + 524,288) B / 1e10 B/s = 52.7 µs.
  close(gemm.computeMs, (131072 / 5e11) * 1000, 'compute');
  close(gemm.memoryMs, ((2048 + 1024 + 524288) / 1e10) * 1000, 'memory, weights included');
  assert.equal(gemm.bound, 'memory');
});

test('every estimate carries the calibration status', () => {
  const plain = estimate(convModel(), mcu());
  assert.equal(plain.target.accuracy, 'estimate (uncalibrated)');
  const calibrated = mcu({
    calibration: { status: 'calibrated', measurements: 12, medianAbsErrorPct: 8.5, source: 'test' },
    memory: { sram: { description: 'SRAM', bytes: 1024, bandwidthBytesPerSec: 1e8 } },
  });
  const est = estimate(convModel(), calibrated);
  assert.equal(est.target.accuracy, 'estimate (calibrated: 12 measurements, median |error| 8.5%)');
  const ram = est.diagnostics.find((d) => d.code === 'ram-exceeded');
  assert.ok(ram, 'ram-exceeded');
  assert.match(ram.message, /estimate, calibrated: 12 measurements, median \|error\| 8\.5%/);
  const { profile: cost } = analyzeModel(convModel());
  assert.match(
    formatEstimateTable(cost, est),
    /^target: test-mcu — Test MCU; runtime Test RT 1\.0; estimate \(calibrated: 12/m,
  );
  assert.match(formatEstimateTable(cost, est), /^latency: .*; estimate \(calibrated: 12 measurements/m);
  assert.match(formatEstimateCsv(cost, est).split('\n')[1], /,test-mcu,"estimate \(calibrated: 12 measurements/);
  const check = checkBudgets(est, { latencyMs: 0.1 }, 432);
  assert.match(check.violations[0], /^latency 0\.248 ms > budget 0\.1 ms \(estimate, calibrated: 12 measurements/);
});

test('a QDQ model computes in int8: it stays on an int8-only target', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const s = b.initializer('s', DataType.FLOAT, [], [0.1]);
  const z = b.initializer('z', DataType.INT8, [], [0]);
  const wq = b.initializer('wq', DataType.INT8, [4, 3, 3, 3], new Array(108).fill(1));
  const q = b.node('QuantizeLinear', [x, s, z], {}, { name: 'q' });
  const dq = b.node('DequantizeLinear', [q, s, z], {}, { name: 'dq' });
  const w = b.node('DequantizeLinear', [wq, s, z], {}, { name: 'dq_w' });
  b.output(b.node('Conv', [dq, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' }), DataType.FLOAT);
  const est = estimate(b.build(), int8Only('rest-of-graph'));
  const byName = new Map(est.layers.map((l) => [l.name, l]));
  assert.equal(byName.get('q')?.dtype, 'int8', 'QuantizeLinear: its output type');
  assert.equal(byName.get('conv')?.dtype, 'int8', 'fed by DequantizeLinear: the quantized type');
  assert.ok(
    est.layers.every((l) => l.runsOn === 'target'),
    est.layers.map((l) => `${l.name}: ${l.runsOn}`).join(', '),
  );
  // int8 rate: 6,912 / (4e8 × 0.5) = 34.56 µs.
  close(byName.get('conv')?.computeMs, 0.03456, 'priced at the int8 rate');
});

test('an element type the profile has no rate for is priced at its fastest rate, with an info diagnostic', () => {
  const gpu = mcu({ compute: { float16: { macsPerSec: 2e8 }, float32: { macsPerSec: 1e8 } } });
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.INT8, [1, 1000]);
  b.output(b.node('Relu', [x]), DataType.INT8, [1, 1000]);
  const est = estimate(b.build(), gpu);
  close(layer(est, 0).computeMs, (1000 / (2e8 * 0.1)) * 1000, 'float16 rate');
  const d = est.diagnostics.find((x) => x.code === 'unpriced-dtype');
  assert.ok(d, 'unpriced-dtype diagnostic');
  assert.match(d.message, /compute in int8; test-mcu has no int8 rate: priced at its float16 rate/);
});

test('a layer above a quarter of the latency is a hot-layer info diagnostic', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const w = b.initializer('w', DataType.FLOAT, [4, 3, 3, 3], new Array(108).fill(0.5));
  const c = b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'big_conv' });
  b.output(b.node('Relu', [c]), DataType.FLOAT, [1, 4, 8, 8]);
  const est = estimate(b.build(), mcu());
  const hot = est.diagnostics.filter((d) => d.code === 'hot-layer');
  assert.equal(hot.length, 1, JSON.stringify(hot));
  assert.equal(hot[0].severity, 'info');
  assert.deepEqual(hot[0].layers, [0]);
  assert.match(hot[0].message, /^layer big_conv \(Conv\) takes \d+% of the estimated latency \(compute-bound\)$/);
  assert.deepEqual(hot[0].fixes, ['prune', 'quantize-int8', 'reduce-input-size']);
});

test('symbolic shapes: latency n/a, RAM a lower bound, fits unknown; check says why', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, ['batch', 100]);
  b.output(b.node('Relu', [x]), DataType.FLOAT, ['batch', 100]);
  const est = estimate(b.build(), mcu());
  assert.equal(est.totals.latencyMs, null);
  assert.equal(est.totals.unsizedTensors, 2);
  assert.equal(est.totals.fits.ram, null);
  assert.ok(
    est.diagnostics.some((d) => d.code === 'unknown-cost' && d.fixes.includes('set-dims')),
    'unknown-cost',
  );
  assert.ok(
    est.diagnostics.some((d) => d.code === 'unsized-tensors'),
    'unsized-tensors',
  );
  const check = checkBudgets(est, { latencyMs: 50, ramBytes: 1024 }, 0);
  assert.equal(check.violations.length, 2, check.violations.join('\n'));
  assert.match(
    check.violations[0],
    /^RAM unknown: at least 0 KB, but 2 tensors have unknown size .*cannot check budget 1 KB$/,
  );
  assert.match(check.violations[1], /^latency n\/a .*1 layer has unknown cost .*--dim.*cannot check budget 50 ms/);
});

test('budgets: sizes and times as written on the command line', () => {
  assert.equal(parseSize('256KB'), 256 * 1024);
  assert.equal(parseSize('256kb'), 256 * 1024);
  assert.equal(parseSize('1MB'), 1024 * 1024);
  assert.equal(parseSize('1.5MiB'), 1.5 * 1024 * 1024);
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('512k'), 512 * 1024);
  for (const bad of ['', 'lots', '12XB', '-1KB', '0']) assert.throws(() => parseSize(bad), /size/, bad);
  assert.equal(parseDuration('50ms'), 50);
  assert.equal(parseDuration('0.2s'), 200);
  assert.equal(parseDuration('800us'), 0.8);
  for (const bad of ['50', 'fast', '-3ms', '0s']) assert.throws(() => parseDuration(bad), /time/, bad);
  assert.equal(formatSize(412 * 1024), '412 KB');
  assert.equal(formatSize(8 * 1024 ** 3), '8,192 MB');
  assert.equal(formatMs(45.154), '45.2');
  assert.equal(formatMs(0.0101843), '0.0102');
  assert.equal(formatMs(0.01), '0.01');
});

test('check: within budget passes; each exceeded budget and each error diagnostic is one line', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 16384]);
  b.output(b.node('Relu', [x]), DataType.FLOAT, [1, 16384]);
  const model = b.build();
  const roomy = mcu({ memory: { sram: { description: 'SRAM', bytes: 1024 * KiB, bandwidthBytesPerSec: 1e8 } } });
  const ok = checkBudgets(estimate(model, roomy), { ramBytes: 256 * KiB, latencyMs: 50 }, 0);
  assert.deepEqual(ok.violations, []);
  assert.match(
    ok.summary,
    /^ok: test-mcu: latency [\d.]+ ms \(budget 50 ms\), RAM 128 KB of 1,024 KB \(budget 256 KB\)/,
  );
  const tight = checkBudgets(estimate(model, mcu()), { ramBytes: 100 * KiB, latencyMs: 0.5 }, 0);
  assert.deepEqual(tight.violations, [
    'RAM 128 KB > budget 100 KB (estimate, uncalibrated)',
    // 16,384 / (1e8 × 0.1) s = 1.6384 ms compute + 0.01 ms per op + 0.1 ms per inference.
    'latency 1.75 ms > budget 0.5 ms (estimate, uncalibrated)',
    'model needs 128 KB RAM (arena 128 KB; estimate, uncalibrated), test-mcu has 64 KB',
  ]);
});

test('estimateJson merges the estimate into the cost document; the built-in host-cpu prices Edge TPU fallbacks', () => {
  const coral = builtinProfile('coral-edgetpu');
  assert.ok(coral, 'coral-edgetpu');
  const model = convBnRelu(false);
  const { profile: cost, facts } = analyzeModel(model);
  const est = estimateModel(model, cost, facts, coral);
  assert.ok(
    est.layers.every((l) => l.runsOn === 'fallback'),
    'a float model runs on the host, fused layers with their head',
  );
  assert.ok((est.layers[0].latencyMs ?? 0) > 0, 'priced without an explicit registry');
  const doc = estimateJson(cost, est, { file: 'm.onnx' }) as Record<string, unknown> & {
    layers: Record<string, unknown>[];
    totals: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(doc), [
    'model',
    'target',
    'totals',
    'layers',
    'scopes',
    'warnings',
    'diagnostics',
    'arena',
  ]);
  for (const k of ['macs', 'params', 'latencyMs', 'peakRamBytes', 'flashBytes', 'fits']) assert.ok(k in doc.totals, k);
  for (const k of ['macs', 'outputs', 'latencyMs', 'bound', 'runsOn', 'share']) assert.ok(k in doc.layers[0], k);
  assert.equal(doc.layers[1].fusedInto, 0);
});

test('size-dependent overheads: a cost table interpolates linearly, holds its last value, and is 0 at 0 bytes', () => {
  const table = [
    { bytes: 1000, sec: 1e-6 },
    { bytes: 3000, sec: 5e-6 },
  ];
  close(costAtSize(table, 0), 0, '0 bytes');
  close(costAtSize(table, 500), 0.5e-6, 'half way to the first point');
  close(costAtSize(table, 2000), 3e-6, 'between the points');
  close(costAtSize(table, 1e9), 5e-6, 'beyond the last point');
  close(costAtSize([...table].reverse(), 2000), 3e-6, 'unsorted points are sorted');
  close(costAtSize(undefined, 2000), 0, 'no table');
});

test('per-op-type and size-dependent overheads add to each layer, I/O bytes to the inference', () => {
  // convModel: Conv writes [1,4,8,8] float32 = 1,024 bytes; input 768 bytes + output 1,024 bytes = 1,792 I/O bytes.
  const plain = estimate(convModel(), mcu());
  const extra = estimate(
    convModel(),
    mcu({
      opOverheadSec: { Conv: 2e-5, MaxPool: 1 },
      overheadByOutputBytes: [{ bytes: 2048, sec: 4e-5 }],
      perInferenceByIoBytes: [{ bytes: 3584, sec: 1e-4 }],
    }),
  );
  const conv = layer(extra, 0);
  // 0.01 ms base + 0.02 ms for a Conv + 1,024/2,048 of 0.04 ms for its output.
  close(conv.overheadMs, 0.01 + 0.02 + 0.02, 'Conv overhead');
  close(extra.totals.perInferenceMs, 0.1 + 0.05, 'per inference: 1,792/3,584 of 0.1 ms more');
  close(
    (extra.totals.latencyMs ?? 0) - (plain.totals.latencyMs ?? 0),
    0.04 + 0.05,
    'the total grows by exactly those extras',
  );
});

test('estimateJson writes each layer as the layer followed by its estimate, key for key (fused, folded, fallback boundaries, unknown layers)', () => {
  // A model with every optional field: a fused Conv+BN+ReLU, a constant-folded Reshape shape, an op no target runs
  // (fallback boundaries on the NPU), and an op without a cost rule.
  const b = new GraphBuilder({ opset: 17 });
  const r = addConvBnRelu(b).relu;
  const dims = b.initializer('dims', DataType.INT64, [2], [1, 4]);
  const shape = b.node('Concat', [dims, dims], { axis: 0 }, { name: 'folded' });
  const flat = b.node('Reshape', [r, b.initializer('flat', DataType.INT64, [2], [1, -1])], {}, { name: 'flatten' });
  const s = b.node('Softmax', [flat], { axis: 1 }, { name: 'softmax' });
  const odd = b.node('NoSuchOp', [s], {}, { name: 'odd', domain: 'com.example' });
  b.output(odd, DataType.FLOAT, [1, 256]);
  b.output(shape, DataType.INT64, [4]);
  const model = b.build();
  const island = floatIsland();
  const cases: [Model, HardwareProfile | undefined][] = [
    ...['coral-edgetpu', 'ethos-u55-128', 'cortex-m7', 'jetson-nano'].map(
      (id): [Model, HardwareProfile | undefined] => [model, builtinProfile(id)],
    ),
    [island, int8Only('per-op')],
  ];
  const optional = new Set<string>();
  for (const [m, target] of cases) {
    assert.ok(target, 'a target');
    const id = target.id;
    const { profile: cost } = analyzeModel(m);
    if (m === model) {
      assert.ok(cost.layers.some((l) => l.folded) && cost.layers.some((l) => l.unknownReason), 'folded, unknown');
    }
    const est = estimate(m, target);
    const doc = estimateJson(cost, est) as { layers: object[] };
    const byIndex = new Map(est.layers.map((e) => [e.index, e]));
    const spread = cost.layers.map((l) => {
      const e = byIndex.get(l.index);
      return e ? { ...l, ...e, index: l.index, name: l.name, opType: l.opType } : l;
    });
    assert.equal(JSON.stringify(doc.layers), JSON.stringify(spread), `${id}: the same JSON text as spreading the two`);
    for (const e of est.layers) for (const k of ['fusedInto', 'boundaryMs']) if (k in e) optional.add(k);
  }
  assert.deepEqual([...optional].sort(), ['boundaryMs', 'fusedInto'], 'fused layers and fallback boundaries were met');
});
