/**
 * Messages between the extension host (src/extension/compareView.ts) and the compare view's webview. The host
 * sends everything the view shows in one `compare` message after the webview's `ready`; model strings in it are
 * only ever set as text.
 */
import type { GraphModel } from '../../src/core/report/graphModel.js';
import type { ModelComparison } from '../../src/core/transforms/compare.js';

/** Models with more op nodes than this get a notice instead of their graph, so that the view stays responsive. */
export const MAX_COMPARE_GRAPH_NODES = 20_000;

/** One model's graph for the compare view: its graph model, or why it is left out. */
export type CompareGraph = { model: GraphModel } | { omitted: string };

/** One model of the comparison. */
export interface CompareSide {
  /** File name (or path) shown in the header. */
  label: string;
}

/** The estimator's totals of one model on a target. */
export interface EstimateTotals {
  latencyMs: number | null;
  peakRamBytes: number;
  flashBytes: number;
  fitsRam: boolean | null;
  fitsFlash: boolean | null;
}

/** Validation of a transform in ONNX Runtime, already formatted by the host (values may be ∞ or n/a). */
export interface ValidationFacts {
  ok: boolean;
  /** Why it failed, one sentence each. */
  failures: string[];
  /** Label and value pairs: cosine, max abs error, SNR, top-1 agreement, host latency, weights deflated… */
  rows: { label: string; value: string }[];
  notes: string[];
}

export interface CompareData {
  a: CompareSide;
  b: CompareSide;
  comparison: ModelComparison;
  validation?: ValidationFacts;
  /** Estimates of both models on the current target, when one is selected. */
  estimate?: { target: string; accuracy: string; a: EstimateTotals; b: EstimateTotals };
  /** What the transform did and warned about, one line each. */
  notes: string[];
  /** Both models' graphs, drawn side by side with the changed layers highlighted. */
  graphs?: { a: CompareGraph; b: CompareGraph };
}

/** Host -> compare webview. */
export type CompareHostMessage = { type: 'compare'; data: CompareData };

/** Compare webview -> host. */
export type CompareWebviewMessage =
  /** The script runs and can receive the data. */
  | { type: 'ready' }
  /** Show this layer (node index in that model's main graph) in the model's editor. */
  | { type: 'reveal'; side: 'a' | 'b'; node: number };
