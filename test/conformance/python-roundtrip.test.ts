/**
 * Wire-level fidelity against ONNX's own Python package: every libonnx-testdata model (and every
 * /work/shared/models/**.onnx when that folder exists) is decoded and re-encoded by our engine, and `onnx.load(original) == onnx.load(copy)` must hold for all of them (protobuf message
 * equality, so field order or packing may differ but no value may). onnx.checker.check_model must accept every
 * copy whose original it accepts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { decodeModel } from '../../src/core/onnx/reader.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import {
  findOnnxFiles,
  listTestCases,
  requireOnnxPython,
  requireTestData,
  runPythonJson,
} from '../helpers/onnxTestData.js';

const compareScript = join(import.meta.dirname, '..', 'crosscheck', 'onnx_compare.py');
/** Real-world models for development; optional (absent on a user's machine and in CI). */
const sharedModels = process.env.SHARED_MODELS_DIR ?? '/work/shared/models';

interface CompareResult {
  original: string;
  reencoded: string;
  equal: boolean;
  differences?: string[];
  note?: string;
  error?: string;
  check_original?: string;
  check_reencoded?: string;
}

interface CompareOutput {
  onnx_version: string;
  compared: number;
  equal: number;
  results: CompareResult[];
}

let workDir: string | undefined;
after(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('onnx.load(re-encoded copy) == onnx.load(original) for every libonnx-testdata (and shared) model', (t) => {
  const root = requireTestData();
  const onnxVersion = requireOnnxPython();
  const cases = listTestCases(root);
  const shared = findOnnxFiles(sharedModels);
  const models = [
    ...cases.map((c) => ({ path: c.modelPath, label: `${c.folder}-${c.name}` })),
    ...shared.map((path) => ({ path, label: `shared-${basename(path, '.onnx')}` })),
  ];
  workDir = mkdtempSync(join(tmpdir(), 'emp-python-roundtrip-'));

  const started = performance.now();
  const lines: string[] = [];
  models.forEach((m, i) => {
    const copy = join(workDir as string, `${String(i).padStart(4, '0')}-${m.label}.onnx`);
    writeFileSync(copy, encodeModel(decodeModel(readFileSync(m.path), { fileName: m.path })));
    assert.ok(!/[\t\n]/.test(m.path + copy), `path with a tab or newline: ${m.path}`);
    lines.push(`${m.path}\t${copy}`);
  });
  const pairsFile = join(workDir, 'pairs.tsv');
  writeFileSync(pairsFile, `${lines.join('\n')}\n`);
  const encodeMs = performance.now() - started;

  const out = runPythonJson<CompareOutput>(compareScript, [pairsFile, '--check']);
  const pythonMs = performance.now() - started - encodeMs;

  assert.equal(out.compared, models.length, 'the script compared fewer models than it was given');
  const unequal = out.results
    .filter((r) => !r.equal)
    .map((r) => `${r.original}: ${r.error ?? r.differences?.join('; ')}`);
  assert.deepEqual(
    unequal,
    [],
    `${unequal.length} re-encoded models differ from their originals:\n  ${unequal.join('\n  ')}`,
  );

  // The checker may reject a test model (then the copy must be rejected the same way), never only the copy.
  const checkerRegressions: string[] = [];
  const rejectedBoth: string[] = [];
  for (const r of out.results) {
    if (r.check_reencoded === 'ok') continue;
    if (r.check_original === 'ok') checkerRegressions.push(`${r.original}: copy rejected: ${r.check_reencoded}`);
    else if (r.check_original !== r.check_reencoded) {
      checkerRegressions.push(
        `${r.original}: checker messages differ:\n    original: ${r.check_original}\n    copy: ${r.check_reencoded}`,
      );
    } else rejectedBoth.push(`${r.original}: ${r.check_original}`);
  }
  assert.deepEqual(
    checkerRegressions,
    [],
    `onnx.checker judges ${checkerRegressions.length} copies differently from their originals:\n  ${checkerRegressions.join('\n  ')}`,
  );

  const line =
    `python round trip (onnx ${onnxVersion}): ${out.equal}/${out.compared} models equal after re-encoding ` +
    `(${cases.length} libonnx-testdata, ${shared.length} from ${sharedModels}); ` +
    `checker accepts ${out.results.filter((r) => r.check_reencoded === 'ok').length} copies, ` +
    `rejects ${rejectedBoth.length} copies whose originals it rejects too; ` +
    `${out.results.filter((r) => r.note).length} equal only up to NaN != NaN ` +
    `(encode ${Math.round(encodeMs)} ms, python ${Math.round(pythonMs)} ms)`;
  t.diagnostic(line);
  for (const r of rejectedBoth)
    t.diagnostic(`  rejected by onnx.checker (original and copy): ${r.replace(/\s+/g, ' ')}`);
  assert.ok(out.compared >= 1000, `only ${out.compared} models compared`);
});
