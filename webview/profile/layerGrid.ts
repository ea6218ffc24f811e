/**
 * The per-layer table, virtualized: only the rows in view (plus a few) exist in the DOM, recycled as the table
 * scrolls, so 50,000 layers cost as much as fifty. An ARIA grid: the grid itself takes focus, arrow keys, Page
 * Up/Down, Home and End move the active row (announced through aria-activedescendant), Enter or Space picks it;
 * the column headers are buttons that sort (aria-sort says how).
 */
import { formatMetric } from '../graph/overlay.js';
import { COLUMNS, type ColumnKey, type LayerTable, type SortSpec } from './layerRows.js';

export const ROW_HEIGHT = 22;
const OVERSCAN = 6;

export interface GridEvents {
  /** A row was clicked or chosen with Enter/Space: its main-graph node. */
  pick(node: number): void;
  sortChanged(sort: SortSpec | null): void;
}

export function formatCell(t: LayerTable, key: ColumnKey, r: number): string {
  const v = t[key];
  if (Array.isArray(v)) return v[r] as string;
  const x = (v as Float64Array)[r];
  if (Number.isNaN(x)) return '';
  switch (key) {
    case 'weightBytes':
    case 'activationBytes':
      return formatMetric(x, 'bytes');
    case 'latencyMs':
      return formatMetric(x / 1000, 'seconds');
    case 'share':
      return `${(100 * x).toFixed(x < 0.001 ? 3 : 1)}%`;
    default:
      return formatMetric(x, 'count');
  }
}

let gridIds = 0;

export class LayerGrid {
  readonly element: HTMLDivElement;
  private readonly head: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly rowsEl: HTMLDivElement;
  private readonly headers = new Map<ColumnKey, HTMLElement>();
  private readonly pool: HTMLDivElement[] = [];
  private table: LayerTable | undefined;
  private order: Int32Array = new Int32Array(0);
  private sort: SortSpec | null = null;
  /** Position in `order` of the keyboard's active row; -1: none. */
  private active = -1;
  private selectedNode = -1;
  private pending = false;
  private readonly id = `grid${++gridIds}`;

  constructor(
    label: string,
    private readonly events: GridEvents,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'layer-grid';
    this.element.setAttribute('role', 'grid');
    this.element.setAttribute('aria-label', label);
    this.element.setAttribute('aria-colcount', String(COLUMNS.length));
    this.element.tabIndex = 0;
    this.head = document.createElement('div');
    this.head.className = 'grid-head';
    this.head.setAttribute('role', 'rowgroup');
    const headRow = document.createElement('div');
    headRow.className = 'grid-row';
    headRow.setAttribute('role', 'row');
    headRow.setAttribute('aria-rowindex', '1');
    for (const c of COLUMNS) {
      const h = document.createElement('div');
      h.className = `grid-cell${c.numeric ? ' num' : ''}`;
      h.setAttribute('role', 'columnheader');
      h.setAttribute('aria-sort', 'none');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'sort';
      b.textContent = c.label;
      b.setAttribute('aria-label', `Sort by ${c.label}`);
      b.addEventListener('click', () => this.toggleSort(c.key));
      h.append(b);
      headRow.append(h);
      this.headers.set(c.key, h);
    }
    this.head.append(headRow);
    this.spacer = document.createElement('div');
    this.spacer.className = 'grid-spacer';
    this.rowsEl = document.createElement('div');
    this.rowsEl.className = 'grid-rows';
    this.rowsEl.setAttribute('role', 'rowgroup');
    this.spacer.append(this.rowsEl);
    this.element.append(this.head, this.spacer);
    this.element.addEventListener('scroll', () => this.requestRender(), { passive: true });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.grid-rows .grid-row');
      if (!row) return;
      const pos = Number(row.dataset.pos);
      this.active = pos;
      this.pick(pos);
    });
    new ResizeObserver(() => this.requestRender()).observe(this.element);
  }

  setData(table: LayerTable, order: Int32Array): void {
    this.table = table;
    this.order = order;
    this.element.setAttribute('aria-rowcount', String(order.length + 1));
    this.spacer.style.height = `${order.length * ROW_HEIGHT}px`;
    const node = this.selectedNode;
    this.active = node >= 0 ? this.positionOf(node) : -1;
    this.renderNow();
  }

  setSort(sort: SortSpec | null): void {
    this.sort = sort;
    for (const c of COLUMNS) {
      const h = this.headers.get(c.key) as HTMLElement;
      const on = sort?.key === c.key;
      h.setAttribute('aria-sort', on ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none');
      h.classList.toggle('sorted', on);
      (h.firstChild as HTMLElement).dataset.dir = on ? (sort.dir === 1 ? '▲' : '▼') : '';
    }
  }

  /** Highlights the row of a main-graph node (-1: none), scrolling it into view when asked. */
  setSelectedNode(node: number, scroll: boolean): void {
    this.selectedNode = node;
    const pos = node >= 0 ? this.positionOf(node) : -1;
    if (pos >= 0) {
      this.active = pos;
      if (scroll) this.scrollToPos(pos);
    }
    this.renderNow();
  }

  /** Rows in the DOM right now (the virtualization's whole point: a few dozen whatever the model). */
  get renderedRows(): number {
    return this.rowsEl.childElementCount;
  }

  /** Node of each displayed position, first `n` (for tests and the bar chart's order). */
  nodesInOrder(n: number): number[] {
    const t = this.table;
    if (!t) return [];
    return [...this.order.subarray(0, n)].map((r) => t.node[r]);
  }

  private positionOf(node: number): number {
    const t = this.table;
    if (!t || node < 0 || node >= t.rowOf.length) return -1;
    const r = t.rowOf[node];
    if (r < 0) return -1;
    return this.order.indexOf(r);
  }

  private toggleSort(key: ColumnKey): void {
    const col = COLUMNS.find((c) => c.key === key);
    const first: 1 | -1 = col?.numeric ? -1 : 1;
    let next: SortSpec | null;
    if (this.sort?.key !== key) next = { key, dir: first };
    else if (this.sort.dir === first) next = { key, dir: first === 1 ? -1 : 1 };
    else next = null;
    this.setSort(next);
    this.events.sortChanged(next);
  }

  private pick(pos: number): void {
    const t = this.table;
    if (!t || pos < 0 || pos >= this.order.length) return;
    const node = t.node[this.order[pos]];
    this.selectedNode = node;
    this.renderNow();
    this.events.pick(node);
  }

  private onKey(e: KeyboardEvent): void {
    // Keys on a header's sort button are the button's.
    if (e.target !== this.element) return;
    const n = this.order.length;
    if (!n) return;
    const page = Math.max(1, Math.floor((this.element.clientHeight - ROW_HEIGHT) / ROW_HEIGHT) - 1);
    let pos = this.active;
    switch (e.key) {
      case 'ArrowDown':
        pos = Math.min(n - 1, pos + 1);
        break;
      case 'ArrowUp':
        pos = Math.max(0, pos - 1);
        break;
      case 'PageDown':
        pos = Math.min(n - 1, pos + page);
        break;
      case 'PageUp':
        pos = Math.max(0, pos - page);
        break;
      case 'Home':
        pos = 0;
        break;
      case 'End':
        pos = n - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.pick(Math.max(0, this.active));
        return;
      default:
        return;
    }
    e.preventDefault();
    this.active = pos;
    this.scrollToPos(pos);
    this.renderNow();
  }

  private scrollToPos(pos: number): void {
    const top = pos * ROW_HEIGHT;
    const headH = this.head.offsetHeight;
    const view = this.element.clientHeight - headH;
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + ROW_HEIGHT > this.element.scrollTop + view) this.element.scrollTop = top + ROW_HEIGHT - view;
  }

  private requestRender(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.renderNow();
    });
  }

  private renderNow(): void {
    const t = this.table;
    if (!t) return;
    const height = Math.max(this.element.clientHeight, ROW_HEIGHT * 10);
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.order.length, Math.ceil((this.element.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const count = Math.max(0, last - first);
    while (this.pool.length < count) this.pool.push(this.makeRow());
    const rows = this.pool.slice(0, count);
    for (let k = 0; k < count; k++) this.fillRow(rows[k], first + k);
    if (this.rowsEl.childElementCount !== count) this.rowsEl.replaceChildren(...rows);
    this.rowsEl.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const activeRow = this.active >= first && this.active < last ? rows[this.active - first] : undefined;
    if (activeRow) this.element.setAttribute('aria-activedescendant', activeRow.id);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private makeRow(): HTMLDivElement {
    const row = document.createElement('div');
    row.className = 'grid-row';
    row.setAttribute('role', 'row');
    row.id = `${this.id}-r${this.pool.length}`;
    for (const c of COLUMNS) {
      const cell = document.createElement('div');
      cell.className = `grid-cell${c.numeric ? ' num' : ''}${c.key === 'bound' ? ' bound' : ''}`;
      cell.setAttribute('role', 'gridcell');
      row.append(cell);
    }
    return row;
  }

  private fillRow(row: HTMLDivElement, pos: number): void {
    const t = this.table as LayerTable;
    const r = this.order[pos];
    row.dataset.pos = String(pos);
    row.dataset.node = String(t.node[r]);
    row.setAttribute('aria-rowindex', String(pos + 2));
    row.setAttribute('aria-selected', String(t.node[r] === this.selectedNode));
    row.classList.toggle('active', pos === this.active);
    const cells = row.children;
    COLUMNS.forEach((c, i) => {
      const text = formatCell(t, c.key, r);
      const cell = cells[i] as HTMLElement;
      if (cell.textContent !== text) cell.textContent = text;
      if (c.key === 'name') cell.title = text;
      if (c.key === 'bound') cell.dataset.bound = text;
    });
  }
}
