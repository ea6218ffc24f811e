/**
 * Measured per-layer latency on this machine: the model runs in onnxruntime-node with ONNX Runtime's profiler on,
 * and the profiler's per-kernel events are mapped back to the model's nodes.
 *
 * This is the one part of the engine bound to Node: ONNX Runtime writes its profile to a file, which is read back
 * from a private temporary folder and deleted.
 *
 * Mapping: with graph optimizations disabled (the default) every kernel event carries the name of the node it ran
 * (`<node name>_kernel_time`), so the mapping is exact. With `basic`/`all`, ONNX Runtime fuses nodes and renames
 * them (e.g. `..._nchwc`); an event whose name extends a model node's name is attributed to that node and marked
 * fused; events that match no node are listed as unmatched with their time, never dropped. Unnamed nodes (ONNX
 * Runtime names their kernels itself, e.g. `ConstantOfShape_7`) are found through the event's `node_index`, which
 * is the node's position in the model as long as no optimization rewrote the graph: the event is attributed to an
 * unnamed model node at that index with the same op type.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Model } from '../onnx/ir.js';
import { generateInput } from './inputs.js';
import { attributeKernels, type MeasuredLayer, median, parseProfile } from './profileTrace.js';

export { type KernelEvent, type MeasuredLayer, parseProfile } from './profileTrace.js';

export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface MeasureOptions {
  /** Timed runs after warm-up (default 10). */
  runs?: number;
  /** Untimed runs first (default 2). */
  warmup?: number;
  optimization?: OptimizationLevel;
  /** Intra-op threads (default 1: per-layer times add up to the total, and results are steadier). */
  threads?: number;
  /** Sizes for symbolic input dimensions (default 1). */
  dims?: Record<string, number>;
  /** Input tensors by name; missing inputs are generated. */
  inputs?: Record<string, ort.Tensor>;
  /**
   * How runs are combined (default `median`). `min` takes each layer's (and the wall time's) fastest run:
   * other processes competing for the CPU only ever add time, so microbenchmarks of the machine itself use it.
   */
  statistic?: 'median' | 'min';
  /** ONNX Runtime's log level (0 verbose … 4 fatal; default 3: errors only, no load-time warnings on stderr). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface MeasureResult {
  optimization: OptimizationLevel;
  runs: number;
  threads: number;
  /** Median wall time of `session.run()`, ms (with `statistic: 'min'`, the fastest). */
  wallMs: number;
  /** Fastest wall time of `session.run()`, ms: other processes competing for the CPU only ever add time. */
  wallMinMs: number;
  /** Sum of per-layer medians, ms (kernel time only: excludes session overhead). */
  kernelMs: number;
  layers: MeasuredLayer[];
  /** Kernel events that match no model node, with their median time. */
  unmatched: { name: string; opType: string; measuredMs: number }[];
  /** How the inputs were made (generated inputs are described, so results can be reproduced). */
  inputs: { name: string; dtype: string; shape: number[]; generated: boolean }[];
}

export class MeasureError extends Error {
  override name = 'MeasureError';
}

/** Runs `model` (whose serialized bytes are `bytes`) and returns measured per-layer times. */
export async function measureModel(
  bytes: Uint8Array,
  model: Model,
  options: MeasureOptions = {},
): Promise<MeasureResult> {
  const runs = Math.max(1, options.runs ?? 10);
  const warmup = Math.max(0, options.warmup ?? 2);
  const optimization = options.optimization ?? 'disabled';
  const threads = options.threads ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'emp-measure-'));
  let session: ort.InferenceSession | undefined;
  try {
    try {
      session = await ort.InferenceSession.create(bytes, {
        enableProfiling: true,
        profileFilePrefix: join(dir, 'profile'),
        graphOptimizationLevel: optimization,
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        logSeverityLevel: options.logSeverityLevel ?? 3,
      });
    } catch (err) {
      throw new MeasureError(`ONNX Runtime cannot load the model: ${err instanceof Error ? err.message : String(err)}`);
    }
    const initNames = new Set(model.graph.initializers.map((t) => t.name));
    const feeds: Record<string, ort.Tensor> = {};
    const inputInfo: MeasureResult['inputs'] = [];
    for (const v of model.graph.inputs) {
      if (initNames.has(v.name) || !session.inputNames.includes(v.name)) continue;
      const given = options.inputs?.[v.name];
      if (v.type?.kind !== 'tensor' && !given)
        throw new MeasureError(`input '${v.name}' is not a tensor; give it explicitly`);
      const t =
        given ??
        generateInput(
          v.name,
          v.type?.kind === 'tensor' ? v.type.elemType : 0,
          v.type?.kind === 'tensor' ? v.type.shape : undefined,
          options.dims,
        );
      feeds[v.name] = t;
      inputInfo.push({ name: v.name, dtype: t.type, shape: [...t.dims], generated: !given });
    }
    for (let i = 0; i < warmup; i++) await session.run(feeds);
    const wall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      wall.push(performance.now() - t0);
    }
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.startsWith('profile') && f.endsWith('.json'));
    if (!file) throw new MeasureError('ONNX Runtime wrote no profile');
    const events = parseProfile(readFileSync(join(dir, file), 'utf8'));
    return {
      ...attributeKernels(model, events, { skipRuns: warmup, totalRuns: warmup + runs, statistic: options.statistic }),
      optimization,
      runs,
      threads,
      wallMs: options.statistic === 'min' ? Math.min(...wall) : median(wall),
      wallMinMs: Math.min(...wall),
      inputs: inputInfo,
    };
  } finally {
    await session?.release().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
