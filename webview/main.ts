/**
 * The model webview: the graph (laid out in a worker, drawn on a canvas) with search, overlays and a side panel
 * that shows the selection's details and the model's summary; under the graph the profiling panel (layers table,
 * memory, charts, diagnostics) for the target picked in the toolbar. Every string that comes from a model is set
 * with textContent or drawn on the canvas, never parsed as HTML.
 */
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { EstimateView } from '../src/core/report/estimateView.js';
import type { GraphModel, MetricInfo } from '../src/core/report/graphModel.js';
import type { ModelSummary } from '../src/core/report/summary.js';
import {
  assertNever,
  type HostMessage,
  type ImageFormat,
  type RenderTimings,
  type TargetChoice,
  type WebviewMessage,
} from '../src/protocol.js';
import { renderDetails, type WeightStatsEntry } from './details.js';
import { button, el } from './dom.js';
import { sceneToSvg } from './graph/exportImage.js';
import { GraphCanvas, type View } from './graph/graphCanvas.js';
import { formatCount, Hierarchy } from './graph/hierarchy.js';
import { handleGraphKey } from './graph/keyboard.js';
import { LayoutClient } from './graph/layoutClient.js';
import type { ContainerLayout } from './graph/layoutProtocol.js';
import { buildOverlay, CATEGORY_COLORS, formatMetric, itemValues, type Overlay, rampColor } from './graph/overlay.js';
import { Scene } from './graph/scene.js';
import { SearchIndex } from './graph/search.js';
import { textWidths } from './graph/textWidths.js';
import { readPalette, watchTheme } from './graph/theme.js';
import { ProfilePanel } from './profile/profilePanel.js';
import { type GraphViewState, readState, type SavedState } from './state.js';
import { renderSummary } from './summaryView.js';

declare function acquireVsCodeApi(): {
  postMessage(msg: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
};

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

/** Boxes that "expand all" may put in view before it asks for a narrower selection. */
const EXPAND_ALL_LIMIT = 60_000;

interface OpenGraph {
  id: number;
  hier: Hierarchy;
  expanded: Set<number>;
  layouts: Map<number, ContainerLayout>;
  scene?: Scene;
  search?: SearchIndex;
  selected: number;
  view?: View;
  /** The view to restore once laid out (from saved state), else fit. */
  pendingView?: View;
}

class App {
  private fileName = '';
  private summary: ModelSummary | undefined;
  private model: GraphModel | undefined;
  private readonly graphs = new Map<number, OpenGraph>();
  private current: OpenGraph | undefined;
  private canvas: GraphCanvas | undefined;
  private readonly layoutClient: LayoutClient;
  private overlayKey: string | null = null;
  private overlay: Overlay | undefined;
  private hits: number[] = [];
  private hitCursor = -1;
  private panelOpen = true;
  private saved: SavedState | undefined;
  private received = 0;
  private indexMs = 0;
  private firstPaintPending = false;
  private layoutSeq = 0;
  private layoutsRunning = 0;
  private saveTimer: number | undefined;
  private lastTimings: RenderTimings | undefined;
  private estimate: EstimateView | undefined;
  private targets: TargetChoice[] = [];
  private profileOpen = true;
  /** The profiling panel's share of the column's height, in percent. */
  private profileHeight = 42;
  /** `metrics` columns that came before the graph. */
  private pendingMetrics: Extract<HostMessage, { type: 'metrics' }>[] = [];
  /** Weight statistics by `graph:tensor`. */
  private readonly weightStats = new Map<string, WeightStatsEntry>();
  private lastSelected = '';

  // DOM
  private readonly toolbar = el('div', undefined, 'toolbar');
  private readonly crumbs = el('nav', undefined, 'crumbs');
  private readonly searchInput = el('input');
  private readonly searchCount = el('span', '', 'search-count');
  private readonly overlaySelect = el('select');
  private readonly panelToggle = button('Details', () => this.setPanel(!this.panelOpen), { cls: 'toggle' });
  private readonly graphArea = el('div', undefined, 'graph-area');
  private readonly status = el('div', 'Waiting for the graph…', 'status');
  private readonly legend = el('div', undefined, 'legend');
  private readonly panel = el('aside', undefined, 'panel');
  private readonly details = el('section', undefined, 'details');
  private readonly summaryEl = el('section', undefined, 'summary');
  private readonly announcer = el('div', '', 'visually-hidden');
  private readonly mainColumn = el('div', undefined, 'main-column');
  private readonly splitter = el('div', undefined, 'splitter');
  private readonly profileToggle = button('Profile', () => this.setProfileOpen(!this.profileOpen), { cls: 'toggle' });
  private readonly targetSelect = document.createElement('vscode-single-select') as HTMLElement & {
    value: string;
    label: string;
  };
  private readonly progress = el('div', undefined, 'progress');
  private readonly progressText = el('span', '', 'progress-text');
  private readonly profile = new ProfilePanel({
    pick: (node) => this.revealNode(0, node),
    revealNodes: (nodes) => this.revealNodes(nodes),
    applyFix: (fix, nodes) => vscode.postMessage({ type: 'applyFix', fix, nodes }),
    exportReport: (format) => vscode.postMessage({ type: 'exportReport', format }),
    runCommand: (command) => vscode.postMessage({ type: 'runCommand', command }),
    stateChanged: () => this.save(),
  });

  constructor() {
    // Started at once, so that the worker has loaded ELK by the time the graph arrives.
    this.layoutClient = new LayoutClient();
    this.layoutClient.onProgress = (done, total) => {
      this.status.textContent = `Laying out… ${Math.round((100 * done) / total)}%`;
    };
    window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
      // Before reading `data`: reading it is when the browser deserializes the message.
      const arrived = performance.now();
      const msg = event.data;
      if (msg.type === 'graph') this.received = arrived;
      this.receive(msg);
    });
    watchTheme(() => {
      this.canvas?.setPalette(readPalette());
      this.updateLegend();
    });
  }

  private receive(msg: HostMessage): void {
    switch (msg.type) {
      case 'summary':
        this.fileName = msg.fileName;
        this.summary = msg.summary;
        this.saved = readState(vscode.getState(), msg.fileName);
        this.buildShell();
        renderSummarySection(this.summaryEl, msg.fileName, msg.summary);
        break;
      case 'graph':
        performance.mark('emp:graph-received', { startTime: this.received });
        this.fileName = msg.fileName;
        this.saved ??= readState(vscode.getState(), msg.fileName);
        this.buildShell();
        this.setModel(msg.graph);
        break;
      case 'graphError':
        this.buildShell();
        this.status.textContent = `The graph could not be built: ${msg.message}`;
        this.status.classList.add('error');
        break;
      case 'metrics':
        if (this.model) this.addMetric(msg.graph, msg.metric, msg.values);
        else this.pendingMetrics.push(msg);
        break;
      case 'error':
        app.replaceChildren(el('h1', msg.fileName), el('p', msg.message, 'error'));
        break;
      case 'progress':
        this.showProgress(msg.stage, msg.fraction, msg.done === true);
        break;
      case 'targets':
        this.buildShell();
        this.setTargets(msg.targets, msg.current);
        break;
      case 'estimate':
        this.estimate = msg.estimate;
        this.profile.setEstimate(msg.estimate);
        this.updateLegend();
        if (this.targets.some((t) => t.id === msg.estimate.target.id)) this.selectTargetOption(msg.estimate.target.id);
        this.showDetails();
        break;
      case 'estimateError':
        this.estimate = undefined;
        this.profile.setEstimateError(msg.targetId, msg.message);
        this.removeMetrics(msg.staleMetrics);
        this.showDetails();
        break;
      case 'weightStats':
        this.weightStats.set(
          `${msg.graph}:${msg.tensor}`,
          msg.error !== undefined
            ? { pending: false, stats: msg.stats, error: msg.error }
            : { pending: false, stats: msg.stats },
        );
        if (this.current?.id === msg.graph) this.showDetails();
        break;
      case 'reveal':
        this.revealNode(msg.graph, msg.node);
        break;
      case 'exportGraph':
        void this.exportGraph(msg.format, msg.requestId);
        break;
      default:
        assertNever(msg);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Shell

  private shellBuilt = false;

  private buildShell(): void {
    if (this.shellBuilt) return;
    this.shellBuilt = true;
    this.toolbar.setAttribute('role', 'toolbar');
    this.toolbar.setAttribute('aria-label', 'Graph tools');
    this.crumbs.setAttribute('aria-label', 'Graphs');

    const search = el('div', undefined, 'search');
    this.searchInput.type = 'search';
    this.searchInput.placeholder = 'Search name, op, tensor';
    this.searchInput.setAttribute('aria-label', 'Search nodes by name, op type or tensor name');
    this.searchInput.setAttribute('aria-keyshortcuts', 'Enter Shift+Enter F3');
    this.searchCount.setAttribute('aria-live', 'polite');
    let debounce: number | undefined;
    this.searchInput.addEventListener('input', () => {
      window.clearTimeout(debounce);
      debounce = window.setTimeout(() => this.runSearch(), 120);
    });
    this.searchInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === 'F3') {
        e.preventDefault();
        window.clearTimeout(debounce);
        if (this.hitsQuery !== this.searchInput.value) this.runSearch();
        this.stepHit(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.searchInput.value = '';
        this.runSearch();
        this.canvas?.canvas.focus();
      }
    });
    search.append(
      this.searchInput,
      this.searchCount,
      button('↑', () => this.stepHit(-1), { ariaLabel: 'Previous match' }),
      button('↓', () => this.stepHit(1), { ariaLabel: 'Next match' }),
    );

    this.overlaySelect.setAttribute('aria-label', 'Colour nodes by');
    this.overlaySelect.addEventListener('change', () => this.setOverlay(this.overlaySelect.value || null));

    this.panelToggle.setAttribute('aria-controls', 'emp-panel');
    this.panelToggle.setAttribute('aria-pressed', 'true');
    this.profileToggle.setAttribute('aria-controls', 'emp-profile');
    this.profileToggle.setAttribute('aria-pressed', 'true');
    this.profileToggle.setAttribute('aria-label', 'Show the profiling panel');

    this.targetSelect.label = 'Target';
    this.targetSelect.setAttribute('aria-label', 'Target');
    this.targetSelect.className = 'target-select';
    this.targetSelect.addEventListener('change', () => {
      const id = this.targetSelect.value;
      if (id && id !== this.estimate?.target.id) vscode.postMessage({ type: 'selectTarget', targetId: id });
    });
    const targetBox = this.labelled('Target', this.targetSelect);
    targetBox.classList.add('target');
    targetBox.hidden = true;

    const exports = el('div', undefined, 'exports');
    exports.append(
      el('span', 'Export', 'muted'),
      button('SVG', () => void this.exportGraph('svg'), { ariaLabel: 'Export the graph as SVG' }),
      button('PNG', () => void this.exportGraph('png'), { ariaLabel: 'Export the graph as PNG' }),
    );
    this.toolbar.append(
      this.crumbs,
      search,
      this.labelled('Colour', this.overlaySelect),
      targetBox,
      this.progress,
      button('Expand all', () => this.expandAll(), { ariaLabel: 'Expand all scopes' }),
      button('Collapse all', () => this.collapseAll(), { ariaLabel: 'Collapse all scopes' }),
      button('Fit', () => this.canvas?.fit(), { ariaLabel: 'Fit the graph to the view' }),
      exports,
      this.profileToggle,
      this.panelToggle,
    );

    this.panel.id = 'emp-panel';
    this.panel.setAttribute('aria-label', 'Details and model summary');
    this.details.setAttribute('aria-label', 'Selection');
    this.summaryEl.setAttribute('aria-label', 'Model summary');
    this.panel.append(this.details, this.summaryEl);
    this.status.setAttribute('role', 'status');
    this.legend.setAttribute('aria-label', 'Overlay legend');
    this.legend.hidden = true;
    this.announcer.setAttribute('aria-live', 'polite');
    this.graphArea.append(this.status, this.legend);

    this.profile.element.id = 'emp-profile';
    this.attachSplitter();
    this.mainColumn.append(this.graphArea, this.splitter, this.profile.element);
    const body = el('div', undefined, 'body');
    body.append(this.mainColumn, this.panel);
    app.replaceChildren(this.toolbar, body, this.announcer);
    app.removeAttribute('aria-live');

    if (this.saved) {
      this.searchInput.value = this.saved.query;
      this.setPanel(this.saved.panel);
      if (this.saved.profile) {
        this.profile.restore(this.saved.profile);
        this.setProfileOpen(this.saved.profile.open);
        this.setProfileHeight(this.saved.profile.height);
      }
    }
    document.addEventListener('keydown', (e) => {
      if (
        (e.key === 'f' && (e.ctrlKey || e.metaKey)) ||
        (e.key === '/' && document.activeElement === this.canvas?.canvas)
      ) {
        e.preventDefault();
        this.searchInput.focus();
        this.searchInput.select();
      } else if (e.key === 'F3') {
        e.preventDefault();
        this.stepHit(e.shiftKey ? -1 : 1);
      }
    });
  }

  private labelled(text: string, control: HTMLElement): HTMLLabelElement {
    const l = el('label', undefined, 'labelled');
    l.append(el('span', text), control);
    return l;
  }

  /** A separator between the graph and the profiling panel: drag it, or focus it and use the arrow keys. */
  private attachSplitter(): void {
    const sp = this.splitter;
    sp.setAttribute('role', 'separator');
    sp.setAttribute('aria-orientation', 'horizontal');
    sp.setAttribute('aria-controls', 'emp-profile');
    sp.setAttribute('aria-label', 'Resize the profiling panel');
    sp.setAttribute('aria-valuemin', '10');
    sp.setAttribute('aria-valuemax', '90');
    sp.tabIndex = 0;
    const fromPointer = (clientY: number) => {
      const r = this.mainColumn.getBoundingClientRect();
      if (r.height > 0) this.setProfileHeight((100 * (r.bottom - clientY)) / r.height);
    };
    sp.addEventListener('pointerdown', (e) => {
      sp.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    sp.addEventListener('pointermove', (e) => {
      if (sp.hasPointerCapture(e.pointerId)) fromPointer(e.clientY);
    });
    sp.addEventListener('keydown', (e) => {
      const step = { ArrowUp: 5, ArrowDown: -5, PageUp: 20, PageDown: -20 }[e.key];
      if (step !== undefined) this.setProfileHeight(this.profileHeight + step);
      else if (e.key === 'Home') this.setProfileHeight(90);
      else if (e.key === 'End') this.setProfileHeight(10);
      else return;
      e.preventDefault();
    });
    this.setProfileHeight(this.profileHeight, false);
  }

  private setProfileHeight(percent: number, save = true): void {
    this.profileHeight = Math.round(Math.min(90, Math.max(10, percent)));
    // Through the CSSOM: the CSP allows it (it forbids style attributes in markup, not style properties).
    this.profile.element.style.flexBasis = `${this.profileHeight}%`;
    this.splitter.setAttribute('aria-valuenow', String(this.profileHeight));
    if (save) this.save();
  }

  private setProfileOpen(open: boolean): void {
    this.profileOpen = open;
    this.profile.element.hidden = !open;
    this.splitter.hidden = !open;
    this.profileToggle.setAttribute('aria-pressed', String(open));
    this.save();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Targets, progress, estimates

  private setTargets(targets: TargetChoice[], current: string): void {
    this.targets = targets;
    const options = targets.map((t) => {
      const o = document.createElement('vscode-option') as HTMLElement & { value: string; description: string };
      o.value = t.id;
      o.textContent = `${t.name}${t.user ? ' (user)' : ''}`;
      o.description = `${t.kind}, ${t.accuracy}`;
      if (t.id === current) o.setAttribute('selected', '');
      return o;
    });
    this.targetSelect.replaceChildren(...options);
    (this.targetSelect.closest('.target') as HTMLElement).hidden = targets.length === 0;
    this.selectTargetOption(current);
  }

  private selectTargetOption(id: string): void {
    // The element reads its options when they are slotted: set the value once it has.
    queueMicrotask(() => {
      if (this.targetSelect.value !== id) this.targetSelect.value = id;
    });
  }

  private showProgress(stage: string, fraction: number | null, done: boolean): void {
    if (!this.progress.childElementCount) {
      const ring = document.createElement('vscode-progress-ring');
      ring.setAttribute('aria-label', 'Working');
      this.progressText.setAttribute('aria-live', 'polite');
      this.progress.setAttribute('role', 'status');
      this.progress.append(
        ring,
        this.progressText,
        button('Cancel', () => vscode.postMessage({ type: 'cancel' }), { ariaLabel: 'Cancel the running step' }),
      );
    }
    if (!this.shellBuilt && !done) app.replaceChildren(this.progress);
    this.progress.hidden = done;
    this.progressText.textContent = done
      ? ''
      : `${stage}${fraction === null ? '…' : ` ${Math.round(100 * Math.min(1, Math.max(0, fraction)))}%`}`;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Export

  /** Draws the current layout as SVG text or a PNG data URL and posts it (answering `requestId` if given). */
  private async exportGraph(format: ImageFormat, requestId?: number): Promise<void> {
    if (!this.current?.scene) await this.layoutClientIdle();
    const g = this.current;
    const canvas = this.canvas;
    let data = '';
    if (g?.scene && canvas) {
      const title = `${this.fileName} — ${g.hier.graph.name || (g.id === 0 ? 'main graph' : `graph ${g.id}`)}`;
      data =
        format === 'svg'
          ? sceneToSvg(g.scene, canvas.palette, this.overlay, title)
          : (canvas.renderImage()?.toDataURL('image/png') ?? '');
    }
    const msg: WebviewMessage =
      requestId === undefined ? { type: 'graphImage', format, data } : { type: 'graphImage', requestId, format, data };
    vscode.postMessage(msg);
    this.announcer.textContent = data ? `Graph exported as ${format.toUpperCase()}` : 'Nothing to export yet';
  }

  private setPanel(open: boolean): void {
    this.panelOpen = open;
    this.panel.hidden = !open;
    this.panelToggle.setAttribute('aria-pressed', String(open));
    this.save();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Model and graphs

  private setModel(model: GraphModel): void {
    this.model = model;
    this.graphs.clear();
    // Tensor indices belong to the graph they came with.
    this.weightStats.clear();
    this.refreshOverlayOptions();
    if (!this.canvas) {
      this.canvas = new GraphCanvas(this.graphArea, readPalette(), {
        select: (item) => this.select(item, false),
        activate: (item) => this.activate(item),
        viewChanged: () => {
          if (this.current && this.canvas) this.current.view = this.canvas.view;
          this.save();
        },
      });
      this.attachKeyboard(this.canvas.canvas);
      this.graphArea.append(this.legend);
    }
    const saved = this.saved;
    const start = saved && saved.graph < model.graphs.length ? saved.graph : 0;
    if (saved?.overlay && model.metrics.some((m) => m.key === saved.overlay)) {
      this.overlayKey = saved.overlay;
      this.overlaySelect.value = saved.overlay;
    }
    this.firstPaintPending = true;
    void this.openGraph(start, true);
    this.profile.setModel(model);
    const queued = this.pendingMetrics;
    this.pendingMetrics = [];
    for (const m of queued) this.addMetric(m.graph, m.metric, m.values);
  }

  private graphState(id: number): OpenGraph {
    let g = this.graphs.get(id);
    if (g) return g;
    const model = this.model as GraphModel;
    const started = performance.now();
    const palette = this.canvas?.palette ?? readPalette();
    const hier = new Hierarchy(model.graphs[id], textWidths(palette.fontFamily));
    const saved: GraphViewState | undefined = this.saved?.graphs[String(id)];
    const valid = (i: number) => Number.isInteger(i) && i >= 0 && i < hier.kind.length;
    const expanded = saved
      ? new Set(saved.expanded.filter((i) => valid(i) && hier.isContainer(i)))
      : hier.defaultExpansion();
    g = {
      id,
      hier,
      expanded,
      layouts: new Map(),
      selected: saved && valid(saved.selected) ? saved.selected : -1,
      ...(saved?.view ? { pendingView: saved.view } : {}),
    };
    this.graphs.set(id, g);
    this.indexMs = performance.now() - started;
    performance.mark('emp:hierarchy-built');
    return g;
  }

  private openGraph(id: number, first = false): Promise<void> {
    const g = this.graphState(id);
    this.current = g;
    if (!first) this.firstPaintPending = false;
    this.renderCrumbs();
    this.hits = [];
    this.hitCursor = -1;
    if (this.searchInput.value) this.runSearch(false);
    else this.updateSearchCount();
    const done = this.relayout();
    this.save();
    return done;
  }

  private renderCrumbs(): void {
    const model = this.model as GraphModel;
    const chain: { graph: number; label: string }[] = [];
    for (let id: number | undefined = this.current?.id; id !== undefined; ) {
      const g = model.graphs[id];
      const label = g.parent
        ? `${model.graphs[g.parent.graph].nodes[g.parent.node].name} › ${g.parent.attribute}`
        : g.name || 'main graph';
      chain.unshift({ graph: id, label });
      id = g.parent?.graph;
    }
    this.crumbs.replaceChildren();
    chain.forEach((c, i) => {
      if (i) this.crumbs.append(el('span', '/', 'sep'));
      const b = button(c.label, () => void this.openGraph(c.graph), { cls: 'crumb' });
      if (i === chain.length - 1) b.setAttribute('aria-current', 'page');
      this.crumbs.append(b);
    });
  }

  /** Lays out what is expanded now, then draws it; resolves when drawn (or replaced by a newer layout). */
  private async relayout(): Promise<void> {
    this.layoutsRunning++;
    try {
      await this.relayoutNow();
    } finally {
      this.layoutsRunning--;
    }
  }

  private async relayoutNow(): Promise<void> {
    const g = this.current;
    const client = this.layoutClient;
    if (!g || !client) return;
    const seq = ++this.layoutSeq;
    this.status.textContent = 'Laying out…';
    this.status.hidden = false;
    let result: Awaited<ReturnType<LayoutClient['layout']>>;
    try {
      result = await client.layout(`${this.fileName}#${g.id}`, g.hier, g.expanded);
    } catch (err) {
      this.status.textContent = `Layout failed: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    if (!result || seq !== this.layoutSeq || this.current !== g) return;
    performance.mark('emp:layout-received');
    g.layouts = result.layouts;
    g.scene = new Scene(g.hier, g.expanded, g.layouts);
    performance.mark('emp:scene-built');
    const canvas = this.canvas as GraphCanvas;
    canvas.setScene(g.scene);
    canvas.selected = g.selected;
    this.applyOverlay();
    this.applyHits();
    if (g.pendingView) {
      canvas.setView(g.pendingView);
      g.pendingView = undefined;
    } else if (!g.view) canvas.initialView();
    else canvas.setView(g.view);
    this.updateStatus();
    this.showDetails();
    const first = this.firstPaintPending;
    this.firstPaintPending = false;
    const layoutMs = result.ms;
    canvas.afterNextFrame(() => {
      const timings: RenderTimings = {
        indexMs: this.indexMs,
        layoutMs,
        paintMs: performance.now() - this.received,
      };
      if (first) performance.mark('emp:first-paint');
      this.lastTimings = timings;
      const scene = g.scene as Scene;
      vscode.postMessage({
        type: 'rendered',
        graph: g.id,
        items: scene.items.length - scene.frames,
        opNodes: scene.opNodes,
        first,
        timings,
      });
    });
  }

  private updateStatus(): void {
    const g = this.current;
    const s = g?.scene;
    if (!g || !s) return;
    const total = g.hier.opCount[g.hier.root];
    this.status.textContent = `${formatCount(s.opNodes)} of ${formatCount(total)} nodes shown, ${formatCount(s.items.length - s.frames)} boxes`;
    (this.canvas as GraphCanvas).canvas.setAttribute(
      'aria-label',
      `Graph ${g.hier.graph.name || ''}: ${s.opNodes} of ${total} nodes shown. Arrow keys move the selection, ` +
        'Enter expands or collapses a scope or opens a subgraph, plus and minus zoom, 0 fits the graph.',
    );
  }

  private setExpanded(item: number, open: boolean): void {
    const g = this.current;
    if (!g?.hier.isContainer(item)) return;
    if (open) g.expanded.add(item);
    else {
      g.expanded.delete(item);
      // Collapsing hides what was inside: keep the selection on the container.
      if (g.selected >= 0 && g.hier.ancestors(g.selected).includes(item)) g.selected = item;
    }
    void this.relayout();
    this.save();
  }

  private expandAll(): void {
    const g = this.current;
    if (!g) return;
    const all = g.hier.allContainers();
    if (all.boxes > EXPAND_ALL_LIMIT) {
      this.status.textContent = `Expanding everything would show ${formatCount(all.boxes)} boxes; expand scopes one at a time.`;
      return;
    }
    g.expanded = all.expanded;
    g.view = undefined;
    void this.relayout();
    this.save();
  }

  private collapseAll(): void {
    const g = this.current;
    if (!g) return;
    g.expanded = new Set();
    g.view = undefined;
    if (g.selected >= 0 && g.hier.parent[g.selected] !== g.hier.root) g.selected = -1;
    void this.relayout();
    this.save();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Selection and keyboard

  private select(item: number, reveal: boolean): void {
    const g = this.current;
    if (!g) return;
    g.selected = item;
    const canvas = this.canvas as GraphCanvas;
    canvas.selected = item;
    canvas.requestDraw();
    if (reveal && item >= 0) {
      const box = canvas.screenBox(item);
      const { width, height } = canvas.size;
      if (!box || box.x < 0 || box.y < 0 || box.x + box.w > width || box.y + box.h > height || box.h < 8) {
        canvas.reveal(item);
      }
    }
    this.showDetails();
    if (item >= 0) {
      const h = g.hier;
      const what = h.isContainer(item)
        ? `scope ${h.title[item]}, ${h.opCount[item]} nodes`
        : `${h.title[item]} ${h.graph.nodes[item].name}`;
      this.announcer.textContent = `Selected ${what}`;
    }
    this.syncSelection();
    this.save();
  }

  /** The profiling table follows the graph's selection, and the host learns which layer is selected. */
  private syncSelection(): void {
    const g = this.current;
    if (!g) return;
    const item = g.selected;
    const node = item >= 0 && item < g.hier.nodeCount && g.hier.graph.nodes[item]?.kind === 'op' ? item : -1;
    if (g.id === 0) this.profile.setSelectedNode(node, true);
    const key = `${g.id}:${node}`;
    if (key !== this.lastSelected) {
      this.lastSelected = key;
      vscode.postMessage({ type: 'selected', graph: g.id, node });
    }
  }

  /** Opens the graph, expands the scopes around the node, selects it and brings it into view. */
  private revealNode(graph: number, node: number): void {
    if (!this.model?.graphs[graph] || !this.canvas) return;
    const g = this.graphState(graph);
    if (!Number.isInteger(node) || node < 0 || node >= g.hier.nodeCount) return;
    const closed = g.hier.ancestors(node).filter((c) => !g.expanded.has(c));
    for (const c of closed) g.expanded.add(c);
    g.selected = node;
    let done: Promise<void> | undefined;
    if (this.current !== g) done = this.openGraph(graph);
    else if (closed.length) done = this.relayout();
    if (done) {
      void done.then(() => {
        if (this.current === g) this.select(node, true);
      });
    } else this.select(node, true);
  }

  /** A diagnostic's layers: the first revealed, all of them marked as hits to step through. */
  private revealNodes(nodes: number[]): void {
    if (!nodes.length) return;
    this.revealNode(0, nodes[0]);
    this.hits = [...nodes];
    this.hitCursor = 0;
    this.hitsQuery = this.searchInput.value;
    this.applyHits();
    this.searchCount.textContent = `layer 1 of ${formatCount(nodes.length)}`;
  }

  private showDetails(): void {
    const g = this.current;
    if (!g || !this.model) return;
    renderDetails(this.details, this.model, g.hier, g.selected, g.expanded.has(g.selected), {
      openGraph: (id) => void this.openGraph(id),
      toggle: (item) => this.setExpanded(item, !g.expanded.has(item)),
      weightStats: (tensor) => this.weightStats.get(`${g.id}:${tensor}`),
      requestWeightStats: (tensor) => {
        this.weightStats.set(`${g.id}:${tensor}`, { pending: true });
        vscode.postMessage({ type: 'requestWeightStats', graph: g.id, tensor });
        this.showDetails();
      },
      layerEstimate: (item) => {
        const e = this.estimate;
        const layer = e?.layers.find((l) => l.node === item);
        return e && layer ? { layer, label: `Estimate for ${e.target.name} — ${e.target.accuracy}` } : undefined;
      },
    });
  }

  private activate(item: number): void {
    const g = this.current;
    if (!g || item < 0) return;
    if (g.hier.isContainer(item)) {
      g.selected = item;
      this.setExpanded(item, !g.expanded.has(item));
      return;
    }
    const sub = g.hier.graph.nodes[item]?.subgraphs?.[0];
    if (sub) void this.openGraph(sub.graph);
  }

  private attachKeyboard(target: HTMLCanvasElement): void {
    target.addEventListener('keydown', (e) => {
      const g = this.current;
      const canvas = this.canvas;
      if (!g || !canvas) return;
      const handled = handleGraphKey(e, {
        hier: g.hier,
        scene: g.scene,
        selected: g.selected,
        view: canvas,
        select: (item, reveal) => this.select(item, reveal),
        activate: (item) => this.activate(item),
        back: () => {
          const parent = g.hier.graph.parent;
          if (parent) void this.openGraph(parent.graph);
        },
      });
      if (handled) e.preventDefault();
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Search

  private hitsQuery = '';

  private runSearch(moveToFirst = false): void {
    const g = this.current;
    if (!g) return;
    const q = this.searchInput.value;
    this.hitsQuery = q;
    g.search ??= new SearchIndex(g.hier.graph);
    this.hits = g.search.find(q);
    this.hitCursor = -1;
    this.applyHits();
    this.updateSearchCount();
    if (moveToFirst && this.hits.length) this.stepHit(1);
    this.save();
  }

  private updateSearchCount(): void {
    const q = this.searchInput.value.trim();
    this.searchCount.textContent = !q
      ? ''
      : this.hits.length
        ? `${this.hitCursor >= 0 ? this.hitCursor + 1 : 0} of ${formatCount(this.hits.length)}`
        : 'no matches';
  }

  private applyHits(): void {
    if (!this.canvas) return;
    this.canvas.hits = new Set(this.hits);
    this.canvas.requestDraw();
  }

  /** Moves to the next (or previous) hit: expands the scopes it is in, then selects and centres it. */
  private stepHit(dir: 1 | -1): void {
    const g = this.current;
    if (!g || !this.hits.length) return;
    this.hitCursor = (this.hitCursor + dir + this.hits.length) % this.hits.length;
    this.updateSearchCount();
    const node = this.hits[this.hitCursor];
    const closed = g.hier.ancestors(node).filter((c) => !g.expanded.has(c));
    g.selected = node;
    if (closed.length) {
      for (const c of closed) g.expanded.add(c);
      void this.relayout().then(() => this.select(node, true));
    } else this.select(node, true);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Overlays

  private refreshOverlayOptions(): void {
    const model = this.model;
    if (!model) return;
    const none = el('option', 'None');
    none.value = '';
    const options = [none];
    for (const m of model.metrics) {
      const o = el('option', m.label);
      o.value = m.key;
      options.push(o);
    }
    this.overlaySelect.replaceChildren(...options);
    // A chosen metric that is gone for now (a failed estimate) shows as None until it is back.
    this.overlaySelect.value = model.metrics.some((m) => m.key === this.overlayKey) ? (this.overlayKey ?? '') : '';
  }

  private setOverlay(key: string | null): void {
    this.overlayKey = key;
    this.applyOverlay();
    this.save();
  }

  private applyOverlay(): void {
    const g = this.current;
    const canvas = this.canvas;
    const model = this.model;
    if (!g || !canvas || !model || !g.scene) return;
    const index = model.metrics.findIndex((m) => m.key === this.overlayKey);
    if (index < 0) {
      this.overlay = undefined;
    } else {
      const metric = model.metrics[index];
      const values = itemValues(
        g.hier,
        g.hier.graph.nodes.map((n) => n.metrics[index] ?? null),
        metric,
      );
      this.overlay = buildOverlay(g.hier, metric, values, g.scene.items.slice(g.scene.frames));
    }
    canvas.setOverlay(this.overlay);
    this.updateLegend();
  }

  private updateLegend(): void {
    const o = this.overlay;
    this.legend.replaceChildren();
    this.legend.hidden = !o;
    if (!o) return;
    this.legend.append(el('div', o.metric.label, 'legend-title'));
    if ('categories' in o.legend) {
      const list = el('ul');
      o.legend.categories.forEach((c, i) => {
        const li = el('li');
        const swatch = el('canvas', undefined, 'swatch');
        swatch.width = 12;
        swatch.height = 12;
        const ctx = swatch.getContext('2d') as CanvasRenderingContext2D;
        ctx.fillStyle = CATEGORY_COLORS[i % CATEGORY_COLORS.length];
        ctx.fillRect(0, 0, 12, 12);
        li.append(swatch, el('span', c));
        list.append(li);
      });
      this.legend.append(list);
    } else if (o.legend.max > 0 && o.metric.kind === 'numeric') {
      const bar = el('canvas', undefined, 'ramp');
      bar.width = 160;
      bar.height = 10;
      bar.setAttribute('aria-hidden', 'true');
      const ctx = bar.getContext('2d') as CanvasRenderingContext2D;
      for (let x = 0; x < 160; x++) {
        ctx.fillStyle = rampColor(x / 159);
        ctx.fillRect(x, 0, 1, 10);
      }
      const ends = el('div', undefined, 'ramp-ends');
      ends.append(
        el('span', formatMetric(o.legend.min, o.metric.unit)),
        el('span', 'log scale', 'muted'),
        el('span', formatMetric(o.legend.max, o.metric.unit)),
      );
      this.legend.append(bar, ends);
    } else {
      this.legend.append(el('div', 'no non-zero values in view', 'muted'));
    }
    this.legend.append(el('div', 'uncoloured: zero or unknown', 'muted'));
    // The estimate's columns (the host's keys), or any column that says it is an estimate.
    if (this.estimate && (['latency', 'bound'].includes(o.metric.key) || /estimat/i.test(o.metric.label))) {
      this.legend.append(el('div', `${this.estimate.target.name}: ${this.estimate.target.accuracy}`, 'muted accuracy'));
    }
  }

  private addMetric(graph: number, metric: MetricInfo, values: (number | null)[]): void {
    const model = this.model;
    if (!model?.graphs[graph]) return;
    let index = model.metrics.findIndex((m) => m.key === metric.key);
    if (index < 0) {
      index = model.metrics.length;
      model.metrics.push(metric);
    } else model.metrics[index] = metric;
    for (const g of model.graphs) {
      g.nodes.forEach((n, i) => {
        while (n.metrics.length <= index) n.metrics.push(null);
        n.metrics[index] = g.id === graph ? (values[i] ?? null) : n.metrics[index];
      });
    }
    this.refreshOverlayOptions();
    if (this.overlayKey === metric.key) this.applyOverlay();
    this.showDetails();
  }

  /**
   * Drops metrics that are no longer true (the latency of a target that failed to estimate). The overlay choice is
   * kept: it shows again when the metric comes back.
   */
  private removeMetrics(keys: readonly string[]): void {
    const model = this.model;
    if (!model) {
      this.pendingMetrics = this.pendingMetrics.filter((m) => !keys.includes(m.metric.key));
      return;
    }
    for (let index = model.metrics.length - 1; index >= 0; index--) {
      if (!keys.includes(model.metrics[index].key)) continue;
      model.metrics.splice(index, 1);
      for (const g of model.graphs) for (const n of g.nodes) if (n.metrics.length > index) n.metrics.splice(index, 1);
    }
    this.refreshOverlayOptions();
    this.applyOverlay();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  private save(): void {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => {
      const graphs: Record<string, GraphViewState> = {};
      for (const [id, g] of this.graphs) {
        graphs[String(id)] = {
          expanded: [...g.expanded],
          selected: g.selected,
          ...(g.view ? { view: g.view } : {}),
        };
      }
      const state: SavedState = {
        version: 1,
        fileName: this.fileName,
        graph: this.current?.id ?? 0,
        graphs: { ...(this.saved?.graphs ?? {}), ...graphs },
        overlay: this.overlayKey,
        panel: this.panelOpen,
        query: this.searchInput.value,
        profile: { ...this.profile.state, open: this.profileOpen, height: this.profileHeight },
      };
      vscode.setState(state);
    }, 150);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Test hooks

  /** Read-only views of the state for the browser tests and the UI benchmark (only when the page asks). */
  debugApi(): Record<string, unknown> {
    return {
      stats: () => {
        const g = this.current;
        const s = g?.scene;
        const c = this.canvas;
        return {
          graph: g?.id ?? -1,
          boxes: s ? s.items.length - s.frames : 0,
          frames: s?.frames ?? 0,
          opNodes: s?.opNodes ?? 0,
          edges: s?.edgeCount ?? 0,
          totalOpNodes: g ? g.hier.opCount[g.hier.root] : 0,
          view: c?.view,
          selected: g?.selected ?? -1,
          expanded: g ? [...g.expanded] : [],
          timings: this.lastTimings,
          hits: this.hits.length,
          query: this.hitsQuery,
          hitCursor: this.hitCursor,
          overlay: this.overlayKey,
          panel: this.panelOpen,
          canvas: c?.size,
        };
      },
      frameStats: () => ({
        frameTimes: [...(this.canvas?.frameTimes ?? [])],
        drawDurations: [...(this.canvas?.drawDurations ?? [])],
      }),
      itemOfNode: (name: string) => this.current?.hier.graph.nodes.findIndex((n) => n.name === name) ?? -1,
      screenBox: (item: number) => this.canvas?.screenBox(item),
      fillOf: (item: number) => this.overlay?.fill[item] ?? null,
      expandAll: () => this.expandAll(),
      collapseAll: () => this.collapseAll(),
      layoutsDone: () => this.layoutClientIdle(),
      profile: () => ({
        renderedRows: this.profile.grid.renderedRows,
        firstNodes: this.profile.grid.nodesInOrder(20),
        state: this.profile.state,
        open: this.profileOpen,
        height: this.profileHeight,
      }),
    };
  }

  /** Resolves once no layout is running and the last one has been drawn. */
  private layoutClientIdle(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.layoutsRunning === 0 && this.current?.scene && this.canvas) this.canvas.afterNextFrame(resolve);
        else window.setTimeout(check, 20);
      };
      check();
    });
  }
}

function renderSummarySection(into: HTMLElement, fileName: string, summary: ModelSummary): void {
  renderSummary(into, fileName, summary);
}

const instance = new App();
if ((globalThis as { __empTest?: boolean }).__empTest) {
  (globalThis as { __emp?: unknown }).__emp = instance.debugApi();
}
vscode.postMessage({ type: 'ready' });
