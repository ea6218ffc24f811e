/**
 * The hierarchy of one graph as the view shows it: op nodes (and the graph's inputs and outputs) grouped by name
 * scope (`/encoder/layer.3/attention/MatMul` sits in encoder › layer.3 › attention). Every scope is a container
 * that is either collapsed (one box) or expanded (a frame around its children, laid out on their own), which is
 * what keeps big models tractable: only the expanded levels are ever laid out.
 *
 * Items are numbered: graph nodes first (their index in `GraphView.nodes`), then scopes, then ranges. A scope with
 * a single node is that node; a scope whose only child is another scope is merged with it (`self/query`). A
 * container with more than MAX_CHILDREN children gets ranges of consecutive children as containers in between,
 * so that no single layout is ever larger than that.
 */
import type { GraphView } from '../../src/core/report/graphModel.js';
import type { ContainerSpec } from './layoutProtocol.js';

export const MAX_CHILDREN = 300;

/** Thousands separated (`16,667`); one formatter, since making one per call is slow at tens of thousands. */
export const formatCount = new Intl.NumberFormat('en-US').format;

export type ItemKind = 'op' | 'input' | 'output' | 'scope' | 'range';

/** How wide a string is in the box fonts; the caller measures, the hierarchy only asks. */
export interface TextWidths {
  title(text: string): number;
  subtitle(text: string): number;
}

export const BOX = {
  height: 36,
  containerHeight: 40,
  padX: 10,
  minWidth: 64,
  maxWidth: 220,
  frameHeader: 24,
  framePadding: 12,
};

/**
 * For each scope, the scope that holds its contents: itself, or — for a scope that is no structure — the nearest
 * enclosing one that is. A scope is no structure when its nodes share far fewer edges among themselves than with
 * the rest of the graph: TFLite converters, for one, name each Conv after the activation that follows it, so
 * `TFLITE2ONNX_FAF_model/…` holds every Conv and `model/…` every activation, interleaved, and boxes for those two
 * would only fold a chain in half.
 */
function looseScopes(graph: GraphView): Int32Array {
  const scopes = graph.scopes;
  const depth = new Int32Array(scopes.length);
  for (let s = 1; s < scopes.length; s++) depth[s] = depth[scopes[s].parent] + 1;
  const size = new Int32Array(scopes.length);
  for (const node of graph.nodes) for (let s = node.scope; s > 0; s = scopes[s].parent) size[s]++;
  const inside = new Int32Array(scopes.length);
  const across = new Int32Array(scopes.length);
  for (const e of graph.edges) {
    let a = graph.nodes[e.from].scope;
    let b = graph.nodes[e.to].scope;
    while (depth[a] > depth[b]) {
      across[a]++;
      a = scopes[a].parent;
    }
    while (depth[b] > depth[a]) {
      across[b]++;
      b = scopes[b].parent;
    }
    while (a !== b) {
      across[a]++;
      across[b]++;
      a = scopes[a].parent;
      b = scopes[b].parent;
    }
    for (; a > 0; a = scopes[a].parent) inside[a]++;
  }
  const live = new Int32Array(scopes.length);
  for (let s = 0; s < scopes.length; s++) {
    const loose = s > 0 && size[s] >= 2 && 4 * inside[s] < across[s];
    live[s] = loose ? live[scopes[s].parent] : s;
  }
  return live;
}

export class Hierarchy {
  readonly nodeCount: number;
  readonly kind: ItemKind[] = [];
  readonly title: string[] = [];
  readonly subtitle: string[] = [];
  /** Enclosing container of each item; -1 for the root. */
  readonly parent: number[] = [];
  readonly depth: number[] = [];
  /** Children of each container (empty for nodes), in graph order. */
  readonly children: number[][] = [];
  /** Op nodes inside each item (1 for an op node). */
  readonly opCount: number[] = [];
  /** Edges between the children of each container, as positions in `children[c]`: a, b, a, b, … */
  readonly containerEdges: number[][] = [];
  /** Width and height of each item drawn as one box. */
  readonly sizes: Float32Array;
  readonly root: number;
  /** Full scope path of a scope item (`encoder/layer.3`); '' for others. */
  readonly path: string[] = [];

  constructor(
    readonly graph: GraphView,
    measure: TextWidths,
  ) {
    const nodes = graph.nodes;
    const n = nodes.length;
    this.nodeCount = n;
    const scopeBase = n;
    const scopes = graph.scopes;
    const total0 = n + scopes.length;
    for (let i = 0; i < total0; i++) {
      this.children.push([]);
      this.parent.push(-1);
      this.opCount.push(0);
      this.path.push('');
    }
    const order: number[] = new Array(total0).fill(Number.POSITIVE_INFINITY);
    const subtreeNodes: number[] = new Array(scopes.length).fill(0);
    const directNodes: number[][] = scopes.map(() => []);
    const childScopes: number[][] = scopes.map(() => []);
    scopes.forEach((x, i) => {
      this.path[scopeBase + i] = x.parent > 0 ? `${this.path[scopeBase + x.parent]}/${x.name}` : x.name;
    });
    const live = looseScopes(graph);
    scopes.forEach((x, i) => {
      if (x.parent >= 0 && live[i] === i) childScopes[live[x.parent]].push(i);
    });
    const liveParent = (sc: number) => (scopes[sc].parent >= 0 ? live[scopes[sc].parent] : -1);
    nodes.forEach((node, i) => {
      const k: ItemKind = node.kind;
      this.kind.push(k);
      order[i] = i;
      this.opCount[i] = k === 'op' ? 1 : 0;
      directNodes[live[node.scope]].push(i);
      // The last segment of the (first of ';'-joined) name: what the scopes above do not already say.
      const first = node.name.split(';')[0];
      const short = first.slice(first.lastIndexOf('/') + 1) || node.name;
      if (k === 'op') {
        this.title.push(node.opType);
        this.subtitle.push(short === node.opType ? '' : short);
      } else {
        const t = graph.tensors[k === 'input' ? node.outputs[0] : node.inputs[0]];
        this.title.push(node.name);
        this.subtitle.push(
          t ? `${t.dtype ?? '?'} ${t.shape ? `[${t.shape.map((d) => d ?? '?').join(', ')}]` : ''}` : '',
        );
      }
    });
    for (let s = 0; s < scopes.length; s++) {
      this.kind.push('scope');
      this.title.push(scopes[s].name);
      this.subtitle.push('');
    }
    // Subtree sizes and order keys, children before parents (scope ids grow with depth of creation).
    for (let s = scopes.length - 1; s >= 0; s--) {
      if (live[s] !== s) continue;
      const id = scopeBase + s;
      subtreeNodes[s] += directNodes[s].length;
      for (const i of directNodes[s]) {
        this.opCount[id] += this.opCount[i];
        order[id] = Math.min(order[id], order[i]);
      }
      for (const c of childScopes[s]) {
        this.opCount[id] += this.opCount[scopeBase + c];
        order[id] = Math.min(order[id], order[scopeBase + c]);
      }
      const p = liveParent(s);
      if (p >= 0) subtreeNodes[p] += subtreeNodes[s];
    }
    // What stands for each scope in its parent: itself, its only node, or its only child scope (merged).
    const standInMemo = new Map<number, number>();
    const standIn = (s: number): number => {
      let r = standInMemo.get(s);
      if (r === undefined) {
        r = findStandIn(s);
        standInMemo.set(s, r);
      }
      return r;
    };
    const findStandIn = (s: number): number => {
      if (s !== 0 && subtreeNodes[s] === 1) {
        let at = s;
        while (directNodes[at].length === 0) at = childScopes[at][0];
        return directNodes[at][0];
      }
      if (s !== 0 && directNodes[s].length === 0 && childScopes[s].length === 1) {
        const inner = standIn(childScopes[s][0]);
        if (this.kind[inner] === 'scope') this.title[inner] = `${scopes[s].name}/${this.title[inner]}`;
        return inner;
      }
      return scopeBase + s;
    };
    const byOrder = (a: number, b: number) => order[a] - order[b];
    const fill = (s: number) => {
      const id = scopeBase + s;
      const items = [...directNodes[s], ...childScopes[s].map(standIn)].sort(byOrder);
      this.children[id] = items;
      for (const c of childScopes[s]) fill(c);
    };
    fill(0);
    this.root = scopeBase;

    // Ranges for containers with too many children.
    const addRange = (items: number[]): number => {
      const id = this.kind.length;
      this.kind.push('range');
      const first = items[0];
      const last = items[items.length - 1];
      this.title.push(`${this.rangeEnd(first)} … ${this.rangeEnd(last)}`);
      this.subtitle.push('');
      this.children.push(items);
      this.parent.push(-1);
      this.path.push('');
      this.opCount.push(items.reduce((a, i) => a + this.opCount[i], 0));
      order.push(order[first]);
      return id;
    };
    const split = (c: number) => {
      let items = this.children[c];
      while (items.length > MAX_CHILDREN) {
        const groups: number[] = [];
        const per = Math.ceil(items.length / Math.ceil(items.length / MAX_CHILDREN));
        for (let i = 0; i < items.length; i += per) groups.push(addRange(items.slice(i, i + per)));
        items = groups;
      }
      this.children[c] = items;
    };
    const containersTopDown: number[] = [];
    const visit = (c: number) => {
      split(c);
      containersTopDown.push(c);
      for (const i of this.children[c]) if (this.children[i]?.length) visit(i);
    };
    visit(this.root);
    // Parents and depths from the final tree; items that are no longer reachable (merged scopes) keep -1.
    this.depth = new Array(this.kind.length).fill(0);
    for (const c of containersTopDown) {
      for (const i of this.children[c]) {
        this.parent[i] = c;
        this.depth[i] = this.depth[c] + 1;
      }
    }
    for (let i = 0; i < this.kind.length; i++) {
      if (this.kind[i] === 'scope' || this.kind[i] === 'range') {
        const nodesIn = this.opCount[i];
        this.subtitle[i] = `${formatCount(nodesIn)} node${nodesIn === 1 ? '' : 's'}`;
      }
    }

    // Edges between siblings: each graph edge belongs to the container that is the lowest common ancestor.
    const position = new Int32Array(this.kind.length);
    for (const c of containersTopDown) {
      this.children[c].forEach((item, k) => {
        position[item] = k;
      });
    }
    const seen: Set<number>[] = [];
    for (let i = 0; i < this.kind.length; i++) this.containerEdges.push([]);
    for (const e of graph.edges) {
      let a = e.from;
      let b = e.to;
      if (a === b) continue;
      while (this.depth[a] > this.depth[b]) a = this.parent[a];
      while (this.depth[b] > this.depth[a]) b = this.parent[b];
      while (this.parent[a] !== this.parent[b]) {
        a = this.parent[a];
        b = this.parent[b];
      }
      if (a === b) continue;
      const c = this.parent[a];
      if (c < 0) continue;
      const key = position[a] * MAX_CHILDREN * 4 + position[b];
      let s = seen[c];
      if (!s) {
        s = new Set();
        seen[c] = s;
      }
      if (s.has(key)) continue;
      s.add(key);
      this.containerEdges[c].push(position[a], position[b]);
    }

    // Box sizes.
    this.sizes = new Float32Array(2 * this.kind.length);
    for (let i = 0; i < this.kind.length; i++) {
      const w = Math.max(measure.title(this.title[i]), Math.min(measure.subtitle(this.subtitle[i]), BOX.maxWidth));
      // A few pixels to spare: the widths are estimates, and labels are cut to fit with an ellipsis.
      this.sizes[2 * i] = Math.ceil(Math.min(BOX.maxWidth, Math.max(BOX.minWidth, w + 2 * BOX.padX + 4)));
      this.sizes[2 * i + 1] = this.isContainer(i) ? BOX.containerHeight : BOX.height;
    }
  }

  private rangeEnd(item: number): string {
    if (this.kind[item] === 'range') return this.title[item].split(' … ')[0];
    if (this.kind[item] === 'scope') return this.title[item];
    return this.graph.nodes[item]?.name.slice(this.graph.nodes[item].name.lastIndexOf('/') + 1) ?? '';
  }

  isContainer(item: number): boolean {
    return this.kind[item] === 'scope' || this.kind[item] === 'range';
  }

  /** Containers from `item` up to (not including) the root, innermost first. */
  ancestors(item: number): number[] {
    const out: number[] = [];
    for (let p = this.parent[item]; p >= 0 && p !== this.root; p = this.parent[p]) out.push(p);
    return out;
  }

  /** The containers the layout worker needs to know. */
  containerSpecs(): ContainerSpec[] {
    const out: ContainerSpec[] = [];
    for (let i = 0; i < this.kind.length; i++) {
      if (this.isContainer(i) && this.children[i].length && (this.parent[i] >= 0 || i === this.root)) {
        out.push({ id: i, items: this.children[i], edges: this.containerEdges[i] });
      }
    }
    return out;
  }

  /** Expanded containers in view (the root included), children before parents. */
  expandedInView(expanded: ReadonlySet<number>): number[] {
    const out: number[] = [];
    const visit = (c: number) => {
      for (const i of this.children[c]) if (expanded.has(i) && this.isContainer(i)) visit(i);
      out.push(c);
    };
    visit(this.root);
    return out;
  }

  /**
   * The expansion a graph opens with: whole levels of the hierarchy, top down, as long as the boxes in view stay
   * within `budget`.
   */
  defaultExpansion(budget = 150): Set<number> {
    const expanded = new Set<number>();
    let level = this.children[this.root].filter((i) => this.isContainer(i));
    let inView = this.children[this.root].length;
    while (level.length) {
      const added = level.reduce((a, c) => a + this.children[c].length - 1, 0);
      if (inView + added > budget) break;
      inView += added;
      for (const c of level) expanded.add(c);
      level = level.flatMap((c) => this.children[c].filter((i) => this.isContainer(i)));
    }
    return expanded;
  }

  /** Every container (for "expand all"), and how many boxes that puts in view. */
  allContainers(): { expanded: Set<number>; boxes: number } {
    const expanded = new Set<number>();
    let boxes = 0;
    const visit = (c: number) => {
      for (const i of this.children[c]) {
        if (this.isContainer(i)) {
          expanded.add(i);
          visit(i);
        } else boxes++;
      }
    };
    visit(this.root);
    return { expanded, boxes };
  }
}
