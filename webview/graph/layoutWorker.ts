/**
 * The layout worker: ELK's layered algorithm (elkjs) over one container at a time — the children of the graph or
 * of an expanded name scope, each drawn as a box — bottom-up, so that an expanded child's size is known when its
 * parent is laid out. Results are cached per container and per set of child sizes, so expanding or collapsing a
 * scope lays out only that scope and its ancestors. A straight chain (each child feeds the next and nothing else)
 * is stacked directly: that is what ELK would produce, without the cost of a layout run.
 */
import ELK, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import type {
  ContainerLayout,
  ContainerSpec,
  LayoutInit,
  LayoutRequest,
  WorkerReply,
  WorkerRequest,
} from './layoutProtocol.js';

/** The worker's global scope (the webview's tsconfig has the DOM types, not the worker ones). */
declare const self: {
  onmessage: unknown;
  postMessage(message: WorkerReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
};

const elk = new ELK({ algorithms: ['layered'] });
// elkjs, loaded in a worker, installs its own message handler; the handler below is the only one.
self.onmessage = null;

const LAYER_GAP = 28;
const NODE_GAP = 18;
const CACHE_PER_CONTAINER = 4;

const elkOptions: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'POLYLINE',
  'elk.padding': '[top=0,left=0,bottom=0,right=0]',
  'elk.spacing.nodeNode': String(NODE_GAP),
  'elk.spacing.componentComponent': String(NODE_GAP * 2),
  'elk.layered.spacing.nodeNodeBetweenLayers': String(LAYER_GAP),
  'elk.layered.spacing.edgeNodeBetweenLayers': '10',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.thoroughness': '4',
};

interface GraphState {
  init: LayoutInit;
  containers: Map<number, ContainerSpec>;
  cache: Map<number, { key: string; layout: ContainerLayout }[]>;
}

const graphs = new Map<string, GraphState>();
let latest = -1;

function post(reply: WorkerReply): void {
  self.postMessage(reply);
}

/** A task boundary: lets newer requests arrive, and keeps ELK's internal timers from being throttled as nested. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(0);
  });
}

function isChain(spec: ContainerSpec): boolean {
  const n = spec.items.length;
  if (spec.edges.length !== 2 * (n - 1)) return false;
  const next = new Int32Array(n).fill(-1);
  for (let k = 0; k < spec.edges.length; k += 2) {
    const a = spec.edges[k];
    const b = spec.edges[k + 1];
    if (b !== a + 1 || next[a] !== -1) return false;
    next[a] = b;
  }
  return true;
}

function chainLayout(spec: ContainerSpec, sizes: number[]): ContainerLayout {
  const n = spec.items.length;
  let width = 0;
  for (let i = 0; i < n; i++) width = Math.max(width, sizes[2 * i]);
  const positions = new Float32Array(2 * n);
  let y = 0;
  for (let i = 0; i < n; i++) {
    positions[2 * i] = (width - sizes[2 * i]) / 2;
    positions[2 * i + 1] = y;
    y += sizes[2 * i + 1] + (i < n - 1 ? LAYER_GAP : 0);
  }
  const edgeCount = spec.edges.length / 2;
  const routeStart = new Uint32Array(edgeCount + 1);
  const routes = new Float32Array(edgeCount * 4);
  for (let k = 0; k < edgeCount; k++) {
    const a = spec.edges[2 * k];
    const b = spec.edges[2 * k + 1];
    routeStart[k] = 4 * k;
    routes.set([width / 2, positions[2 * a + 1] + sizes[2 * a + 1], width / 2, positions[2 * b + 1]], 4 * k);
  }
  routeStart[edgeCount] = routes.length;
  return { id: spec.id, width, height: y, positions, routeStart, routes };
}

async function elkLayout(spec: ContainerSpec, sizes: number[]): Promise<ContainerLayout> {
  const children: ElkNode[] = spec.items.map((_, i) => ({
    id: `n${i}`,
    width: sizes[2 * i],
    height: sizes[2 * i + 1],
  }));
  const edges: ElkExtendedEdge[] = [];
  for (let k = 0; k < spec.edges.length; k += 2) {
    edges.push({ id: `e${k / 2}`, sources: [`n${spec.edges[k]}`], targets: [`n${spec.edges[k + 1]}`] });
  }
  const out = await elk.layout({ id: 'root', layoutOptions: elkOptions, children, edges });
  const positions = new Float32Array(2 * children.length);
  out.children?.forEach((c, i) => {
    positions[2 * i] = c.x ?? 0;
    positions[2 * i + 1] = c.y ?? 0;
  });
  const points: number[] = [];
  const routeStart = new Uint32Array(edges.length + 1);
  (out.edges ?? []).forEach((e, k) => {
    routeStart[k] = points.length;
    const s = (e as ElkExtendedEdge).sections?.[0];
    if (!s) return;
    points.push(s.startPoint.x, s.startPoint.y);
    for (const b of s.bendPoints ?? []) points.push(b.x, b.y);
    points.push(s.endPoint.x, s.endPoint.y);
  });
  routeStart[edges.length] = points.length;
  // Normalise so that the content starts at (0, 0).
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = 0;
  let maxY = 0;
  for (let i = 0; i < children.length; i++) {
    minX = Math.min(minX, positions[2 * i]);
    minY = Math.min(minY, positions[2 * i + 1]);
    maxX = Math.max(maxX, positions[2 * i] + sizes[2 * i]);
    maxY = Math.max(maxY, positions[2 * i + 1] + sizes[2 * i + 1]);
  }
  for (let i = 0; i < points.length; i += 2) {
    minX = Math.min(minX, points[i]);
    minY = Math.min(minY, points[i + 1]);
    maxX = Math.max(maxX, points[i]);
    maxY = Math.max(maxY, points[i + 1]);
  }
  if (!Number.isFinite(minX)) minX = minY = 0;
  for (let i = 0; i < children.length; i++) {
    positions[2 * i] -= minX;
    positions[2 * i + 1] -= minY;
  }
  const routes = new Float32Array(points);
  for (let i = 0; i < routes.length; i += 2) {
    routes[i] -= minX;
    routes[i + 1] -= minY;
  }
  return { id: spec.id, width: maxX - minX, height: maxY - minY, positions, routeStart, routes };
}

async function layout(req: LayoutRequest): Promise<void> {
  const g = graphs.get(req.graphKey);
  if (!g) {
    post({ type: 'error', id: req.id, message: `no graph ${req.graphKey}` });
    return;
  }
  const started = performance.now();
  const { sizes, frame } = g.init;
  /** Outer sizes of the expanded containers laid out so far. */
  const outer = new Map<number, [number, number]>();
  const layouts: ContainerLayout[] = [];
  let computed = 0;
  let lastYield = performance.now();
  for (let done = 0; done < req.expanded.length; done++) {
    const id = req.expanded[done];
    const spec = g.containers.get(id);
    if (!spec) continue;
    const itemSizes: number[] = new Array(2 * spec.items.length);
    spec.items.forEach((item, i) => {
      const o = outer.get(item);
      itemSizes[2 * i] = o ? o[0] : sizes[2 * item];
      itemSizes[2 * i + 1] = o ? o[1] : sizes[2 * item + 1];
    });
    const key = itemSizes.join(',');
    const entries = g.cache.get(id) ?? [];
    let result = entries.find((e) => e.key === key)?.layout;
    if (!result) {
      if (spec.items.length === 1 || isChain(spec)) result = chainLayout(spec, itemSizes);
      else {
        await nextTask();
        if (latest !== req.id) {
          post({ type: 'cancelled', id: req.id });
          return;
        }
        result = await elkLayout(spec, itemSizes);
        computed++;
        lastYield = performance.now();
      }
      entries.unshift({ key, layout: result });
      entries.length = Math.min(entries.length, CACHE_PER_CONTAINER);
      g.cache.set(id, entries);
    }
    outer.set(id, [result.width + 2 * frame.padding, result.height + frame.header + frame.padding]);
    layouts.push(result);
    if (performance.now() - lastYield > 50) {
      post({ type: 'progress', id: req.id, done, total: req.expanded.length });
      await nextTask();
      lastYield = performance.now();
      if (latest !== req.id) {
        post({ type: 'cancelled', id: req.id });
        return;
      }
    }
  }
  post({ type: 'layout', id: req.id, graphKey: req.graphKey, layouts, ms: performance.now() - started, computed });
}

// A small layout while the webview waits for its graph: the first run of ELK's code is the slowest.
void elk
  .layout({
    id: 'warm-up',
    layoutOptions: elkOptions,
    children: [0, 1, 2, 3].map((i) => ({ id: `n${i}`, width: 60, height: 30 })),
    edges: [
      { id: 'a', sources: ['n0'], targets: ['n1'] },
      { id: 'b', sources: ['n0'], targets: ['n2'] },
      { id: 'c', sources: ['n1'], targets: ['n3'] },
      { id: 'd', sources: ['n2'], targets: ['n3'] },
    ],
  })
  .catch(() => {});

self.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'init': {
      graphs.set(msg.graphKey, {
        init: msg,
        containers: new Map(msg.containers.map((c) => [c.id, c])),
        cache: new Map(),
      });
      // Keep the few most recent graphs (the main graph and the subgraphs opened from it).
      if (graphs.size > 8) graphs.delete(graphs.keys().next().value as string);
      break;
    }
    case 'layout':
      latest = msg.id;
      layout(msg).catch((err: unknown) =>
        post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
      );
      break;
  }
});
