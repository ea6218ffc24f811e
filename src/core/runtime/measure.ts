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
 * fused; events that match no node are listed as unmatched with their time, never dropped.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Model } from '../onnx/ir.js';
import { nodeLabel } from '../onnx/validate.js';
import { generateInput } from './inputs.js';

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
}

export interface MeasuredLayer {
  /** Model node label (name, or OpType#index for unnamed nodes). */
  name: string;
  opType: string;
  /** Median over runs of the summed kernel time attributed to the node, in ms. */
  measuredMs: number;
  /** ONNX Runtime kernels attributed to this node (more than one when fused nodes were folded in). */
  kernels: number;
  fused: boolean;
}

export interface MeasureResult {
  optimization: OptimizationLevel;
  runs: number;
  threads: number;
  /** Median wall time of `session.run()`, ms. */
  wallMs: number;
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

interface KernelEvent {
  name: string;
  opType: string;
  durUs: number;
  /** Which `run()` call (0-based, warm-up included) the kernel ran in. */
  run: number;
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
      ...attribute(model, events, warmup + runs, warmup),
      optimization,
      runs,
      threads,
      wallMs: median(wall),
      inputs: inputInfo,
    };
  } finally {
    await session?.release().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

type TraceEvent = { cat?: string; name?: string; ts?: number; dur?: number; args?: { op_name?: string } };

/**
 * Kernel events of an ONNX Runtime profile (Chrome trace JSON), each assigned to the `model_run` event whose time
 * span contains it (so runs with different kernel counts, e.g. with control flow, are still told apart).
 */
export function parseProfile(json: string): KernelEvent[] {
  const trace = JSON.parse(json) as TraceEvent[];
  const runs = trace
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => ({ start: e.ts ?? 0, end: (e.ts ?? 0) + (e.dur ?? 0) }))
    .sort((a, b) => a.start - b.start);
  const runOf = (ts: number) => {
    const i = runs.findIndex((r) => ts >= r.start && ts <= r.end);
    return i < 0 ? -1 : i;
  };
  return trace
    .filter((e) => e.cat === 'Node' && typeof e.name === 'string' && e.name.endsWith('_kernel_time'))
    .map((e) => ({
      name: (e.name as string).slice(0, -'_kernel_time'.length),
      opType: e.args?.op_name ?? '',
      durUs: e.dur ?? 0,
      run: runOf(e.ts ?? 0),
    }))
    .filter((e) => e.run >= 0);
}

/** Maps kernel events to model nodes, leaving out the first `skip` runs (warm-up). */
function attribute(
  model: Model,
  events: KernelEvent[],
  totalRuns: number,
  skip: number,
): Pick<MeasureResult, 'layers' | 'unmatched' | 'kernelMs'> {
  const nodes = model.graph.nodes.map((n, i) => ({ label: nodeLabel(n, i), name: n.name, opType: n.opType }));
  const byName = new Map(nodes.filter((n) => n.name).map((n) => [n.name, n]));
  // Longest names first, so that a fused kernel is attributed to the most specific node whose name it extends.
  const prefixes = [...byName.keys()].sort((a, b) => b.length - a.length);
  const perNode = new Map<string, { runs: number[][]; fused: boolean; opType: string }>();
  const unmatched = new Map<string, { opType: string; runs: number[][] }>();
  for (const e of events) {
    if (e.run < skip || e.run >= totalRuns) continue;
    const r = e.run - skip;
    let node = byName.get(e.name);
    let fused = false;
    if (!node) {
      const p = prefixes.find((name) => e.name.startsWith(name));
      if (p) {
        node = byName.get(p);
        fused = true;
      }
    }
    const bucket = node
      ? (perNode.get(node.label) ?? { runs: [], fused: false, opType: node.opType })
      : (unmatched.get(e.name) ?? { opType: e.opType, runs: [] });
    bucket.runs[r] = bucket.runs[r] ?? [];
    bucket.runs[r].push(e.durUs / 1000);
    if (node) {
      const b = bucket as { runs: number[][]; fused: boolean; opType: string };
      b.fused ||= fused;
      perNode.set(node.label, b);
    } else unmatched.set(e.name, bucket as { opType: string; runs: number[][] });
  }
  const sumRuns = (runs: number[][]) => median(runs.filter(Boolean).map((ks) => ks.reduce((a, b) => a + b, 0)));
  const layers: MeasuredLayer[] = nodes
    .filter((n) => perNode.has(n.label))
    .map((n) => {
      const b = perNode.get(n.label) as { runs: number[][]; fused: boolean; opType: string };
      return {
        name: n.label,
        opType: n.opType,
        measuredMs: sumRuns(b.runs),
        kernels: b.runs.find(Boolean)?.length ?? 0,
        fused: b.fused,
      };
    });
  const unmatchedList = [...unmatched.entries()].map(([name, b]) => ({
    name,
    opType: b.opType,
    measuredMs: sumRuns(b.runs),
  }));
  const kernelMs = layers.reduce((s, l) => s + l.measuredMs, 0) + unmatchedList.reduce((s, u) => s + u.measuredMs, 0);
  return { layers, unmatched: unmatchedList, kernelMs };
}
