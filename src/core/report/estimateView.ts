/**
 * An estimate in the shape the webview shows: per layer keyed by the graph model's node index (the main graph's
 * view puts its graph inputs first), the arena timeline without value names, and the roofline's two ceilings.
 * Small enough to post for a 50k-node model; no tensor bytes.
 */

import type { Bound, Diagnostic, Estimate, LayerEstimate } from '../targets/estimate.js';
import type { HardwareProfile } from '../targets/profile.js';
import { peakMacsPerSec } from '../targets/profile.js';
import type { GraphModel } from './graphModel.js';

export interface LayerEstimateView {
  /** Index of the op node in `GraphModel.graphs[0].nodes`. */
  node: number;
  latencyMs: number | null;
  computeMs: number | null;
  memoryMs: number | null;
  bound: Bound | null;
  share: number | null;
  runsOn: LayerEstimate['runsOn'];
  /** Node index (as `node`) of the layer this one is fused into. */
  fusedInto?: number;
  dtype: string | null;
}

export interface DiagnosticView extends Diagnostic {
  /** `layers` as node indices of the main graph view. */
  nodes: number[];
}

export interface EstimateView {
  target: Estimate['target'];
  totals: Estimate['totals'];
  layers: LayerEstimateView[];
  /** Arena usage per op step (step = layer order). */
  timeline: { step: number; liveBytes: number; highWater: number }[];
  diagnostics: DiagnosticView[];
  /** Ceilings for a roofline plot: peak MAC/s at the model's main element type and the activation memory's bandwidth. */
  roofline: { dtype: string; peakMacsPerSec: number | null; bandwidthBytesPerSec: number | null };
}

/** Number of leading non-op nodes in the main graph's view (its graph inputs). */
function opOffset(graph: GraphModel): number {
  const nodes = graph.graphs[0]?.nodes ?? [];
  let i = 0;
  while (i < nodes.length && nodes[i].kind === 'input') i++;
  return i;
}

/** The most common compute element type among the layers (by count), float32 when none is known. */
function mainDtype(est: Estimate): string {
  const counts = new Map<string, number>();
  for (const l of est.layers) if (l.dtype) counts.set(l.dtype, (counts.get(l.dtype) ?? 0) + 1);
  let best = 'float32';
  let n = 0;
  for (const [d, c] of counts) if (c > n) [best, n] = [d, c];
  return best;
}

export function estimateView(graph: GraphModel, est: Estimate, profile: HardwareProfile): EstimateView {
  const offset = opOffset(graph);
  const layers: LayerEstimateView[] = est.layers.map((l) => {
    const v: LayerEstimateView = {
      node: offset + l.index,
      latencyMs: l.latencyMs,
      computeMs: l.computeMs,
      memoryMs: l.memoryMs,
      bound: l.bound,
      share: l.share,
      runsOn: l.runsOn,
      dtype: l.dtype,
    };
    if (l.fusedInto !== undefined) v.fusedInto = offset + l.fusedInto;
    return v;
  });
  const dtype = mainDtype(est);
  const level = profile.memory[profile.placement.activations];
  return {
    target: est.target,
    totals: est.totals,
    layers,
    timeline: est.arena.timeline.map((t) => ({ step: t.step, liveBytes: t.liveBytes, highWater: t.highWater })),
    diagnostics: est.diagnostics.map((d) => ({ ...d, nodes: d.layers.map((i) => offset + i) })),
    roofline: {
      dtype,
      peakMacsPerSec: peakMacsPerSec(profile, dtype) ?? null,
      bandwidthBytesPerSec: level?.bandwidthBytesPerSec ?? null,
    },
  };
}
