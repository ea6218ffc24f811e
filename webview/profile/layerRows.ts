/**
 * The profiling table's rows: one per op node of the main graph, with the cost analysis' columns (from the graph
 * model's metrics) and, once an estimate for a target has arrived, its latency, share, bound and where the layer
 * runs. Sorting and filtering work on index arrays so that 50,000 rows stay cheap. No DOM here: the browser tests
 * run these functions in Node as well.
 */
import type { EstimateView } from '../../src/core/report/estimateView.js';
import type { GraphModel } from '../../src/core/report/graphModel.js';

export type ColumnKey =
  | 'name'
  | 'op'
  | 'params'
  | 'macs'
  | 'weightBytes'
  | 'activationBytes'
  | 'latencyMs'
  | 'share'
  | 'bound'
  | 'runsOn';

export interface Column {
  key: ColumnKey;
  label: string;
  numeric: boolean;
  /** From the estimate: blank until one arrives. */
  estimate: boolean;
}

export const COLUMNS: Column[] = [
  { key: 'name', label: 'Name', numeric: false, estimate: false },
  { key: 'op', label: 'Op', numeric: false, estimate: false },
  { key: 'params', label: 'Params', numeric: true, estimate: false },
  { key: 'macs', label: 'MACs', numeric: true, estimate: false },
  { key: 'weightBytes', label: 'Weights', numeric: true, estimate: false },
  { key: 'activationBytes', label: 'Activations', numeric: true, estimate: false },
  { key: 'latencyMs', label: 'Latency (est.)', numeric: true, estimate: true },
  { key: 'share', label: 'Share (est.)', numeric: true, estimate: true },
  { key: 'bound', label: 'Bound (est.)', numeric: false, estimate: true },
  { key: 'runsOn', label: 'Runs on', numeric: false, estimate: true },
];

/** Column-wise storage: numbers in typed arrays (NaN: unknown), text in string arrays. */
export interface LayerTable {
  /** Main-graph node index per row. */
  node: Int32Array;
  name: string[];
  op: string[];
  params: Float64Array;
  macs: Float64Array;
  weightBytes: Float64Array;
  activationBytes: Float64Array;
  /** Memory traffic (bytes in and out), for the roofline's intensity. */
  memoryBytes: Float64Array;
  latencyMs: Float64Array;
  share: Float64Array;
  bound: string[];
  runsOn: string[];
  /** Row of each main-graph node; -1 for inputs and outputs. */
  rowOf: Int32Array;
  /** Lower-case name and op for the filter. */
  search: string[];
}

export function buildLayerTable(model: GraphModel, estimate?: EstimateView): LayerTable {
  const graph = model.graphs[0];
  const nodes = graph?.nodes ?? [];
  const ops: number[] = [];
  nodes.forEach((n, i) => {
    if (n.kind === 'op') ops.push(i);
  });
  const n = ops.length;
  const metric = (key: string) => model.metrics.findIndex((m) => m.key === key);
  const col = (key: string): Float64Array => {
    const k = metric(key);
    const out = new Float64Array(n).fill(Number.NaN);
    if (k < 0) return out;
    for (let r = 0; r < n; r++) {
      const v = nodes[ops[r]].metrics[k];
      if (v !== null && v !== undefined) out[r] = v;
    }
    return out;
  };
  const rowOf = new Int32Array(nodes.length).fill(-1);
  ops.forEach((node, r) => {
    rowOf[node] = r;
  });
  const t: LayerTable = {
    node: Int32Array.from(ops),
    name: ops.map((i) => nodes[i].name),
    op: ops.map((i) => (nodes[i].domain ? `${nodes[i].domain}.${nodes[i].opType}` : nodes[i].opType)),
    params: col('params'),
    macs: col('macs'),
    weightBytes: col('weightBytes'),
    activationBytes: col('activationBytes'),
    memoryBytes: col('memoryBytes'),
    latencyMs: new Float64Array(n).fill(Number.NaN),
    share: new Float64Array(n).fill(Number.NaN),
    bound: new Array(n).fill(''),
    runsOn: new Array(n).fill(''),
    rowOf,
    search: ops.map((i) => `${nodes[i].name}\n${nodes[i].opType}`.toLowerCase()),
  };
  if (estimate) applyEstimate(t, estimate);
  return t;
}

/** Fills the estimate's columns (clearing any earlier estimate's). */
export function applyEstimate(t: LayerTable, estimate: EstimateView): void {
  t.latencyMs.fill(Number.NaN);
  t.share.fill(Number.NaN);
  t.bound.fill('');
  t.runsOn.fill('');
  for (const l of estimate.layers) {
    const r = l.node >= 0 && l.node < t.rowOf.length ? t.rowOf[l.node] : -1;
    if (r < 0) continue;
    if (l.latencyMs !== null) t.latencyMs[r] = l.latencyMs;
    if (l.share !== null) t.share[r] = l.share;
    t.bound[r] = l.fusedInto !== undefined ? 'fused' : (l.bound ?? '');
    t.runsOn[r] = l.runsOn;
  }
}

export interface SortSpec {
  key: ColumnKey;
  /** 1 ascending, -1 descending. */
  dir: 1 | -1;
}

/**
 * Row order for a sort and a filter: rows whose name or op contains every word of `filter` (case-insensitive),
 * ordered by the column; unknown values go last in either direction, ties keep graph order.
 */
export function orderRows(t: LayerTable, sort: SortSpec | null, filter: string): Int32Array {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const rows: number[] = [];
  for (let r = 0; r < t.node.length; r++) {
    const s = t.search[r];
    if (words.every((w) => s.includes(w))) rows.push(r);
  }
  if (sort) {
    const { key, dir } = sort;
    const v = t[key];
    if (v instanceof Float64Array) {
      rows.sort((a, b) => {
        const x = v[a];
        const y = v[b];
        const xn = Number.isNaN(x);
        const yn = Number.isNaN(y);
        if (xn || yn) return xn === yn ? a - b : xn ? 1 : -1;
        return x === y ? a - b : (x - y) * dir;
      });
    } else if (Array.isArray(v)) {
      const text = v as string[];
      rows.sort((a, b) => {
        const x = text[a];
        const y = text[b];
        if (!x || !y) return !x && !y ? a - b : !x ? 1 : -1;
        const c = x.localeCompare(y, undefined, { numeric: true });
        return c === 0 ? a - b : c * dir;
      });
    }
  }
  return Int32Array.from(rows);
}

/** The `n` rows with the largest values of a column (unknowns left out), largest first. */
export function topRows(values: Float64Array, n: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < values.length; r++) if (values[r] > 0) rows.push(r);
  rows.sort((a, b) => values[b] - values[a] || a - b);
  return rows.slice(0, n);
}
