/**
 * The analysis worker (bundled as dist/analysisWorker.js): decoding, validation, shape inference, costs, the graph
 * model, estimates, weight statistics and reports run here, off the extension host's main thread, so that a big
 * model never freezes VS Code. One worker per open model; the host ends it (terminate) on cancel or close.
 */

import { parentPort } from 'node:worker_threads';
import type { ExternalDataSource } from '../core/onnx/externalData.js';
import type { FromWorker, ToWorker, WorkerRequest, WorkerResult } from './analysisProtocol.js';
import { compareFiles, compareGraphsOf } from './compareData.js';
import { ModelAnalysis } from './modelAnalysis.js';

const port = parentPort;
if (!port) throw new Error('analysisWorker.js runs as a worker thread only');

let analysis: ModelAnalysis | undefined;
let nextIo = 1;
const pendingIo = new Map<
  number,
  { resolve: (v: { size?: number; bytes?: Uint8Array }) => void; reject: (e: Error) => void }
>();

const post = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

function io(msg: { op: 'size'; location: string } | { op: 'read'; location: string; offset: number; length: number }) {
  const ioId = nextIo++;
  return new Promise<{ size?: number; bytes?: Uint8Array }>((resolve, reject) => {
    pendingIo.set(ioId, { resolve, reject });
    post({ type: 'io', ioId, ...msg });
  });
}

/** External data files, read by the host (only it has workspace.fs). */
const hostFiles: ExternalDataSource = {
  size: async (location) => (await io({ op: 'size', location })).size ?? 0,
  read: async (location, offset, length) =>
    (await io({ op: 'read', location, offset, length })).bytes ?? new Uint8Array(0),
};

function need(): ModelAnalysis {
  if (!analysis) throw new Error('no model loaded');
  return analysis;
}

async function handle(req: WorkerRequest): Promise<WorkerResult> {
  const progress = (stage: string, fraction: number | null = null) =>
    post({ type: 'progress', id: req.id, stage, fraction });
  switch (req.type) {
    case 'load': {
      progress('Decoding the model');
      analysis = ModelAnalysis.load(req.bytes, req.fileName, req.loadWeights);
      return { type: 'load', summary: analysis.summary, notes: [...analysis.notes] };
    }
    case 'analyze': {
      progress('Inferring shapes and costs');
      const { graph, notes } = need().analyze(req.options);
      return { type: 'analyze', graph, notes };
    }
    case 'estimate':
      progress(`Estimating on ${req.profile.id}`);
      return { type: 'estimate', estimate: need().estimateFor(req.profile, req.profiles) };
    case 'weightStats':
      return { type: 'weightStats', stats: await need().weightStats(req.graph, req.tensor, hostFiles) };
    case 'report':
      progress(`Writing the ${req.format} report`);
      return { type: 'report', text: need().report(req.format) };
    case 'compare': {
      if (req.graphsOnly) {
        progress('Building both graphs');
        return { type: 'compare', graphs: compareGraphsOf(req.a, req.b) };
      }
      const { data, offsets } = compareFiles(req.a, req.b, req.target, (stage) => progress(stage));
      return { type: 'compare', data, offsets };
    }
  }
}

// One request at a time, in order: a later `estimate` must see the `analyze` before it.
let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'io') {
    const p = pendingIo.get(msg.ioId);
    pendingIo.delete(msg.ioId);
    if (!p) return;
    if (msg.ok) p.resolve({ size: msg.size, bytes: msg.bytes });
    else p.reject(new Error(msg.message));
    return;
  }
  queue = queue.then(async () => {
    try {
      post({ type: 'reply', id: msg.id, ok: true, result: await handle(msg) });
    } catch (err) {
      post({ type: 'reply', id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  });
});
