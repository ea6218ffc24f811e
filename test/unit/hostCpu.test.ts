import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { runHostBenchmarks } from '../../src/core/runtime/hostBench.js';
import { fitHostCpu, hostCalibrationZoo } from '../../src/core/runtime/hostCalibration.js';
import {
  hostIdentity,
  loadHostCpuRecord,
  measureHostCpu,
  readHostCpuCacheFile,
  writeHostCpuRecord,
} from '../../src/core/runtime/hostCpuStore.js';
import { estimateModel } from '../../src/core/targets/estimate.js';
import {
  type HostCpuRecord,
  hostCpuKey,
  hostCpuProfile,
  hostRuntimeCost,
  parseHostCpuCache,
} from '../../src/core/targets/hostCpu.js';
import { uncitedPaths } from '../../src/core/targets/profile.js';
import { validateProfile } from '../../src/core/targets/profileSchema.js';

const dir = mkdtempSync(join(tmpdir(), 'emp-hostcpu-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const between = (x: number | undefined, lo: number, hi: number) => x !== undefined && x >= lo && x <= hi;

let quick: HostCpuRecord | undefined;
async function quickRecord(): Promise<HostCpuRecord> {
  quick ??= await measureHostCpu({ quick: true });
  return quick;
}

test('the microbenchmarks give positive, plausible numbers for one CPU thread', async () => {
  const r = await runHostBenchmarks({ quick: true, runs: 3 });
  assert.ok(between(r.float32MacsPerSec, 1e8, 1e12), `float32 ${r.float32MacsPerSec} MAC/s`);
  assert.ok(r.int8MacsPerSec === undefined || between(r.int8MacsPerSec, 1e8, 1e13), `int8 ${r.int8MacsPerSec} MAC/s`);
  assert.ok(between(r.bandwidthBytesPerSec, 1e8, 1e12), `bandwidth ${r.bandwidthBytesPerSec} B/s`);
  assert.ok(between(r.kernelOverheadSec, 0, 1e-3), `kernel overhead ${r.kernelOverheadSec} s`);
  assert.ok(between(r.interKernelSec, 0, 1e-3), `inter-kernel ${r.interKernelSec} s`);
  assert.ok(between(r.perInferenceOverheadSec, 0, 1e-2), `run() overhead ${r.perInferenceOverheadSec} s`);
  assert.ok(
    r.benchmarks.every((b) => b.ms >= 0 && Number.isFinite(b.value)),
    'every benchmark has a time and a value',
  );
  assert.ok(
    r.benchmarks.some((b) => b.id === 'matmul-f32') && r.benchmarks.some((b) => b.id === 'add-bandwidth'),
    'the float32 and bandwidth benchmarks ran',
  );
});

test('the host-cpu profile from a record is valid, fully cited and carries the measured numbers', async () => {
  const rec = await quickRecord();
  const p = hostCpuProfile(rec);
  assert.deepEqual(validateProfile(p), [], 'valid profile');
  assert.deepEqual(uncitedPaths(p), [], 'every number cited');
  assert.equal(p.compute.float32?.macsPerSec, rec.float32MacsPerSec, 'float32 peak');
  assert.equal(p.memory.dram?.bandwidthBytesPerSec, rec.bandwidthBytesPerSec, 'bandwidth');
  assert.ok(
    Math.abs(p.perOpOverheadSec - (rec.kernelOverheadSec + rec.interKernelSec)) < 1e-12,
    'per-op overhead = kernel + between kernels',
  );
  assert.match(p.sources['compute.float32.macsPerSec'], /^measured: /, 'cited as measured');
  assert.deepEqual(p.fusions, [], 'nothing fused with optimizations disabled');
  const basic = hostCpuProfile(rec, { optimization: 'basic' });
  assert.ok(
    basic.fusions.length > 0 && basic.fusions.every((f) => /basic level/.test(f.description ?? '')),
    'basic-level fusions only',
  );
  assert.equal(p.calibration.status, 'uncalibrated', 'no fit in a quick record');
  for (const k of ['LINEAR', 'POLY', 'RBF', 'SIGMOID'] as const)
    assert.ok((rec.svmModels?.[k]?.shapes ?? 0) >= 4, `SVMClassifier ${k} fitted on its microbenchmarks`);
  const fitted = hostCpuProfile({
    ...rec,
    fit: {
      optimization: 'disabled',
      efficiency: { conv: 0.8, depthwise: 0.1, matmul: 0.9, elementwise: 0.05, pooling: 0.1, other: 0.2 },
      kernelOverheadSec: 3e-6,
      models: ['a', 'b'],
      units: 10,
      before: { layerPct: 40, totalPct: 30 },
      after: { layerPct: 20, totalPct: 5 },
      unitsPerClass: { conv: 3, depthwise: 2, matmul: 2, elementwise: 3, pooling: 0, other: 0 },
    },
  });
  assert.deepEqual(validateProfile(fitted), [], 'valid fitted profile');
  assert.equal(fitted.efficiency.conv, 0.8, 'fitted factor used');
  assert.equal(fitted.calibration.status, 'calibrated', 'calibrated');
  assert.match(fitted.sources['efficiency.conv'], /^calibrated: /, 'fitted factor cited');
  assert.match(fitted.sources['efficiency.pooling'], /^assumed: /, 'class without measurements keeps its assumption');
});

test('cache: write, read back, keyed by machine; bad files read as empty', async () => {
  const rec = await quickRecord();
  assert.equal(rec.key, hostCpuKey(hostIdentity()), 'key of this machine');
  const path = join(dir, 'sub', 'host-cpu.json');
  await writeHostCpuRecord(path, rec);
  const other: HostCpuRecord = { ...rec, key: 'another CPU', identity: { ...rec.identity, cpuModel: 'another CPU' } };
  await writeHostCpuRecord(path, other);
  const cache = await readHostCpuCacheFile(path);
  assert.deepEqual(cache.records[rec.key], rec, 'round trip');
  assert.deepEqual(Object.keys(cache.records).sort(), [rec.key, 'another CPU'].sort(), 'both machines kept');
  const loaded = await loadHostCpuRecord({ cachePath: path, quick: true });
  assert.ok(loaded.cached, 'served from the cache');
  assert.deepEqual(loaded.record, rec, 'the cached record');
  assert.deepEqual(parseHostCpuCache('not json').records, {}, 'unreadable: empty');
  assert.deepEqual(parseHostCpuCache('{"version":1,"records":{}}').records, {}, 'other version: empty');
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, JSON.stringify({ version: 1, records: { [rec.key]: { ...rec, float32MacsPerSec: -1 } } }));
  assert.deepEqual((await readHostCpuCacheFile(broken)).records, {}, 'invalid record dropped');
  const none = await loadHostCpuRecord({ cachePath: null, quick: true });
  assert.ok(!none.cached && none.path === null, 'no cache: measured, nothing written');
});

test('runtime cost: constant subgraphs run with optimizations disabled; grouped convolutions pay per group', async () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 1024]);
  const shape = b.initializer('shape', DataType.INT64, [2], [1024, 1024]);
  const w = b.node('ConstantOfShape', [shape], {}, { name: 'weights' });
  const y = b.node('MatMul', [x, w], {}, { name: 'mm' });
  b.output(y, DataType.FLOAT, [1, 1024]);
  const model = b.build();
  const { profile: cost, facts } = analyzeModel(model);
  assert.ok(cost.layers[0].folded, 'the cost model folds ConstantOfShape');
  const disabled = hostRuntimeCost(model, cost, facts, { level: 'disabled' });
  assert.ok(!disabled.layers[0].folded, 'unfolded with optimizations disabled');
  assert.equal(disabled.layers[0].activationBytes, 1024 * 1024 * 4, 'writes the generated weights');
  assert.equal(hostRuntimeCost(model, cost, facts, { level: 'basic' }), cost, 'ONNX Runtime folds it at basic');

  const rec = await quickRecord();
  const cnn = mobileNetLike({ blocks: 1, width: 16, inputSize: 32 });
  const a = analyzeModel(cnn);
  const profile = hostCpuProfile(rec);
  const perGroupSec = 1e-6;
  const priced = hostRuntimeCost(cnn, a.profile, a.facts, {
    level: 'disabled',
    profile,
    kernels: { groupedConvPerGroupSec: perGroupSec },
  });
  const base = estimateModel(cnn, a.profile, a.facts, profile);
  const withGroups = estimateModel(cnn, priced, a.facts, profile);
  const dw = base.layers.findIndex((l) => l.opClass === 'depthwise');
  assert.ok(dw >= 0, 'the model has a depthwise layer');
  const extraMs = (withGroups.layers[dw].computeMs ?? 0) - (base.layers[dw].computeMs ?? 0);
  assert.ok(Math.abs(extraMs - 16 * perGroupSec * 1000) < 1e-9, `16 groups × 1 µs, got ${extraMs} ms`);
  assert.equal(
    hostRuntimeCost(cnn, a.profile, a.facts, {
      level: 'all',
      profile,
      kernels: { groupedConvPerGroupSec: perGroupSec },
    }),
    a.profile,
    'not at level all (NCHWc kernels)',
  );
});

test('the efficiency fit on the synthetic zoo informs every main op class with factors in (0, 1]', async () => {
  const rec = await quickRecord();
  const { fit, result } = await fitHostCpu(rec, { runs: 2 });
  assert.equal(fit.models.length, hostCalibrationZoo().length, 'every zoo model measured');
  assert.ok(fit.units > 100, `${fit.units} measured layers`);
  for (const [c, e] of Object.entries(fit.efficiency)) assert.ok(e > 0 && e <= 1, `${c} factor ${e}`);
  for (const c of ['conv', 'depthwise', 'matmul', 'elementwise'] as const)
    assert.ok(fit.unitsPerClass[c] > 0, `${c} informed by ${fit.unitsPerClass[c]} layers`);
  assert.ok(fit.kernelOverheadSec >= 0 && fit.kernelOverheadSec < 1e-3, `kernel overhead ${fit.kernelOverheadSec}`);
  assert.ok(Number.isFinite(fit.after.layerPct) && Number.isFinite(result.before.medianAbsErrorPct), 'errors reported');
  assert.deepEqual(validateProfile(hostCpuProfile({ ...rec, fit })), [], 'the fitted record gives a valid profile');
});

test('profile --target host-cpu: the cached record of this machine, else placeholders that say uncalibrated', async () => {
  const { cachedHostCpuTarget } = await import('../../src/core/runtime/hostCpuCached.js');
  const rec = await quickRecord();
  const fit = {
    optimization: 'disabled' as const,
    efficiency: { conv: 0.8, depthwise: 0.1, matmul: 0.9, elementwise: 0.1, pooling: 0.2, other: 0.1 },
    kernelOverheadSec: 2e-6,
    models: ['zoo'],
    units: 10,
    before: { layerPct: 30, totalPct: 20 },
    after: { layerPct: 10, totalPct: 5 },
    unitsPerClass: { conv: 3, depthwise: 2, matmul: 2, elementwise: 2, pooling: 0, other: 1 },
  };
  const path = join(dir, 'cached', 'host-cpu.json');
  await writeHostCpuRecord(path, { ...rec, fit });
  const host = await cachedHostCpuTarget({ cachePath: path });
  assert.ok(host.record, 'record found for this machine');
  assert.equal(host.profile.calibration.status, 'calibrated');
  assert.equal(host.profile.compute.float32?.macsPerSec, rec.float32MacsPerSec, 'measured peak');
  assert.match(host.note, /calibrated: 1 measurement/);
  const missing = await cachedHostCpuTarget({ cachePath: join(dir, 'nothing-here.json') });
  assert.equal(missing.record, undefined);
  assert.equal(missing.profile.calibration.status, 'uncalibrated');
  assert.match(missing.note, /placeholder numbers, uncalibrated/);
  // Both give an estimate of a model through the runtime cost of this machine's ONNX Runtime.
  const model = mobileNetLike();
  const a = analyzeModel(model);
  for (const h of [host, missing]) {
    const est = estimateModel(model, h.runtimeCost(model, a.profile, a.facts), a.facts, h.profile);
    assert.ok((est.totals.latencyMs ?? 0) > 0, `${h.note}: a latency`);
    assert.match(est.target.accuracy, h === host ? /calibrated/ : /uncalibrated/);
  }
});

test('kernel cost model: the least-squares fit recovers known per-unit costs and drops a term that would be negative', async () => {
  const { fitKernelCostModel, convFeatures, gemmFeatures } = await import('../../src/core/runtime/hostBench.js');
  const { kernelTime } = await import('../../src/core/targets/hostCpu.js');
  const truth = {
    perCall: 3e-6,
    perMac: 2e-11,
    perOutput: 1e-10,
    perPatch: 2e-10,
    perWeight: 0,
    perGroup: 0,
    perRow: 0,
  };
  const shapes: [number, number, number, number][] = [
    [3, 16, 3, 64],
    [16, 16, 1, 32],
    [64, 64, 3, 28],
    [128, 32, 1, 14],
    [256, 256, 3, 7],
    [8, 4, 5, 48],
    [32, 96, 1, 56],
  ];
  const rows = shapes.map(([cin, cout, k, size]) => {
    const features = convFeatures(cin, cout, k, size, size);
    return { features, sec: kernelTime(truth, features) };
  });
  const fit = fitKernelCostModel(rows, ['perCall', 'perMac', 'perOutput', 'perPatch', 'perWeight']);
  assert.ok(fit, 'a fit');
  for (const k of ['perCall', 'perMac', 'perOutput', 'perPatch'] as const)
    assert.ok(Math.abs(fit[k] - truth[k]) / truth[k] < 1e-3, `${k}: ${fit[k]} vs ${truth[k]}`);
  assert.ok(fit.perWeight < 1e-15, `perWeight: ${fit.perWeight}`);
  assert.ok(fit.medianAbsErrorPct < 0.1, `exact data, median error ${fit.medianAbsErrorPct}%`);
  assert.equal(fit.shapes, shapes.length);
  // Times that fall with MACs make perMac negative: the term is dropped, never kept below zero.
  const odd = [1, 2, 3, 4].map((i) => ({ features: gemmFeatures(1, 64 * i, 64), sec: 1e-5 / i + 1e-6 }));
  const dropped = fitKernelCostModel(odd, ['perCall', 'perMac']);
  assert.ok(dropped && dropped.perMac === 0 && dropped.perCall > 0, JSON.stringify(dropped));
});

test('runtime cost: float32 Conv and Gemm take the fitted kernel time, element-wise ops their time per element', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 16, 32, 32]);
  const w = b.initializer('w', DataType.FLOAT, [32, 16, 3, 3], new Float32Array(32 * 16 * 9).fill(0.01));
  const c = b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  const r = b.node('Relu', [c], {}, { name: 'relu' });
  b.output(r, DataType.FLOAT, [1, 32, 32, 32]);
  const model = b.build();
  const a = analyzeModel(model);
  const convModel = {
    perCall: 4e-6,
    perMac: 2e-11,
    perOutput: 1e-10,
    perPatch: 2e-10,
    perWeight: 1e-10,
    perGroup: 0,
    perRow: 0,
  };
  const rec = {
    float32MacsPerSec: 5e10,
    bandwidthBytesPerSec: 1e12,
    kernelOverheadSec: 2e-6,
    interKernelSec: 1e-6,
    perInferenceOverheadSec: 1e-5,
    kernelModels: { conv: { ...convModel, shapes: 10, medianAbsErrorPct: 5 } },
    opSecPerElement: { Relu: 1e-10 },
  };
  const profile = hostCpuProfile({
    ...((quick as HostCpuRecord | undefined) ?? ({} as HostCpuRecord)),
    key: 'k',
    identity: { cpuModel: 'test', logicalCpus: 1, arch: 'x64', onnxRuntimeVersion: 'x' },
    measuredAt: '2026-01-01T00:00:00Z',
    threads: 1,
    benchmarks: [],
    ...rec,
  } as HostCpuRecord);
  const priced = hostRuntimeCost(model, a.profile, a.facts, { level: 'disabled', profile, kernels: rec });
  const est = estimateModel(model, priced, a.facts, profile);
  const conv = est.layers.find((l) => l.name === 'conv');
  const relu = est.layers.find((l) => l.name === 'relu');
  // Conv: K = 16·9 = 144, N = 1,024 pixels, M = 32: MACs 4,718,592; outputs 32,768; patch 147,456; weights 4,608.
  const t = 4e-6 + 4_718_592 * 2e-11 + 32_768 * 1e-10 + 147_456 * 2e-10 + 4_608 * 1e-10;
  assert.ok(
    Math.abs((conv?.computeMs ?? 0) - (t - 2e-6) * 1000) < 1e-9,
    `conv compute ${conv?.computeMs} ms vs ${(t - 2e-6) * 1000}`,
  );
  // Relu: 32,768 elements at 0.1 ns; its memory time (262,144 B at 1e12 B/s) is shorter.
  assert.ok(Math.abs((relu?.computeMs ?? 0) - 32_768 * 1e-10 * 1000) < 1e-9, `relu compute ${relu?.computeMs} ms`);
});

/** A record with only the given kernel facts, and the host-cpu profile made from it. */
function recordWith(rec: Partial<HostCpuRecord>): { rec: HostCpuRecord; profile: ReturnType<typeof hostCpuProfile> } {
  const full = {
    key: 'k',
    identity: { cpuModel: 'test', logicalCpus: 1, arch: 'x64', onnxRuntimeVersion: 'x' },
    measuredAt: '2026-01-01T00:00:00Z',
    threads: 1,
    benchmarks: [],
    float32MacsPerSec: 5e10,
    bandwidthBytesPerSec: 1e12,
    kernelOverheadSec: 2e-6,
    interKernelSec: 1e-6,
    perInferenceOverheadSec: 1e-5,
    ...rec,
  } as HostCpuRecord;
  return { rec: full, profile: hostCpuProfile(full) };
}

const zeroTerms = { perCall: 0, perMac: 0, perOutput: 0, perPatch: 0, perWeight: 0, perGroup: 0, perRow: 0 };

test('runtime cost: a depthwise convolution pays per unfolded row, so a tall narrow map costs more than a wide flat one', () => {
  const dw = (h: number, w: number) => {
    const b = new GraphBuilder({ opset: 17 });
    const x = b.input('x', DataType.FLOAT, [1, 32, h, w]);
    const wt = b.initializer('w', DataType.FLOAT, [32, 1, 3, 3], new Float32Array(32 * 9).fill(0.1));
    const y = b.node('Conv', [x, wt], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 32 }, { name: 'dw' });
    b.output(y, DataType.FLOAT, [1, 32, h, w]);
    return b.build();
  };
  const model = { ...zeroTerms, perCall: 3e-6, perMac: 1e-10, perRow: 3e-9, shapes: 5, medianAbsErrorPct: 1 };
  const { rec, profile } = recordWith({ kernelModels: { depthwise: model } });
  const computeMs = (h: number, w: number) => {
    const m = dw(h, w);
    const a = analyzeModel(m);
    const est = estimateModel(
      m,
      hostRuntimeCost(m, a.profile, a.facts, { level: 'disabled', profile, kernels: rec }),
      a.facts,
      profile,
    );
    return est.layers.find((l) => l.name === 'dw')?.computeMs ?? 0;
  };
  // Same MACs (32·9·125); rows = 32 channels × 9 taps × output rows: 25 against 5.
  const tall = computeMs(25, 5);
  const flat = computeMs(5, 25);
  const expected = (rows: number) => (3e-6 + 32 * 9 * 125 * 1e-10 + rows * 3e-9 - 2e-6) * 1000;
  assert.ok(Math.abs(tall - expected(32 * 9 * 25)) < 1e-9, `25×5: ${tall} ms vs ${expected(32 * 9 * 25)}`);
  assert.ok(Math.abs(flat - expected(32 * 9 * 5)) < 1e-9, `5×25: ${flat} ms vs ${expected(32 * 9 * 5)}`);
  assert.ok(tall > flat, 'the tall map costs more');
});

test('runtime cost: SVMClassifier takes its kernel type’s fitted time; another kernel type without a fit stays on the roofline', () => {
  const svm = (kernel: string) => {
    const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'ai.onnx.ml', version: 3 }] });
    const x = b.input('x', DataType.FLOAT, [1, 6]);
    const [label, scores] = b.nodeOutputs(
      'SVMClassifier',
      [x],
      2,
      {
        classlabels_ints: [0, 1, 2],
        coefficients: new Array(2 * 12).fill(0.5),
        kernel_params: [0.1, 0, 3],
        kernel_type: kernel,
        rho: [0.1, 0.2, 0.3],
        support_vectors: new Array(12 * 6).fill(0.25),
        vectors_per_class: [4, 3, 5],
      },
      { name: 'svm', domain: 'ai.onnx.ml' },
    );
    b.output(label, DataType.INT64, [1]);
    b.output(scores, DataType.FLOAT, undefined);
    return b.build();
  };
  const rbf = {
    ...zeroTerms,
    perCall: 3e-6,
    perMac: 6e-10,
    perOutput: 5e-10,
    perPatch: 3e-10,
    shapes: 7,
    medianAbsErrorPct: 3,
  };
  const { rec, profile } = recordWith({ svmModels: { RBF: rbf } });
  const computeMs = (kernel: string) => {
    const m = svm(kernel);
    const a = analyzeModel(m);
    const priced = hostRuntimeCost(m, a.profile, a.facts, { level: 'disabled', profile, kernels: rec });
    return {
      priced,
      a,
      ms: estimateModel(m, priced, a.facts, profile).layers.find((l) => l.name === 'svm')?.computeMs,
    };
  };
  // 12 vectors of 6 features: 72 kernel MACs, 12 vectors, (3 − 1)·12 = 24 decision MACs.
  const t = 3e-6 + 72 * 6e-10 + 24 * 5e-10 + 12 * 3e-10;
  const r = computeMs('RBF');
  assert.ok(Math.abs((r.ms ?? 0) - (t - 2e-6) * 1000) < 1e-9, `RBF compute ${r.ms} ms vs ${(t - 2e-6) * 1000}`);
  const linear = computeMs('LINEAR');
  assert.equal(linear.priced, linear.a.profile, 'no LINEAR fit: the cost is left as the cost model gives it');
});

test('run overheads: chains timed as a measurement times a model give a positive per-node slope and per-run intercept', async () => {
  const { measureRunOverheads, warmUpOnnxRuntime } = await import('../../src/core/runtime/hostBench.js');
  await assert.rejects(measureRunOverheads([1], 1), /at least two chain lengths/);
  await warmUpOnnxRuntime(60);
  const o = await measureRunOverheads([1, 8, 24], 1);
  assert.ok(between(o.perNodeSec, 1e-8, 1e-3), `per node ${o.perNodeSec} s`);
  assert.ok(between(o.perRunSec, 0, 1e-2), `per run ${o.perRunSec} s`);
  assert.ok(between(o.kernelSec, 0, 1e-3), `kernel ${o.kernelSec} s`);
  assert.deepEqual(
    o.chains.map((c) => c.ops),
    [1, 8, 24],
    'one median per chain length',
  );
  assert.ok(o.chains[2].gapSec > o.chains[0].gapSec, 'a longer chain spends more time outside its kernels');
});

test('runtime cost: Softmax over an axis that is not the last takes its own measured rate (opset 13 on)', async () => {
  const { SOFTMAX_NOT_LAST_AXIS } = await import('../../src/core/targets/hostCpu.js');
  const softmax = (opset: number, axis: number) => {
    const b = new GraphBuilder({ opset });
    const x = b.input('x', DataType.FLOAT, [1, 80, 22, 22]);
    b.output(b.node('Softmax', [x], { axis }, { name: 'sm' }), DataType.FLOAT, [1, 80, 22, 22]);
    return b.build();
  };
  const { rec, profile } = recordWith({ opSecPerElement: { Softmax: 1e-10, [SOFTMAX_NOT_LAST_AXIS]: 1e-8 } });
  const computeMs = (opset: number, axis: number) => {
    const m = softmax(opset, axis);
    const a = analyzeModel(m);
    const priced = hostRuntimeCost(m, a.profile, a.facts, { level: 'disabled', profile, kernels: rec });
    return estimateModel(m, priced, a.facts, profile).layers.find((l) => l.name === 'sm')?.computeMs ?? 0;
  };
  const n = 80 * 22 * 22;
  const close = (x: number, y: number) => Math.abs(x - y) < 1e-9;
  assert.ok(close(computeMs(13, 1), n * 1e-8 * 1000), `axis 1 at opset 13: ${computeMs(13, 1)} ms`);
  assert.ok(close(computeMs(13, -1), n * 1e-10 * 1000), `last axis: ${computeMs(13, -1)} ms`);
  // Before opset 13 the axis starts a trailing block, which is contiguous: the last-axis rate.
  assert.ok(close(computeMs(11, 1), n * 1e-10 * 1000), `axis 1 at opset 11: ${computeMs(11, 1)} ms`);
});

test('runtime cost: a 1×1 convolution with unit strides takes the pointwise fit (a plain GEMM), a strided one the unfolding fit', () => {
  const conv1x1 = (stride: number) => {
    const b = new GraphBuilder({ opset: 17 });
    const x = b.input('x', DataType.FLOAT, [1, 16, 8, 8]);
    const wt = b.initializer('w', DataType.FLOAT, [32, 16, 1, 1], new Float32Array(32 * 16).fill(0.1));
    const y = b.node('Conv', [x, wt], { kernel_shape: [1, 1], strides: [stride, stride] }, { name: 'pw' });
    b.output(y, DataType.FLOAT, undefined);
    return b.build();
  };
  const conv = { ...zeroTerms, perCall: 5e-6, perRow: 1e-8, shapes: 5, medianAbsErrorPct: 1 };
  const pointwise = { ...zeroTerms, perCall: 3e-6, perMac: 1e-10, shapes: 5, medianAbsErrorPct: 1 };
  const { rec, profile } = recordWith({ kernelModels: { conv, pointwise } });
  const computeMs = (stride: number) => {
    const m = conv1x1(stride);
    const a = analyzeModel(m);
    const priced = hostRuntimeCost(m, a.profile, a.facts, { level: 'disabled', profile, kernels: rec });
    return estimateModel(m, priced, a.facts, profile).layers.find((l) => l.name === 'pw')?.computeMs ?? 0;
  };
  const close = (x: number, y: number) => Math.abs(x - y) < 1e-9;
  // Stride 1: 32·16·64 MACs on the pointwise fit. Stride 2: the unfolding fit, 16 input rows × 4 output rows.
  assert.ok(close(computeMs(1), (3e-6 + 32 * 16 * 64 * 1e-10 - 2e-6) * 1000), `stride 1: ${computeMs(1)} ms`);
  assert.ok(close(computeMs(2), (5e-6 + 16 * 4 * 1e-8 - 2e-6) * 1000), `stride 2: ${computeMs(2)} ms`);
});
