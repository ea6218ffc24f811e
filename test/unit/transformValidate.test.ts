import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { runPrune } from '../../src/cli/transformCommands.js';
import { encodeModel, externalTensors, type Model, relocateToDataFile } from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { builtinProfile } from '../../src/core/targets/builtinProfiles.js';
import { OutputPathError, transformedPath, writeTransformedModel } from '../../src/core/transforms/outputPath.js';
import { pruneModel } from '../../src/core/transforms/prune.js';
import {
  compareArrays,
  looksLikeProbabilities,
  top1Agreement,
  validateTransform,
} from '../../src/core/transforms/validate.js';
import { loadModelFile, writeModelFiles } from '../../src/node/files.js';

const dir = mkdtempSync(join(tmpdir(), 'emp-transform-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol;

test('metrics on hand-made arrays', () => {
  const same = compareArrays([1, -2, 3], [1, -2, 3]);
  assert.deepEqual(same, { maxAbsError: 0, meanAbsError: 0, cosine: 1, snrDb: Number.POSITIVE_INFINITY }, 'identical');
  const m = compareArrays([3, 4], [3, 3]);
  assert.equal(m.maxAbsError, 1, 'max abs error');
  assert.equal(m.meanAbsError, 0.5, 'mean abs error');
  assert.ok(close(m.cosine, 21 / (5 * Math.sqrt(18))), `cosine ${m.cosine}`);
  assert.ok(close(m.snrDb, 10 * Math.log10(25)), `SNR ${m.snrDb} dB = 10·log10(25 / 1)`);
  assert.equal(compareArrays([1, 0], [0, 1]).cosine, 0, 'orthogonal');
  assert.equal(compareArrays([1, 2], [-1, -2]).cosine, -1, 'opposite');
  assert.equal(compareArrays([0, 0], [0, 0]).cosine, 1, 'both zero');
  assert.ok(Number.isNaN(compareArrays([Number.NaN], [1]).cosine), 'a NaN on one side poisons the metrics');
  assert.throws(() => compareArrays([1], [1, 2]), RangeError, 'lengths must match');
  const ref = [0.1, 0.9, 0.8, 0.2, 0.3, 0.7];
  const got = [0.2, 0.8, 0.4, 0.6, 0.9, 0.1];
  assert.ok(close(top1Agreement(ref, got, 2), 1 / 3), 'one row of three agrees');
  assert.equal(top1Agreement(ref, ref, 2), 1, 'full agreement');
  assert.ok(looksLikeProbabilities(ref, 2), 'rows summing to 1');
  assert.ok(!looksLikeProbabilities([0.5, 0.6], 2), 'not summing to 1');
  assert.ok(!looksLikeProbabilities([-0.5, 1.5], 2), 'negative entries');
});

test('validation of a model against itself: identical outputs, latency and estimates measured', async () => {
  const m = mobileNetLike();
  const target = builtinProfile('cortex-m4');
  assert.ok(target, 'cortex-m4 exists');
  const r = await validateTransform({ model: m }, { model: m }, { latencyRuns: 3, samples: 2, target });
  assert.ok(r.ok, `ok: ${r.failures.join('; ')}`);
  assert.equal(r.summary.cosine, 1, 'cosine 1');
  assert.equal(r.summary.maxAbsError, 0, 'no error');
  assert.equal(r.summary.snrDb, Number.POSITIVE_INFINITY, 'infinite SNR');
  assert.equal(r.summary.top1Agreement, 1, 'classifier output detected, full agreement');
  assert.equal(r.inputs.samples, 2, 'two samples');
  assert.ok(r.inputs.generated, 'generated inputs are said so');
  assert.ok(r.hostLatencyMs && r.hostLatencyMs.before > 0 && r.hostLatencyMs.after > 0, 'latency measured');
  assert.ok(r.estimate && r.estimate.before.latencyMs === r.estimate.after.latencyMs, 'estimate on the target');
  assert.equal(r.sizeBytes.before, r.sizeBytes.after, 'same size');
});

test('validation fails plainly: threshold missed, output shape changed, model that does not load', async () => {
  const m = mobileNetLike();
  const heavy = (await pruneModel(m, { sparsity: 0.95 })).model;
  const r1 = await validateTransform(
    { model: m },
    { model: heavy },
    { latencyRuns: 0, thresholds: { minCosine: 0.9999 } },
  );
  assert.ok(!r1.ok, 'fails');
  assert.ok(
    r1.failures.some((f) => f.includes("output 'probabilities': cosine similarity") && f.includes('0.9999')),
    `names the output and the threshold: ${r1.failures.join('; ')}`,
  );
  assert.ok(
    r1.compressedWeightBytes && r1.compressedWeightBytes.after < r1.compressedWeightBytes.before,
    'deflate proxy',
  );

  // An output whose shape changed: the Gemm's output channels cut by hand.
  const cut = structuredClone(m);
  const fc = cut.graph.nodes.find((n) => n.name === 'fc');
  assert.ok(fc, 'fc');
  const w = cut.graph.initializers.find((t) => t.name === 'fc.weight');
  const bias = cut.graph.initializers.find((t) => t.name === 'fc.bias');
  assert.ok(w && bias && w.data.kind === 'raw' && bias.data.kind === 'raw', 'raw weights');
  w.dims = [5, 16];
  w.data = { kind: 'raw', bytes: w.data.bytes.slice(0, 5 * 16 * 4) };
  bias.dims = [5];
  bias.data = { kind: 'raw', bytes: bias.data.bytes.slice(0, 20) };
  cut.graph.outputs[0] = { name: 'probabilities', type: { kind: 'tensor', elemType: 1, shape: [1, 5] } };
  const r2 = await validateTransform({ model: m }, { model: cut }, { latencyRuns: 0 });
  assert.ok(!r2.ok, 'fails');
  assert.ok(
    r2.failures.some((f) => f.includes('changed shape')),
    `shape change reported: ${r2.failures.join('; ')}`,
  );

  // A model ONNX Runtime refuses: a Conv whose weight has the wrong rank.
  const broken: Model = structuredClone(m);
  const stemW = broken.graph.initializers.find((t) => t.name === 'stem.conv.weight');
  assert.ok(stemW, 'stem weight');
  stemW.dims = [8, 27];
  const r3 = await validateTransform({ model: m }, { model: broken }, { latencyRuns: 0 });
  assert.ok(!r3.ok, 'fails');
  assert.ok(
    r3.failures.some((f) => /the transformed model (does not load|fails to run)/.test(f)),
    `says it does not load or run: ${r3.failures.join('; ')}`,
  );
});

test('output paths: named after the transform, never overwritten, the original protected', async () => {
  assert.equal(transformedPath('/models/net.onnx', 'int8'), '/models/net.int8.onnx', 'int8');
  assert.equal(transformedPath('C:\\m\\net.ONNX', 'fp16'), 'C:\\m\\net.fp16.onnx', 'Windows path, any case');
  assert.equal(transformedPath('net', 'pruned'), 'net.pruned.onnx', 'no extension');
  const original = join(dir, 'net.onnx');
  writeFileSync(original, encodeModel(mobileNetLike()));
  const out = transformedPath(original, 'pruned');
  const pruned = (await pruneModel(mobileNetLike(), { sparsity: 0.5, structured: true })).model;
  const w1 = await writeTransformedModel(out, pruned, { originalPath: original });
  assert.equal(w1.sizeBytes, statSync(out).size, 'size reported');
  const firstBytes = readFileSync(out);
  await assert.rejects(
    writeTransformedModel(out, mobileNetLike(), { originalPath: original }),
    (err: unknown) => err instanceof OutputPathError && err.code === 'exists',
    'an existing output is refused',
  );
  assert.deepEqual(readFileSync(out), firstBytes, 'the existing file is untouched');
  await writeTransformedModel(out, mobileNetLike(), { originalPath: original, overwrite: true });
  assert.notDeepEqual(readFileSync(out), firstBytes, 'replaced when asked');
  await assert.rejects(
    writeTransformedModel(original, pruned, { originalPath: original, overwrite: true }),
    (err: unknown) => err instanceof OutputPathError && err.code === 'protected',
    'the original is never replaced, even with overwrite',
  );
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temporary files left');
});

test("the original's external data is never modified: inlined, or a data file of the output's own", async () => {
  const sub = mkdtempSync(join(dir, 'ext-'));
  const modelPath = join(sub, 'big.onnx');
  const planned = await relocateToDataFile(mobileNetLike(), { location: 'big.onnx.data', minBytes: 256, align: 64 });
  await writeModelFiles(modelPath, planned.model, planned.dataFile);
  const dataPath = join(sub, 'big.onnx.data');
  const hash = () => createHash('sha256').update(readFileSync(dataPath)).digest('hex');
  const before = hash();
  const loaded = await loadModelFile(modelPath);
  assert.ok(externalTensors(loaded.model).length > 0, 'the original has external data');
  const pruned = await pruneModel(loaded.model, { sparsity: 0.5 }, loaded.externalData);

  const inline = await writeTransformedModel(transformedPath(modelPath, 'pruned'), pruned.model, {
    source: loaded.externalData,
    originalPath: modelPath,
    originalModel: loaded.model,
  });
  assert.equal(inline.dataPath, undefined, 'small: written self-contained');
  assert.equal(externalTensors(inline.model).length, 0, 'no external tensors left');

  const own = await writeTransformedModel(join(sub, 'big.int8.onnx'), pruned.model, {
    source: loaded.externalData,
    originalPath: modelPath,
    originalModel: loaded.model,
    maxInlineBytes: 0,
  });
  assert.equal(own.dataPath, join(sub, 'big.int8.onnx.data'), 'large: a data file of its own');
  assert.ok(existsSync(own.dataPath ?? ''), 'written');
  assert.equal(hash(), before, "the original's data file is unchanged");
  for (const p of [inline.path, own.path]) {
    const s = await ort.InferenceSession.create(p, { logSeverityLevel: 3 });
    const x = new ort.Tensor('float32', new Float32Array(3 * 32 * 32).fill(0.25), [1, 3, 32, 32]);
    const r = await s.run({ input: x });
    assert.deepEqual(r.probabilities.dims, [1, 10], `${p} loads and runs`);
    await s.release();
  }
  await assert.rejects(
    writeTransformedModel(modelPath, pruned.model, {
      source: loaded.externalData,
      originalPath: modelPath,
      originalModel: loaded.model,
      overwrite: true,
    }),
    (err: unknown) => err instanceof OutputPathError && err.code === 'protected',
    'writing over the original is refused',
  );
  assert.equal(hash(), before, 'still unchanged');
});

test('prune CLI: writes next to the model, prints the report, exit codes 0 / 1 / 2', async () => {
  const model = join(dir, 'cli.onnx');
  writeFileSync(model, encodeModel(mobileNetLike()));
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  const args = [model, '--sparsity', '0.5', '--structured', '--runs', '2', '--samples', '2'];
  assert.equal(await runPrune([...args, '--format', 'json', '--target', 'cortex-m4'], io), 0, 'exit 0');
  const json = JSON.parse(out.join(''));
  assert.equal(json.output, join(dir, 'cli.pruned.onnx'), 'default output path');
  assert.ok(json.sizeBytes.after < json.sizeBytes.before, 'smaller file');
  for (const k of ['cosine', 'maxAbsError', 'snrDb', 'top1Agreement'])
    assert.ok(k in json.validation, `validation.${k}`);
  assert.ok(json.hostLatencyMs.before > 0 && json.hostLatencyMs.after > 0, 'host latency');
  assert.ok(json.estimate.after.latencyMs < json.estimate.before.latencyMs, 'estimated latency drops');
  assert.equal(await runPrune(args, io), 2, 'existing output: exit 2');
  assert.ok(
    err.some((e) => e.includes('--force')),
    'asks for --force',
  );
  out.length = 0;
  assert.equal(await runPrune([...args, '--force', '--min-cosine', '0.99999'], io), 1, 'threshold missed: exit 1');
  assert.ok(out.join('\n').includes('validation in ONNX Runtime: FAILED'), 'says FAILED');
  assert.equal(await runPrune([model, '--structured'], io), 2, 'missing --sparsity');
  assert.equal(await runPrune([model, '--sparsity', '2'], io), 2, 'bad sparsity');
  assert.equal(await runPrune([join(dir, 'nope.onnx'), '--sparsity', '0.5'], io), 2, 'unreadable model');
});
