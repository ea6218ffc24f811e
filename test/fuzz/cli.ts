/**
 * npm run fuzz -- --count N --seed S [--timeout-ms 5000] [--jobs 2] [--start I] [--save DIR [--minimize]]
 *                 [--replay FILE_OR_DIR …]
 *
 * Runs N generated cases (case indices start … start+N-1 of seed S) through the engine pipeline in worker
 * processes, prints a summary, and exits with 1 when any case failed. With --save, failing inputs are written to
 * DIR (with --minimize, also a minimized copy that fails the same way). --replay runs files instead (a directory:
 * every file in it), e.g. the regression fixtures in test/fixtures/fuzz.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCase } from './cases.js';
import { type CaseResult, DEFAULT_TIMEOUT_MS } from './harness.js';
import type { Job } from './jobs.js';
import { failureSignature, minimize } from './minimize.js';
import { fileJobs, formatSummary, generatedJobs, summarize, WorkerPool } from './runner.js';

interface Args {
  count: number;
  seed: number;
  start: number;
  timeoutMs: number;
  jobs: number;
  save?: string;
  minimize: boolean;
  replay: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    count: 1000,
    seed: 1,
    start: 0,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    jobs: 2,
    minimize: false,
    replay: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) throw new Error(`${k} needs a number`);
      return v;
    };
    if (k === '--count') a.count = num();
    else if (k === '--seed') a.seed = num();
    else if (k === '--start') a.start = num();
    else if (k === '--timeout-ms') a.timeoutMs = num();
    else if (k === '--jobs') a.jobs = num();
    else if (k === '--save') a.save = argv[++i];
    else if (k === '--minimize') a.minimize = true;
    else if (k === '--replay') a.replay.push(argv[++i]);
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

function bytesOf(job: Job): Uint8Array {
  if (job.kind === 'bytes') return job.bytes;
  return job.kind === 'generated' ? generateCase(job.seed, job.index).bytes : new Uint8Array();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const jobs = args.replay.length ? fileJobs(args.replay) : generatedJobs(args.seed, args.count, args.start);
  const what = args.replay.length
    ? `${jobs.length} file(s)`
    : `${args.count} cases, seed ${args.seed}, indices ${args.start}..${args.start + args.count - 1}`;
  console.log(`fuzz: ${what}; ${args.jobs} worker(s); limit ${args.timeoutMs} ms per case`);
  const pool = new WorkerPool(args.jobs, args.timeoutMs);
  const started = performance.now();
  let results: CaseResult[];
  try {
    const step = Math.max(100, Math.ceil(jobs.length / 10));
    results = await pool.runAll(jobs, (r, done) => {
      if (r.status === 'failed')
        console.log(`FAIL ${r.label}: ${r.failure?.kind} in ${r.failure?.stage}: ${r.failure?.message.slice(0, 200)}`);
      if (done % step === 0)
        console.log(`  ${done}/${jobs.length} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    });
    const wall = performance.now() - started;
    const summary = summarize(results);
    console.log(formatSummary(summary, wall));
    if (args.save && summary.failures.length) {
      mkdirSync(args.save, { recursive: true });
      for (const r of summary.failures) {
        const k = results.indexOf(r);
        const bytes = bytesOf(jobs[k]);
        const slug = r.label.replace(/[^A-Za-z0-9._-]+/g, '_');
        writeFileSync(join(args.save, `${slug}.onnx`), bytes);
        writeFileSync(join(args.save, `${slug}.json`), `${JSON.stringify(r, null, 2)}\n`);
        const sig = failureSignature(r);
        if (args.minimize && sig) {
          console.log(`minimizing ${r.label} (${sig})`);
          const small = await minimize(
            bytes,
            sig,
            async (b) => (await pool.runAll([{ kind: 'bytes', label: `${r.label} (min)`, bytes: b }]))[0],
            1500,
            console.log,
          );
          writeFileSync(join(args.save, `${slug}.min.onnx`), small);
        }
      }
      console.log(`failing inputs written to ${args.save}`);
    }
    process.exitCode = summary.failed ? 1 : 0;
  } finally {
    await pool.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 2;
});
