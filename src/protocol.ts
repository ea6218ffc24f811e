/**
 * Every message between the extension host and the model webview. Both sides switch exhaustively over these
 * unions. The webview posts `ready` first; the host answers with the model summary, then the graph (never tensor
 * bytes), then the target list and the estimate for the current target. Later figures per node (an estimate's
 * latency or bound, a measured time) arrive as `metrics` columns.
 */

import type { WeightStatistics } from './core/analysis/weightStats.js';
import type { EstimateView } from './core/report/estimateView.js';
import type { GraphModel, MetricInfo } from './core/report/graphModel.js';
import type { ModelSummary } from './core/report/summary.js';
import type { FixKind } from './core/targets/estimate.js';

/** A target the user can pick. */
export interface TargetChoice {
  id: string;
  name: string;
  /** Profile kind (`mcu`, `npu`, `gpu`, `cpu`…). */
  kind: string;
  /** From the user's profiles file rather than built in. */
  user: boolean;
  /** One line: calibrated or not. */
  accuracy: string;
}

/** Statistics of one stored weight tensor, computed on request (never all weights at once). */
export type WeightStats = WeightStatistics;

/** Report formats the host writes from the engine's report code. */
export type ReportFormat = 'md' | 'html' | 'csv' | 'json';
/** Image formats of the graph, drawn by the webview. */
export type ImageFormat = 'svg' | 'png';

/** Host -> webview. */
export type HostMessage =
  /** The model was read: its summary and validation problems. */
  | { type: 'summary'; fileName: string; summary: ModelSummary }
  /** Progress of a long step (reading, analysis, estimate); `fraction` null when unknown. Ends with `done: true`. */
  | { type: 'progress'; stage: string; fraction: number | null; done?: boolean }
  /** The graph of the model (all graphs, subgraphs included) with per-node costs; sent after `summary`. */
  | { type: 'graph'; fileName: string; graph: GraphModel }
  /** The graph could not be built (the summary still stands). */
  | { type: 'graphError'; fileName: string; message: string }
  /**
   * A further per-node column for overlays, for the nodes of graph `graph` (`values[i]` belongs to node `i`;
   * null: unknown). Replaces a column with the same key.
   */
  | { type: 'metrics'; graph: number; metric: MetricInfo; values: (number | null)[] }
  /** The targets to choose from and the one selected. */
  | { type: 'targets'; targets: TargetChoice[]; current: string }
  /** The estimate for the selected target (replaces any earlier one). */
  | { type: 'estimate'; estimate: EstimateView }
  /** No estimate for `targetId`: the message names why (bad profiles file, unknown target…). */
  | {
      type: 'estimateError';
      targetId: string;
      message: string;
      /** Keys of the metrics an earlier estimate added (latency, bound): no longer true, dropped. */
      staleMetrics: string[];
    }
  /** Answer to `requestWeightStats`. */
  | { type: 'weightStats'; graph: number; tensor: number; stats: WeightStats | null; error?: string }
  /** Bring a node into view and select it (from a diagnostic, a command, the compare view). */
  | { type: 'reveal'; graph: number; node: number }
  /** The host wants the graph drawn as an image (the Export command); the webview answers with `graphImage`. */
  | { type: 'exportGraph'; requestId: number; format: ImageFormat }
  /** The model could not be read at all; `message` names the file and the problem. */
  | { type: 'error'; fileName: string; message: string };

/** Timings of one drawn layout, in milliseconds from when the webview received the graph (`graph` message). */
export interface RenderTimings {
  /** Receiving the message to the hierarchy, sizes and search index built. */
  indexMs: number;
  /** Time spent in the layout worker for this layout. */
  layoutMs: number;
  /** Receiving the graph message to this layout's first frame on screen. */
  paintMs: number;
}

/** Host commands the webview's buttons may start. */
export type WebviewCommand = 'measure' | 'compare' | 'quantizeInt8' | 'convertFp16' | 'prune' | 'selectTarget';

/** Webview -> host. */
export type WebviewMessage =
  /** The webview's script is running and can receive messages. */
  | { type: 'ready' }
  /**
   * A layout was drawn: which graph, how many boxes (nodes, collapsed scopes) and of those op nodes are on the
   * canvas, and how long it took. `first` marks the first frame after a `graph` message.
   */
  | { type: 'rendered'; graph: number; items: number; opNodes: number; first: boolean; timings: RenderTimings }
  /** The user picked a target in the webview. */
  | { type: 'selectTarget'; targetId: string }
  /** Statistics and histogram of one initializer (`tensor` indexes `GraphView.tensors`). */
  | { type: 'requestWeightStats'; graph: number; tensor: number }
  /** A diagnostic's fix was chosen; `nodes` are the main graph's node indices involved. */
  | { type: 'applyFix'; fix: FixKind; nodes: number[] }
  /** Export the report in a format (the host asks where to save). */
  | { type: 'exportReport'; format: ReportFormat }
  /**
   * The graph as an image: SVG text or a PNG data URL. `requestId` answers an `exportGraph`; absent when the user
   * started the export in the webview.
   */
  | { type: 'graphImage'; requestId?: number; format: ImageFormat; data: string }
  /** Run a host command (buttons in the webview). */
  | { type: 'runCommand'; command: WebviewCommand }
  /** Cancel the running long step (analysis, estimate). */
  | { type: 'cancel' }
  /** The selection changed (so the host's "Show Layer…" and fixes know the current layer); -1: none. */
  | { type: 'selected'; graph: number; node: number };

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
