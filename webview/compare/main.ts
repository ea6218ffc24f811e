/**
 * The compare view's script: totals of two models side by side, the transform's validation and the estimate on
 * the current target when the host sends them, and the per-layer diff with changed layers highlighted. Choosing a
 * layer asks the host to reveal it in that model's editor. Every string from a model is set as text.
 */
import type { LayerDiff, TotalRow } from '../../src/core/transforms/compare.js';
import { button, el, table } from '../dom.js';
import { readPalette, watchTheme } from '../graph/theme.js';
import { GraphPane } from './graphPane.js';
import type {
  CompareData,
  CompareGraph,
  CompareHostMessage,
  CompareWebviewMessage,
  EstimateTotals,
} from './protocol.js';

declare function acquireVsCodeApi(): {
  postMessage(msg: CompareWebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
};

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;
/** Rows beyond this are left out of the table (the header says how many). */
const MAX_ROWS = 5000;

/** The two graphs (when the host sent them and they are drawn), the selected layer, and each shown row. */
const panes: { a?: GraphPane; b?: GraphPane } = {};
let selectedDiff: LayerDiff | undefined;
const rowOf = new Map<LayerDiff, HTMLTableRowElement>();
/** Each side's layer index -> its entry in the diff. */
const diffOf = { a: new Map<number, LayerDiff>(), b: new Map<number, LayerDiff>() };

const count = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toLocaleString('en-US'));

function size(bytes: number | null): string {
  if (bytes === null) return 'n/a';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

function totalCell(metric: string, x: number | null): string {
  return /bytes/.test(metric) ? size(x) : count(x);
}

function change(r: TotalRow): string {
  if (r.delta === null) return '';
  const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '';
  const abs = Math.abs(r.delta);
  const d = /bytes/.test(r.metric) ? size(abs) : abs.toLocaleString('en-US');
  return `${sign}${d}${r.ratio !== null ? ` (${(r.ratio * 100).toFixed(1)}%)` : ''}`;
}

function arrow(a: number | null | undefined, b: number | null | undefined): string {
  if (a === undefined) return count(b);
  if (b === undefined) return count(a);
  return a === b ? count(a) : `${count(a)} → ${count(b)}`;
}

function render(data: CompareData): void {
  app.replaceChildren();
  const c = data.comparison;
  const header = el('header');
  const h1 = el('h1');
  h1.append(
    el('span', 'A: ', 'muted'),
    el('span', data.a.label),
    el('span', '  ↔  B: ', 'muted'),
    el('span', data.b.label),
  );
  header.append(h1);
  app.append(header);

  if (data.validation) {
    const v = data.validation;
    const sec = el('section', undefined, 'validation');
    sec.append(el('h2', `Validation in ONNX Runtime: ${v.ok ? 'passed' : 'FAILED'}`, v.ok ? 'passed' : 'failed'));
    if (v.failures.length) {
      const ul = el('ul', undefined, 'failures');
      for (const f of v.failures) ul.append(el('li', f));
      sec.append(ul);
    }
    sec.append(
      table(
        ['', ''],
        v.rows.map((r) => [r.label, r.value]),
      ),
    );
    app.append(sec);
  }

  const totals = el('section');
  totals.append(el('h2', 'Totals'));
  totals.append(
    table(
      ['', 'A', 'B', 'B − A (B/A)'],
      c.totals.map((r) => [r.metric, totalCell(r.metric, r.a), totalCell(r.metric, r.b), change(r)]),
    ),
  );
  if (data.estimate) totals.append(estimateTable(data.estimate));
  if (c.opCounts.length) {
    totals.append(
      el('p', `Op counts that differ: ${c.opCounts.map((o) => `${o.opType} ${o.a} → ${o.b}`).join(', ')}`, 'muted'),
    );
  }
  app.append(totals);

  if (data.notes.length) {
    const sec = el('details');
    sec.append(el('summary', `What the transform did (${data.notes.length})`));
    const ul = el('ul');
    for (const n of data.notes) ul.append(el('li', n, /: warning: /.test(n) ? 'warning' : undefined));
    sec.append(ul);
    app.append(sec);
  }
  if (data.validation?.notes.length) {
    const sec = el('details');
    sec.append(el('summary', 'Validation notes'));
    const ul = el('ul');
    for (const n of data.validation.notes) ul.append(el('li', n));
    sec.append(ul);
    app.append(sec);
  }

  if (data.graphs) app.append(graphSection(data, data.graphs));
  app.append(layerSection(data));
}

function graphSection(data: CompareData, graphs: NonNullable<CompareData['graphs']>): HTMLElement {
  const sec = el('section', undefined, 'graphs-section');
  sec.append(el('h2', 'Graphs'));
  const legend = el('p', undefined, 'legend muted');
  for (const k of ['changed', 'removed', 'added'] as const) {
    legend.append(el('span', undefined, `swatch swatch-${k}`), el('span', ` ${k}  `));
  }
  legend.append(el('span', 'Choose a node or a row of the table to select the layer in both graphs.'));
  sec.append(legend);
  const row = el('div', undefined, 'graphs');
  const layers = data.comparison.layers;
  for (const side of ['a', 'b'] as const) {
    const pane = el('div', undefined, 'graph-pane');
    pane.dataset.side = side;
    const title = el('h3');
    title.append(el('span', `${side.toUpperCase()}: `, 'muted'), el('span', data[side].label));
    pane.append(title);
    const g: CompareGraph = graphs[side];
    if ('omitted' in g) {
      pane.append(el('p', g.omitted, 'notice'));
    } else {
      const host = el('div', undefined, 'graph-host');
      pane.append(host);
      panes[side] = new GraphPane(host, side, g.model, layers, (layer) => {
        const d = diffOf[side].get(layer);
        if (d) selectDiff(d, side);
      });
    }
    row.append(pane);
  }
  sec.append(row);
  return sec;
}

/** Selects a layer of the diff: its row, and its node in each graph that has it (`from`: the graph clicked). */
function selectDiff(d: LayerDiff, from?: 'a' | 'b'): void {
  markRow(d);
  const tr = rowOf.get(d);
  if (tr && from) tr.scrollIntoView({ block: 'nearest' });
  for (const side of ['a', 'b'] as const) {
    const pane = panes[side];
    const layer = d[side];
    if (!pane || side === from) continue;
    if (layer) void pane.revealLayer(layer.index);
    else pane.clearSelection();
  }
}

/** Marks the layer's row selected (and the one row in the tab order). */
function markRow(d: LayerDiff): void {
  selectedDiff = d;
  const shown = rowOf.has(d);
  for (const [l, tr] of rowOf) {
    tr.classList.toggle('selected', l === d);
    if (shown) tr.tabIndex = l === d ? 0 : -1;
  }
}

function estimateTable(e: NonNullable<CompareData['estimate']>): HTMLTableElement {
  const fit = (x: boolean | null) => (x === true ? ' (fits)' : x === false ? ' (does not fit)' : '');
  const lat = (t: EstimateTotals) => (t.latencyMs === null ? 'n/a' : `${t.latencyMs.toPrecision(3)} ms`);
  return table(
    ['', 'A', 'B'],
    [
      ['latency', lat(e.a), lat(e.b)],
      ['peak RAM', size(e.a.peakRamBytes) + fit(e.a.fitsRam), size(e.b.peakRamBytes) + fit(e.b.fitsRam)],
      ['flash', size(e.a.flashBytes) + fit(e.a.fitsFlash), size(e.b.flashBytes) + fit(e.b.fitsFlash)],
    ],
    `On ${e.target} (${e.accuracy})`,
  );
}

function layerSection(data: CompareData): HTMLElement {
  const c = data.comparison;
  diffOf.a.clear();
  diffOf.b.clear();
  for (const l of c.layers) {
    if (l.a) diffOf.a.set(l.a.index, l);
    if (l.b) diffOf.b.set(l.b.index, l);
  }
  const sec = el('section', undefined, 'layers');
  const s = c.summary;
  sec.append(el('h2', 'Layers'));
  sec.append(
    el(
      'p',
      `${s.byName} matched by name, ${s.byStructure} by structure, ${s.byPosition} by position; ${s.same} unchanged, ${s.changed} changed, ${s.removed} removed, ${s.added} added. Choose a layer to show it in its model.`,
      'muted',
    ),
  );
  const saved = (vscode.getState() as { all?: boolean; filter?: string } | undefined) ?? {};
  const controls = el('div', undefined, 'layer-controls');
  const filter = el('input');
  filter.type = 'search';
  filter.placeholder = 'Filter by name or op';
  filter.setAttribute('aria-label', 'Filter the layers by name, op type or status');
  filter.value = saved.filter ?? '';
  const label = el('label');
  const all = el('input');
  all.type = 'checkbox';
  all.checked = saved.all ?? false;
  label.append(all, document.createTextNode(' Show unchanged layers too'));
  const shown = el('span', '', 'muted');
  shown.setAttribute('aria-live', 'polite');
  controls.append(filter, label, shown);
  sec.append(controls);
  const holder = el('div');
  sec.append(holder);
  const draw = () => {
    vscode.setState({ all: all.checked, filter: filter.value });
    const q = filter.value.trim().toLowerCase();
    const rows = c.layers.filter((l) => (all.checked || l.status !== 'same') && (!q || layerMatches(l, q)));
    shown.textContent = q ? `${rows.length.toLocaleString('en-US')} matching` : '';
    holder.replaceChildren(layerTable(rows, q !== ''));
  };
  all.addEventListener('change', draw);
  filter.addEventListener('input', draw);
  draw();
  return sec;
}

/** Whether a layer's names, op types or status contain `q` (lower case). */
function layerMatches(l: LayerDiff, q: string): boolean {
  return [l.status, l.a?.name, l.b?.name, l.a?.opType, l.b?.opType].some((x) => x?.toLowerCase().includes(q));
}

/** Long layer names (TFLite exports join whole scopes) keep their start and end; the full name is the tooltip. */
function clip(name: string, max = 64): string {
  if (name.length <= max) return name;
  const head = Math.ceil((max - 1) * 0.4);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}

/** A row chosen by click or key: the layer in both graphs, or (without graphs) in its model's editor. */
function chooseRow(l: LayerDiff): void {
  if (panes.a || panes.b) selectDiff(l);
  else if (l.b) reveal('b', l.b.index);
  else if (l.a) reveal('a', l.a.index);
}

function reveal(side: 'a' | 'b', node: number): void {
  vscode.postMessage({ type: 'reveal', side, node });
}

function layerTable(layers: LayerDiff[], filtered: boolean): HTMLElement {
  rowOf.clear();
  if (!layers.length) return el('p', filtered ? 'No layer matches the filter.' : 'No layer differs.', 'muted');
  const t = el('table', undefined, 'diff');
  const head = t.createTHead().insertRow();
  for (const h of ['status', 'A', 'B', 'op', 'params A → B', 'MACs A → B', 'what changed']) {
    const th = el('th', h);
    th.scope = 'col';
    head.append(th);
  }
  const body = t.createTBody();
  for (const l of layers.slice(0, MAX_ROWS)) {
    const tr = body.insertRow();
    tr.className = `status-${l.status}`;
    rowOf.set(l, tr);
    if (l === selectedDiff) tr.classList.add('selected');
    tr.insertCell().textContent = l.status + (l.matchedBy && l.matchedBy !== 'name' ? ` (${l.matchedBy})` : '');
    for (const side of ['a', 'b'] as const) {
      const cell = tr.insertCell();
      const layer = l[side];
      if (layer) {
        const b = button(clip(layer.name), () => reveal(side, layer.index), {
          cls: 'link',
          ariaLabel: `Show ${layer.name} in model ${side.toUpperCase()}`,
        });
        b.title = layer.name;
        cell.append(b);
      }
    }
    tr.insertCell().textContent =
      l.a && l.b && l.a.opType !== l.b.opType ? `${l.a.opType} → ${l.b.opType}` : (l.a?.opType ?? l.b?.opType ?? '');
    tr.insertCell().textContent = arrow(l.a?.params, l.b?.params);
    tr.insertCell().textContent = arrow(l.a?.macs, l.b?.macs);
    tr.insertCell().textContent = l.changes
      .filter((x) => !x.startsWith('params ') && !x.startsWith('MACs ') && !x.startsWith('op '))
      .join('; ');
    // A click anywhere else on the row selects the layer in both graphs; without graphs it shows the layer in B
    // (the new model), or in A when it was removed.
    tr.addEventListener('click', (ev) => {
      if ((ev.target as HTMLElement).closest('button')) return;
      chooseRow(l);
    });
    tr.tabIndex = -1;
  }
  // One row in the tab order (the selected one, else the first); arrows, Home and End move the selection, Enter
  // shows the layer in its model's editor.
  const rows = [...rowOf.values()];
  (rowOf.get(selectedDiff as LayerDiff) ?? rows[0]).tabIndex = 0;
  body.addEventListener('keydown', (ev) => {
    const tr = (ev.target as HTMLElement).closest('tr');
    const at = tr ? rows.indexOf(tr) : -1;
    if (at < 0) return;
    const to =
      ev.key === 'ArrowDown'
        ? at + 1
        : ev.key === 'ArrowUp'
          ? at - 1
          : ev.key === 'Home'
            ? 0
            : ev.key === 'End'
              ? rows.length - 1
              : -1;
    if (ev.key === 'Enter' && !(ev.target as HTMLElement).closest('button')) {
      const l = layers[at];
      if (l.b) reveal('b', l.b.index);
      else if (l.a) reveal('a', l.a.index);
      ev.preventDefault();
      return;
    }
    if (to < 0 || to >= rows.length) return;
    ev.preventDefault();
    for (const r of rows) r.tabIndex = -1;
    rows[to].tabIndex = 0;
    rows[to].focus();
    // With graphs the layer is selected in both; without, the row is only marked (Enter opens it).
    if (panes.a || panes.b) selectDiff(layers[to]);
    else markRow(layers[to]);
  });
  const wrap = el('div');
  if (layers.length > MAX_ROWS)
    wrap.append(el('p', `Showing the first ${MAX_ROWS} of ${layers.length} layers.`, 'muted'));
  wrap.append(t);
  return wrap;
}

/** Read-only views of the graphs for the browser tests (only when the page asks). */
if ((globalThis as { __empTest?: boolean }).__empTest) {
  (globalThis as { __cmp?: unknown }).__cmp = {
    stats: (side: 'a' | 'b') => panes[side]?.stats(),
    fillOfLayer: (side: 'a' | 'b', layer: number) => panes[side]?.fillOfLayer(layer) ?? null,
    fit: (side: 'a' | 'b') => panes[side]?.canvas.fit(),
    screenBoxOfLayer: (side: 'a' | 'b', layer: number) => {
      const p = panes[side];
      return p ? p.canvas.screenBox(p.offset + layer) : undefined;
    },
  };
}

// The graphs follow VS Code's theme, as in the model editor.
watchTheme(() => {
  const palette = readPalette();
  for (const p of [panes.a, panes.b]) p?.canvas.setPalette(palette);
});

let received = false;
window.addEventListener('message', (ev: MessageEvent<CompareHostMessage>) => {
  const msg = ev.data;
  switch (msg?.type) {
    case 'compare':
      // A late answer to a repeated `ready` brings the same data again: the page is drawn once.
      if (received) break;
      received = true;
      render(msg.data);
      break;
    default:
      break;
  }
});

// `ready` again until the data arrives: when the workbench re-lays out editors while this panel loads (a model
// editor opening next to it), the first `ready` or its answer can be lost.
vscode.postMessage({ type: 'ready' });
let tries = 0;
const retry = setInterval(() => {
  if (received || ++tries > 30) clearInterval(retry);
  else vscode.postMessage({ type: 'ready' });
}, 1000);
