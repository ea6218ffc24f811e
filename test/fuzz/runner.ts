/**
 * Runs fuzz cases in a pool of worker processes with a watchdog: a case that does not answer within its time limit
 * (plus a grace period for generating it) is reported as a hang and its worker is killed and replaced; a worker that
 * dies (out of memory, stack overflow in native code) is reported as a crash or memory failure of its case.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type CaseResult, DEFAULT_TIMEOUT_MS, type FailureKind, memoryLimit, mib } from './harness.js';
import { type Job, type JobMessage, jobLabel, type WorkerMessage } from './jobs.js';

const repoRoot = join(__dirname, '..', '..');
const workerPath = join(__dirname, 'worker.ts');
/** Time a worker gets on top of the case limit to generate the case and collect garbage before it. */
const GRACE_MS = 2500;
/** Heap ceiling of a worker: a runaway allocation fails fast instead of taking the machine's memory. */
const WORKER_HEAP_MB = 2048;

export interface RunOptions {
  jobs?: number;
  timeoutMs?: number;
  /** Called after each case. */
  onResult?: (r: CaseResult, done: number) => void;
}

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  stderr: string[];
  dead?: boolean;
  busy?: { id: number; job: Job; resolve: (r: CaseResult) => void; timer: NodeJS.Timeout; started: number };
}

function jobBytes(job: Job): number {
  return job.kind === 'bytes' ? job.bytes.length : 0;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    readonly timeoutMs: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const child = fork(workerPath, [], {
      cwd: repoRoot,
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${WORKER_HEAP_MB}`],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const slot: Slot = { child, ready: Promise.resolve(), stderr: [] };
    child.stderr?.on('data', (d: Buffer) => {
      slot.stderr.push(d.toString());
      if (slot.stderr.length > 50) slot.stderr.shift();
    });
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'ready') {
          child.off('message', onMessage);
          resolve();
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        if (!slot.busy)
          reject(new Error(`fuzz worker exited during start (${code ?? signal}): ${slot.stderr.join('')}`));
      });
    });
    slot.ready.catch(() => undefined);
    child.on('message', (m: WorkerMessage) => {
      if (m.type !== 'result' || !slot.busy || slot.busy.id !== m.id) return;
      const { resolve, timer } = slot.busy;
      clearTimeout(timer);
      slot.busy = undefined;
      resolve(m.result);
    });
    child.on('exit', (code, signal) => {
      slot.dead = true;
      const busy = slot.busy;
      if (!busy) return;
      clearTimeout(busy.timer);
      slot.busy = undefined;
      const err = slot.stderr.join('');
      const oom = /heap limit|Allocation failed|out of memory|Invalid array buffer length/i.test(err);
      busy.resolve(
        failedResult(busy.job, oom ? 'memory' : 'crash', performance.now() - busy.started, {
          message: `worker died (${signal ?? `exit code ${code}`})${oom ? ': out of memory' : ''}: ${err.slice(-1500)}`,
        }),
      );
      this.replace(slot);
    });
    return slot;
  }

  private replace(slot: Slot): void {
    if (this.closed) return;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
  }

  /** Runs one job on slot `i` (which must be idle). */
  private async runOn(i: number, job: Job): Promise<CaseResult> {
    let slot = this.slots[i];
    try {
      if (slot.dead) throw new Error('worker gone');
      await slot.ready;
    } catch {
      this.replace(slot);
      slot = this.slots[i];
      await slot.ready;
    }
    const id = this.nextId++;
    return new Promise<CaseResult>((resolve) => {
      const started = performance.now();
      const timer = setTimeout(() => {
        if (!slot.busy || slot.busy.id !== id) return;
        slot.busy = undefined;
        slot.child.removeAllListeners('exit');
        slot.child.kill('SIGKILL');
        resolve(
          failedResult(job, 'hang', performance.now() - started, {
            message: `no answer within ${this.timeoutMs} ms (+${GRACE_MS} ms grace): killed`,
          }),
        );
        this.replace(slot);
      }, this.timeoutMs + GRACE_MS);
      slot.busy = { id, job, resolve, timer, started };
      const msg: JobMessage = { id, job, timeoutMs: this.timeoutMs };
      slot.child.send(msg);
    });
  }

  /** Runs every job, `size` at a time, results in job order. */
  async runAll(jobs: Job[], onResult?: (r: CaseResult, done: number) => void): Promise<CaseResult[]> {
    const results: CaseResult[] = new Array(jobs.length);
    let next = 0;
    let done = 0;
    const lane = async (i: number) => {
      while (next < jobs.length) {
        const k = next++;
        results[k] = await this.runOn(i, jobs[k]);
        done++;
        onResult?.(results[k], done);
      }
    };
    await Promise.all(this.slots.map((_, i) => lane(i)));
    return results;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
            s.child.once('exit', () => resolve());
            s.child.disconnect?.();
            setTimeout(() => s.child.kill('SIGKILL'), 2000).unref();
          }),
      ),
    );
  }
}

function failedResult(job: Job, kind: FailureKind, ms: number, f: { message: string }): CaseResult {
  const r: CaseResult = {
    label: jobLabel(job),
    status: 'failed',
    failure: { kind, stage: 'unknown (worker lost)', message: f.message },
    ms,
    inputBytes: jobBytes(job),
    heapGrowthBytes: 0,
    rssGrowthBytes: 0,
    memLimitBytes: memoryLimit(jobBytes(job)),
  };
  if (job.kind === 'bytes') {
    if (job.seedModel) r.seedModel = job.seedModel;
    if (job.mutations) r.mutations = job.mutations;
  }
  return r;
}

export async function runJobs(jobs: Job[], options: RunOptions = {}): Promise<CaseResult[]> {
  const pool = new WorkerPool(Math.max(1, options.jobs ?? 2), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await pool.runAll(jobs, options.onResult);
  } finally {
    await pool.close();
  }
}

/** Jobs for files, or for every `.onnx` file of a directory (sorted by name). */
export function fileJobs(paths: string[]): Job[] {
  const files = paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.onnx'))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
  return files.map((f) => ({ kind: 'bytes' as const, label: basename(f), bytes: new Uint8Array(readFileSync(f)) }));
}

export function generatedJobs(seed: number, count: number, start = 0): Job[] {
  return Array.from({ length: count }, (_, i) => ({ kind: 'generated' as const, seed, index: start + i }));
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

export interface Summary {
  cases: number;
  /** Read and analysed end to end (validation errors or not). */
  passed: number;
  /** Of the passed: models with validation errors, reported as problems. */
  passedWithValidationErrors: number;
  /** Refused by the reader with an OnnxReadError that names the problem. */
  rejected: number;
  failed: number;
  failuresByKind: Partial<Record<FailureKind, number>>;
  failures: CaseResult[];
  slowest?: { label: string; ms: number };
  /** Most CPU time any case took (what the time limit applies to). */
  slowestCpu?: { label: string; ms: number };
  /** Largest share of its memory budget any case used (growth / (4 × input + margin)). */
  maxBudgetUse?: { label: string; ratio: number; growthBytes: number; inputBytes: number };
  /** Largest growth / input size among cases of at least 64 KiB of input. */
  maxInputRatio?: { label: string; ratio: number; growthBytes: number; inputBytes: number };
}

export function summarize(results: CaseResult[]): Summary {
  const s: Summary = {
    cases: results.length,
    passed: 0,
    passedWithValidationErrors: 0,
    rejected: 0,
    failed: 0,
    failuresByKind: {},
    failures: [],
  };
  for (const r of results) {
    if (r.status === 'passed') {
      s.passed++;
      if (r.validationErrors) s.passedWithValidationErrors++;
    } else if (r.status === 'rejected') s.rejected++;
    else {
      s.failed++;
      const k = r.failure?.kind ?? 'exception';
      s.failuresByKind[k] = (s.failuresByKind[k] ?? 0) + 1;
      s.failures.push(r);
    }
    if (!s.slowest || r.ms > s.slowest.ms) s.slowest = { label: r.label, ms: r.ms };
    if (r.cpuMs !== undefined && (!s.slowestCpu || r.cpuMs > s.slowestCpu.ms)) {
      s.slowestCpu = { label: r.label, ms: r.cpuMs };
    }
    const growth = Math.max(r.heapGrowthBytes, r.rssGrowthBytes);
    const use = growth / r.memLimitBytes;
    if (!s.maxBudgetUse || use > s.maxBudgetUse.ratio) {
      s.maxBudgetUse = { label: r.label, ratio: use, growthBytes: growth, inputBytes: r.inputBytes };
    }
    if (r.inputBytes >= 65536) {
      const ratio = growth / r.inputBytes;
      if (!s.maxInputRatio || ratio > s.maxInputRatio.ratio) {
        s.maxInputRatio = { label: r.label, ratio, growthBytes: growth, inputBytes: r.inputBytes };
      }
    }
  }
  return s;
}

export function formatFailure(r: CaseResult): string {
  const f = r.failure;
  const lines = [
    `  ${r.label}: ${f?.kind} in ${f?.stage}${f?.error ? ` (${f.error})` : ''}: ${f?.message.split('\n')[0].slice(0, 300)}`,
  ];
  if (r.seedModel) lines.push(`    seed model: ${r.seedModel}; ${r.inputBytes} bytes`);
  for (const m of r.mutations ?? []) lines.push(`    - ${m.slice(0, 200)}`);
  if (f?.stack)
    lines.push(
      ...f.stack
        .split('\n')
        .slice(1, 6)
        .map((l) => `    ${l.trim()}`),
    );
  return lines.join('\n');
}

export function formatSummary(s: Summary, wallMs?: number): string {
  const kinds = Object.entries(s.failuresByKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const lines = [
    `cases: ${s.cases}`,
    `passed (read and analysed): ${s.passed} (of which with validation errors: ${s.passedWithValidationErrors})`,
    `rejected with a clear error: ${s.rejected}`,
    `failures: ${s.failed}${kinds ? ` (${kinds})` : ''}`,
  ];
  if (s.slowest) lines.push(`slowest case (wall): ${s.slowest.label} ${s.slowest.ms.toFixed(0)} ms`);
  if (s.slowestCpu) lines.push(`slowest case (CPU): ${s.slowestCpu.label} ${s.slowestCpu.ms.toFixed(0)} ms`);
  if (s.maxBudgetUse) {
    const m = s.maxBudgetUse;
    lines.push(
      `max memory use: ${(m.ratio * 100).toFixed(1)}% of budget (${mib(m.growthBytes)} for ${m.inputBytes} input bytes; ${m.label})`,
    );
  }
  if (s.maxInputRatio) {
    const m = s.maxInputRatio;
    lines.push(
      `max memory ratio (inputs >= 64 KiB): ${m.ratio.toFixed(2)}x input (${mib(m.growthBytes)} for ${m.inputBytes} bytes; ${m.label})`,
    );
  }
  if (wallMs !== undefined) lines.push(`wall time: ${(wallMs / 1000).toFixed(1)} s`);
  if (s.failures.length) lines.push('failures:', ...s.failures.slice(0, 50).map(formatFailure));
  return lines.join('\n');
}
