/**
 * One model's graph in the compare view, drawn with the main webview's graph components (Hierarchy, layout
 * worker, Scene, GraphCanvas). Layers the comparison found changed, removed or added get a fill of their own;
 * a scope that holds any of them is marked changed, so that a collapsed scope still shows where to look.
 * Layer indices (LayerDiff's `index`) are node indices in the model's main graph after its graph inputs.
 */
import type { GraphModel, MetricInfo } from '../../src/core/report/graphModel.js';
import type { LayerDiff } from '../../src/core/transforms/compare.js';
import { el } from '../dom.js';
import { GraphCanvas } from '../graph/graphCanvas.js';
import { formatCount, Hierarchy } from '../graph/hierarchy.js';
import { handleGraphKey } from '../graph/keyboard.js';
import { LayoutClient } from '../graph/layoutClient.js';
import type { Overlay } from '../graph/overlay.js';
import { Scene } from '../graph/scene.js';
import { textWidths } from '../graph/textWidths.js';
import { readPalette } from '../graph/theme.js';

/** What each layer's fill says, as the overlay's categories (index = value). */
export const DIFF_CATEGORIES = ['unchanged', 'changed', 'removed', 'added'] as const;
export type DiffStatus = (typeof DIFF_CATEGORIES)[number];
/** Fills per category; unchanged layers keep the theme's plain node fill. */
const DIFF_FILLS: Record<DiffStatus, string | null> = {
  unchanged: null,
  changed: '#e8912d',
  removed: '#d64545',
  added: '#4caf50',
};
const DIFF_METRIC: MetricInfo = { kind: 'category', key: 'diff', label: 'Change', categories: [...DIFF_CATEGORIES] };

const statusIndex = (l: LayerDiff, side: 'a' | 'b'): number => {
  if (l.status === 'same') return 0;
  if (l.status === 'changed') return 1;
  return side === 'a' ? 2 : 3;
};

export interface PaneTimings {
  /** Hierarchy, layout and first frame, from the data's arrival. */
  totalMs: number;
  layoutMs: number;
}

export class GraphPane {
  readonly hier: Hierarchy;
  readonly canvas: GraphCanvas;
  /** Graph inputs before the first op node in the main graph. */
  readonly offset: number;
  private readonly client = new LayoutClient();
  private expanded: Set<number>;
  private scene: Scene | undefined;
  private readonly overlayValues: Float64Array;
  private readonly status: HTMLElement;
  private seq = 0;
  private running = 0;
  timings: PaneTimings | undefined;

  constructor(
    host: HTMLElement,
    readonly side: 'a' | 'b',
    model: GraphModel,
    layers: readonly LayerDiff[],
    onSelect: (layer: number) => void,
  ) {
    const started = performance.now();
    const palette = readPalette();
    const graph = model.graphs[0];
    this.hier = new Hierarchy(graph, textWidths(palette.fontFamily));
    this.offset = graph.nodes.findIndex((n) => n.kind !== 'input');
    if (this.offset < 0) this.offset = graph.nodes.length;
    const values = new Float64Array(this.hier.kind.length).fill(Number.NaN);
    for (const l of layers) {
      const layer = l[side];
      if (!layer) continue;
      const item = this.offset + layer.index;
      if (item < this.hier.nodeCount && this.hier.kind[item] === 'op') values[item] = statusIndex(l, side);
    }
    // Scopes: changed when anything inside differs, unchanged otherwise.
    const visit = (c: number): number => {
      let v = 0;
      for (const i of this.hier.children[c]) {
        const x = this.hier.isContainer(i) ? visit(i) : values[i];
        if (x > 0) v = 1;
      }
      values[c] = v;
      return v;
    };
    visit(this.hier.root);
    this.overlayValues = values;
    this.expanded = this.hier.defaultExpansion();
    this.status = el('p', 'Laying out…', 'graph-status muted');
    host.append(this.status);
    /** Selects an item as a click or a key does: the other graph and the table follow an op node. */
    const choose = (item: number, reveal: boolean) => {
      this.select(item, reveal);
      const layer = item - this.offset;
      if (item >= 0 && item < this.hier.nodeCount && this.hier.kind[item] === 'op') onSelect(layer);
    };
    const toggle = (item: number) => {
      if (!this.hier.isContainer(item)) return;
      if (this.expanded.has(item)) this.expanded.delete(item);
      else this.expanded.add(item);
      void this.layout();
    };
    this.canvas = new GraphCanvas(host, palette, {
      select: (item) => choose(item, false),
      activate: toggle,
      viewChanged: () => undefined,
    });
    const canvas = this.canvas;
    canvas.canvas.setAttribute('aria-label', `Graph of model ${side.toUpperCase()}`);
    canvas.canvas.setAttribute('aria-keyshortcuts', 'ArrowUp ArrowDown ArrowLeft ArrowRight Enter Escape + - 0');
    canvas.canvas.addEventListener('keydown', (e) => {
      const handled = handleGraphKey(e, {
        hier: this.hier,
        scene: this.scene,
        selected: canvas.selected,
        view: canvas,
        select: choose,
        activate: toggle,
      });
      if (handled) e.preventDefault();
    });
    void this.layout(true).then(() => {
      if (this.timings) this.timings.totalMs = performance.now() - started;
    });
  }

  /** Lays out what is expanded, then draws it; resolves once drawn (or replaced by a newer layout). */
  async layout(first = false): Promise<void> {
    const seq = ++this.seq;
    this.running++;
    try {
      const r = await this.client.layout(`compare-${this.side}`, this.hier, this.expanded);
      if (!r || seq !== this.seq) return;
      this.scene = new Scene(this.hier, this.expanded, r.layouts);
      this.canvas.setScene(this.scene);
      this.applyOverlay();
      if (first) this.canvas.initialView();
      const s = this.scene;
      const total = this.hier.opCount[this.hier.root];
      this.status.textContent = `${formatCount(s.opNodes)} of ${formatCount(total)} nodes shown`;
      this.canvas.canvas.dataset.opNodes = String(s.opNodes);
      await new Promise<void>((resolve) => this.canvas.afterNextFrame(resolve));
      if (first) this.timings = { totalMs: 0, layoutMs: r.ms };
      this.canvas.canvas.dataset.rendered = 'true';
    } catch (err) {
      this.status.textContent = `Layout failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.running--;
    }
  }

  private applyOverlay(): void {
    const s = this.scene;
    if (!s) return;
    const fill: (string | null)[] = new Array(this.hier.kind.length).fill(null);
    for (const item of s.items) {
      const v = this.overlayValues[item];
      if (!Number.isNaN(v)) fill[item] = DIFF_FILLS[DIFF_CATEGORIES[v]];
    }
    const overlay: Overlay = {
      metric: DIFF_METRIC,
      fill,
      value: this.overlayValues,
      legend: { categories: [...DIFF_CATEGORIES] },
    };
    this.canvas.setOverlay(overlay);
  }

  private select(item: number, reveal: boolean): void {
    this.canvas.selected = item;
    this.canvas.requestDraw();
    if (reveal && item >= 0) this.canvas.reveal(item);
  }

  /** Selects a layer (by its index in the model) and centres it, expanding the scopes around it first. */
  async revealLayer(layer: number): Promise<void> {
    const item = this.offset + layer;
    if (!Number.isInteger(layer) || layer < 0 || item >= this.hier.nodeCount) return;
    const closed = this.hier.ancestors(item).filter((c) => !this.expanded.has(c));
    for (const c of closed) this.expanded.add(c);
    if (closed.length) await this.layout();
    this.select(item, true);
  }

  /** Clears the selection. */
  clearSelection(): void {
    this.select(-1, false);
  }

  /** For the browser tests: what is drawn and selected, and each item's fill under the diff overlay. */
  stats(): Record<string, unknown> {
    const s = this.scene;
    return {
      opNodes: s?.opNodes ?? 0,
      totalOpNodes: this.hier.opCount[this.hier.root],
      selected: this.canvas.selected,
      offset: this.offset,
      busy: this.running > 0,
      timings: this.timings,
    };
  }

  /** The fill of a layer's box (or of the collapsed scope standing for it); null: the plain node fill. */
  fillOfLayer(layer: number): string | null {
    const item = this.offset + layer;
    const s = this.scene;
    if (!s || item >= this.hier.nodeCount) return null;
    const shown = s.standIn[item];
    return this.canvas.overlay?.fill[shown >= 0 ? shown : item] ?? null;
  }
}
