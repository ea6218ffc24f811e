/**
 * Every message between the extension host and the model webview. Both sides switch exhaustively over these
 * unions. The webview posts `ready` first; the host answers with the model summary, then the graph (never tensor
 * bytes). Later figures per node (an estimate's latency or bound for a target) arrive as `metrics` columns.
 */
import type { GraphModel, MetricInfo } from './core/report/graphModel.js';
import type { ModelSummary } from './core/report/summary.js';

/** Host -> webview. */
export type HostMessage =
  /** The model was read: its summary and validation problems. */
  | { type: 'summary'; fileName: string; summary: ModelSummary }
  /** The graph of the model (all graphs, subgraphs included) with per-node costs; sent after `summary`. */
  | { type: 'graph'; fileName: string; graph: GraphModel }
  /** The graph could not be built (the summary still stands). */
  | { type: 'graphError'; fileName: string; message: string }
  /**
   * A further per-node column for overlays, for the nodes of graph `graph` (`values[i]` belongs to node `i`;
   * null: unknown). Replaces a column with the same key.
   */
  | { type: 'metrics'; graph: number; metric: MetricInfo; values: (number | null)[] }
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

/** Webview -> host. */
export type WebviewMessage =
  /** The webview's script is running and can receive messages. */
  | { type: 'ready' }
  /**
   * A layout was drawn: which graph, how many boxes (nodes, collapsed scopes) and of those op nodes are on the
   * canvas, and how long it took. `first` marks the first frame after a `graph` message.
   */
  | { type: 'rendered'; graph: number; items: number; opNodes: number; first: boolean; timings: RenderTimings };

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
