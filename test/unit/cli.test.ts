import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
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
  assert.equal(run('--help').code, 0);
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
