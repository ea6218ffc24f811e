import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { encodeModel } from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { measureHostCpu, writeHostCpuRecord } from '../../src/core/runtime/hostCpuStore.js';
import { encodeNpy } from '../../src/core/runtime/npy.js';
import { builtinProfiles } from '../../src/core/targets/builtinProfiles.js';
import { estimateModel } from '../../src/core/targets/estimate.js';
import { loadUserProfiles } from '../../src/core/targets/userProfiles.js';

const dir = mkdtempSync(join(tmpdir(), 'emp-measure-cli-'));
const modelPath = join(dir, 'net.onnx');
const hostCache = join(dir, 'host-cpu.json');
const model = mobileNetLike({ blocks: 2, width: 8, inputSize: 32 });

before(async () => {
  writeFileSync(modelPath, encodeModel(model));
  // A quick measurement with stated factors, so the commands do not spend seconds fitting the zoo.
  const rec = await measureHostCpu({ quick: true });
  rec.fit = {
    optimization: 'disabled',
    efficiency: { conv: 0.8, depthwise: 0.1, matmul: 0.9, elementwise: 0.05, pooling: 0.1, other: 0.2 },
    kernelOverheadSec: rec.kernelOverheadSec,
    models: ['test'],
    units: 1,
    before: { layerPct: 0, totalPct: 0 },
    after: { layerPct: 0, totalPct: 0 },
    unitsPerClass: { conv: 1, depthwise: 1, matmul: 1, elementwise: 1, pooling: 1, other: 1 },
  };
  await writeHostCpuRecord(hostCache, rec);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const repo = join(__dirname, '..', '..');
const runner = join(dir, 'run-cli.ts');
writeFileSync(
  runner,
  `import { runCalibrate, runMeasure } from ${JSON.stringify(join(repo, 'src', 'cli', 'measureCommands.ts'))};
const [command, ...args] = process.argv.slice(2);
(command === 'measure' ? runMeasure(args) : runCalibrate(args)).then((code) => { process.exitCode = code; });
`,
);

/** Runs `edge-profile measure|calibrate …` in a child process (the test runner owns this process's stdout). */
async function cli(
  command: 'measure' | 'calibrate',
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', runner, command, ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('measure --format json: totals, every layer measured and estimated, rank correlation', async () => {
  const r = await cli('measure', [
    modelPath,
    '--runs',
    '3',
    '--warmup',
    '1',
    '--format',
    'json',
    '--host-cache',
    hostCache,
  ]);
  assert.equal(r.code, 0, `exit code (stderr: ${r.err})`);
  const j = JSON.parse(r.out);
  assert.ok(j.totals.measuredMs > 0 && j.totals.estimatedMs > 0 && j.totals.kernelMs > 0, 'totals');
  assert.equal(j.layers.length, model.graph.nodes.length, 'one row per node');
  assert.ok(
    j.layers.every(
      (l: { name: string; opType: string; measuredMs: number; estimatedMs: number }) =>
        l.name && l.opType && l.measuredMs >= 0 && l.estimatedMs > 0,
    ),
    'name, opType, measuredMs, estimatedMs',
  );
  assert.equal(typeof j.spearman, 'number', 'Spearman ρ');
  assert.equal(j.target.id, 'host-cpu', 'host-cpu estimate');
  assert.equal(j.runtime.optimization, 'disabled', 'level reported');
});

test('measure: inputs from .npy files; text output; bad usage is one line and exit code 2', async () => {
  const npy = join(dir, 'input.npy');
  writeFileSync(npy, encodeNpy('float32', [1, 3, 32, 32], new Float32Array(3 * 32 * 32).fill(0.5)));
  const r = await cli('measure', [
    modelPath,
    '--runs',
    '2',
    '--input',
    `input=${npy}`,
    '--host-cache',
    hostCache,
    '--top',
    '3',
  ]);
  assert.equal(r.code, 0, `exit code (stderr: ${r.err})`);
  assert.match(r.out, /input input: float32 \[1, 3, 32, 32\]\n/, 'the input is the file, not generated');
  assert.match(r.out, /Spearman ρ/, 'rank correlation line');
  assert.match(r.out, /the 3 slowest layers:/, '--top');
  for (const args of [
    [],
    [modelPath, '--runs', 'many'],
    [join(dir, 'missing.onnx')],
    [modelPath, '--input', 'nope=x.npy'],
    [modelPath, '--bogus'],
  ]) {
    const bad = await cli('measure', [...args, '--host-cache', hostCache]);
    assert.equal(bad.code, 2, `exit 2 for ${args.join(' ')}`);
    assert.equal(bad.err.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${bad.err}`);
    assert.equal(bad.out, '', 'nothing on stdout');
  }
});

test('calibrate from a simple CSV writes a user profile, and refuses to overwrite it without --force', async () => {
  const builtins = builtinProfiles();
  const base = builtins.find((p) => p.id === 'cortex-m7');
  assert.ok(base, 'cortex-m7 built in');
  const truth = structuredClone(base);
  truth.efficiency = { ...base.efficiency, conv: 0.2, depthwise: 0.05 };
  const { profile: cost, facts } = analyzeModel(model);
  const est = estimateModel(model, cost, facts, truth);
  const rows = est.layers
    .filter((l) => (l.latencyMs ?? 0) > 0)
    .map((l) => `net.onnx,${model.graph.nodes[l.index].name},${l.latencyMs}`);
  const csv = join(dir, 'm7.csv');
  writeFileSync(csv, `model,layer,ms\n${rows.join('\n')}\n`);
  const out = join(dir, 'm7-cal.json');
  const args = ['--target', 'cortex-m7', '--from', csv, '-o', out, '--id', 'm7-test'];
  const r = await cli('calibrate', args);
  assert.equal(r.code, 0, `exit code (stderr: ${r.err})`);
  assert.match(r.out, /per measured layer\s+\S+%\s+\S+%/, 'error before and after');
  const text = readFileSync(out, 'utf8');
  const [p] = loadUserProfiles(text, out, builtins);
  assert.ok(Math.abs(p.efficiency.conv - 0.2) < 1e-3, `conv ${p.efficiency.conv}`);
  assert.equal(p.calibration.status, 'calibrated', 'calibrated');
  const again = await cli('calibrate', args);
  assert.equal(again.code, 2, 'existing output refused');
  assert.match(again.err, /already exists/, 'says why');
  assert.equal(readFileSync(out, 'utf8'), text, 'file untouched');
  const forced = await cli('calibrate', [...args, '--force']);
  assert.equal(forced.code, 0, `--force overwrites (stderr: ${forced.err})`);
  const npu = await cli('calibrate', ['--target', 'ethos-u55-128', '--from', csv, '-o', join(dir, 'npu.json')]);
  assert.equal(npu.code, 1, 'a float32 model runs on the NPU profile’s fallback: nothing to fit');
  assert.match(npu.err, /nothing to fit/, 'says why');
});

test('calibrate --target host-cpu from an ONNX Runtime profile of the model', async () => {
  const session = await ort.InferenceSession.create(encodeModel(model), {
    enableProfiling: true,
    profileFilePrefix: join(dir, 'ortprof'),
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  const x = new ort.Tensor('float32', new Float32Array(3 * 32 * 32).fill(0.1), [1, 3, 32, 32]);
  for (let i = 0; i < 4; i++) await session.run({ input: x });
  session.endProfiling();
  await session.release();
  const file = readdirSync(dir).find((f) => f.startsWith('ortprof') && f.endsWith('.json'));
  assert.ok(file, 'ONNX Runtime wrote a profile');
  const out = join(dir, 'host-cal.json');
  const r = await cli('calibrate', [
    '--target',
    'host-cpu',
    '--from',
    join(dir, file),
    '--model',
    modelPath,
    '-o',
    out,
    '--host-cache',
    hostCache,
    '--report',
    'json',
  ]);
  assert.equal(r.code, 0, `exit code (stderr: ${r.err})`);
  const rep = JSON.parse(r.out);
  assert.equal(rep.models[0].units, model.graph.nodes.length, 'every node matched');
  assert.ok(rep.after.medianAbsLayerErrorPct >= 0, 'error after reported');
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(json.extends, 'host-cpu', 'extends the target');
  assert.equal(json.calibration.status, 'calibrated', 'calibration recorded');
});
