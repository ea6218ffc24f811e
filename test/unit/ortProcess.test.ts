/**
 * ONNX Runtime isolation: real child processes that hang, crash, fail or get cancelled, and real ONNX Runtime runs
 * of the sample model through the child entry (src/node/ortRunner.ts, run through tsx).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeModel } from '../../src/core/onnx/index.js';
import { assertRunnable, measuredColumn, unsupportedDomains } from '../../src/node/ortJobs.js';
import {
  type MeasureJob,
  OrtProcessError,
  removeStrayTempFiles,
  runInChild,
  runOrtJob,
  type TransformJob,
} from '../../src/node/ortProcess.js';

const root = join(__dirname, '..', '..');
const sample = join(root, 'samples', 'vww_96_float.onnx');
const runner = join(root, 'src', 'node', 'ortRunner.ts');
const tsx = ['--import', 'tsx'];
const dir = mkdtempSync(join(tmpdir(), 'emp-ortprocess-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A child script; it reports its pid as its first progress message. */
function child(name: string, body: string): string {
  const path = join(dir, `${name}.cjs`);
  writeFileSync(
    path,
    `process.on('message', (m) => {
  if (m.type !== 'run') return;
  process.send({ type: 'progress', message: String(process.pid) });
  ${body}
});
process.on('disconnect', () => process.exit(1));
`,
  );
  return path;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs = 2000): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

async function rejection(p: Promise<unknown>): Promise<OrtProcessError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OrtProcessError, `an OrtProcessError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the run to fail');
}

test('a normal child run returns its result', async () => {
  const script = child('echo', `process.send({ type: 'result', result: { got: m.job, inf: Infinity, big: 5n } });`);
  const r = await runInChild<{ got: unknown; inf: number; big: bigint }>(
    { x: [1, 2] },
    {
      script,
      what: 'echoing',
      timeoutMs: 10_000,
    },
  );
  assert.deepEqual(r.got, { x: [1, 2] }, 'the job arrived in the child and came back');
  assert.equal(r.inf, Number.POSITIVE_INFINITY, 'non-finite numbers cross');
  assert.equal(r.big, 5n, 'bigints cross');
});

test('a child that hangs is killed at the timeout and the error says so', async () => {
  let pid = 0;
  const script = child('hang', 'setInterval(() => {}, 1000);');
  const t0 = Date.now();
  const err = await rejection(
    runInChild({}, { script, what: 'running hang.onnx', timeoutMs: 700, onProgress: (p) => (pid = Number(p.message)) }),
  );
  const took = Date.now() - t0;
  assert.equal(err.code, 'timeout');
  assert.equal(err.message.split(';')[0], 'ONNX Runtime timed out after 0.7 s while running hang.onnx');
  assert.ok(took >= 650 && took < 5000, `failed at the timeout (${took} ms)`);
  assert.ok(pid > 0, 'the child reported its pid');
  assert.ok(await gone(pid), 'the hanging child is no longer running');
});

test('a child that aborts (SIGABRT) gives a clear error naming the signal', async () => {
  const script = child('abort', 'setTimeout(() => process.abort(), 10);');
  const err = await rejection(runInChild({}, { script, what: 'measuring crash.onnx', timeoutMs: 10_000 }));
  assert.equal(err.code, 'crashed');
  assert.match(err.message, /^ONNX Runtime exited with signal SIGABRT while measuring crash\.onnx/);
});

test('a child killed by SIGSEGV is reported with that signal', async () => {
  const script = child('segv', "setTimeout(() => process.kill(process.pid, 'SIGSEGV'), 10);");
  const err = await rejection(runInChild({}, { script, what: 'validating model.int8.onnx', timeoutMs: 10_000 }));
  assert.equal(err.code, 'crashed');
  assert.match(err.message, /^ONNX Runtime exited with signal SIGSEGV while validating model\.int8\.onnx/);
});

test('a child that exits with a code and no result says so, with the end of its stderr', async () => {
  const script = child(
    'exit',
    "process.stderr.write('terminate called: bad_alloc\\n'); setTimeout(() => process.exit(3), 10);",
  );
  const err = await rejection(runInChild({}, { script, what: 'calibrating', timeoutMs: 10_000 }));
  assert.equal(err.code, 'crashed');
  assert.match(err.message, /exited with code 3 while calibrating, without a result/);
  assert.match(err.message, /bad_alloc/, 'stderr tail included');
});

test("a child's own error is passed on as its message", async () => {
  const script = child(
    'fails',
    "process.send({ type: 'error', name: 'TransformError', message: 'the model is already quantized' });",
  );
  const err = await rejection(runInChild({}, { script, what: 'quantizing', timeoutMs: 10_000 }));
  assert.equal(err.code, 'failed');
  assert.equal(err.message, 'the model is already quantized');
});

test('cancelling kills a child that ignores the cancel request, after the grace period', async () => {
  let pid = 0;
  const script = child('stubborn', 'setInterval(() => {}, 1000);');
  const ac = new AbortController();
  const p = runInChild(
    {},
    {
      script,
      what: 'profiling',
      timeoutMs: 30_000,
      signal: ac.signal,
      cancelGraceMs: 300,
      onProgress: (m) => {
        pid = Number(m.message);
        ac.abort();
      },
    },
  );
  const err = await rejection(p);
  assert.equal(err.code, 'cancelled');
  assert.ok(await gone(pid), 'the child is gone');
});

test('cancelling a cooperative child ends it through its own error', async () => {
  const script = child(
    'cooperative',
    "process.on('message', (c) => { if (c.type === 'cancel') process.send({ type: 'error', name: 'TransformError', message: 'cancelled' }); });",
  );
  const ac = new AbortController();
  const err = await rejection(
    runInChild({}, { script, what: 'quantizing', timeoutMs: 30_000, signal: ac.signal, onProgress: () => ac.abort() }),
  );
  assert.equal(err.code, 'cancelled');
});

test('a missing entry script fails cleanly', async () => {
  const err = await rejection(runInChild({}, { script: join(dir, 'nope.cjs'), what: 'running', timeoutMs: 10_000 }));
  assert.equal(err.code, 'crashed');
  assert.match(err.message, /exited with code 1/);
});

test('real ONNX Runtime run in the child: measured profiling of the sample', async () => {
  const job: MeasureJob = {
    kind: 'measure',
    modelPath: sample,
    runs: 3,
    warmup: 1,
    hostCachePath: null,
    quickHost: true,
  };
  const progress: string[] = [];
  const r = await runOrtJob(job, {
    script: runner,
    execArgv: tsx,
    what: 'profiling vww_96_float.onnx',
    timeoutMs: 120_000,
    onProgress: (p) => progress.push(p.message),
  });
  const model = decodeModel(await import('node:fs').then((fs) => fs.readFileSync(sample)));
  const nodes = model.graph.nodes.length;
  assert.equal(r.column.length, 1 + nodes + model.graph.outputs.length, 'one value per editor node (1 input)');
  assert.equal(r.column[0], null, 'the input node has no time');
  const timed = r.column.filter((v) => v !== null) as number[];
  assert.equal(timed.length, nodes, 'every op node got a measured time');
  assert.ok(
    timed.every((s) => s >= 0 && s < 1),
    'times are seconds',
  );
  const sumMs = timed.reduce((a, b) => a + b, 0) * 1000;
  assert.ok(Math.abs(sumMs - r.kernelMs) < 1e-6 * Math.max(1, r.kernelMs), 'the column adds up to the kernel time');
  assert.ok(r.wallMs > 0 && r.comparison.totals.estimatedMs > 0, 'measured and estimated totals');
  assert.equal(r.comparison.layers.length, nodes);
  assert.ok(r.comparison.spearman !== null && r.comparison.spearman > 0, `rank correlation ${r.comparison.spearman}`);
  assert.ok(
    progress.some((m) => m.startsWith('running the model')),
    'progress came through',
  );
});

test('real ONNX Runtime run in the child: FP16 conversion written next to the model, validated and compared', async () => {
  const model = join(dir, 'vww.onnx');
  copyFileSync(sample, model);
  const job: TransformJob = {
    kind: 'transform',
    modelPath: model,
    outputPath: join(dir, 'vww.fp16.onnx'),
    overwrite: false,
    spec: { kind: 'fp16', keepIoTypes: true },
    preprocess: true,
    samples: 2,
    latencyRuns: 2,
    minCosine: 0.999,
    targetId: 'cortex-m7',
  };
  const r = await runOrtJob(job, { script: runner, execArgv: tsx, what: 'converting vww.onnx', timeoutMs: 120_000 });
  assert.equal(r.outputPath, join(dir, 'vww.fp16.onnx'));
  assert.ok(existsSync(r.outputPath), 'the new file exists');
  assert.ok(r.validation.ok, `validation passed: ${r.validation.failures.join('; ')}`);
  assert.ok((r.validation.summary.cosine ?? 0) >= 0.999, `cosine ${r.validation.summary.cosine}`);
  assert.ok(r.sizeBytes < 0.6 * r.validation.sizeBytes.before, 'about half the size');
  assert.equal(r.inputOffsets.a, 1);
  assert.ok(r.comparison.summary.changed > 0, 'changed layers found');
  assert.match(r.text, /validation in ONNX Runtime: PASSED/);
  assert.ok(r.validation.estimate, 'estimate on the chosen target');

  // The output exists now: without overwrite, the child refuses and nothing else is written.
  const again = await rejection(
    runOrtJob(job, { script: runner, execArgv: tsx, what: 'converting vww.onnx', timeoutMs: 120_000 }),
  );
  assert.equal(again.code, 'failed');
  assert.match(again.message, /already exists/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'no temporary files left',
  );
});

const custom = join(
  root,
  '..',
  'shared',
  'models',
  'unusual',
  'pytorch_superresolution_with_pre_post_processing_op18.onnx',
);

test('a model with a custom operator domain is refused with a message naming it, no custom-op library loaded', {
  skip: !existsSync(custom),
}, async () => {
  const job: MeasureJob = {
    kind: 'measure',
    modelPath: custom,
    runs: 1,
    warmup: 0,
    hostCachePath: null,
    quickHost: true,
  };
  const err = await rejection(runOrtJob(job, { script: runner, execArgv: tsx, what: 'profiling', timeoutMs: 60_000 }));
  assert.equal(err.code, 'failed');
  assert.match(err.message, /custom domain 'com\.microsoft\.extensions'/);
  assert.match(err.message, /never loads custom-operator libraries/);
});

test('unsupportedDomains: standard, ML and Microsoft domains pass; others and subgraphs are found; local functions are fine', () => {
  const node = (opType: string, domain: string) => ({
    opType,
    domain,
    name: '',
    inputs: [],
    outputs: [],
    attributes: [],
    docString: '',
  });
  const model = {
    graph: {
      nodes: [
        node('Conv', ''),
        node('LinearClassifier', 'ai.onnx.ml'),
        node('FusedConv', 'com.microsoft'),
        node('MyFn', 'my.fn'),
        {
          ...node('If', ''),
          attributes: [{ name: 'then_branch', type: 'graph', value: { nodes: [node('Foo', 'vendor.ops')] } }],
        },
      ],
    },
    functions: [{ name: 'MyFn', domain: 'my.fn', nodes: [node('Relu', '')] }],
  } as unknown as Parameters<typeof unsupportedDomains>[0];
  assert.deepEqual(unsupportedDomains(model), [{ domain: 'vendor.ops', example: 'Foo' }]);
  assert.throws(() => assertRunnable(model, 'm.onnx'), /m\.onnx: .*custom domain 'vendor\.ops' \(e\.g\. Foo\)/);
});

test('measuredColumn: seconds at input-count + node index, null for inputs, outputs and nodes without a kernel', () => {
  const model = {
    graph: {
      inputs: [{ name: 'x' }, { name: 'w' }],
      initializers: [{ name: 'w' }],
      nodes: [{}, {}, {}],
      outputs: [{ name: 'y' }],
    },
  } as unknown as Parameters<typeof measuredColumn>[0];
  assert.deepEqual(
    measuredColumn(model, [
      { index: 0, measuredMs: 2 },
      { index: 2, measuredMs: 0.5 },
      { index: 9, measuredMs: 1 },
    ]),
    [null, 0.002, null, 0.0005, null],
  );
});

test('removeStrayTempFiles removes only the atomic writer temporaries of the output and its data file', async () => {
  const out = join(dir, 'stray', 'm.int8.onnx');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'stray'));
  const names = [
    '.m.int8.onnx.0123456789ab.tmp',
    '.m.int8.onnx.data.a1b2c3d4e5f6.tmp',
    '.other.onnx.0123456789ab.tmp',
    'm.int8.onnx',
    '.m.int8.onnx.zz.tmp',
  ];
  for (const n of names) writeFileSync(join(dir, 'stray', n), 'x');
  const removed = await removeStrayTempFiles(out);
  assert.deepEqual(removed.map((p) => p.split('/').pop()).sort(), [names[0], names[1]].sort());
  assert.deepEqual(readdirSync(join(dir, 'stray')).sort(), [names[2], names[3], names[4]].sort());
});
