/**
 * What is on the canvas for one expansion state: the absolute box of every item in view (expanded containers as
 * frames, everything else as boxes), the edges between the boxes that stand for each edge's ends, and a grid of
 * cells for finding the boxes under a point or inside the viewport without looking at all of them.
 */
import { BOX, type Hierarchy } from './hierarchy.js';
import type { ContainerLayout } from './layoutProtocol.js';

const CELL = 256;

export class Scene {
  /** Items in view, frames first (outermost first), then boxes. */
  readonly items: number[] = [];
  /** Per position in `items`. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly w: Float32Array;
  readonly h: Float32Array;
  readonly frame: Uint8Array;
  /** Position in `items` of each hierarchy item; -1 when it is not in view. */
  readonly indexOf: Int32Array;
  /** The item in view that stands for each hierarchy item (itself, or the collapsed container it is in). */
  readonly standIn: Int32Array;
  readonly frames: number;
  /** Edge geometry: for edge k, `edgePoints[edgeStart[k]..edgeStart[k+1]]`; curved edges are cubic Béziers. */
  readonly edgeStart: Uint32Array;
  readonly edgePoints: Float32Array;
  readonly edgeCurved: Uint8Array;
  /** Bounding box of each edge: minX, minY, maxX, maxY. */
  readonly edgeBox: Float32Array;
  /** Positions (in `items`) of each edge's ends. */
  readonly edgeEnds: Int32Array;
  readonly width: number;
  readonly height: number;
  /** Op nodes drawn as boxes. */
  readonly opNodes: number;
  private readonly grid = new Map<number, number[]>();

  constructor(
    readonly hierarchy: Hierarchy,
    readonly expanded: ReadonlySet<number>,
    layouts: ReadonlyMap<number, ContainerLayout>,
  ) {
    const hier = hierarchy;
    const total = hier.kind.length;
    this.indexOf = new Int32Array(total).fill(-1);
    this.standIn = new Int32Array(total).fill(-1);
    const boxes: number[] = [];
    const frames: number[] = [];
    const pos = new Map<number, [number, number, number, number]>();
    const { frameHeader, framePadding } = BOX;
    const place = (c: number, ox: number, oy: number) => {
      const layout = layouts.get(c);
      if (!layout) return;
      hier.children[c].forEach((item, k) => {
        const x = ox + layout.positions[2 * k];
        const y = oy + layout.positions[2 * k + 1];
        const inner = hier.isContainer(item) && this.expanded.has(item) ? layouts.get(item) : undefined;
        if (inner) {
          pos.set(item, [x, y, inner.width + 2 * framePadding, inner.height + frameHeader + framePadding]);
          frames.push(item);
          this.standIn[item] = item;
          place(item, x + framePadding, y + frameHeader);
        } else {
          pos.set(item, [x, y, hier.sizes[2 * item], hier.sizes[2 * item + 1]]);
          boxes.push(item);
          this.markStandIn(item, item);
        }
      });
    };
    this.standIn[hier.root] = hier.root;
    place(hier.root, 0, 0);
    const rootLayout = layouts.get(hier.root);
    this.width = rootLayout?.width ?? 0;
    this.height = rootLayout?.height ?? 0;
    this.items = [...frames, ...boxes];
    this.frames = frames.length;
    const n = this.items.length;
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
    this.w = new Float32Array(n);
    this.h = new Float32Array(n);
    this.frame = new Uint8Array(n);
    let opNodes = 0;
    this.items.forEach((item, k) => {
      const p = pos.get(item) as [number, number, number, number];
      this.x[k] = p[0];
      this.y[k] = p[1];
      this.w[k] = p[2];
      this.h[k] = p[3];
      this.frame[k] = k < frames.length ? 1 : 0;
      this.indexOf[item] = k;
      if (k >= frames.length) {
        if (hier.kind[item] === 'op') opNodes++;
        this.addToGrid(k);
      }
    });
    this.opNodes = opNodes;

    // Edges between the items in view that stand for each graph edge's ends, once per pair.
    const routes = new Map<number, Map<number, number>>();
    const routeOf = (c: number, a: number, b: number): number | undefined => {
      let m = routes.get(c);
      if (!m) {
        m = new Map();
        const e = hier.containerEdges[c];
        for (let k = 0; k < e.length; k += 2) m.set(e[k] * 65536 + e[k + 1], k / 2);
        routes.set(c, m);
      }
      return m.get(a * 65536 + b);
    };
    const childPos = new Map<number, number>();
    const posInParent = (item: number): number => {
      let p = childPos.get(item);
      if (p === undefined) {
        p = hier.children[hier.parent[item]].indexOf(item);
        childPos.set(item, p);
      }
      return p;
    };
    const pairs = new Set<number>();
    const starts: number[] = [0];
    const points: number[] = [];
    const curved: number[] = [];
    const ends: number[] = [];
    for (const e of hier.graph.edges) {
      const a = this.standIn[e.from];
      const b = this.standIn[e.to];
      if (a < 0 || b < 0 || a === b) continue;
      const key = a * total + b;
      if (pairs.has(key)) continue;
      pairs.add(key);
      const ka = this.indexOf[a];
      const kb = this.indexOf[b];
      const parent = hier.parent[a];
      const route =
        parent === hier.parent[b] && !this.frame[ka] && !this.frame[kb]
          ? routeOf(parent, posInParent(a), posInParent(b))
          : undefined;
      const layout = route !== undefined ? layouts.get(parent) : undefined;
      if (layout && route !== undefined && layout.routeStart[route + 1] - layout.routeStart[route] >= 4) {
        const origin = this.contentOrigin(parent, pos);
        for (let i = layout.routeStart[route]; i < layout.routeStart[route + 1]; i += 2) {
          points.push(origin[0] + layout.routes[i], origin[1] + layout.routes[i + 1]);
        }
        curved.push(0);
      } else {
        const x0 = this.x[ka] + this.w[ka] / 2;
        const y0 = this.frame[ka] ? this.y[ka] + this.h[ka] : this.y[ka] + this.h[ka];
        const x1 = this.x[kb] + this.w[kb] / 2;
        const y1 = this.frame[kb] ? this.y[kb] + BOX.frameHeader : this.y[kb];
        const dy = Math.max(24, Math.abs(y1 - y0) / 2);
        points.push(x0, y0, x0, y0 + dy, x1, y1 - dy, x1, y1);
        curved.push(1);
      }
      ends.push(ka, kb);
      starts.push(points.length);
    }
    this.edgeStart = Uint32Array.from(starts);
    this.edgePoints = Float32Array.from(points);
    this.edgeCurved = Uint8Array.from(curved);
    this.edgeEnds = Int32Array.from(ends);
    this.edgeBox = new Float32Array(4 * curved.length);
    for (let k = 0; k < curved.length; k++) {
      let minX = Number.POSITIVE_INFINITY;
      let minY = Number.POSITIVE_INFINITY;
      let maxX = Number.NEGATIVE_INFINITY;
      let maxY = Number.NEGATIVE_INFINITY;
      for (let i = this.edgeStart[k]; i < this.edgeStart[k + 1]; i += 2) {
        minX = Math.min(minX, this.edgePoints[i]);
        maxX = Math.max(maxX, this.edgePoints[i]);
        minY = Math.min(minY, this.edgePoints[i + 1]);
        maxY = Math.max(maxY, this.edgePoints[i + 1]);
      }
      this.edgeBox.set([minX, minY, maxX, maxY], 4 * k);
    }
  }

  get edgeCount(): number {
    return this.edgeCurved.length;
  }

  private contentOrigin(c: number, pos: Map<number, [number, number, number, number]>): [number, number] {
    if (c === this.hierarchy.root) return [0, 0];
    const p = pos.get(c) as [number, number, number, number];
    return [p[0] + BOX.framePadding, p[1] + BOX.frameHeader];
  }

  private markStandIn(item: number, by: number): void {
    this.standIn[item] = by;
    for (const c of this.hierarchy.children[item]) this.markStandIn(c, by);
  }

  private addToGrid(k: number): void {
    const x0 = Math.floor(this.x[k] / CELL);
    const x1 = Math.floor((this.x[k] + this.w[k]) / CELL);
    const y0 = Math.floor(this.y[k] / CELL);
    const y1 = Math.floor((this.y[k] + this.h[k]) / CELL);
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        const key = cy * 65536 + cx;
        const cell = this.grid.get(key);
        if (cell) cell.push(k);
        else this.grid.set(key, [k]);
      }
    }
  }

  /** Positions (in `items`) of the boxes that overlap a rectangle, each once. */
  boxesIn(minX: number, minY: number, maxX: number, maxY: number): number[] {
    const out: number[] = [];
    const x0 = Math.floor(minX / CELL);
    const x1 = Math.floor(maxX / CELL);
    const y0 = Math.floor(minY / CELL);
    const y1 = Math.floor(maxY / CELL);
    const cells = (x1 - x0 + 1) * (y1 - y0 + 1);
    if (cells > this.grid.size) {
      for (let k = this.frames; k < this.items.length; k++) {
        if (this.x[k] <= maxX && this.x[k] + this.w[k] >= minX && this.y[k] <= maxY && this.y[k] + this.h[k] >= minY) {
          out.push(k);
        }
      }
      return out;
    }
    const seen = new Set<number>();
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        const cell = this.grid.get(cy * 65536 + cx);
        if (!cell) continue;
        for (const k of cell) {
          if (seen.has(k)) continue;
          seen.add(k);
          if (
            this.x[k] <= maxX &&
            this.x[k] + this.w[k] >= minX &&
            this.y[k] <= maxY &&
            this.y[k] + this.h[k] >= minY
          ) {
            out.push(k);
          }
        }
      }
    }
    return out;
  }

  /** The box under a point, else the innermost frame; -1 for neither. */
  pick(wx: number, wy: number): number {
    const hits = this.boxesIn(wx, wy, wx, wy);
    if (hits.length) return hits[hits.length - 1];
    let best = -1;
    for (let k = 0; k < this.frames; k++) {
      if (wx >= this.x[k] && wx <= this.x[k] + this.w[k] && wy >= this.y[k] && wy <= this.y[k] + this.h[k]) best = k;
    }
    return best;
  }
}
