/**
 * The host's side of one analysis worker: typed requests that resolve with the worker's result, progress
 * callbacks, the worker's reads of external data answered through a host-provided source, and `cancel`, which
 * ends the worker at once (a decode or an analysis cannot be interrupted any other way) and fails every pending
 * request with a CancelledError. Free of `vscode`, so the unit tests run it against the real worker bundle.
 */

import { Worker } from 'node:worker_threads';
import type { ExternalDataSource } from '../core/onnx/externalData.js';
import type { FromWorker, ToWorker, WorkerRequest, WorkerResult } from './analysisProtocol.js';

export class CancelledError extends Error {
  override name = 'CancelledError';
}

type Body<T extends WorkerRequest['type']> = Omit<Extract<WorkerRequest, { type: T }>, 'id'>;
type Result<T extends WorkerRequest['type']> = Extract<WorkerResult, { type: T }>;

export class AnalysisClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    {
      resolve: (r: WorkerResult) => void;
      reject: (e: Error) => void;
      progress?: (stage: string, f: number | null) => void;
    }
  >();
  private ended: Error | undefined;

  /** `workerPath`: dist/analysisWorker.js; `files`: the model's external data files. */
  constructor(
    workerPath: string,
    private readonly files: ExternalDataSource,
  ) {
    this.worker = new Worker(workerPath);
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(new Error(`the analysis worker failed: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.ended) this.fail(new Error(`the analysis worker stopped (exit code ${code})`));
    });
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  request<T extends WorkerRequest['type']>(
    type: T,
    body: Omit<Body<T>, 'type'>,
    options: { progress?: (stage: string, fraction: number | null) => void; transfer?: ArrayBuffer[] } = {},
  ): Promise<Result<T>> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise<Result<T>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: WorkerResult) => void, reject, progress: options.progress });
      this.worker.postMessage({ ...body, type, id } as unknown as ToWorker, options.transfer ?? []);
    });
  }

  /** Ends the worker; pending and later requests fail with a CancelledError. */
  cancel(reason = 'cancelled'): void {
    this.fail(new CancelledError(reason));
  }

  dispose(): void {
    this.fail(new CancelledError('closed'));
  }

  private fail(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    void this.worker.terminate();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'reply': {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (!p) return;
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(msg.message));
        return;
      }
      case 'progress':
        this.pending.get(msg.id)?.progress?.(msg.stage, msg.fraction);
        return;
      case 'io':
        void this.answerIo(msg);
        return;
    }
  }

  private async answerIo(msg: Extract<FromWorker, { type: 'io' }>): Promise<void> {
    let reply: ToWorker;
    try {
      if (msg.op === 'size')
        reply = { type: 'io', ioId: msg.ioId, ok: true, size: await this.files.size(msg.location) };
      else {
        const bytes = await this.files.read(msg.location, msg.offset, msg.length);
        reply = { type: 'io', ioId: msg.ioId, ok: true, bytes };
      }
    } catch (err) {
      reply = { type: 'io', ioId: msg.ioId, ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    if (!this.ended) this.worker.postMessage(reply);
  }
}
