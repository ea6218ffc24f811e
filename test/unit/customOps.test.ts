/**
 * "Never load custom-operator libraries named by a model" (issue 7). Two checks:
 * - the source: no file under src/ registers a custom-op library with ONNX Runtime or loads native code, and no
 *   ONNX Runtime session gets free-form config entries (`extra`), through which library-loading options could pass;
 * - behaviour: a model that uses an operator of an unknown domain and names a shared library in its metadata (the
 *   way custom-op models ship: `custom_op_library` = `./libevil.so`, the library next to it) is analysed statically
 *   with a warning about the unknown operator, and neither the static pipeline nor ONNX Runtime loads the library.
 *   Where a C compiler is available the library is real and leaves a marker file when loaded (its constructor runs
 *   on dlopen); otherwise it is a file that is checked not to be read.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType, encodeModel } from '../../src/core/onnx/index.js';
import { buildGraphModel } from '../../src/core/report/graphModel.js';
import { formatSummaryText, summarizeModel } from '../../src/core/report/summary.js';
import { builtinProfile } from '../../src/core/targets/builtinProfiles.js';
import { estimateModel } from '../../src/core/targets/estimate.js';
import { loadModelFile } from '../../src/node/files.js';

const srcRoot = join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(p);
    return /\.(ts|mts|cts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** What would load native code or register operator kernels from a library. */
const forbidden: [RegExp, string][] = [
  [/registerCustomOpsLibrary|RegisterCustomOpsLibrary|register_custom_ops_library/i, 'custom-op library registration'],
  [/custom_?ops?_?librar/i, 'a custom-op library option'],
  [/ortExtensions|onnxruntime[-_]extensions|libortextensions/i, 'ONNX Runtime Extensions (a custom-op library)'],
  [/process\.dlopen|\bdlopen\s*\(/, 'loading a native library'],
  [/session\.load_custom|kOrtSessionOptions.*Custom/i, 'a session config entry for custom ops'],
];

describe('no custom-op library is ever registered', () => {
  const files = sourceFiles(srcRoot);

  test('the source tree is scanned', () => {
    assert.ok(files.length > 30, `found ${files.length} source files under src/`);
    assert.ok(
      files.some((f) => /from 'onnxruntime-node'/.test(readFileSync(f, 'utf8'))),
      'some files use ONNX Runtime (so the scan looks at the right tree)',
    );
  });

  test('no source file registers a custom-op library or loads native code', () => {
    const hits: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const [pattern, what] of forbidden) {
        const m = pattern.exec(text);
        if (m) hits.push(`${relative(srcRoot, f)}: ${what} ('${m[0]}')`);
      }
    }
    assert.deepEqual(hits, [], `found:\n${hits.join('\n')}`);
  });

  test('ONNX Runtime sessions get no free-form config entries (extra) and no execution-provider libraries', () => {
    const hits: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (!/onnxruntime-(node|common|web)/.test(text)) continue;
      for (const m of text.matchAll(/\bextra\s*:\s*\{|\.extra\s*=|\bexecutionProviders\s*:[^\n]*\.(so|dll|dylib)\b/g)) {
        const line = text.slice(0, m.index).split('\n').length;
        hits.push(`${relative(srcRoot, f)}:${line}: ${m[0]}`);
      }
    }
    assert.deepEqual(hits, [], `found:\n${hits.join('\n')}`);
  });
});

describe('a model that names a custom-op library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emp-customop-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'LIBRARY-WAS-LOADED');
  const lib = join(dir, 'libevil.so');

  /** A real shared library whose constructor writes the marker when something loads it (needs a C compiler). */
  function buildLibrary(): boolean {
    const c = join(dir, 'evil.c');
    writeFileSync(
      c,
      `#include <stdio.h>
__attribute__((constructor)) static void loaded(void) {
  FILE *f = fopen(${JSON.stringify(marker)}, "w");
  if (f) { fputs("loaded", f); fclose(f); }
}
int RegisterCustomOps(void *options, const void *api) { (void)options; (void)api; loaded(); return 0; }
`,
    );
    try {
      execFileSync('cc', ['-shared', '-fPIC', '-o', lib, c], { stdio: 'ignore', timeout: 30_000 });
      return existsSync(lib);
    } catch {
      writeFileSync(lib, 'not a real library: no C compiler here');
      return false;
    }
  }
  const realLibrary = process.platform !== 'win32' && buildLibrary();

  const b = new GraphBuilder({ opset: 17, opsetImports: [{ domain: 'com.example.evil', version: 1 }] });
  const x = b.input('x', DataType.FLOAT, [1, 4]);
  const r = b.node('Relu', [x]);
  const y = b.node('EvilOp', [r], { mode: 'steal' }, { domain: 'com.example.evil', name: 'evil' });
  b.output(y, DataType.FLOAT, [1, 4]);
  const model = b.build();
  model.metadataProps = [
    { key: 'custom_op_library', value: './libevil.so' },
    { key: 'onnxruntime.custom_ops_library', value: lib },
  ];
  const path = join(dir, 'custom.onnx');
  writeFileSync(path, encodeModel(model));
  const libAccessed = () => statSync(lib).atimeMs;

  test('it is analysed statically, with a warning about the unknown operator, without loading the library', async () => {
    const atime = libAccessed();
    const loaded = await loadModelFile(path);
    const analysis = analyzeModel(loaded.model);
    const unknownDomain = loaded.problems.find((p) => /com\.example\.evil/.test(p.message));
    const costWarning = analysis.profile.warnings.find((w) => /EvilOp/.test(w.message));
    assert.ok(unknownDomain || costWarning, 'the unknown operator is reported');
    assert.ok(costWarning, `cost warns: ${analysis.profile.warnings.map((w) => w.message).join('; ')}`);
    const evil = analysis.profile.layers.find((l) => l.opType.endsWith('EvilOp'));
    assert.equal(evil?.macs, null, 'its cost is n/a, not guessed');
    for (const id of ['cortex-m7', 'jetson-orin-nano']) {
      const p = builtinProfile(id);
      assert.ok(p, id);
      const est = estimateModel(loaded.model, analysis.profile, analysis.facts, p);
      assert.ok(est.layers.length > 0, `${id}: estimated`);
    }
    const graph = buildGraphModel(loaded.model, analysis);
    assert.ok(
      graph.graphs[0].nodes.some((n) => n.opType === 'EvilOp'),
      'the graph view shows the node like any other',
    );
    const summary = formatSummaryText(summarizeModel(loaded.model, loaded.problems));
    assert.match(summary, /custom_op_library = \.\/libevil\.so/, 'the metadata is shown as text');
    assert.ok(!existsSync(marker), 'the library was not loaded');
    assert.equal(libAccessed(), atime, 'the library file was not even read');
  });

  test('ONNX Runtime refuses the unknown operator and loads nothing either', async () => {
    await assert.rejects(
      ort.InferenceSession.create(path, { logSeverityLevel: 4 }),
      (err: unknown) =>
        err instanceof Error && /EvilOp|com\.example\.evil|not a registered|No opset/i.test(err.message),
      'ONNX Runtime names the operator it has no kernel for',
    );
    assert.ok(!existsSync(marker), 'the library was not loaded');
  });

  test('the canary works: loading the library does write the marker', { skip: !realLibrary }, () => {
    // In a child process, so that this test process never has the library mapped.
    try {
      execFileSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(lib)})`], {
        stdio: 'ignore',
        timeout: 30_000,
      });
    } catch {
      // Not a Node add-on, so Node complains after loading it; the constructor has run by then.
    }
    assert.ok(existsSync(marker), 'a load is detected');
    rmSync(marker);
  });
});
