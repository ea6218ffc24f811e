/** What the runner sends to a worker process, and what comes back. */

import type { CaseResult } from './harness.js';

export type Job =
  | { kind: 'generated'; seed: number; index: number }
  | { kind: 'bytes'; label: string; bytes: Uint8Array; seedModel?: string; mutations?: string[] }
  /** Checks of the runner itself: a worker that never answers, and one that dies. */
  | { kind: 'selftest'; label: string; what: 'hang' | 'die' };

export interface JobMessage {
  id: number;
  job: Job;
  timeoutMs: number;
}

export type WorkerMessage = { type: 'ready' } | { type: 'result'; id: number; result: CaseResult };

export function jobLabel(job: Job): string {
  return job.kind === 'generated' ? `seed ${job.seed} case ${job.index}` : job.label;
}
