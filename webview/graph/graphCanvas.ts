/**
 * The graph on a 2D canvas: one element for any number of nodes. Each frame draws only what the viewport shows
 * (boxes found through the scene's grid, edges by bounding box), fills boxes in one path per colour, and writes
 * labels only when they are big enough to read. Far out, where the whole graph fits in a few pixels per node, it
 * draws a picture of the whole graph made once per layout instead. Pan with a drag, zoom with the wheel; the
 * minimap shows the viewport and moves it.
 */
import { BOX } from './hierarchy.js';
import { formatMetric, type Overlay, textOn } from './overlay.js';
import type { Scene } from './scene.js';
import type { Palette } from './theme.js';

export interface View {
  /** World coordinates of the canvas' top-left corner, and pixels per world unit. */
  x: number;
  y: number;
  scale: number;
}

export interface CanvasEvents {
  /** A click on a box or frame (its hierarchy item), or on nothing (-1). */
  select(item: number): void;
  /** A double click: expand or collapse, or open a subgraph. */
  activate(item: number): void;
  /** The view moved or zoomed (for saving state). */
  viewChanged(): void;
}

const MIN_SCALE = 1e-5;
const MAX_SCALE = 4;
/** Live drawing is used below this many boxes whatever the zoom. */
const LIVE_LIMIT = 3000;
const OVERVIEW_MAX_SIDE = 4096;
const OVERVIEW_MAX_PIXELS = 8e6;
const TITLE_FONT_SIZE = 12;
const SUBTITLE_FONT_SIZE = 10;

interface PaintOptions {
  labels: boolean;
  cull: boolean;
}

export class GraphCanvas {
  readonly canvas: HTMLCanvasElement;
  readonly minimap: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly miniCtx: CanvasRenderingContext2D;
  scene: Scene | undefined;
  palette: Palette;
  overlay: Overlay | undefined;
  view: View = { x: 0, y: 0, scale: 1 };
  /** Hierarchy items highlighted as selected and as search hits. */
  selected = -1;
  hits: ReadonlySet<number> = new Set();
  private overview: { canvas: HTMLCanvasElement; scale: number } | undefined;
  private miniBase: { canvas: HTMLCanvasElement; scale: number; ox: number; oy: number } | undefined;
  private pending = false;
  private width = 0;
  private height = 0;
  private dpr = 1;
  private labelCache = new Map<number, [string, string]>();
  /** Recent frames: when each was drawn and how long drawing took (ms). */
  readonly frameTimes: number[] = [];
  readonly drawDurations: number[] = [];
  private onFrame: (() => void)[] = [];

  constructor(
    host: HTMLElement,
    palette: Palette,
    private readonly events: CanvasEvents,
  ) {
    this.palette = palette;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'application');
    this.canvas.setAttribute('aria-roledescription', 'graph');
    this.minimap = document.createElement('canvas');
    this.minimap.className = 'minimap';
    this.minimap.setAttribute('aria-label', 'Minimap: click or drag to move the view');
    this.minimap.setAttribute('role', 'img');
    host.append(this.canvas, this.minimap);
    this.ctx = this.canvas.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;
    this.miniCtx = this.minimap.getContext('2d') as CanvasRenderingContext2D;
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    this.resize();
    this.attachInput();
  }

  /** Runs `fn` after the next frame has been drawn. */
  afterNextFrame(fn: () => void): void {
    this.onFrame.push(fn);
    this.requestDraw();
  }

  setScene(scene: Scene | undefined): void {
    this.scene = scene;
    this.labelCache.clear();
    this.invalidateImages();
  }

  setOverlay(overlay: Overlay | undefined): void {
    this.overlay = overlay;
    this.labelCache.clear();
    this.invalidateImages();
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.labelCache.clear();
    this.invalidateImages();
  }

  invalidateImages(): void {
    this.overview = undefined;
    this.miniBase = undefined;
    this.requestDraw();
  }

  requestDraw(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
      const callbacks = this.onFrame;
      this.onFrame = [];
      for (const fn of callbacks) fn();
    });
  }

  get size(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  private resize(): void {
    const r = this.canvas.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.width = Math.max(1, Math.round(r.width));
    this.height = Math.max(1, Math.round(r.height));
    this.canvas.width = Math.round(this.width * this.dpr);
    this.canvas.height = Math.round(this.height * this.dpr);
    const m = this.minimap.getBoundingClientRect();
    this.minimap.width = Math.max(1, Math.round(m.width * this.dpr));
    this.minimap.height = Math.max(1, Math.round(m.height * this.dpr));
    this.miniBase = undefined;
    this.requestDraw();
  }

  // -------------------------------------------------------------------------------------------------------------
  // View

  fit(): void {
    const s = this.scene;
    if (!s?.width || !s.height) return;
    const margin = 24;
    const scale = Math.min(
      1.25,
      Math.max(MIN_SCALE, Math.min((this.width - 2 * margin) / s.width, (this.height - 2 * margin) / s.height)),
    );
    this.view = {
      scale,
      x: s.width / 2 - this.width / 2 / scale,
      y: s.height / 2 - this.height / 2 / scale,
    };
    this.changed();
  }

  /**
   * The view a graph opens with: all of it when that is still readable, else its top (where the inputs are) at a
   * readable size, centred.
   */
  initialView(): void {
    const s = this.scene;
    if (!s) return;
    this.fit();
    if (this.view.scale >= 0.6) return;
    const scale = 0.9;
    this.view = { scale, x: s.width / 2 - this.width / 2 / scale, y: -24 / scale };
    this.changed();
  }

  setView(view: View): void {
    this.view = { ...view, scale: Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale)) };
    this.changed();
  }

  zoomAt(factor: number, sx = this.width / 2, sy = this.height / 2): void {
    const v = this.view;
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
    const wx = v.x + sx / v.scale;
    const wy = v.y + sy / v.scale;
    this.view = { scale, x: wx - sx / scale, y: wy - sy / scale };
    this.changed();
  }

  panBy(dx: number, dy: number): void {
    this.view = { ...this.view, x: this.view.x - dx / this.view.scale, y: this.view.y - dy / this.view.scale };
    this.changed();
  }

  /** Centres an item in view, zooming in to a readable size when the view is far out. */
  reveal(item: number): void {
    const s = this.scene;
    const k = s?.indexOf[item] ?? -1;
    if (!s || k < 0) return;
    const scale = Math.max(this.view.scale, 0.8);
    const cx = s.x[k] + s.w[k] / 2;
    const cy = s.y[k] + s.h[k] / 2;
    this.view = { scale, x: cx - this.width / 2 / scale, y: cy - this.height / 2 / scale };
    this.changed();
  }

  /** Screen rectangle of an item (for tests and focus rings); undefined when it is not in view. */
  screenBox(item: number): { x: number; y: number; w: number; h: number } | undefined {
    const s = this.scene;
    const k = s?.indexOf[item] ?? -1;
    if (!s || k < 0) return undefined;
    const v = this.view;
    return { x: (s.x[k] - v.x) * v.scale, y: (s.y[k] - v.y) * v.scale, w: s.w[k] * v.scale, h: s.h[k] * v.scale };
  }

  private changed(): void {
    this.requestDraw();
    this.events.viewChanged();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Input

  private attachInput(): void {
    const c = this.canvas;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        const delta = e.deltaMode === 1 ? e.deltaY * 33 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
        this.zoomAt(Math.exp(-delta * 0.0015), e.clientX - r.left, e.clientY - r.top);
      },
      { passive: false },
    );
    let drag: { x: number; y: number; moved: boolean; id: number } | undefined;
    c.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, moved: false, id: e.pointerId };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      drag.moved = true;
      drag.x = e.clientX;
      drag.y = e.clientY;
      this.panBy(dx, dy);
    });
    const end = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.id) return;
      const wasClick = !drag.moved && e.type === 'pointerup';
      drag = undefined;
      if (wasClick) this.events.select(this.itemAt(e.clientX, e.clientY));
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('dblclick', (e) => {
      const item = this.itemAt(e.clientX, e.clientY);
      if (item >= 0) this.events.activate(item);
    });

    const mini = this.minimap;
    let miniDrag = false;
    const moveTo = (e: PointerEvent) => {
      const b = this.miniBase;
      if (!b) return;
      const r = mini.getBoundingClientRect();
      const wx = ((e.clientX - r.left) * this.dpr - b.ox) / b.scale;
      const wy = ((e.clientY - r.top) * this.dpr - b.oy) / b.scale;
      const v = this.view;
      this.setView({ scale: v.scale, x: wx - this.width / 2 / v.scale, y: wy - this.height / 2 / v.scale });
    };
    mini.addEventListener('pointerdown', (e) => {
      miniDrag = true;
      mini.setPointerCapture(e.pointerId);
      moveTo(e);
    });
    mini.addEventListener('pointermove', (e) => {
      if (miniDrag) moveTo(e);
    });
    mini.addEventListener('pointerup', () => {
      miniDrag = false;
    });
  }

  /** The hierarchy item under a client point; -1 for none. */
  itemAt(clientX: number, clientY: number): number {
    const s = this.scene;
    if (!s) return -1;
    const r = this.canvas.getBoundingClientRect();
    const wx = this.view.x + (clientX - r.left) / this.view.scale;
    const wy = this.view.y + (clientY - r.top) / this.view.scale;
    const k = s.pick(wx, wy);
    return k < 0 ? -1 : s.items[k];
  }

  // -------------------------------------------------------------------------------------------------------------
  // Drawing

  private draw(): void {
    const started = performance.now();
    const ctx = this.ctx;
    const p = this.palette;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, this.width, this.height);
    const s = this.scene;
    if (s) {
      const v = this.view;
      const boxes = s.items.length - s.frames;
      const useOverview = boxes + s.edgeCount > LIVE_LIMIT && v.scale <= this.overviewScale();
      if (useOverview) {
        const o = this.ensureOverview();
        const f = v.scale / o.scale;
        ctx.imageSmoothingEnabled = true;
        ctx.drawImage(o.canvas, -v.x * v.scale, -v.y * v.scale, o.canvas.width * f, o.canvas.height * f);
      } else {
        ctx.setTransform(
          v.scale * this.dpr,
          0,
          0,
          v.scale * this.dpr,
          -v.x * v.scale * this.dpr,
          -v.y * v.scale * this.dpr,
        );
        this.paint(ctx, v, this.width, this.height, { labels: true, cull: true });
      }
      ctx.setTransform(
        v.scale * this.dpr,
        0,
        0,
        v.scale * this.dpr,
        -v.x * v.scale * this.dpr,
        -v.y * v.scale * this.dpr,
      );
      this.paintHighlights(ctx, v);
    }
    this.drawMinimap();
    const now = performance.now();
    this.frameTimes.push(now);
    this.drawDurations.push(now - started);
    if (this.frameTimes.length > 1000) {
      this.frameTimes.splice(0, 500);
      this.drawDurations.splice(0, 500);
    }
  }

  /**
   * The whole scene drawn on a fresh canvas (for PNG export): labels included, at up to `maxScale` and within
   * `maxPixels`, on the theme's background, the overlay's colours and no selection or search highlights.
   */
  renderImage(maxScale = 2, maxPixels = 32e6): HTMLCanvasElement | undefined {
    const s = this.scene;
    if (!s?.width || !s.height) return undefined;
    const margin = 16;
    const w = s.width + 2 * margin;
    const h = s.height + 2 * margin;
    const scale = Math.min(maxScale, Math.sqrt(maxPixels / (w * h)), 16384 / w, 16384 / h);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.ceil(w * scale));
    canvas.height = Math.max(1, Math.ceil(h * scale));
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.fillStyle = this.palette.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(scale, 0, 0, scale, margin * scale, margin * scale);
    const saved = this.labelCache;
    this.labelCache = new Map();
    this.paint(ctx, { x: -margin, y: -margin, scale }, canvas.width, canvas.height, { labels: true, cull: false });
    this.labelCache = saved;
    return canvas;
  }

  /** The largest scale the whole-graph picture can be drawn at within its pixel budget. */
  private overviewScale(): number {
    const s = this.scene;
    if (!s) return 0;
    const w = Math.max(1, s.width);
    const h = Math.max(1, s.height);
    return Math.min(1, OVERVIEW_MAX_SIDE / w, OVERVIEW_MAX_SIDE / h, Math.sqrt(OVERVIEW_MAX_PIXELS / (w * h)));
  }

  private ensureOverview(): { canvas: HTMLCanvasElement; scale: number } {
    const s = this.scene as Scene;
    if (this.overview) return this.overview;
    const scale = this.overviewScale();
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.ceil(s.width * scale));
    canvas.height = Math.max(1, Math.ceil(s.height * scale));
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.fillStyle = this.palette.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    this.paint(ctx, { x: 0, y: 0, scale }, canvas.width, canvas.height, { labels: false, cull: false });
    this.overview = { canvas, scale };
    return this.overview;
  }

  /** Draws the scene in world coordinates (the context's transform maps them to pixels). */
  private paint(ctx: CanvasRenderingContext2D, v: View, width: number, height: number, o: PaintOptions): void {
    const s = this.scene as Scene;
    const p = this.palette;
    const hier = s.hierarchy;
    const minX = v.x;
    const minY = v.y;
    const maxX = v.x + width / v.scale;
    const maxY = v.y + height / v.scale;
    const px = 1 / v.scale;
    const line = p.lineWidth * px;
    const readable = o.labels && v.scale * TITLE_FONT_SIZE >= 6.5;
    const inRect = (k: number) =>
      !o.cull || (s.x[k] <= maxX && s.x[k] + s.w[k] >= minX && s.y[k] <= maxY && s.y[k] + s.h[k] >= minY);

    // Frames of expanded containers, outermost first.
    for (let k = 0; k < s.frames; k++) {
      if (!inRect(k)) continue;
      const item = s.items[k];
      ctx.fillStyle = p.frameFill;
      ctx.fillRect(s.x[k], s.y[k], s.w[k], s.h[k]);
      ctx.strokeStyle = p.frameBorder;
      ctx.lineWidth = line;
      ctx.strokeRect(s.x[k], s.y[k], s.w[k], s.h[k]);
      if (readable && s.w[k] * v.scale > 30) {
        ctx.fillStyle = p.muted;
        ctx.font = `600 ${TITLE_FONT_SIZE}px ${p.fontFamily}`;
        ctx.fillText(
          `▾ ${this.fit1(hier.title[item], s.w[k] - 2 * BOX.padX - 14, ctx)}`,
          s.x[k] + BOX.padX,
          s.y[k] + 16,
        );
      }
    }

    // Edges.
    const visible: number[] = [];
    for (let e = 0; e < s.edgeCount; e++) {
      const b = 4 * e;
      if (
        o.cull &&
        (s.edgeBox[b] > maxX || s.edgeBox[b + 2] < minX || s.edgeBox[b + 1] > maxY || s.edgeBox[b + 3] < minY)
      ) {
        continue;
      }
      visible.push(e);
    }
    ctx.strokeStyle = p.edge;
    ctx.lineWidth = Math.max(line, 1.2 * px * p.lineWidth);
    ctx.beginPath();
    const pts = s.edgePoints;
    for (const e of visible) {
      const a = s.edgeStart[e];
      const z = s.edgeStart[e + 1];
      ctx.moveTo(pts[a], pts[a + 1]);
      if (s.edgeCurved[e]) ctx.bezierCurveTo(pts[a + 2], pts[a + 3], pts[a + 4], pts[a + 5], pts[a + 6], pts[a + 7]);
      else for (let i = a + 2; i < z; i += 2) ctx.lineTo(pts[i], pts[i + 1]);
    }
    ctx.stroke();
    if (v.scale >= 0.35) {
      // Arrowheads, pointing along the last segment.
      ctx.fillStyle = p.edge;
      ctx.beginPath();
      for (const e of visible) {
        const z = s.edgeStart[e + 1];
        const x1 = pts[z - 2];
        const y1 = pts[z - 1];
        let dx = x1 - pts[z - 4];
        let dy = y1 - pts[z - 3];
        const len = Math.hypot(dx, dy) || 1;
        dx /= len;
        dy /= len;
        ctx.moveTo(x1, y1);
        ctx.lineTo(x1 - 7 * dx + 3.5 * dy, y1 - 7 * dy - 3.5 * dx);
        ctx.lineTo(x1 - 7 * dx - 3.5 * dy, y1 - 7 * dy + 3.5 * dx);
        ctx.closePath();
      }
      ctx.fill();
    }

    // Boxes: one path per fill colour, one per outline style.
    const boxes = o.cull ? s.boxesIn(minX, minY, maxX, maxY) : this.allBoxes(s);
    const byFill = new Map<string, number[]>();
    const overlay = this.overlay;
    for (const k of boxes) {
      const item = s.items[k];
      const fill = overlay?.fill[item] ?? this.baseFill(item);
      const list = byFill.get(fill);
      if (list) list.push(k);
      else byFill.set(fill, [k]);
    }
    for (const [fill, list] of byFill) {
      ctx.fillStyle = fill;
      ctx.beginPath();
      for (const k of list) ctx.rect(s.x[k], s.y[k], s.w[k], s.h[k]);
      ctx.fill();
    }
    if (v.scale * BOX.height >= 3) {
      ctx.lineWidth = line;
      ctx.strokeStyle = p.nodeBorder;
      ctx.beginPath();
      for (const k of boxes) if (!hier.isContainer(s.items[k])) ctx.rect(s.x[k], s.y[k], s.w[k], s.h[k]);
      ctx.stroke();
      // Collapsed containers: a double outline says "there is more inside".
      ctx.strokeStyle = p.scopeBorder;
      ctx.lineWidth = line * 1.5;
      ctx.beginPath();
      for (const k of boxes) {
        if (!hier.isContainer(s.items[k])) continue;
        ctx.rect(s.x[k], s.y[k], s.w[k], s.h[k]);
        ctx.rect(s.x[k] + 3, s.y[k] + 3, s.w[k] - 6, s.h[k] - 6);
      }
      ctx.stroke();
    }
    if (readable) {
      const titleFont = `600 ${TITLE_FONT_SIZE}px ${p.fontFamily}`;
      const subFont = `${SUBTITLE_FONT_SIZE}px ${p.fontFamily}`;
      const showSub = v.scale * SUBTITLE_FONT_SIZE >= 6.5;
      ctx.textBaseline = 'alphabetic';
      for (const k of boxes) {
        const item = s.items[k];
        const fill = overlay?.fill[item];
        const [title, sub] = this.labels(item, s.w[k], ctx, titleFont, subFont);
        ctx.fillStyle = fill ? textOn(fill) : p.foreground;
        ctx.font = titleFont;
        ctx.fillText(title, s.x[k] + BOX.padX, s.y[k] + (showSub ? 15 : s.h[k] / 2 + 4));
        if (showSub && sub) {
          ctx.fillStyle = fill ? textOn(fill) : p.muted;
          ctx.font = subFont;
          ctx.fillText(sub, s.x[k] + BOX.padX, s.y[k] + 29);
        }
      }
    }
  }

  private allBoxes(s: Scene): number[] {
    const out: number[] = [];
    for (let k = s.frames; k < s.items.length; k++) out.push(k);
    return out;
  }

  private baseFill(item: number): string {
    const s = this.scene as Scene;
    const kind = s.hierarchy.kind[item];
    if (kind === 'scope' || kind === 'range') return this.palette.scopeFill;
    if (kind === 'input' || kind === 'output') return this.palette.ioFill;
    return this.palette.nodeFill;
  }

  /** Title and subtitle cut to fit the box (with the metric value under an overlay). */
  private labels(
    item: number,
    width: number,
    ctx: CanvasRenderingContext2D,
    titleFont: string,
    subFont: string,
  ): [string, string] {
    const cached = this.labelCache.get(item);
    if (cached) return cached;
    const hier = (this.scene as Scene).hierarchy;
    const room = width - 2 * BOX.padX;
    ctx.font = titleFont;
    const title = this.fit1(hier.title[item], room, ctx);
    ctx.font = subFont;
    const o = this.overlay;
    let sub = hier.subtitle[item];
    if (o && o.metric.kind === 'numeric')
      sub = `${formatMetric(o.value[item], o.metric.unit)}${sub ? ` · ${sub}` : ''}`;
    else if (o && o.metric.kind === 'category' && !Number.isNaN(o.value[item])) {
      sub = `${o.metric.categories[o.value[item]] ?? '?'}${sub ? ` · ${sub}` : ''}`;
    }
    const out: [string, string] = [title, this.fit1(sub, room, ctx)];
    this.labelCache.set(item, out);
    return out;
  }

  private fit1(text: string, room: number, ctx: CanvasRenderingContext2D): string {
    if (ctx.measureText(text).width <= room + 0.5) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(`${text.slice(0, mid)}…`).width <= room) lo = mid;
      else hi = mid - 1;
    }
    return `${text.slice(0, lo)}…`;
  }

  private paintHighlights(ctx: CanvasRenderingContext2D, v: View): void {
    const s = this.scene as Scene;
    const p = this.palette;
    const px = 1 / v.scale;
    // At least a few pixels, so that hits stay visible when zoomed far out.
    const grow = (k: number, min: number): [number, number, number, number] => {
      const w = Math.max(s.w[k], min * px);
      const h = Math.max(s.h[k], min * px);
      return [s.x[k] + s.w[k] / 2 - w / 2, s.y[k] + s.h[k] / 2 - h / 2, w, h];
    };
    if (this.hits.size) {
      ctx.fillStyle = p.searchHit;
      ctx.strokeStyle = p.searchHit;
      ctx.lineWidth = 2 * px;
      ctx.beginPath();
      for (const item of this.hits) {
        const k = s.indexOf[s.standIn[item] >= 0 ? s.standIn[item] : item];
        if (k < 0 || s.frame[k]) continue;
        ctx.rect(...grow(k, 6));
      }
      ctx.fill();
      ctx.stroke();
    }
    if (this.selected >= 0) {
      const k = s.indexOf[this.selected];
      if (k >= 0) {
        ctx.strokeStyle = p.selection;
        ctx.lineWidth = Math.max(2.5, 2 * p.lineWidth) * px;
        const [x, y, w, h] = grow(k, 8);
        ctx.strokeRect(x - 2 * px, y - 2 * px, w + 4 * px, h + 4 * px);
      }
    }
  }

  private drawMinimap(): void {
    const m = this.miniCtx;
    const mw = this.minimap.width;
    const mh = this.minimap.height;
    const s = this.scene;
    m.setTransform(1, 0, 0, 1, 0, 0);
    m.clearRect(0, 0, mw, mh);
    if (!s?.width || !s.height || mw < 2) return;
    if (!this.miniBase) {
      const scale = Math.min((mw - 8) / s.width, (mh - 8) / s.height);
      const ox = (mw - s.width * scale) / 2;
      const oy = (mh - s.height * scale) / 2;
      const canvas = document.createElement('canvas');
      canvas.width = mw;
      canvas.height = mh;
      const c = canvas.getContext('2d') as CanvasRenderingContext2D;
      c.fillStyle = this.palette.background;
      c.fillRect(0, 0, mw, mh);
      c.fillStyle = this.palette.muted;
      // Boxes only, at least one device pixel each.
      const min = 1 / scale;
      c.setTransform(scale, 0, 0, scale, ox, oy);
      c.beginPath();
      for (let k = s.frames; k < s.items.length; k++) {
        c.rect(s.x[k], s.y[k], Math.max(s.w[k], min), Math.max(s.h[k], min));
      }
      c.fill();
      this.miniBase = { canvas, scale, ox, oy };
    }
    const b = this.miniBase;
    m.drawImage(b.canvas, 0, 0);
    const v = this.view;
    m.strokeStyle = this.palette.selection;
    m.lineWidth = 2;
    m.strokeRect(
      b.ox + v.x * b.scale,
      b.oy + v.y * b.scale,
      Math.max(2, (this.width / v.scale) * b.scale),
      Math.max(2, (this.height / v.scale) * b.scale),
    );
  }
}
