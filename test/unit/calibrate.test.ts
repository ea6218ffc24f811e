import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { mobileNetLike, transformerBlock } from '../../src/core/onnx/syntheticModels.js';
import { nodeLabel } from '../../src/core/onnx/validate.js';
import { buildHostCpuProfile, builtinProfiles } from '../../src/core/targets/builtinProfiles.js';
import {
  type CalibrationSet,
  calibratedProfileJson,
  compareWithEstimate,
  detectTimingFormat,
  evaluateProfile,
  fitProfile,
  matchTimings,
  parseCsv,
  readOrtProfile,
  readSimpleCsv,
  readTrtexecProfile,
  readVelaPerLayer,
  spearman,
  trtLayerNames,
} from '../../src/core/targets/calibrate.js';
import { estimateModel } from '../../src/core/targets/estimate.js';
import type { HardwareProfile, OpClass } from '../../src/core/targets/profile.js';
import { loadUserProfiles } from '../../src/core/targets/userProfiles.js';

const close = (a: number, b: number, rel = 1e-6) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

// ---------------------------------------------------------------------------------------------------------------
// Readers

const ortTrace = JSON.stringify([
  { cat: 'Session', name: 'model_run', ph: 'X', ts: 0, dur: 100 },
  { cat: 'Node', name: 'conv1_kernel_time', ph: 'X', ts: 10, dur: 50, args: { op_name: 'Conv', node_index: '0' } },
  { cat: 'Session', name: 'model_run', ph: 'X', ts: 200, dur: 100 },
  { cat: 'Node', name: 'conv1_kernel_time', ph: 'X', ts: 210, dur: 20, args: { op_name: 'Conv', node_index: '0' } },
  { cat: 'Node', name: 'Relu_1_kernel_time', ph: 'X', ts: 240, dur: 4, args: { op_name: 'Relu', node_index: '1' } },
  { cat: 'Session', name: 'model_run', ph: 'X', ts: 400, dur: 100 },
  { cat: 'Node', name: 'conv1_kernel_time', ph: 'X', ts: 410, dur: 30, args: { op_name: 'Conv', node_index: '0' } },
  { cat: 'Node', name: 'Relu_1_kernel_time', ph: 'X', ts: 450, dur: 6, args: { op_name: 'Relu', node_index: '1' } },
  { cat: 'Node', name: 'conv1_fence_before', ph: 'X', ts: 409, dur: 0 },
]);

test('ONNX Runtime profile: per kernel, the median over runs after the first', () => {
  assert.equal(detectTimingFormat(ortTrace, 'prof.json'), 'ort-profile', 'detected from the trace events');
  const t = readOrtProfile(ortTrace);
  assert.deepEqual(
    t.entries.map((e) => [e.name, e.ms, e.opType, e.nodeIndex]),
    [
      ['conv1', 0.025, 'Conv', 0],
      ['Relu_1', 0.005, 'Relu', 1],
    ],
    'first run left out; medians of (20, 30) and (4, 6) µs',
  );
});

const trt = JSON.stringify([
  { count: 100 },
  { name: '/conv1/Conv + /relu1/Relu', timeMs: 50, averageMs: 0.5, medianMs: 0.49, percentage: 62.5 },
  { name: 'PWN(/act/Sigmoid, /act/Mul)', timeMs: 20, averageMs: 0.2, medianMs: 0.2, percentage: 25 },
  { name: '/fc/Gemm', timeMs: 10, percentage: 12.5 },
]);

test('trtexec --exportProfile: averageMs (else timeMs / count), fused names split into layers', () => {
  assert.equal(detectTimingFormat(trt, 'profile.json'), 'trtexec', 'detected from averageMs/percentage');
  const t = readTrtexecProfile(trt);
  assert.deepEqual(
    t.entries.map((e) => [e.layers, e.ms]),
    [
      [['/conv1/Conv', '/relu1/Relu'], 0.5],
      [['/act/Sigmoid', '/act/Mul'], 0.2],
      [['/fc/Gemm'], 0.1],
    ],
    'names and times',
  );
  assert.deepEqual(trtLayerNames('PWN(PWN(a, b), c) + d'), ['a', 'b', 'c', 'd'], 'nested PWN groups');
});

const velaCsv = [
  'TFLite_operator,NNG Operator,SRAM Usage,Peak%,Op Cycles,Network%,NPU,SRAM AC,DRAM AC,OnFlash AC,OffFlash AC,MAC Count,Network%,Util%,Name',
  'CONV_2D,Conv2DBias,36864,80.0,50000,62.5,48000,1200,0,0,9000,400000,60.0,33.3,model/conv2d/Relu',
  'DEPTHWISE_CONV_2D,DepthwiseConv2DBias,36864,80.0,30000,37.5,29000,800,0,0,500,100000,40.0,12.0,"model/dw/Relu,x"',
  'TFLite_operator,NNG Operator,SRAM Usage,Peak%,Op Cycles,Network%,NPU,SRAM AC,DRAM AC,OnFlash AC,OffFlash AC,MAC Count,Network%,Util%,Name',
].join('\n');

test('Vela per-layer CSV: Op Cycles at the NPU clock, repeated header skipped, quoted names', () => {
  assert.equal(detectTimingFormat(velaCsv, 'net_per-layer.csv'), 'vela', 'detected from the header');
  const t = readVelaPerLayer(velaCsv, { clockMHz: 500 });
  assert.deepEqual(
    t.entries.map((e) => [e.name, e.ms, e.opType]),
    [
      ['model/conv2d/Relu', 0.1, 'CONV_2D'],
      ['model/dw/Relu,x', 0.06, 'DEPTHWISE_CONV_2D'],
    ],
    '50,000 and 30,000 cycles at 500 MHz',
  );
  assert.throws(() => readVelaPerLayer(velaCsv, {}), /clock/, 'cycles need a clock');
});

test('simple CSV: model,layer,ms with or without a header; * is the whole model', () => {
  const withHeader = 'model,layer,ms\n# a comment\nnet.onnx,conv1,1.5\nnet.onnx,*,4.25\n';
  assert.equal(detectTimingFormat(withHeader, 'm.csv'), 'csv', 'plain CSV');
  const a = readSimpleCsv(withHeader);
  assert.deepEqual(
    a.entries.map((e) => [e.model, e.name, e.ms, e.wholeModel === true]),
    [
      ['net.onnx', 'conv1', 1.5, false],
      ['net.onnx', '*', 4.25, true],
    ],
    'rows',
  );
  const b = readSimpleCsv('net.onnx,conv1,2\r\nnet.onnx,,3\r\n');
  assert.equal(b.entries.length, 2, 'no header');
  assert.equal(b.entries[1].wholeModel, true, 'empty layer: whole model');
  assert.throws(() => readSimpleCsv('model,layer,ms\nnet.onnx,conv1,fast\n'), /not a time/, 'bad number');
  assert.deepEqual(parseCsv('a,"b ""c""",d\n'), [['a', 'b "c"', 'd']], 'quotes');
});

// ---------------------------------------------------------------------------------------------------------------
// Matching

test('entries are matched by node name, output name, ONNX Runtime node index and fused-kernel prefix', () => {
  const model = mobileNetLike({ blocks: 1, width: 8, inputSize: 16 });
  const nodes = model.graph.nodes;
  const conv = nodes.findIndex((n) => n.opType === 'Conv');
  const relu = nodes.findIndex((n) => n.opType === 'Relu');
  const gemm = nodes.findIndex((n) => n.opType === 'Gemm');
  nodes[relu] = { ...nodes[relu], name: '' };
  const r = matchTimings(model, [
    { name: nodes[conv].name, layers: [nodes[conv].name], ms: 1 },
    { name: `${nodes[conv].name}_nchwc`, layers: [`${nodes[conv].name}_nchwc`], ms: 0.5 },
    { name: 'Relu_x', layers: ['Relu_x'], ms: 0.25, nodeIndex: relu, opType: 'Relu' },
    { name: 'gemm-out', layers: [nodes[gemm].outputs[0]], ms: 0.125 },
    { name: 'nothing', layers: ['no such layer'], ms: 9 },
  ]);
  assert.deepEqual(
    r.units.map((u) => [u.layers, u.measuredMs]),
    [
      [[conv], 1.5],
      [[relu], 0.25],
      [[gemm], 0.125],
    ],
    'the fused kernel merges into the Conv it extends',
  );
  assert.deepEqual(
    r.unmatched.map((e) => e.name),
    ['nothing'],
    'unmatched entries are kept',
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Fit

function hostProfile(): HardwareProfile {
  const p = buildHostCpuProfile();
  p.fusions = [];
  return p;
}

/** "Measurements": the estimate of `truth` for every layer of the models. */
function syntheticSets(truth: HardwareProfile): CalibrationSet[] {
  const models = [
    { id: 'cnn', model: mobileNetLike({ blocks: 4, width: 16, inputSize: 64 }) },
    { id: 'transformer', model: transformerBlock({ hidden: 64, seqLen: 32 }) },
  ];
  return models.map(({ id, model }) => {
    const { profile: cost, facts } = analyzeModel(model);
    const est = estimateModel(model, cost, facts, truth);
    const units = est.layers
      .filter((l) => l.latencyMs !== null && l.latencyMs > 0)
      .map((l) => ({ name: l.name, layers: [l.index], measuredMs: l.latencyMs as number, wholeModel: false }));
    return { id, model, cost, facts, units };
  });
}

test('the fit recovers efficiency factors and per-op overhead from measurements of a changed profile', () => {
  const start = hostProfile();
  const truth = hostProfile();
  truth.efficiency = { conv: 0.3, depthwise: 0.04, matmul: 0.45, elementwise: 0.02, pooling: 0.03, other: 0.01 };
  truth.perOpOverheadSec = 5e-6;
  const sets = syntheticSets(truth);
  const fit = fitProfile(start, sets, { iterations: 8 });
  for (const c of fit.classes) {
    if (c.units === 0) continue;
    assert.ok(
      close(c.after, truth.efficiency[c.opClass], 1e-3),
      `${c.opClass}: fitted ${c.after}, true ${truth.efficiency[c.opClass]}`,
    );
  }
  const informed = fit.classes.filter((c) => c.units > 0).map((c) => c.opClass);
  for (const c of ['conv', 'depthwise', 'matmul', 'elementwise', 'other'] as OpClass[])
    assert.ok(informed.includes(c), `class ${c} had measurements (${informed.join(', ')})`);
  assert.ok(fit.overhead.fitted, 'overhead fitted');
  assert.ok(close(fit.overhead.afterSec, 5e-6, 1e-3), `overhead ${fit.overhead.afterSec}`);
  assert.ok(fit.before.medianAbsErrorPct > 10, `error before ${fit.before.medianAbsErrorPct}%`);
  assert.ok(fit.after.medianAbsErrorPct < 0.5, `error after ${fit.after.medianAbsErrorPct}%`);
  assert.ok(fit.after.totalMedianAbsErrorPct < fit.before.totalMedianAbsErrorPct, 'model totals improve');
  assert.ok(
    close(evaluateProfile(fit.profile, sets).medianAbsErrorPct, fit.after.medianAbsErrorPct, 1e-9),
    'evaluating the fitted profile gives the error after',
  );
});

test('whole-model times calibrate: a dominant class alone, else every class by one scale', () => {
  const start = hostProfile();
  const truth = hostProfile();
  truth.efficiency = { ...start.efficiency, conv: 0.2, depthwise: 0.06 };
  const wholeModelSet = (id: string, model: ReturnType<typeof mobileNetLike>): CalibrationSet => {
    const { profile: cost, facts } = analyzeModel(model);
    const total = estimateModel(model, cost, facts, truth).totals.latencyMs as number;
    const units = matchTimings(model, [{ name: '*', layers: [], ms: total, wholeModel: true }]).units;
    return { id, model, cost, facts, units };
  };
  const mixed = wholeModelSet('mobilenet', mobileNetLike({ blocks: 2, width: 32, inputSize: 96 }));
  const fit = fitProfile(start, [mixed], { fitOverhead: false });
  const total = mixed.units[0].measuredMs;
  assert.ok(
    close(fit.after.models[0].estimatedMs, total, 1e-3),
    `total ${fit.after.models[0].estimatedMs} vs ${total}`,
  );
  assert.ok(Math.abs(fit.before.models[0].errorPct) > 20, `error before ${fit.before.models[0].errorPct}%`);
  assert.ok(
    fit.classes.filter((c) => c.units > 0).every((c) => c.scaledTogether),
    'no class dominates: the factors are scaled together',
  );
  const r = fit.profile.efficiency;
  assert.ok(close(r.conv / r.depthwise, start.efficiency.conv / start.efficiency.depthwise), 'ratios kept');

  truth.efficiency = { ...start.efficiency, matmul: 0.15 };
  const dense = wholeModelSet('transformer', transformerBlock({ hidden: 256, seqLen: 64 }));
  const fit2 = fitProfile(start, [dense], { fitOverhead: false });
  const matmul = fit2.classes.find((c) => c.opClass === 'matmul');
  assert.ok(matmul?.units === 1 && !matmul.scaledTogether, 'MatMul dominates: it alone takes the measurement');
  assert.ok(close(matmul.after, 0.15, 1e-3), `matmul factor ${matmul.after}`);
  assert.ok(
    fit2.classes.filter((c) => c.opClass !== 'matmul').every((c) => c.after === c.before),
    'the other classes keep their factors',
  );
});

test('the calibrated profile JSON is a user profile that resolves against its base', () => {
  const builtins = builtinProfiles();
  const base = builtins.find((p) => p.id === 'cortex-m4') as HardwareProfile;
  const truth = structuredClone(base);
  truth.efficiency = { ...base.efficiency, conv: 0.12, depthwise: 0.06 };
  truth.perOpOverheadCycles = 20000;
  truth.perOpOverheadSec = 20000 / 120e6;
  const sets = syntheticSets(truth);
  const fit = fitProfile(base, sets);
  const json = calibratedProfileJson(base, fit, { id: 'm4-cal', source: 'unit test', measurements: sets.length });
  const [p] = loadUserProfiles(JSON.stringify(json), 'cal.json', builtins);
  assert.equal(p.id, 'm4-cal', 'id');
  assert.ok(close(p.efficiency.conv, 0.12, 1e-3), `conv ${p.efficiency.conv}`);
  assert.ok(close(p.perOpOverheadCycles ?? 0, 20000, 1e-3), `overhead cycles ${p.perOpOverheadCycles}`);
  assert.ok(close(p.perOpOverheadSec, 20000 / 120e6, 1e-3), 'overhead seconds follow the cycles');
  assert.equal(p.calibration.status, 'calibrated', 'calibrated');
  assert.match(p.sources['efficiency.conv'], /^calibrated: unit test/, 'cited');
});

// ---------------------------------------------------------------------------------------------------------------
// Comparison

test('Spearman rank correlation', () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1, 'monotone');
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1, 'reversed');
  assert.ok(close(spearman([1, 2, 2, 3], [1, 2, 3, 4]), 0.9486832980505138), 'ties get average ranks');
  assert.ok(Number.isNaN(spearman([1, 2], [1, 2])), 'too few pairs');
});

test('measured layers line up with the estimate by node index', () => {
  const model = mobileNetLike({ blocks: 1, width: 8, inputSize: 16 });
  const { profile: cost, facts } = analyzeModel(model);
  const est = estimateModel(model, cost, facts, hostProfile());
  const measured = est.layers.map((l) => ({
    index: l.index,
    name: nodeLabel(model.graph.nodes[l.index], l.index),
    opType: l.opType,
    measuredMs: (l.latencyMs ?? 0) * 2,
  }));
  const c = compareWithEstimate({ wallMs: 1, kernelMs: 0.9, layers: measured.slice(1) }, est);
  assert.equal(c.layers.length, measured.length - 1, 'one row per measured layer');
  assert.ok(
    c.layers.every((l) => l.errorPct !== null && close(l.errorPct, -50)),
    'estimate is half the measurement',
  );
  assert.equal(c.spearman, 1, 'same order');
  assert.equal(c.notMeasured.count, 1, 'the first layer was not measured');
  assert.equal(c.totals.measuredMs, 1, 'wall time');
});
