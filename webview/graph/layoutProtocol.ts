/**
 * Messages between the webview and its layout worker. The worker is given the graph's hierarchy once (`init`:
 * every container's items, their fixed sizes and the edges between them), then only which containers are
 * expanded (`layout`); it lays out the expanded containers bottom-up, each on its own, and keeps the results.
 */

/** One container (the graph, a name scope, a range of a long scope) and what sits directly in it. */
export interface ContainerSpec {
  /** Item id of the container. */
  id: number;
  /** Item ids of its children, in order. */
  items: number[];
  /** Edges between children: pairs of positions in `items` (`edges[2k]` -> `edges[2k+1]`). */
  edges: number[];
}

export interface LayoutInit {
  type: 'init';
  /** Identifies the graph; a layout request names it. */
  graphKey: string;
  /** Width and height of every item as a box (a node, or a collapsed container): `sizes[2i]`, `sizes[2i+1]`. */
  sizes: Float32Array;
  containers: ContainerSpec[];
  /** Space around an expanded container's children: header above, padding on the other sides. */
  frame: { header: number; padding: number };
}

export interface LayoutRequest {
  type: 'layout';
  id: number;
  graphKey: string;
  /** Expanded containers (the root included) whose layouts are needed, children before parents. */
  expanded: number[];
}

/** The layout of one expanded container, relative to its content's top-left corner. */
export interface ContainerLayout {
  id: number;
  /** Size of the content (without the frame). */
  width: number;
  height: number;
  /** Top-left corner of each item, in `items` order: x0, y0, x1, y1, … */
  positions: Float32Array;
  /** Edge routes in `edges` order: for edge k, points from `routeStart[k]` to `routeStart[k + 1]` in `routes`. */
  routeStart: Uint32Array;
  routes: Float32Array;
}

export type WorkerReply =
  | { type: 'progress'; id: number; done: number; total: number }
  | {
      type: 'layout';
      id: number;
      graphKey: string;
      /** Layouts of every requested container (from the cache or computed now). */
      layouts: ContainerLayout[];
      /** Milliseconds the worker spent on this request, and how many containers went to ELK. */
      ms: number;
      computed: number;
    }
  /** A newer request arrived: this one was dropped. */
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; message: string };

export type WorkerRequest = LayoutInit | LayoutRequest;
