import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType, encodeModel, type Model, type Node } from '../../src/core/onnx/index.js';

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
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: 'cli-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0n,
    docString: '',
    graph: {
      name: 'chain',
      nodes,
      inputs: [io('x')],
      outputs: [io(`v${n - 1}`)],
      valueInfo: [],
      initializers: [],
      sparseInitializers: [],
      quantizationAnnotation: [],
    },
    metadataProps: [],
    functions: [],
    trainingInfo: [],
  };
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
