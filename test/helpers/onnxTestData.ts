/**
 * Access to ONNX's backend test data as Debian's `libonnx-testdata` installs it, and to ONNX's own Python package
 * (Debian's `python3-onnx`) for cross-checks. Both are required by the conformance tests: CI installs them, and a
 * missing one fails with the command that installs it rather than skipping silently.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Where the test data is; LIBONNX_TESTDATA_DIR points elsewhere (e.g. a newer copy extracted for development). */
export const TESTDATA_ROOT = process.env.LIBONNX_TESTDATA_DIR ?? '/usr/share/libonnx-testdata/data';

/** The interpreter that can import `onnx`. Debian's python3-onnx is only importable by the system Python. */
export const ONNX_PYTHON = process.env.ONNX_PYTHON ?? '/usr/bin/python3';

export const TESTDATA_FOLDERS = ['node', 'pytorch-converted', 'pytorch-operator', 'real', 'simple'] as const;

export interface TestDataSet {
  dir: string;
  /** input_0.pb, input_1.pb, … in index order (input_i belongs to graph.input[i]). */
  inputs: string[];
  outputs: string[];
}

export interface TestCase {
  folder: string;
  name: string;
  /** `folder/name`, used to name the case in messages and whitelists. */
  id: string;
  modelPath: string;
  dataSets: TestDataSet[];
}

/** Throws (so the calling test fails) with an install hint when the test data is not there. */
export function requireTestData(): string {
  if (!existsSync(join(TESTDATA_ROOT, 'node'))) {
    throw new Error(
      `ONNX backend test data not found at ${TESTDATA_ROOT}. Install it with \`sudo apt-get install libonnx-testdata\` ` +
        '(Debian/Ubuntu), or set LIBONNX_TESTDATA_DIR to a folder holding node/, pytorch-converted/, … .',
    );
  }
  return TESTDATA_ROOT;
}

function numbered(dir: string, prefix: string): string[] {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return readdirSync(dir)
    .map((f) => ({ f, m: re.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((x) => join(dir, x.f));
}

/** Every `<folder>/<case>/model.onnx` with its test data sets, sorted by id. Folders that do not exist are skipped. */
export function listTestCases(root = requireTestData(), folders: readonly string[] = TESTDATA_FOLDERS): TestCase[] {
  const cases: TestCase[] = [];
  for (const folder of folders) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      const modelPath = join(dir, 'model.onnx');
      if (!existsSync(modelPath)) continue;
      const dataSets = readdirSync(dir)
        .filter((f) => /^test_data_set_\d+$/.test(f) && statSync(join(dir, f)).isDirectory())
        .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)))
        .map((f) => {
          const d = join(dir, f);
          return { dir: d, inputs: numbered(d, 'input'), outputs: numbered(d, 'output') };
        });
      cases.push({ folder, name, id: `${folder}/${name}`, modelPath, dataSets });
    }
  }
  return cases;
}

/** `*.onnx` files under a folder, recursively, sorted; [] when the folder does not exist. */
export function findOnnxFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.onnx')) out.push(p);
    }
  };
  walk(root);
  return out.sort((a, b) => relative(root, a).localeCompare(relative(root, b)));
}

/** Throws with an install hint unless ONNX_PYTHON can import onnx; returns onnx's version. */
export function requireOnnxPython(): string {
  const r = spawnSync(ONNX_PYTHON, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop();
    throw new Error(
      `${ONNX_PYTHON} cannot import onnx (${why}). Install ONNX's Python package with ` +
        '`sudo apt-get install python3-onnx` (Debian/Ubuntu), or set ONNX_PYTHON to an interpreter that has it.',
    );
  }
  return r.stdout.trim();
}

/** Runs a Python script with ONNX_PYTHON and parses the JSON it prints on stdout. */
export function runPythonJson<T>(script: string, args: string[], timeoutMs = 120_000): T {
  const r = spawnSync(ONNX_PYTHON, [script, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
  });
  if (r.status !== 0) {
    throw new Error(
      `${ONNX_PYTHON} ${script} failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stderr ?? '').slice(-4000)}`,
    );
  }
  try {
    return JSON.parse(r.stdout) as T;
  } catch (err) {
    throw new Error(
      `${script} printed something that is not JSON (${(err as Error).message}): ${r.stdout.slice(0, 500)}`,
    );
  }
}
