/**
 * The profiling panel under the graph: the per-layer table (sortable, filterable, virtualized), memory against the
 * target's capacities (gauges and the arena timeline), the top layers and the roofline, and the estimator's
 * diagnostics with their fixes. Every figure from an estimate is labelled as one, with its calibration line.
 * Charts are drawn when their tab is shown, so a 50,000-layer model pays for them only on demand.
 */
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { DiagnosticView, EstimateView } from '../../src/core/report/estimateView.js';
import type { GraphModel } from '../../src/core/report/graphModel.js';
import type { FixKind } from '../../src/core/targets/estimate.js';
import type { ReportFormat, WebviewCommand } from '../../src/protocol.js';
import { el } from '../dom.js';
import { formatCount } from '../graph/hierarchy.js';
import { formatMetric } from '../graph/overlay.js';
import { barChart, gauge, type RooflinePoint, rooflineChart, timelineChart } from './charts.js';
import { LayerGrid } from './layerGrid.js';
import { applyEstimate, buildLayerTable, type LayerTable, orderRows, topRows } from './layerRows.js';
import { type ProfileState, type ProfileTab, TABS } from './profileState.js';

const TAB_LABELS: Record<ProfileTab, string> = {
  layers: 'Layers',
  memory: 'Memory',
  charts: 'Top layers & roofline',
  diagnostics: 'Diagnostics',
};

export const FIX_LABELS: Record<FixKind, string> = {
  'quantize-int8': 'Quantize to INT8…',
  'quantize-fp16': 'Convert to FP16…',
  prune: 'Prune…',
  'reduce-input-size': 'Reduce input size…',
  'replace-op': 'Replace op…',
  'set-dims': 'Set input dimensions…',
};

const SEVERITY_ICONS: Record<DiagnosticView['severity'], string> = { error: '⛔', warning: '⚠', info: 'ℹ' };
const REPORTS: [ReportFormat, string][] = [
  ['md', 'Markdown'],
  ['html', 'HTML'],
  ['csv', 'CSV'],
  ['json', 'JSON'],
];
/** Host commands offered next to the report buttons. */
const COMMANDS: [WebviewCommand, string, string][] = [
  ['measure', 'Measure', 'Profile on this machine (measured with ONNX Runtime)'],
  ['compare', 'Compare…', 'Compare with another model'],
  ['quantizeInt8', 'INT8…', 'Quantize to INT8'],
  ['convertFp16', 'FP16…', 'Convert to FP16'],
  ['prune', 'Prune…', 'Prune weights'],
];
const TOP_N = 15;
/** The roofline plots at most this many layers (the slowest): 50,000 circles would say no more. */
const ROOFLINE_POINTS = 2000;

export interface ProfileEvents {
  /** Reveal and select a main-graph node. */
  pick(node: number): void;
  /** Show the layers of a diagnostic. */
  revealNodes(nodes: number[]): void;
  applyFix(fix: FixKind, nodes: number[]): void;
  exportReport(format: ReportFormat): void;
  runCommand(command: WebviewCommand): void;
  stateChanged(): void;
}

const bytes = (v: number) => formatMetric(v, 'bytes');
const count = (v: number) => formatMetric(v, 'count');

type TabsElement = HTMLElement & { selectedIndex: number };

export class ProfilePanel {
  readonly element = el('section', undefined, 'profile');
  readonly grid: LayerGrid;
  private readonly banner = el('div', undefined, 'estimate-banner');
  private readonly notice = el('div', undefined, 'notice');
  private readonly tabs = document.createElement('vscode-tabs') as TabsElement;
  private readonly panels = new Map<ProfileTab, HTMLElement>();
  private readonly headers = new Map<ProfileTab, HTMLElement>();
  private readonly filterInput = el('input');
  private readonly filterCount = el('span', '', 'muted');
  private readonly memoryEl = el('div', undefined, 'memory');
  private readonly chartsEl = el('div', undefined, 'charts');
  private readonly diagnosticsEl = el('div', undefined, 'diagnostics');
  private model: GraphModel | undefined;
  private table: LayerTable | undefined;
  private estimate: EstimateView | undefined;
  private drawn = new Set<ProfileTab>();
  private filterTimer: number | undefined;
  state: ProfileState = { tab: 'layers', sort: null, filter: '' };

  constructor(private readonly events: ProfileEvents) {
    this.element.setAttribute('aria-label', 'Profile');
    this.grid = new LayerGrid('Layers', {
      pick: (node) => this.events.pick(node),
      sortChanged: (sort) => {
        this.state.sort = sort;
        this.reorder();
        this.events.stateChanged();
      },
    });
    const head = el('div', undefined, 'profile-head');
    this.banner.setAttribute('role', 'note');
    this.notice.setAttribute('role', 'alert');
    this.notice.hidden = true;
    const reports = el('div', undefined, 'reports');
    reports.append(el('span', 'Report:', 'muted'));
    for (const [format, label] of REPORTS) {
      const b = document.createElement('vscode-button');
      b.setAttribute('secondary', '');
      b.textContent = label;
      b.setAttribute('aria-label', `Export the report as ${label}`);
      b.addEventListener('click', () => this.events.exportReport(format));
      reports.append(b);
    }
    const commands = el('div', undefined, 'reports');
    commands.append(el('span', 'Run:', 'muted'));
    for (const [command, label, title] of COMMANDS) {
      const b = document.createElement('vscode-button');
      b.setAttribute('secondary', '');
      b.textContent = label;
      b.title = title;
      b.setAttribute('aria-label', title);
      b.addEventListener('click', () => this.events.runCommand(command));
      commands.append(b);
    }
    head.append(this.banner, commands, reports);

    this.tabs.setAttribute('aria-label', 'Profile views');
    TABS.forEach((tab) => {
      const h = document.createElement('vscode-tab-header');
      h.textContent = TAB_LABELS[tab];
      h.setAttribute('slot', 'header');
      const p = document.createElement('vscode-tab-panel');
      p.className = `tab-${tab}`;
      this.headers.set(tab, h);
      this.panels.set(tab, p);
      this.tabs.append(h);
    });
    for (const tab of TABS) this.tabs.append(this.panels.get(tab) as HTMLElement);
    this.tabs.addEventListener('vsc-tabs-select', (e) => {
      const i = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      this.showTab(TABS[i] ?? 'layers');
    });

    const filterBar = el('div', undefined, 'filter-bar');
    this.filterInput.type = 'search';
    this.filterInput.placeholder = 'Filter layers by name or op';
    this.filterInput.setAttribute('aria-label', 'Filter layers by name or op type');
    this.filterInput.addEventListener('input', () => {
      window.clearTimeout(this.filterTimer);
      this.filterTimer = window.setTimeout(() => this.setFilter(this.filterInput.value), 120);
    });
    this.filterInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        window.clearTimeout(this.filterTimer);
        this.setFilter(this.filterInput.value);
      } else if (e.key === 'ArrowDown') {
        e.preventDefault();
        this.grid.element.focus();
      }
    });
    this.filterCount.setAttribute('aria-live', 'polite');
    filterBar.append(this.filterInput, this.filterCount);
    (this.panels.get('layers') as HTMLElement).append(filterBar, this.grid.element);
    (this.panels.get('memory') as HTMLElement).append(this.memoryEl);
    (this.panels.get('charts') as HTMLElement).append(this.chartsEl);
    (this.panels.get('diagnostics') as HTMLElement).append(this.diagnosticsEl);
    this.element.append(head, this.notice, this.tabs);
    this.updateBanner();
  }

  restore(state: ProfileState): void {
    this.state = { tab: state.tab, sort: state.sort, filter: state.filter };
    this.filterInput.value = state.filter;
    this.grid.setSort(state.sort);
    this.selectTab(state.tab);
  }

  selectTab(tab: ProfileTab): void {
    this.tabs.selectedIndex = TABS.indexOf(tab);
    this.showTab(tab);
  }

  setModel(model: GraphModel): void {
    this.model = model;
    this.table = buildLayerTable(model, this.estimate);
    this.drawn.clear();
    this.reorder();
    this.drawVisible();
  }

  setEstimate(estimate: EstimateView): void {
    this.estimate = estimate;
    this.notice.hidden = true;
    if (this.table) applyEstimate(this.table, estimate);
    this.updateBanner();
    this.drawn.clear();
    this.reorder();
    this.drawVisible();
  }

  /** No estimate for the picked target: say why, and drop the old target's figures. */
  setEstimateError(targetId: string, message: string): void {
    this.notice.replaceChildren(el('strong', `No estimate for ${targetId}: `), el('span', message));
    this.notice.hidden = false;
    this.estimate = undefined;
    if (this.model) this.table = buildLayerTable(this.model);
    this.updateBanner();
    this.drawn.clear();
    this.reorder();
    this.drawVisible();
  }

  setSelectedNode(node: number, scroll: boolean): void {
    this.grid.setSelectedNode(node, scroll);
  }

  /** The estimate's one-line label, as every place that shows its numbers repeats it. */
  private estimateLabel(): string {
    const e = this.estimate;
    return e ? `Estimate for ${e.target.name} — ${e.target.accuracy}` : '';
  }

  private updateBanner(): void {
    const e = this.estimate;
    if (!e) {
      this.banner.replaceChildren(
        el('span', 'No estimate', 'badge'),
        el('span', 'Costs from the analysis; pick a target for latency and memory estimates.', 'muted'),
      );
      return;
    }
    const t = e.totals;
    const latency =
      t.latencyMs !== null
        ? formatMetric(t.latencyMs / 1000, 'seconds')
        : `≥ ${formatMetric(t.knownLatencyMs / 1000, 'seconds')}`;
    this.banner.replaceChildren(
      el('span', 'estimate', 'badge'),
      el('strong', e.target.name),
      el('span', `latency ${latency}, peak RAM ${bytes(t.peakRamBytes)}`),
      el('span', e.target.accuracy, 'muted accuracy'),
    );
  }

  private setFilter(text: string): void {
    if (text === this.state.filter) return;
    this.state.filter = text;
    this.reorder();
    this.events.stateChanged();
  }

  private reorder(): void {
    const t = this.table;
    if (!t) return;
    const order = orderRows(t, this.state.sort, this.state.filter);
    this.grid.setData(t, order);
    this.filterCount.textContent = this.state.filter
      ? `${formatCount(order.length)} of ${formatCount(t.node.length)} layers`
      : `${formatCount(t.node.length)} layers`;
  }

  private showTab(tab: ProfileTab): void {
    if (this.state.tab !== tab) {
      this.state.tab = tab;
      this.events.stateChanged();
    }
    this.drawVisible();
  }

  private drawVisible(): void {
    const tab = this.state.tab;
    if (!this.table || this.drawn.has(tab)) return;
    this.drawn.add(tab);
    if (tab === 'memory') this.drawMemory();
    else if (tab === 'charts') this.drawCharts();
    else if (tab === 'diagnostics') this.drawDiagnostics();
    this.updateDiagnosticCount();
  }

  private updateDiagnosticCount(): void {
    const n = this.estimate?.diagnostics.length ?? 0;
    (this.headers.get('diagnostics') as HTMLElement).textContent = n ? `Diagnostics (${n})` : 'Diagnostics';
  }

  private drawMemory(): void {
    const e = this.estimate;
    if (!e) {
      this.memoryEl.replaceChildren(el('p', 'Pick a target to see RAM and flash against its capacities.', 'muted'));
      return;
    }
    const t = e.totals;
    const gauges = el('div', undefined, 'gauges');
    gauges.append(
      gauge('RAM (peak)', t.peakRamBytes, t.ramCapacityBytes, t.fits.ram, bytes),
      gauge('Flash', t.flashBytes, t.flashCapacityBytes, t.fits.flash, bytes),
    );
    const parts = el(
      'p',
      `RAM: arena ${bytes(t.ram.arenaBytes)} + runtime ${bytes(t.ram.runtimeBytes)} + weights ${bytes(t.ram.weightBytes)}` +
        `; flash: weights ${bytes(t.flash.weightBytes)} + runtime code ${bytes(t.flash.runtimeCodeBytes)}` +
        (t.unsizedTensors ? `; ${t.unsizedTensors} tensors of unknown size left out (a lower bound)` : ''),
      'muted',
    );
    this.memoryEl.replaceChildren(
      el('p', this.estimateLabel(), 'accuracy'),
      gauges,
      parts,
      el('h3', 'Arena usage over op steps'),
      timelineChart(
        `Arena usage over ${e.timeline.length} op steps (${this.estimateLabel()})`,
        e.timeline,
        t.ramCapacityBytes,
        bytes,
      ),
    );
  }

  private drawCharts(): void {
    const t = this.table as LayerTable;
    const e = this.estimate;
    const byLatency = e ? topRows(t.latencyMs, TOP_N) : [];
    const useLatency = byLatency.length > 0;
    const rows = useLatency ? byLatency : topRows(t.macs, TOP_N);
    const bars = rows.map((r) => ({
      label: t.name[r],
      value: useLatency ? t.latencyMs[r] : t.macs[r],
      text: useLatency
        ? `${formatMetric(t.latencyMs[r] / 1000, 'seconds')} (${(100 * (t.share[r] || 0)).toFixed(1)}%)`
        : `${count(t.macs[r])} MACs`,
    }));
    const title = useLatency
      ? `Top ${rows.length} layers by estimated latency (${this.estimateLabel()})`
      : `Top ${rows.length} layers by MACs`;
    const out: Node[] = [el('h3', title), barChart(title, bars, (i) => this.events.pick(t.node[rows[i]]))];
    if (e) {
      const slow = topRows(t.latencyMs, ROOFLINE_POINTS);
      const points: RooflinePoint[] = [];
      const pointRows: number[] = [];
      for (const r of slow) {
        const macs = t.macs[r];
        const traffic = t.memoryBytes[r];
        if (!(macs > 0 && traffic > 0)) continue;
        points.push({
          intensity: macs / traffic,
          macsPerSec: macs / (t.latencyMs[r] / 1000),
          label: t.name[r],
          bound: t.bound[r],
        });
        pointRows.push(r);
      }
      const rTitle = `Roofline at ${e.roofline.dtype} (${this.estimateLabel()})`;
      out.push(
        el('h3', rTitle),
        rooflineChart(rTitle, points, e.roofline.peakMacsPerSec, e.roofline.bandwidthBytesPerSec, count, (i) =>
          this.events.pick(t.node[pointRows[i]]),
        ),
      );
      if (slow.length >= ROOFLINE_POINTS) {
        out.push(el('p', `The ${formatCount(ROOFLINE_POINTS)} slowest layers are plotted.`, 'muted'));
      }
    } else out.push(el('p', 'Pick a target for the roofline plot.', 'muted'));
    this.chartsEl.replaceChildren(...out);
  }

  private drawDiagnostics(): void {
    const e = this.estimate;
    if (!e) {
      this.diagnosticsEl.replaceChildren(el('p', 'Pick a target to see what stands in the way of deploying.', 'muted'));
      return;
    }
    if (!e.diagnostics.length) {
      this.diagnosticsEl.replaceChildren(el('p', `No problems found. ${this.estimateLabel()}`, 'muted'));
      return;
    }
    const list = el('ul', undefined, 'diagnostic-list');
    list.setAttribute('aria-label', 'Diagnostics');
    for (const d of e.diagnostics) {
      const li = el('li', undefined, `diagnostic ${d.severity}`);
      const icon = el('span', SEVERITY_ICONS[d.severity], `severity ${d.severity}`);
      icon.setAttribute('role', 'img');
      icon.setAttribute('aria-label', d.severity);
      const message = el('button', d.message, 'diagnostic-message');
      message.type = 'button';
      message.disabled = d.nodes.length === 0;
      message.setAttribute(
        'aria-label',
        `${d.severity}: ${d.message}${d.nodes.length ? ` (show ${d.nodes.length === 1 ? 'the layer' : `${d.nodes.length} layers`})` : ''}`,
      );
      message.addEventListener('click', () => this.events.revealNodes(d.nodes));
      const fixes = el('span', undefined, 'fixes');
      for (const fix of d.fixes) {
        const b = document.createElement('vscode-button');
        b.textContent = FIX_LABELS[fix] ?? fix;
        b.addEventListener('click', () => this.events.applyFix(fix, d.nodes));
        fixes.append(b);
      }
      li.append(icon, message, fixes);
      list.append(li);
    }
    this.diagnosticsEl.replaceChildren(el('p', this.estimateLabel(), 'accuracy'), list);
  }
}
