/**
 * The benchmarks, each against a reference measured in the same run on the same files:
 *   reader   decode + validate vs onnx.load + check_model (bench/reader.ts)
 *   profile  `edge-profile profile` (whole process) vs onnx.load + infer_shapes on a full-weight ResNet-50, a
 *            BERT-base encoder and a 50k-node graph (bench/profile.ts)
 * Run: npm run bench                     all of them (the CLI is rebuilt first)
 *      npm run bench -- profile          some of them; --runs N (default 3); --no-build keeps dist/ as it is;
 *                                        --models resnet50,bert,chain50k,bert-full picks the profile models
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hasGnuTime } from './proc.js';
import { PROFILE_CASES, runProfileBench } from './profile.js';
import { runReaderBench } from './reader.js';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { runs: { type: 'string' }, models: { type: 'string' }, 'no-build': { type: 'boolean' } },
});
const all = ['reader', 'profile'];
const selected = positionals.length ? positionals : all;
for (const s of selected) if (!all.includes(s)) throw new Error(`unknown benchmark '${s}' (have: ${all.join(', ')})`);
const runs = values.runs ? Number(values.runs) : 3;
if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`--runs must be a positive integer`);
const kinds = values.models?.split(',').filter(Boolean);
for (const k of kinds ?? []) {
  if (!PROFILE_CASES.some((c) => c.kind === k)) {
    throw new Error(`unknown model '${k}' (have: ${PROFILE_CASES.map((c) => c.kind).join(', ')})`);
  }
}

const repoRoot = join(import.meta.dirname, '..');
if (selected.includes('profile') && !values['no-build']) {
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the CLI failed:\n${r.stderr}`);
}
if (!hasGnuTime) console.log('/usr/bin/time not found: peak memory of whole processes is n/a (apt-get install time)');

const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'emp-bench-'));
try {
  if (selected.includes('reader')) runReaderBench(dir);
  if (selected.includes('profile')) runProfileBench(dir, { runs, kinds });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nbenchmarks done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
