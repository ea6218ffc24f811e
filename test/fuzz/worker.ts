/**
 * A fuzz worker process (forked by runner.ts with --expose-gc): generates or receives cases and runs them through
 * the harness, one at a time. A case that hangs or exhausts memory takes this process down, not the runner.
 */

import { generateCase } from './cases.js';
import { type CaseResult, runCase } from './harness.js';
import { type JobMessage, jobLabel, type WorkerMessage } from './jobs.js';
import { seedModels } from './seeds.js';

function handle(msg: JobMessage): CaseResult {
  const { job } = msg;
  if (job.kind === 'selftest') {
    if (job.what === 'die') process.exit(3);
    for (;;) {
      // Never answers: the runner's watchdog must kill this worker.
    }
  }
  let bytes: Uint8Array;
  let seedModel: string | undefined;
  let mutations: string[] | undefined;
  if (job.kind === 'generated') {
    let g: ReturnType<typeof generateCase>;
    try {
      g = generateCase(job.seed, job.index);
    } catch (err) {
      return {
        label: jobLabel(job),
        status: 'failed',
        failure: {
          kind: 'harness',
          stage: 'generate',
          message: err instanceof Error ? (err.stack ?? err.message) : String(err),
        },
        ms: 0,
        inputBytes: 0,
        heapGrowthBytes: 0,
        rssGrowthBytes: 0,
        memLimitBytes: 0,
      };
    }
    bytes = g.bytes;
    seedModel = g.seedModel;
    mutations = g.mutations;
  } else {
    bytes = job.bytes;
    seedModel = job.seedModel;
    mutations = job.mutations;
  }
  const result = runCase(bytes, jobLabel(job), msg.timeoutMs);
  if (seedModel) result.seedModel = seedModel;
  if (mutations) result.mutations = mutations;
  return result;
}

function main(): void {
  const send = (m: WorkerMessage) => process.send?.(m);
  // Warm up (compile the engine's code paths) so that the first measured cases do not count JIT memory.
  for (const s of seedModels()) runCase(s.bytes, `warm-up ${s.name}`);
  for (let i = 0; i < 8; i++) runCase(generateCase(0x5eed, i).bytes, 'warm-up');
  process.on('message', (m: JobMessage) => {
    send({ type: 'result', id: m.id, result: handle(m) });
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main();
