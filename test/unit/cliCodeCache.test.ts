// The `edge-profile` command (dist/cli.js, src/cli/bin.ts) runs the CLI bundle with a V8 code cache: written on the
// first run, used (not rewritten) afterwards, replaced when corrupt, and never a reason for a run to fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';

const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
const sample = join(__dirname, '..', '..', 'samples', 'vww_96_float.onnx');
const dir = mkdtempSync(join(tmpdir(), 'emp-codecache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cacheHome: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, 'profile', sample, '--format', 'json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, XDG_CACHE_HOME: cacheHome, ...env },
  });
  assert.equal(r.status, 0, `edge-profile failed: ${r.stderr}`);
  return r.stdout;
}

const cacheFiles = (home: string) => {
  const d = join(home, 'edge-model-profiler', 'code-cache');
  try {
    return readdirSync(d).map((f) => join(d, f));
  } catch {
    return [];
  }
};

test('the first run writes a code cache, the next ones use it as it is and print the same', () => {
  const home = join(dir, 'a');
  const first = run(home);
  const files = cacheFiles(home);
  assert.equal(files.length, 1, `one cache file: ${files.join(', ')}`);
  assert.match(files[0], /cli-[0-9a-f]{32}\.bin$/);
  const size = statSync(files[0]).size;
  assert.ok(size > 10_000, `a code cache of the CLI's compiled functions (${size} bytes)`);
  const before = statSync(files[0]).mtimeMs;
  const second = run(home);
  assert.equal(second, first, 'same output with the cache');
  assert.equal(statSync(files[0]).mtimeMs, before, 'an accepted cache is not rewritten');
  assert.deepEqual(cacheFiles(home), files, 'no temp files left');
  JSON.parse(second);
});

test('a corrupt cache is replaced; caches of other builds are removed when a new one is written', () => {
  const home = join(dir, 'b');
  const reference = run(home);
  const [file] = cacheFiles(home);
  writeFileSync(file, Buffer.from('not a V8 code cache, just bytes'));
  const stale = join(home, 'edge-model-profiler', 'code-cache', `cli-${'0'.repeat(32)}.bin`);
  writeFileSync(stale, 'from an earlier build');
  assert.equal(run(home), reference, 'a rejected cache only costs the compilation');
  assert.deepEqual(cacheFiles(home), [file], 'the stale cache is gone, the current one rewritten');
  assert.ok(statSync(file).size > 10_000, 'rewritten with real cached data');
  assert.notEqual(readFileSync(file).toString('latin1', 0, 6), 'not a ', 'the corrupt bytes are gone');
});

test('an unwritable cache folder or EDGE_PROFILER_NO_CODE_CACHE=1 still runs the CLI', () => {
  const reference = run(join(dir, 'c'));
  const blocked = join(dir, 'blocked');
  mkdirSync(blocked);
  // A file where the cache folder would go: nothing can be created below it (whoever runs the tests).
  writeFileSync(join(blocked, 'edge-model-profiler'), 'a file, not a folder');
  assert.equal(run(blocked), reference, 'no cache could be written: the same output');
  assert.equal(statSync(join(blocked, 'edge-model-profiler')).isFile(), true, 'the file in the way is untouched');
  const off = join(dir, 'off');
  assert.equal(run(off, { EDGE_PROFILER_NO_CODE_CACHE: '1' }), reference);
  assert.deepEqual(cacheFiles(off), [], 'turned off: no cache written');
});

test('the CLI bundle has no dynamic import(), which code compiled with vm.Script cannot run', () => {
  const bundle = readFileSync(join(__dirname, '..', '..', 'dist', 'cliMain.js'), 'utf8');
  const dynamic = bundle.match(/[^\w$.]import\(/g) ?? [];
  assert.equal(dynamic.length, 0, `import() calls left in dist/cliMain.js: ${dynamic.length}`);
});

test('a command that loads ONNX Runtime lazily runs through the cached loader: static INT8 calibrated on images', () => {
  const home = join(dir, 'images-home');
  const images = join(dir, 'images');
  mkdirSync(images, { recursive: true });
  for (let k = 0; k < 2; k++) {
    const png = new PNG({ width: 32, height: 24 });
    for (let i = 0; i < png.data.length; i++) png.data[i] = (i * (k + 3)) % 251;
    writeFileSync(join(images, `sample_${k}.png`), PNG.sync.write(png));
  }
  const out = join(dir, 'vww.int8.onnx');
  for (let round = 0; round < 2; round++) {
    // Twice: the first run compiles and writes the cache, the second runs from it.
    const r = spawnSync(
      process.execPath,
      [cli, 'quantize', sample, '--mode', 'static', '--calibration', images, '-o', out, '--force', '--format', 'json'],
      { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, XDG_CACHE_HOME: home } },
    );
    assert.equal(r.status, 0, `round ${round}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { validation: { cosine: number } };
    assert.ok(report.validation.cosine > 0.9, `round ${round}: validated (cosine ${report.validation.cosine})`);
  }
  assert.equal(cacheFiles(home).length, 1, 'the cache was written and used');
});
