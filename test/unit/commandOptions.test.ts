/** The model commands' pure parts: quick-pick choices to jobs, sparsity input, summaries and compare-view data. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  describeTransform,
  MAX_SPARSITY,
  measureSummary,
  minCosineFor,
  notificationText,
  outputPathFor,
  parseSparsity,
  quantizeSpec,
  transformCompareData,
  transformJob,
  transformSummary,
  validationFacts,
} from '../../src/extension/commandOptions.js';
import type { MeasureOutcome, TransformOutcome } from '../../src/node/ortProcess.js';
import { runOrtJob } from '../../src/node/ortProcess.js';

const root = join(__dirname, '..', '..');

test('quantize choices map to the transform options the engine takes', () => {
  assert.deepEqual(quantizeSpec({ mode: 'dynamic', perChannel: false, form: 'operator' }), {
    kind: 'quantize-dynamic',
    format: 'operator',
    perChannel: false,
  });
  assert.deepEqual(
    quantizeSpec({
      mode: 'static',
      perChannel: true,
      form: 'qdq',
      method: 'minmax',
      calibration: { folder: '/data/cal' },
    }),
    { kind: 'quantize-static', format: 'qdq', perChannel: true, method: 'minmax', calibrationFolder: '/data/cal' },
  );
  assert.deepEqual(
    quantizeSpec({
      mode: 'static',
      perChannel: true,
      form: 'operator',
      method: 'entropy',
      calibration: { generated: 8 },
    }),
    { kind: 'quantize-static', format: 'operator', perChannel: true, method: 'entropy', generatedSamples: 8 },
  );
});

test('output paths follow the outputPath rules, one suffix per transform', () => {
  assert.equal(outputPathFor('/m/net.onnx', { kind: 'fp16', keepIoTypes: true }), '/m/net.fp16.onnx');
  assert.equal(outputPathFor('/m/net.ONNX', { kind: 'prune', sparsity: 0.5, structured: true }), '/m/net.pruned.onnx');
  assert.equal(
    outputPathFor('/m/net.onnx', { kind: 'quantize-dynamic', format: 'qdq', perChannel: true }),
    '/m/net.int8.onnx',
  );
  assert.equal(
    outputPathFor('C:\\m\\net.onnx', { kind: 'quantize-static', perChannel: true, method: 'minmax' }),
    'C:\\m\\net.int8.onnx',
  );
});

test('transform jobs: pre-processing and validation gates as the CLI defaults them', () => {
  const q = transformJob(
    '/m/a.onnx',
    { kind: 'quantize-dynamic', format: 'qdq', perChannel: true },
    { overwrite: false },
  );
  assert.equal(q.outputPath, '/m/a.int8.onnx');
  assert.equal(q.preprocess, true);
  assert.equal(q.minCosine, 0.99);
  assert.equal(q.overwrite, false);
  assert.equal('targetId' in q, false, 'no target unless one is selected');
  const p = transformJob(
    '/m/a.onnx',
    { kind: 'prune', sparsity: 0.3, structured: false },
    { overwrite: true, targetId: 'cortex-m4' },
  );
  assert.equal(p.preprocess, false, 'pruning keeps the graph as it is unless asked');
  assert.equal(p.minCosine, 0.5);
  assert.equal(p.overwrite, true);
  assert.equal(p.targetId, 'cortex-m4');
  assert.equal(minCosineFor({ kind: 'fp16', keepIoTypes: false }), 0.999);
});

test('sparsity input: fractions and percentages from 0 to 0.95; anything else names the problem', () => {
  assert.deepEqual(parseSparsity('0.5'), { value: 0.5 });
  assert.deepEqual(parseSparsity(' .25 '), { value: 0.25 });
  assert.deepEqual(parseSparsity('0'), { value: 0 });
  assert.deepEqual(parseSparsity('95%'), { value: 0.95 });
  assert.deepEqual(parseSparsity(String(MAX_SPARSITY)), { value: 0.95 });
  for (const bad of ['0.96', '1', '-0.1', '96%', 'abc', '', '0.5.1', 'NaN', 'Infinity', '1e-1']) {
    const r = parseSparsity(bad);
    assert.ok('error' in r, `'${bad}' is refused`);
  }
  const r = parseSparsity('0.99');
  assert.ok('error' in r && /between 0 and 0\.95/.test(r.error), 'the message names the range');
});

test('descriptions say what runs, and that generated calibration inputs are not the user’s data', () => {
  assert.equal(
    describeTransform({ kind: 'quantize-static', perChannel: true, method: 'minmax', generatedSamples: 8 }, 'm.onnx'),
    'quantizing m.onnx to INT8 (static, generated calibration inputs)',
  );
  assert.equal(
    describeTransform({ kind: 'prune', sparsity: 0.5, structured: true }, 'm.onnx'),
    'pruning m.onnx (structured, 50%)',
  );
});

const dir = mkdtempSync(join(tmpdir(), 'emp-cmdopts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a real dynamic quantization outcome becomes a summary and compare-view data that match it', async () => {
  const model = join(dir, 'vww.onnx');
  await copyFile(join(root, 'samples', 'vww_96_float.onnx'), model);
  const job = transformJob(model, quantizeSpec({ mode: 'dynamic', perChannel: true, form: 'qdq' }), {
    overwrite: false,
    targetId: 'cortex-m4',
  });
  const r: TransformOutcome = await runOrtJob(job, {
    script: join(root, 'src', 'node', 'ortRunner.ts'),
    execArgv: ['--import', 'tsx'],
    what: 'quantizing',
    timeoutMs: 120_000,
  });
  assert.equal(r.outputPath, join(dir, 'vww.int8.onnx'));
  const data = transformCompareData(r, { a: 'vww.onnx', b: 'vww.int8.onnx' });
  assert.equal(data.validation?.ok, r.validation.ok);
  assert.ok(data.estimate, 'an estimate on the selected target');
  assert.equal(data.estimate?.target, 'cortex-m4');
  assert.ok((data.estimate?.b.flashBytes ?? 0) < (data.estimate?.a.flashBytes ?? 0), 'INT8 needs less flash');
  const file = data.validation?.rows.find((x) => x.label === 'file size');
  assert.match(
    file?.value ?? '',
    /→ .* \((2\d|3\d)\.\d%\)/,
    `INT8 is a quarter to a third of the size: ${file?.value}`,
  );
  assert.ok(data.comparison.summary.changed > 0, 'changed layers');
  const s = transformSummary(r, 'vww.int8.onnx');
  assert.equal(s.ok, r.validation.ok);
  assert.match(s.text, /^Wrote vww\.int8\.onnx: /);
});

test('validation facts show an infinite SNR as ∞ and failures as given', () => {
  const v = {
    ok: false,
    failures: ["output 'y': cosine similarity 0.9 is below the threshold 0.99"],
    notes: ['n'],
    inputs: { generated: true, samples: 4, shapes: {} },
    outputs: [],
    summary: { cosine: 0.9, maxAbsError: 0.25, snrDb: Number.POSITIVE_INFINITY, top1Agreement: 0.75 },
    thresholds: { minCosine: 0.99 },
    sizeBytes: { before: 1000, after: 250 },
    compressedWeightBytes: null,
    hostLatencyMs: { before: 2, after: 1 },
    estimate: null,
  } satisfies TransformOutcome['validation'];
  const f = validationFacts(v);
  const get = (label: string) => f.rows.find((r) => r.label === label)?.value;
  assert.equal(get('SNR'), '∞ dB');
  assert.equal(get('top-1 agreement'), '75.0%');
  assert.equal(get('max abs error'), '2.50e-1');
  assert.match(get('file size') ?? '', /\(25\.0%\)$/);
  assert.match(get('host latency (measured)') ?? '', /\(50\.0%\)$/);
  assert.equal(get('inputs'), '4 generated samples');
  assert.deepEqual(f.failures, v.failures);
});

test('measure summary: measured vs estimated total and Spearman, slowest layers first', () => {
  const r = {
    modelPath: '/m/a.onnx',
    wallMs: 10,
    kernelMs: 9,
    runs: 10,
    column: [],
    unmatched: 0,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3], generated: true }],
    hostCpu: { cached: true, cpu: 'Test CPU' },
    comparison: {
      totals: { measuredMs: 10, kernelMs: 9, estimatedMs: 12, estimateComplete: true, errorPct: 20 },
      layers: [
        {
          index: 0,
          name: 'fast',
          opType: 'Relu',
          opClass: null,
          measuredMs: 1,
          estimatedMs: 1,
          errorPct: 0,
          bound: null,
        },
        {
          index: 1,
          name: 'slow',
          opType: 'Conv',
          opClass: null,
          measuredMs: 8,
          estimatedMs: 10,
          errorPct: 25,
          bound: null,
        },
      ],
      spearman: 1,
      medianAbsLayerErrorPct: 12.5,
      notMeasured: { count: 0, estimatedMs: 0 },
    },
  } as MeasureOutcome;
  const s = measureSummary('a.onnx', r);
  assert.equal(s.short, 'a.onnx: 10 ms measured on this machine, 12 ms estimated (+20.0%); per-layer Spearman ρ 1.00.');
  const slowAt = s.lines.findIndex((l) => l.includes('slow (Conv)'));
  const fastAt = s.lines.findIndex((l) => l.includes('fast (Relu)'));
  assert.ok(slowAt > 0 && fastAt > slowAt, 'slowest first');
  assert.ok(s.lines.some((l) => l.includes('input x: float32 [1, 3] (generated)')));
});

test('static INT8 through the child: generated inputs are labelled a rough approximation; a folder of .npy samples is used for calibration and validation', async () => {
  const model = join(dir, 'static.onnx');
  await copyFile(join(root, 'samples', 'vww_96_float.onnx'), model);
  const opts = {
    script: join(root, 'src', 'node', 'ortRunner.ts'),
    execArgv: ['--import', 'tsx'],
    what: 'quantizing',
    timeoutMs: 180_000,
  };

  const generated = transformJob(
    model,
    quantizeSpec({ mode: 'static', perChannel: true, form: 'qdq', method: 'minmax', calibration: { generated: 4 } }),
    { overwrite: false },
  );
  const progress: string[] = [];
  const g: TransformOutcome = await runOrtJob(generated, { ...opts, onProgress: (p) => progress.push(p.message) });
  assert.ok(
    progress.some((m) => /^calibrating: \d+ of 4 samples$/.test(m)),
    `calibration progress: ${progress.join(' | ')}`,
  );
  const notes = transformCompareData(g, { a: 'static.onnx', b: 'static.int8.onnx' }).notes;
  assert.ok(
    notes.some((n) => /warning: .*GENERATED inputs.*rough approximation/.test(n)),
    `the generated-input warning reaches the compare view: ${notes.join(' | ')}`,
  );
  assert.equal(g.validation.inputs.generated, true);

  const cal = join(dir, 'calibration');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { encodeNpy } = await import('../../src/core/runtime/npy.js');
  mkdirSync(cal);
  for (let s = 0; s < 3; s++) {
    const data = new Float32Array(3 * 96 * 96);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001 * (s + 1));
    writeFileSync(join(cal, `sample_${s}.npy`), encodeNpy('float32', [1, 3, 96, 96], data));
  }
  const folder = transformJob(
    model,
    quantizeSpec({
      mode: 'static',
      perChannel: true,
      form: 'operator',
      method: 'minmax',
      calibration: { folder: cal },
    }),
    { overwrite: true },
  );
  const f: TransformOutcome = await runOrtJob(folder, opts);
  assert.equal(f.validation.inputs.generated, false, 'validated on the given samples');
  assert.equal(f.validation.inputs.samples, 3);
  assert.ok(
    f.reports.some((r) => r.notes.some((n) => /on 3 samples/.test(n))),
    'calibrated on the 3 samples of the folder',
  );
  assert.ok(!f.reports.some((r) => r.warnings.some((w) => /GENERATED/.test(w))), 'no generated-input warning');
  const weights = f.comparison.totals.find((t) => t.metric === 'weight bytes');
  assert.ok(
    weights?.ratio !== null && (weights?.ratio ?? 1) < 0.3,
    `INT8 weights: ${weights?.ratio} of the float ones`,
  );
  const ops = f.comparison.opCounts.map((o) => o.opType);
  assert.ok(ops.includes('QLinearConv'), `operator form chosen in the quick pick: ${ops.join(', ')}`);
  assert.ok(f.validation.ok, 'the operator form passes validation in ONNX Runtime');
});

test('notification text: model names cannot become links, and read the same', () => {
  const hostile = "output '[run me](command:workbench.action.terminal.new)': cosine 0.5";
  const safe = notificationText(hostile);
  assert.doesNotMatch(safe, /\]\s*\(/, 'no ](… left');
  assert.equal(safe.replace(/\u200b/g, ''), hostile, 'only a zero-width space was added');
  assert.equal(notificationText('plain [x] (y)'), 'plain [x] \u200b(y)');
});
