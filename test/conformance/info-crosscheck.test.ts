/**
 * Our model summary (what `edge-profile info` prints) against what ONNX's own Python package reports for the same
 * files: IR version, producer, opset imports, graph inputs (without initializers) and outputs with element types
 * and shapes, node count of the main graph, op-type counts over the main graph and its subgraphs, and initializer
 * count and total elements. Models: every libonnx-testdata model (node, pytorch-converted, pytorch-operator, real,
 * simple), the bundled sample, and every /work/shared/models/**.onnx when that folder exists.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { summarizeModel } from '../../src/core/report/summary.js';
import { loadModelFile } from '../../src/node/files.js';
import {
  findOnnxFiles,
  listTestCases,
  requireOnnxPython,
  requireTestData,
  runPythonJson,
} from '../helpers/onnxTestData.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const infoScript = join(repoRoot, 'test', 'crosscheck', 'onnx_info.py');
const sampleModel = join(repoRoot, 'samples', 'vww_96_float.onnx');
/** Real-world models for development; optional (absent on a user's machine and in CI). */
const sharedModels = process.env.SHARED_MODELS_DIR ?? '/work/shared/models';

/**
 * Our element type names -> TensorProto.DataType names, written out here rather than taken from src, so that a
 * wrong name or id in src/core/onnx/dtype.ts shows up as a mismatch.
 */
const onnxDtypeNames: Record<string, string> = {
  undefined: 'UNDEFINED',
  float32: 'FLOAT',
  uint8: 'UINT8',
  int8: 'INT8',
  uint16: 'UINT16',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  string: 'STRING',
  bool: 'BOOL',
  float16: 'FLOAT16',
  float64: 'DOUBLE',
  uint32: 'UINT32',
  uint64: 'UINT64',
  complex64: 'COMPLEX64',
  complex128: 'COMPLEX128',
  bfloat16: 'BFLOAT16',
  float8e4m3fn: 'FLOAT8E4M3FN',
  float8e4m3fnuz: 'FLOAT8E4M3FNUZ',
  float8e5m2: 'FLOAT8E5M2',
  float8e5m2fnuz: 'FLOAT8E5M2FNUZ',
  uint4: 'UINT4',
  int4: 'INT4',
  float4e2m1: 'FLOAT4E2M1',
  float8e8m0: 'FLOAT8E8M0',
  uint2: 'UINT2',
  int2: 'INT2',
};

function onnxDtype(ours: string): string {
  const unknown = /^dtype\((\d+)\)$/.exec(ours);
  if (unknown) return `<unknown ${unknown[1]}>`;
  return onnxDtypeNames[ours] ?? `<no ONNX name for our '${ours}'>`;
}

/** Our type description (`sequence<float32>`, `map<int64,float32>`…) with ONNX's element type names. */
function onnxTypeName(ours: string): string {
  const wrapped = /^(sparse|sequence|optional)<(.*)>$/.exec(ours);
  if (wrapped) return `${wrapped[1]}<${wrapped[1] === 'sparse' ? onnxDtype(wrapped[2]) : onnxTypeName(wrapped[2])}>`;
  const map = /^map<([^,<>]+),(.*)>$/.exec(ours);
  if (map) return `map<${onnxDtype(map[1])},${onnxTypeName(map[2])}>`;
  if (ours === '?' || ours.startsWith('opaque<')) return ours;
  return onnxDtype(ours);
}

type Dim = number | string | null;
interface PyValue {
  name: string;
  type: string;
  shape: Dim[] | null;
}
interface PyInfo {
  path: string;
  error?: string;
  ir_version: number;
  producer_name: string;
  producer_version: string;
  opsets: { domain: string; version: number }[];
  inputs: PyValue[];
  outputs: PyValue[];
  node_count: number;
  op_counts: Record<string, number>;
  initializer_count: number;
  initializer_elements: number;
}

/** Field-by-field differences between two JSON-like values, as `path: ours …, onnx …` lines. */
function differences(ours: unknown, theirs: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    if (ours.length !== theirs.length) {
      out.push(
        `${path}: ours has ${ours.length} entries ${JSON.stringify(ours)}, onnx ${theirs.length} ${JSON.stringify(theirs)}`,
      );
    } else {
      for (let i = 0; i < ours.length; i++) differences(ours[i], theirs[i], `${path}[${i}]`, out);
    }
  } else if (
    ours &&
    theirs &&
    typeof ours === 'object' &&
    typeof theirs === 'object' &&
    !Array.isArray(ours) &&
    !Array.isArray(theirs)
  ) {
    const a = ours as Record<string, unknown>;
    const b = theirs as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      differences(a[k], b[k], `${path}.${k}`, out);
  } else if (!Object.is(ours, theirs)) {
    out.push(`${path}: ours ${JSON.stringify(ours)}, onnx ${JSON.stringify(theirs)}`);
  }
  return out;
}

test('summarizeModel agrees with ONNX Python on identity, interface, op counts and initializers', async (t) => {
  const root = requireTestData();
  const onnxVersion = requireOnnxPython();
  const shared = findOnnxFiles(sharedModels);
  const paths = [...listTestCases(root).map((c) => c.modelPath), sampleModel, ...shared];

  const dir = mkdtempSync(join(tmpdir(), 'emp-info-crosscheck-'));
  let reported: { onnx_version: string; models: PyInfo[] };
  try {
    const list = join(dir, 'models.txt');
    assert.ok(
      paths.every((p) => !p.includes('\n')),
      'a model path contains a newline',
    );
    writeFileSync(list, `${paths.join('\n')}\n`);
    reported = runPythonJson(infoScript, [list]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(reported.models.length, paths.length, 'onnx_info.py reported on fewer models than it was given');

  const mismatches: string[] = [];
  let compared = 0;
  for (let i = 0; i < paths.length; i++) {
    const py = reported.models[i];
    assert.equal(py.path, paths[i]);
    if (py.error) {
      mismatches.push(`${paths[i]}: onnx cannot load it: ${py.error}`);
      continue;
    }
    let ours: Omit<PyInfo, 'path' | 'error'>;
    try {
      const loaded = await loadModelFile(paths[i]);
      const s = summarizeModel(loaded.model, loaded.problems, { path: loaded.path, bytes: loaded.fileBytes });
      const value = (v: { name: string; type: string; shape?: Dim[] }): PyValue => ({
        name: v.name,
        type: onnxTypeName(v.type),
        shape: v.shape ?? null,
      });
      ours = {
        ir_version: s.irVersion,
        producer_name: s.producer.name,
        producer_version: s.producer.version,
        opsets: s.opsets,
        inputs: s.inputs.map(value),
        outputs: s.outputs.map(value),
        node_count: s.nodeCount,
        op_counts: s.opCounts,
        initializer_count: s.initializers.count,
        initializer_elements: s.initializers.elements,
      };
    } catch (err) {
      mismatches.push(`${paths[i]}: we cannot load it: ${(err as Error).message}`);
      continue;
    }
    const { path: _path, ...theirs } = py;
    // Our summary names the standard domain 'ai.onnx'; the file stores '' (or, rarely, 'ai.onnx').
    theirs.opsets = theirs.opsets.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version }));
    const diffs = differences(ours, theirs, '', []);
    if (diffs.length) mismatches.push(`${paths[i]}:\n    ${diffs.slice(0, 20).join('\n    ')}`);
    compared++;
  }
  assert.deepEqual(
    mismatches,
    [],
    `${mismatches.length} models summarized differently from onnx:\n  ${mismatches.join('\n  ')}`,
  );

  const line = `info crosscheck (onnx ${onnxVersion}): ${compared} models compared (${paths.length - shared.length - 1} libonnx-testdata, 1 sample, ${shared.length} from ${sharedModels})`;
  t.diagnostic(line);
  assert.ok(compared >= 1000, `only ${compared} models compared`);
});
