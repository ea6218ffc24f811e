/**
 * Every run of a model in ONNX Runtime (measured profiling, calibration, validation of a transform) happens in a
 * child process started here, never in the extension host: a model that crashes ONNX Runtime's native code
 * (SIGSEGV, abort) or hangs it only ends that child, and the host reports it as an error.
 *
 * One child per job: the host sends `{ type: 'run', job }`, the child answers with progress messages and one
 * `result` or `error`. A job ends by its result, by the timeout (the child is killed), or by cancellation (the
 * child is asked to stop, then killed after a grace period). Messages use Node's structured-clone serialization,
 * so typed arrays, bigints and non-finite numbers (an SNR of Infinity) cross unchanged.
 *
 * The job and result types are declared here so that the child entry (ortRunner.ts) and the host agree on them;
 * this module imports neither `vscode` nor onnxruntime-node and is unit-tested in plain Node.
 */

import { fork } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Model } from '../core/onnx/ir.js';
import type { MeasuredComparison } from '../core/targets/calibrate.js';
import type { ModelComparison } from '../core/transforms/compare.js';
import type { PruneStats } from '../core/transforms/prune.js';
import type { TransformReport } from '../core/transforms/types.js';
import type { ValidationReport } from '../core/transforms/validate.js';

// ---------------------------------------------------------------------------------------------------------------
// Jobs

/** What a transform does, as the commands' quick picks chose it. */
export type TransformSpec =
  | {
      kind: 'quantize-dynamic';
      format: 'qdq' | 'operator';
      perChannel: boolean;
    }
  | {
      kind: 'quantize-static';
      /** QDQ (the default) or QLinearConv / QLinearMatMul operators. */
      format?: 'qdq' | 'operator';
      perChannel: boolean;
      method: 'minmax' | 'percentile' | 'entropy';
      /** Folder of `.pb` / `.npy` samples; absent: generated inputs (a rough approximation, said so). */
      calibrationFolder?: string;
      /** Generated samples when there is no folder. */
      generatedSamples?: number;
    }
  | { kind: 'fp16'; keepIoTypes: boolean }
  | { kind: 'prune'; sparsity: number; structured: boolean };

export interface MeasureJob {
  kind: 'measure';
  modelPath: string;
  runs: number;
  warmup: number;
  /** This machine's host-cpu numbers cache (null: none; undefined: the default path). */
  hostCachePath?: string | null;
  /** Quick host measurement (tests): small benchmarks, no fit. */
  quickHost?: boolean;
}

export interface TransformJob {
  kind: 'transform';
  modelPath: string;
  outputPath: string;
  /** The user confirmed replacing an existing output. */
  overwrite: boolean;
  spec: TransformSpec;
  /** Fold BatchNorm and constants, remove no-op nodes first. */
  preprocess: boolean;
  /** Generated validation samples (calibration samples are used when given). */
  samples: number;
  /** Timed runs per model for the host latency (0 skips). */
  latencyRuns: number;
  minCosine: number;
  /** Estimate both models on this built-in target, when given. */
  targetId?: string;
}

export type OrtJob = MeasureJob | TransformJob;

export interface MeasureOutcome {
  modelPath: string;
  wallMs: number;
  kernelMs: number;
  runs: number;
  comparison: MeasuredComparison;
  /** Measured seconds per node of the model's main graph as the editor numbers them (null: no kernel ran). */
  column: (number | null)[];
  /** Kernels that matched no node. */
  unmatched: number;
  inputs: { name: string; dtype: string; shape: number[]; generated: boolean }[];
  hostCpu: { cached: boolean; cpu: string };
}

export interface TransformOutcome {
  outputPath: string;
  dataPath?: string;
  sizeBytes: number;
  reports: TransformReport[];
  stats?: PruneStats;
  validation: ValidationReport;
  comparison: ModelComparison;
  /** Graph inputs that are not initializers, per model: the editor's node index is this plus the node index. */
  inputOffsets: { a: number; b: number };
  /** The report as the CLI prints it. */
  text: string;
}

export type OrtOutcome<J extends OrtJob> = J extends MeasureJob ? MeasureOutcome : TransformOutcome;

/**
 * Graph inputs that are not initializers. The model editor's main graph lists them before the op nodes, so a
 * model node's index there is this plus the node's index in the model.
 */
export function inputOffset(model: Pick<Model, 'graph'>): number {
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  return model.graph.inputs.filter((v) => !inits.has(v.name)).length;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

export interface OrtProgress {
  /** What the child is doing, for people. */
  message: string;
  /** 0..1 of the job, when known. */
  fraction?: number;
}

/** Host -> child. */
export type ToChild = { type: 'run'; job: unknown } | { type: 'cancel' };

/** Child -> host. */
export type FromChild =
  | ({ type: 'progress' } & OrtProgress)
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string; name: string };

// ---------------------------------------------------------------------------------------------------------------
// Running a child

export type OrtProcessErrorCode = 'timeout' | 'crashed' | 'cancelled' | 'failed' | 'start';

export class OrtProcessError extends Error {
  override name = 'OrtProcessError';
  constructor(
    message: string,
    readonly code: OrtProcessErrorCode,
  ) {
    super(message);
  }
}

export interface ChildRunOptions {
  /** The child's entry script (dist/ortRunner.js; in tests the TypeScript source run through tsx). */
  script: string;
  /** Node options of the child, e.g. `['--import', 'tsx']`. */
  execArgv?: string[];
  /** What the job does, for error messages: "ONNX Runtime timed out after 120 s while <what>". */
  what: string;
  /** Kill the child after this long (ms). */
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (p: OrtProgress) => void;
  /** After a cancel request, the child is killed when it has not ended within this many ms (default 2000). */
  cancelGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

const STDERR_KEEP = 4000;

/**
 * Runs one request in a fresh child process and resolves with its result. Rejects with an OrtProcessError whose
 * message says what happened (crash with its signal or exit code, timeout, cancellation, or the child's own error
 * message); never throws synchronously and never leaves the child running.
 */
export function runInChild<T>(request: unknown, options: ChildRunOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new OrtProcessError(`cancelled before ${options.what} started`, 'cancelled'));
      return;
    }
    let child: ReturnType<typeof fork>;
    try {
      child = fork(options.script, [], {
        execArgv: options.execArgv ?? [],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: options.env ?? process.env,
      });
    } catch (err) {
      reject(new OrtProcessError(`could not start ONNX Runtime's process: ${errorText(err)}`, 'start'));
      return;
    }
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });

    let settled = false;
    /** Why the host ended the child, when it did. */
    let endedBy: 'timeout' | 'cancel' | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      endedBy = 'timeout';
      child.kill('SIGKILL');
      finish(
        new OrtProcessError(
          `ONNX Runtime timed out after ${formatSeconds(options.timeoutMs)} s while ${options.what}; the process was stopped`,
          'timeout',
        ),
      );
    }, options.timeoutMs);

    const onAbort = () => {
      if (settled) return;
      endedBy = 'cancel';
      send({ type: 'cancel' });
      graceTimer = setTimeout(() => child.kill('SIGKILL'), options.cancelGraceMs ?? 2000);
      // Settles when the child ends (by itself or killed), so that files it was writing are closed by then.
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    function send(msg: ToChild): void {
      if (child.connected) child.send(msg, (err) => err && undefined);
    }

    function finish(result: Error | { value: T }): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (result instanceof Error) reject(result);
      else resolve(result.value);
    }

    child.on('message', (raw: FromChild) => {
      if (settled || typeof raw !== 'object' || raw === null) return;
      switch (raw.type) {
        case 'progress':
          options.onProgress?.({
            message: raw.message,
            ...(raw.fraction !== undefined ? { fraction: raw.fraction } : {}),
          });
          break;
        case 'result':
          finish({ value: raw.result as T });
          child.disconnect();
          break;
        case 'error':
          finish(
            endedBy === 'cancel'
              ? new OrtProcessError(`${options.what}: cancelled`, 'cancelled')
              : new OrtProcessError(raw.message, 'failed'),
          );
          child.disconnect();
          break;
      }
    });
    child.on('error', (err) => {
      finish(new OrtProcessError(`ONNX Runtime's process failed while ${options.what}: ${err.message}`, 'start'));
      child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(graceTimer);
      if (settled) return;
      if (endedBy === 'cancel') {
        finish(new OrtProcessError(`${options.what}: cancelled`, 'cancelled'));
        return;
      }
      const tail = lastLines(stderr);
      const detail = tail ? `\n${tail}` : '';
      if (signal) {
        finish(
          new OrtProcessError(`ONNX Runtime exited with signal ${signal} while ${options.what}${detail}`, 'crashed'),
        );
      } else {
        finish(
          new OrtProcessError(
            `ONNX Runtime exited with code ${code} while ${options.what}, without a result${detail}`,
            'crashed',
          ),
        );
      }
    });

    send({ type: 'run', job: request });
  });
}

/** Runs an ONNX Runtime job (ortRunner.ts) in a child process. */
export function runOrtJob<J extends OrtJob>(job: J, options: ChildRunOptions): Promise<OrtOutcome<J>> {
  return runInChild<OrtOutcome<J>>(job, options);
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Removes the temporary files writeFileAtomic (src/node/files.ts) leaves next to `path` when its process is killed
 * between creating and renaming them (`.<name>.<12 hex>.tmp`), for the output and its data file. Returns the
 * paths removed.
 */
export async function removeStrayTempFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const names = [basename(path), `${basename(path)}.data`];
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    for (const name of names) {
      const prefix = `.${name}.`;
      if (e.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(e.slice(prefix.length))) {
        const p = join(dir, e);
        await fs.rm(p, { force: true });
        removed.push(p);
      }
    }
  }
  return removed;
}
