import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType, encodeModel, type Model, type Node } from '../../src/core/onnx/index.js';
import { emptyGraph, modelOf } from '../../src/core/onnx/reader.js';

const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
const sample = join(__dirname, '..', '..', 'samples', 'vww_96_float.onnx');
const dir = mkdtempSync(join(tmpdir(), 'emp-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function chain(n: number, danglingAt = -1): Model {
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) {
    const input = i === danglingAt ? 'missing' : i ? `v${i - 1}` : 'x';
    nodes.push({
      name: `/layer.${i}/Relu`,
      opType: 'Relu',
      domain: '',
      inputs: [input],
      outputs: [`v${i}`],
      attributes: [],
    });
  }
  const io = (name: string) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [1, 8] } });
  return modelOf(
    { ...emptyGraph('chain'), nodes, inputs: [io('x')], outputs: [io(`v${n - 1}`)] },
    { producerName: 'cli-test' },
  );
}

test('info prints the sample summary as text and JSON, exit 0', () => {
  const text = run('info', sample);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /IR version: \d+/);
  assert.match(text.stdout, /Conv/);
  const json = run('info', sample, '--format', 'json');
  assert.equal(json.code, 0);
  const s = JSON.parse(json.stdout);
  // Expected values as ONNX's Python package reports them for this file.
  assert.deepEqual(s.inputs, [{ name: 'input_1', type: 'float32', shape: [1, 3, 96, 96] }]);
  assert.deepEqual(s.outputs, [{ name: 'Identity', type: 'float32', shape: [1, 2] }]);
  assert.equal(s.nodeCount, 59);
  assert.equal(s.opCounts.Conv, 27);
  assert.deepEqual(s.problems, []);
});

test('a model with validation errors exits 1 and lists the problem', () => {
  const file = join(dir, 'dangling.onnx');
  writeFileSync(file, encodeModel(chain(3, 1)));
  const r = run('info', file);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /error: node '\/layer\.1\/Relu' \(Relu\): input 'missing'/);
});

test('unreadable files exit 2 with one stderr line naming the file and the problem', () => {
  const junk = join(dir, 'junk.onnx');
  writeFileSync(junk, Buffer.from('this is not a protobuf at all, just some text\n'));
  for (const [file, pattern] of [
    [junk, /junk\.onnx: not readable as an ONNX model/],
    [join(dir, 'absent.onnx'), /absent\.onnx: no such file/],
    [dir, /not a regular file/],
  ] as const) {
    const r = run('info', file);
    assert.equal(r.code, 2, `${file}: ${r.stdout}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  }
});

test('bad usage exits 2', () => {
  assert.equal(run().code, 2);
  assert.equal(run('info').code, 2);
  assert.equal(run('frobnicate', sample).code, 2);
  assert.equal(run('info', sample, '--format', 'xml').code, 2);
  assert.equal(run('info', sample, '--bogus').code, 2);
  assert.equal(run('info', sample, '--top', '3').code, 2);
  assert.equal(run('--help').code, 0);
  for (const args of [
    ['--format', 'xml'],
    ['--top', '0'],
    ['--top', 'many'],
    ['--dim', 'batch'],
    ['--dim', 'batch=one'],
    ['--input', 'nope=1x3x96x96'],
    ['--input', '1x3x96x96'],
  ]) {
    const r = run('profile', sample, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /^edge-profile: /, args.join(' '));
  }
});

/** x [batch, 3, 8, 8] -> Conv 3x3 (4 filters, pads 1) -> y [batch, 4, 8, 8]: 4·8·8·27 = 6,912 MACs per item. */
function symbolicConv(): string {
  const file = join(dir, 'symbolic.onnx');
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, ['batch', 3, 8, 8]);
  const w = b.initializer('w', DataType.FLOAT, [4, 3, 3, 3], new Array(108).fill(0.5));
  b.output(
    b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: '/stem/conv/Conv' }),
    DataType.FLOAT,
    ['batch', 4, 8, 8],
  );
  writeFileSync(file, encodeModel(b.build()));
  return file;
}

test('profile prints a per-layer table with totals for the sample', () => {
  const r = run('profile', sample);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /vww_96_float\.onnx: 59 layers/);
  assert.match(r.stdout, /shapes: static/);
  assert.match(r.stdout, /MACs: 7,489,664 {3}FLOPs: [\d,]+/);
  assert.match(r.stdout, /params: 210,852/);
  const header = lines.find((l) => l.startsWith('name'));
  assert.match(header ?? '', /^name +op +output shape +params +MACs +weight bytes +activation bytes$/);
  assert.match(r.stdout, /\n\S+ +Conv +\[1, 8, 48, 48\] +224 +497,664 +896 +73,728\n/);
  assert.match(r.stdout, /\ntotal \(all layers\) +210,852 +7,489,664 +843,416 +[\d,]+\n$/);
  assert.doesNotMatch(r.stdout, /warning/);
});

test('profile --format json has model, totals, layers (with output shapes) and warnings', () => {
  const r = run('profile', sample, '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.model.file, sample);
  assert.equal(p.model.mode, 'static');
  for (const k of ['params', 'macs', 'flops', 'weightBytes', 'activationBytes']) {
    assert.equal(typeof p.totals[k], 'number', `totals.${k}`);
  }
  assert.equal(p.totals.macs, 7_489_664);
  assert.equal(p.layers.length, 59);
  const first = p.layers[0];
  for (const k of ['name', 'opType', 'outputs', 'params', 'macs', 'flops', 'weightBytes', 'activationBytes']) {
    assert.ok(k in first, `layers[0].${k} missing`);
  }
  assert.equal(first.opType, 'Conv');
  assert.deepEqual(
    { name: first.outputs[0].name, dtype: first.outputs[0].dtype, shape: first.outputs[0].shape },
    { name: first.outputs[0].name, dtype: 'float32', shape: [1, 8, 48, 48] },
  );
  assert.equal(first.outputs[0].origin, 'inferred');
  assert.deepEqual(p.warnings, []);
  assert.equal(p.scopes.totals.macs, p.totals.macs);
});

test('profile --top N keeps the N layers with the most MACs; totals stay over all layers', () => {
  const table = run('profile', sample, '--top', '3');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /top 3 of 59 layers by MACs/);
  const rows = table.stdout.split('\n').filter((l) => / Conv /.test(l));
  assert.equal(rows.length, 3, table.stdout);
  assert.match(table.stdout, /MACs: 7,489,664/);
  const json = JSON.parse(run('profile', sample, '--top', '4', '--format', 'json').stdout);
  assert.equal(json.layers.length, 4);
  const macs = json.layers.map((l: { macs: number }) => l.macs);
  assert.deepEqual(
    macs,
    [...macs].sort((a, b) => b - a),
  );
  assert.equal(json.totals.macs, 7_489_664);
});

test('profile --format csv and md', () => {
  const csv = run('profile', sample, '--format', 'csv');
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 60, 'header + 59 layers');
  assert.match(
    lines[0],
    /^index,name,op,scope,output,output_dtype,output_shape,shape_origin,params,weight_bytes,macs,flops,/,
  );
  assert.match(lines[1], /,Conv,.*,float32,1x8x48x48,inferred,224,896,497664,/);
  const md = run('profile', sample, '--format', 'md', '--top', '2');
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^## .*top 2 of 59 layers by MACs/);
  assert.match(md.stdout, /\| name \| op \| output shape \| params \| MACs \| weight bytes \| activation bytes \|/);
  assert.match(md.stdout, /\| \*\*total\*\* \| {2}\| {2}\| 210,852 \| 7,489,664 \|/);
});

test('profile: symbolic batch is n/a until --dim or --input gives it a size', () => {
  const file = symbolicConv();
  const plain = run('profile', file, '--format', 'json');
  assert.equal(plain.code, 0, plain.stderr);
  const p = JSON.parse(plain.stdout);
  assert.equal(p.totals.macs, null);
  assert.equal(p.layers[0].macs, null);
  assert.deepEqual(p.layers[0].outputs[0].shape, ['batch', 4, 8, 8]);
  assert.equal(p.warnings[0].code, 'symbolic-shape');
  assert.match(p.warnings[0].message, /'batch'/);
  const table = run('profile', file);
  assert.match(table.stdout, /MACs: n\/a/);
  assert.match(table.stdout, /warning: .*'batch'.*--dim batch=1/);

  const dim = JSON.parse(run('profile', file, '--dim', 'batch=2', '--format', 'json').stdout);
  assert.equal(dim.totals.macs, 2 * 6912);
  assert.deepEqual(dim.model.dims, { batch: 2 });
  const input = JSON.parse(run('profile', file, '--input', 'x=3x3x8x8', '--format', 'json').stdout);
  assert.equal(input.totals.macs, 3 * 6912);
  assert.deepEqual(input.layers[0].outputs[0].shape, [3, 4, 8, 8]);
  assert.deepEqual(input.scopes.children[0].name, 'stem');
});

test('profile --exact measures shapes in ONNX Runtime and says so', () => {
  const r = run('profile', sample, '--exact', '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.model.mode, 'exact');
  assert.equal(p.totals.macs, 7_489_664);
  assert.ok(
    p.layers.every((l: { outputs: { origin: string }[] }) => l.outputs.every((o) => o.origin === 'measured')),
    'all shapes measured',
  );
  const sym = run('profile', symbolicConv(), '--exact');
  assert.equal(sym.code, 0, sym.stderr);
  assert.match(sym.stdout, /shapes: exact/);
  assert.match(sym.stdout, /MACs: 6,912 /, 'symbols not given are 1 in exact mode');
  const junk = join(dir, 'custom.onnx');
  const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'example.custom', version: 1 }] });
  b.output(b.node('Mystery', [b.input('x', DataType.FLOAT, [1])], {}, { domain: 'example.custom' }), DataType.FLOAT);
  writeFileSync(junk, encodeModel(b.build()));
  const bad = run('profile', junk, '--exact');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^edge-profile: --exact: ONNX Runtime cannot load the model/);
});

test('large JSON output reaches a pipe complete', () => {
  const file = join(dir, 'big.onnx');
  writeFileSync(file, encodeModel(chain(20_000)));
  const r = run('profile', file, '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.length > 1_000_000, `only ${r.stdout.length} bytes`);
  const parsed = JSON.parse(r.stdout);
  assert.equal(parsed.layers.length, 20_000);
  assert.equal(parsed.layers[19_999].name, '/layer.19999/Relu');
});

// ---------------------------------------------------------------------------------------------------------------
// Targets: --target, --profiles, targets, check.

/** The example user profile: an STM32F746 board (Cortex-M7 at 216 MHz, 320 KB SRAM, 1 MB flash). */
function f746Profiles(): string {
  const file = join(dir, 'profiles.json');
  writeFileSync(
    file,
    '// my boards\n[{ "id": "my-f746", "extends": "cortex-m7", "clockMHz": 216, "sramKB": 320, "flashKB": 1024 },\n' +
      ' { "id": "tiny-board", "extends": "cortex-m4", "sramKB": 200 }]\n',
  );
  return file;
}

interface JsonLayer {
  index: number;
  latencyMs: number | null;
  bound: string | null;
  runsOn: string;
  fusedInto?: number;
  share: number | null;
  macs: number | null;
}

test('targets lists the built-in profiles as text and JSON; --profiles adds user profiles', () => {
  const text = run('targets');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^id +kind +clock +int8 +float +SRAM +DRAM +flash +calibration +runtime\n/);
  assert.match(text.stdout, /\ncortex-m7 +mcu +480 MHz .* uncalibrated +TFLite Micro/);
  const json = run('targets', '--format', 'json');
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { id: string; sramBytes: number | null; calibration: string }[];
  assert.equal(rows.length, 17);
  assert.ok(
    ['cortex-m4', 'cortex-m7', 'coral-edgetpu', 'jetson-orin-nano', 'host-cpu'].every((id) =>
      rows.some((r) => r.id === id),
    ),
    'issue ids listed',
  );
  const user = JSON.parse(run('targets', '--format', 'json', '--profiles', f746Profiles()).stdout) as typeof rows;
  assert.equal(user.length, 19);
  const f746 = user.find((r) => r.id === 'my-f746');
  assert.equal(f746?.sramBytes, 320 * 1024);
  assert.equal(f746?.calibration, 'uncalibrated');
  assert.equal(run('targets', sample).code, 2, 'targets takes no MODEL');
  assert.equal(run('targets', '--format', 'csv').code, 2);
});

test('profile --target adds latency, RAM, flash, fits, diagnostics and the arena to the JSON; layer sums add up', () => {
  const r = run('profile', sample, '--target', 'cortex-m7', '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.target.id, 'cortex-m7');
  assert.equal(p.target.accuracy, 'estimate (uncalibrated)');
  assert.deepEqual(p.target.calibration, { status: 'uncalibrated' });
  assert.equal(p.totals.macs, 7_489_664, 'the cost totals are still there');
  for (const k of ['latencyMs', 'peakRamBytes', 'flashBytes', 'ramCapacityBytes', 'flashCapacityBytes']) {
    assert.equal(typeof p.totals[k], 'number', `totals.${k}`);
  }
  assert.deepEqual(p.totals.fits, { ram: true, flash: true });
  assert.equal(p.totals.ramCapacityBytes, 1024 * 1024);
  assert.equal(p.totals.flashBytes, p.totals.flash.weightBytes + p.totals.flash.runtimeCodeBytes);
  assert.equal(p.totals.flash.weightBytes, 843_416, 'float32 weights in flash');
  assert.equal(
    p.totals.peakRamBytes,
    p.totals.ram.arenaBytes + p.totals.ram.runtimeBytes + p.totals.ram.weightBytes,
    'RAM parts add up',
  );
  assert.equal(p.arena.peakBytes, p.totals.ram.arenaBytes);
  assert.ok(Array.isArray(p.arena.timeline) && p.arena.timeline.length > 0, 'arena timeline');
  assert.ok(Array.isArray(p.diagnostics), 'diagnostics');
  const layers = p.layers as JsonLayer[];
  assert.equal(layers.length, 59);
  for (const l of layers) {
    for (const k of ['latencyMs', 'bound', 'runsOn', 'share']) assert.ok(k in l, `layer ${l.index}: ${k}`);
  }
  const sum = layers.reduce((s, l) => s + (l.latencyMs ?? 0), 0);
  assert.ok(
    Math.abs(sum + p.totals.perInferenceMs - p.totals.latencyMs) < 1e-9,
    `${sum} + ${p.totals.perInferenceMs} = ${p.totals.latencyMs}`,
  );
  const shares = layers.reduce((s, l) => s + (l.share ?? 0), 0);
  assert.ok(Math.abs(shares - 1) < 1e-9, `shares add up to 1: ${shares}`);
  // Every Relu follows its Conv and fuses into it (TFLite fused activation).
  const fused = layers.filter((l) => l.fusedInto !== undefined);
  assert.equal(fused.length, 27);
  assert.ok(
    fused.every((l) => l.latencyMs === 0 && l.fusedInto === l.index - 1),
    'fused layers cost nothing and point at their Conv',
  );
  assert.ok(
    layers.filter((l) => l.fusedInto === undefined).every((l) => l.bound !== null && (l.latencyMs ?? 0) > 0),
    'every executed layer has a bound and a latency',
  );
});

test('profile --target prints the target, accuracy, totals against capacity and per-layer latency', () => {
  const r = run('profile', sample, '--target', 'cortex-m7');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /vww_96_float\.onnx: 59 layers/);
  assert.match(lines[1], /^target: cortex-m7 — Arm Cortex-M7 .*; runtime TFLite Micro.*; estimate \(uncalibrated\)$/);
  assert.match(
    r.stdout,
    /\nlatency: [\d.]+ ms \(layers [\d.]+ ms \+ 0\.01 ms per inference\); estimate \(uncalibrated\)\n/,
  );
  assert.match(r.stdout, /\nRAM \(sram\): [\d,]+ KB of 1,024 KB \(arena [\d,]+ KB \+ runtime [\d,]+ KB\): fits\n/);
  assert.match(r.stdout, /\nflash: [\d,]+ KB of 2,048 KB \(weights 824 KB \+ runtime code [\d,]+ KB\): fits\n/);
  assert.match(r.stdout, /\nfits cortex-m7: yes\n/);
  const header = lines.find((l) => l.startsWith(' #'));
  assert.match(
    header ?? '',
    /name +op +output shape +params +MACs +weight bytes +activation bytes +latency ms +share +bound +runs on$/,
  );
  assert.match(r.stdout, /\n 1 +\S+ +Relu .* fused into #0\n/);
  assert.match(r.stdout, /\n 0 +\S+ +Conv .* [\d.]+ +[\d.]+% +compute\n/);

  const csv = run('profile', sample, '--target', 'cortex-m4', '--format', 'csv');
  assert.equal(csv.code, 0, csv.stderr);
  const rows = csv.stdout.trimEnd().split('\n');
  assert.equal(rows.length, 60);
  assert.match(
    rows[0],
    /,folded,op_class,compute_dtype,runs_on,fused_into,compute_ms,memory_ms,overhead_ms,boundary_ms,latency_ms,share,bound,target,accuracy$/,
  );
  assert.match(
    rows[1],
    /,conv,float32,target,,[\d.]+,[\d.]+,[\d.]+,,[\d.]+,[\d.]+,compute,cortex-m4,estimate \(uncalibrated\)$/,
  );
  const md = run('profile', sample, '--target', 'coral-edgetpu', '--format', 'md', '--top', '3');
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /\| latency ms \| share \| bound \| runs on \|/);
  assert.match(md.stdout, /host CPU \|/);
  assert.match(md.stdout, /\n### Diagnostics\n\n- warning: /);
  assert.match(
    md.stdout,
    /\n- warning: 30 layers compute in float32; coral-edgetpu runs int8\/uint8 only: runs on the host CPU/,
  );
});

test('profile --target on the Edge TPU: a float model falls back to the host CPU, and says so', () => {
  const p = JSON.parse(run('profile', sample, '--target', 'coral-edgetpu', '--format', 'json').stdout);
  assert.ok(
    (p.layers as JsonLayer[]).every((l) => l.runsOn === 'fallback'),
    'everything on the host',
  );
  const codes = (p.diagnostics as { code: string; severity: string }[]).map((d) => d.code);
  assert.ok(codes.includes('unsupported-dtype') && codes.includes('fallback-partition'), codes.join(', '));
  const softmax = (p.diagnostics as { code: string; message: string; layerNames: string[] }[]).find((d) =>
    d.message.startsWith('Softmax'),
  );
  assert.match(softmax?.message ?? '', /^Softmax not supported on coral-edgetpu: runs on the host CPU/);
  assert.deepEqual(softmax?.layerNames, ['Identity']);
});

test('unknown --target exits 2 and lists the valid ids with a suggestion', () => {
  const r = run('profile', sample, '--target', 'cortex-m77');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^edge-profile: --target: unknown target 'cortex-m77' \(did you mean 'cortex-m7'\?\); targets: jetson-nano, .*host-cpu\n$/,
  );
  assert.equal(run('check', sample, '--target', 'nope').code, 2);
});

test('check: exit 0 within budget, 1 with one line per violation, 2 for bad usage', () => {
  const ok = run(
    'check',
    sample,
    '--target',
    'cortex-m7',
    '--max-ram',
    '512KB',
    '--max-flash',
    '1MB',
    '--max-latency',
    '100ms',
  );
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(
    ok.stdout,
    /^ok: .*vww_96_float\.onnx on cortex-m7: latency [\d.]+ ms \(budget 100 ms\), RAM [\d,]+ KB of 1,024 KB \(budget 512 KB\), flash [\d,]+ KB of 2,048 KB \(budget 1 MB\) \(estimate, uncalibrated\)\n$/,
  );

  const over = run(
    'check',
    sample,
    '--target',
    'cortex-m4',
    '--max-ram',
    '128KB',
    '--max-flash',
    '0.5MB',
    '--max-latency',
    '0.2s',
  );
  assert.equal(over.code, 1, over.stderr);
  const lines = over.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3, over.stdout);
  assert.match(lines[0], /^RAM [\d,]+ KB > budget 128 KB \(estimate, uncalibrated\)$/);
  assert.match(
    lines[1],
    /^flash [\d,]+ KB \(weights 824 KB \+ runtime code [\d,]+ KB\) > budget 512 KB \(estimate, uncalibrated\)$/,
  );
  assert.match(lines[2], /^latency [\d.]+ ms > budget 200 ms \(estimate, uncalibrated\)$/);

  // No budgets: the target's own capacities still apply (user profile with 200 KB of SRAM).
  const small = run('check', sample, '--target', 'tiny-board', '--profiles', f746Profiles());
  assert.equal(small.code, 1, small.stdout + small.stderr);
  assert.match(
    small.stdout,
    /^model needs [\d,]+ KB RAM \(arena [\d,]+ KB \+ runtime [\d,]+ KB; estimate, uncalibrated\), tiny-board has 200 KB\n$/,
  );

  for (const args of [
    [],
    ['--max-ram', '1MB'],
    ['--target', 'cortex-m7', '--max-ram', 'lots'],
    ['--target', 'cortex-m7', '--max-latency', '50'],
    ['--target', 'cortex-m7', '--format', 'json'],
    ['--target', 'cortex-m7', '--top', '3'],
  ]) {
    const r = run('check', sample, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /^edge-profile: /, args.join(' '));
  }
  assert.match(run('check', sample).stderr, /check: --target ID is required/);
  assert.match(
    run('check', sample, '--target', 'cortex-m7', '--max-ram', 'lots').stderr,
    /--max-ram: 'lots' is not a size/,
  );
  assert.equal(run('profile', sample, '--max-ram', '1MB').code, 2, '--max-ram is an option of check');
});

test('check: a symbolic model has no latency to compare with --max-latency, and says why', () => {
  const r = run('check', symbolicConv(), '--target', 'cortex-m7', '--max-latency', '50ms');
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /^latency n\/a .*1 layer has unknown cost \(shapes unknown: give symbolic dimensions a size with --dim or --input\); cannot check budget 50 ms\n$/,
  );
  const sized = run('check', symbolicConv(), '--target', 'cortex-m7', '--max-latency', '50ms', '--dim', 'batch=1');
  assert.equal(sized.code, 0, sized.stdout);
});

test("--profiles: the issue's user profile extends cortex-m7 with its own clock, SRAM and flash", () => {
  const profiles = f746Profiles();
  const mine = JSON.parse(
    run('profile', sample, '--target', 'my-f746', '--profiles', profiles, '--format', 'json').stdout,
  );
  const m7 = JSON.parse(run('profile', sample, '--target', 'cortex-m7', '--format', 'json').stdout);
  assert.equal(mine.target.id, 'my-f746');
  assert.equal(mine.target.name, 'my-f746 (based on Arm Cortex-M7 (STM32H743-class, 480 MHz))');
  assert.equal(mine.totals.ramCapacityBytes, 320 * 1024);
  assert.equal(mine.totals.flashCapacityBytes, 1024 * 1024);
  assert.deepEqual(mine.totals.fits, { ram: true, flash: true });
  // Compute-bound layers scale with the clock: 480 / 216.
  const ratio = mine.layers[0].computeMs / m7.layers[0].computeMs;
  assert.ok(Math.abs(ratio - 480 / 216) < 1e-9, `compute ratio ${ratio}`);
  assert.ok(mine.totals.latencyMs > 2 * m7.totals.latencyMs, 'slower clock, longer latency');
  const check = run('check', sample, '--target', 'my-f746', '--profiles', profiles, '--max-latency', '50ms');
  assert.equal(check.code, 1);
  assert.match(check.stdout, /^latency [\d.]+ ms > budget 50 ms \(estimate, uncalibrated\)\n$/);
});

test('--profiles with a bad file exits 2 and names the file and the field', () => {
  const bad = join(dir, 'bad-profiles.json');
  writeFileSync(bad, '{ "id": "my-f746", "extends": "cortex-m7", "memory": { "sram": { "bytes": "lots" } } }');
  for (const args of [
    ['profile', sample, '--target', 'my-f746', '--profiles', bad],
    ['check', sample, '--target', 'my-f746', '--profiles', bad],
    ['targets', '--profiles', bad],
  ]) {
    const r = run(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^edge-profile: .*bad-profiles\.json: my-f746\.memory\.sram\.bytes: expected a positive number, got "lots"\n$/,
    );
  }
  const syntax = join(dir, 'syntax.json');
  writeFileSync(syntax, '{ "id": "x",\n  "extends": }');
  const s = run('targets', '--profiles', syntax);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /syntax\.json:2:\d+: invalid JSON/);
  const missing = run('targets', '--profiles', join(dir, 'nope.json'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: no such file/);
});

test('EDGE_PROFILER_TIMINGS=1: profile reports when each step ended, in order, on stderr only', () => {
  const r = spawnSync(process.execPath, [cli, 'profile', sample, '--format', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, EDGE_PROFILER_TIMINGS: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).layers.length, 59, 'stdout is the same JSON document');
  const line = /^edge-profile: timings \(ms since the process started\): (.*)$/m.exec(r.stderr)?.[1];
  assert.ok(line, `a timings line on stderr: ${r.stderr}`);
  const marks = line.split(', ').map((p) => p.split(' '));
  assert.deepEqual(
    marks.map(([mark]) => mark),
    ['ready', 'read', 'decoded', 'validated', 'inferred', 'costed', 'scoped', 'written'],
  );
  const times = marks.map(([, ms]) => Number(ms));
  assert.ok(times[0] > 0, `the CLI is ready some time after the process started: ${line}`);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `marks in time order: ${line}`);
  const plain = run('profile', sample, '--format', 'json');
  assert.doesNotMatch(plain.stderr, /timings/, 'no timings without the variable');
});
