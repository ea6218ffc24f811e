/**
 * ONNX Runtime's profile file (Chrome trace JSON) read back: the kernel events of each `run()`. Pure code (no
 * onnxruntime-node import), so calibration can read profiles recorded elsewhere.
 */

import type { Model } from '../onnx/ir.js';
import { nodeLabel } from '../onnx/validate.js';

export interface MeasuredLayer {
  /** Position of the node in the model's main graph. */
  index: number;
  /** Model node label (name, or OpType#index for unnamed nodes). */
  name: string;
  opType: string;
  /** Median over runs of the summed kernel time attributed to the node, in ms. */
  measuredMs: number;
  /** ONNX Runtime kernels attributed to this node (more than one when fused nodes were folded in). */
  kernels: number;
  fused: boolean;
}

export interface KernelEvent {
  name: string;
  opType: string;
  durUs: number;
  /** Which `run()` call (0-based, warm-up included) the kernel ran in. */
  run: number;
  /** ONNX Runtime's index of the node the kernel ran (present when the profile records it). */
  nodeIndex?: number;
}

export function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export type TraceEvent = {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; node_index?: string | number };
};

/**
 * Kernel events of an ONNX Runtime profile (Chrome trace JSON), each assigned to the `model_run` event whose time
 * span contains it (so runs with different kernel counts, e.g. with control flow, are still told apart).
 */
export function parseProfile(json: string): KernelEvent[] {
  const parsed = JSON.parse(json) as TraceEvent[] | { traceEvents?: TraceEvent[] };
  const trace = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
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
    .map((e) => {
      const event: KernelEvent = {
        name: (e.name as string).slice(0, -'_kernel_time'.length),
        opType: e.args?.op_name ?? '',
        durUs: e.dur ?? 0,
        run: runOf(e.ts ?? 0),
      };
      const index = Number(e.args?.node_index);
      if (e.args?.node_index !== undefined && Number.isInteger(index)) event.nodeIndex = index;
      return event;
    })
    .filter((e) => e.run >= 0);
}

export interface AttributedKernels {
  layers: MeasuredLayer[];
  /** Kernel events that match no model node, with their median time. */
  unmatched: { name: string; opType: string; measuredMs: number }[];
  /** Sum of per-layer and unmatched medians, ms. */
  kernelMs: number;
}

/**
 * Maps kernel events to model nodes (see measure.ts for the rules), leaving out the first `skipRuns` runs
 * (warm-up) and runs from `totalRuns` on; each node's time is the median (or, with `statistic: 'min'`, the
 * fastest) over runs of its summed kernel times.
 */
export function attributeKernels(
  model: Model,
  events: KernelEvent[],
  options: { skipRuns?: number; totalRuns?: number; statistic?: 'median' | 'min' } = {},
): AttributedKernels {
  const pick = options.statistic === 'min' ? (xs: number[]) => (xs.length ? Math.min(...xs) : 0) : median;
  const skip = options.skipRuns ?? 0;
  const totalRuns = options.totalRuns ?? Number.POSITIVE_INFINITY;
  const nodes = model.graph.nodes.map((n, i) => ({ index: i, label: nodeLabel(n, i), name: n.name, opType: n.opType }));
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
    if (!node && e.nodeIndex !== undefined) {
      const candidate = nodes[e.nodeIndex];
      if (candidate && !candidate.name && candidate.opType === e.opType) node = candidate;
    }
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
  const sumRuns = (runs: number[][]) => pick(runs.filter(Boolean).map((ks) => ks.reduce((a, b) => a + b, 0)));
  const layers: MeasuredLayer[] = nodes
    .filter((n) => perNode.has(n.label))
    .map((n) => {
      const b = perNode.get(n.label) as { runs: number[][]; fused: boolean; opType: string };
      return {
        index: n.index,
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
