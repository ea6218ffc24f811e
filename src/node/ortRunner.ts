/**
 * Entry of the ONNX Runtime child process (bundled to dist/ortRunner.js; the host starts it through
 * ortProcess.ts). It waits for one `run` message, does the job (ortJobs.ts), answers with progress messages and one
 * `result` or `error`, and exits. A `cancel` message stops the job at its next step; the host kills the process
 * if that takes too long. When the host goes away (the IPC channel closes) the process exits at once, so no run
 * outlives the extension host.
 */

import type { FromChild, OrtJob, OrtProgress, ToChild } from './ortProcess.js';

const controller = new AbortController();
let started = false;

function post(msg: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(msg, undefined, {}, () => resolve());
  });
}

async function run(job: OrtJob): Promise<unknown> {
  const { runMeasureJob, runTransformJob } = await import('./ortJobs.js');
  const ctx = {
    signal: controller.signal,
    progress: (p: OrtProgress) => void post({ type: 'progress', ...p }),
  };
  switch (job.kind) {
    case 'measure':
      return runMeasureJob(job, ctx);
    case 'transform':
      return runTransformJob(job, ctx);
    default: {
      const never: never = job;
      throw new Error(`unknown job ${JSON.stringify(never)}`);
    }
  }
}

process.on('message', (msg: ToChild) => {
  if (msg?.type === 'cancel') {
    controller.abort();
    return;
  }
  if (msg?.type !== 'run' || started) return;
  started = true;
  run(msg.job as OrtJob).then(
    async (result) => {
      await post({ type: 'result', result });
      process.exit(0);
    },
    async (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      await post({ type: 'error', name: e.name, message: e.message });
      process.exit(0);
    },
  );
});

process.on('disconnect', () => process.exit(1));
