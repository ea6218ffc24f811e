/**
 * Compares two models (before/after a transform, or two versions): totals side by side and a per-layer diff.
 *
 * Layers are matched in three passes, each recorded on the match:
 * 1. by name: nodes with the same (non-empty, unique) name;
 * 2. by structure: nodes of the same op type whose data inputs come from matched producers (or the same graph
 *    input), walking in topological order so matches propagate from the inputs; nodes a transform typically
 *    inserts on an edge (Quantize/DequantizeLinear, Cast, Identity) are looked through;
 * 3. by position: what is left, per op type, paired in topological order when both sides have as many.
 * Unmatched nodes are `removed` (only in A) or `added` (only in B). Pure: no I/O.
 */

import { type LayerCost, type ModelProfile, type ProfileOptions, profileModel } from '../analysis/cost.js';
import type { Model } from '../onnx/ir.js';
import { formatCount, formatShape } from '../report/summary.js';
import { GraphIndex } from './graphEdit.js';

export type MatchKind = 'name' | 'structure' | 'position';

export interface LayerSide {
  index: number;
  name: string;
  opType: string;
  params: number;
  weightBytes: number;
  macs: number | null;
  /** Output shapes, formatted (`[1, 8, 16, 16]`). */
  outputs: string[];
  /** Element types of the weights first read here. */
  weightTypes: string[];
}

export interface LayerDiff {
  status: 'same' | 'changed' | 'added' | 'removed';
  matchedBy?: MatchKind;
  a?: LayerSide;
  b?: LayerSide;
  /** What differs, one phrase each (`params 1,024 → 512`). */
  changes: string[];
}

export interface TotalRow {
  metric: string;
  a: number | null;
  b: number | null;
  /** b − a; null when either is unknown. */
  delta: number | null;
  /** b / a; null when either is unknown or a is 0. */
  ratio: number | null;
}

export interface ModelComparison {
  a: { label: string; graphName: string };
  b: { label: string; graphName: string };
  totals: TotalRow[];
  /** Op types whose node count differs. */
  opCounts: { opType: string; a: number; b: number }[];
  layers: LayerDiff[];
  summary: {
    byName: number;
    byStructure: number;
    byPosition: number;
    same: number;
    changed: number;
    added: number;
    removed: number;
  };
}

export interface CompareOptions extends ProfileOptions {
  labels?: { a: string; b: string };
  /** File sizes, when known, for the totals. */
  fileBytes?: { a: number; b: number };
}

/** Nodes a transform inserts on an edge without changing what flows along it, looked through when matching. */
const passThrough = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'Cast', 'Identity']);

export function compareModels(a: Model, b: Model, options: CompareOptions = {}): ModelComparison {
  const pa = profileModel(a, options);
  const pb = profileModel(b, options);
  const ia = new GraphIndex(a.graph);
  const ib = new GraphIndex(b.graph);
  const ga = a.graph.nodes;
  const gb = b.graph.nodes;
  const aToB = new Map<number, number>();
  const bToA = new Map<number, number>();
  const how = new Map<number, MatchKind>();
  const match = (x: number, y: number, kind: MatchKind) => {
    aToB.set(x, y);
    bToA.set(y, x);
    how.set(x, kind);
  };

  // 1. names
  const unique = (nodes: Model['graph']['nodes']) => {
    const count = new Map<string, number>();
    for (const n of nodes) if (n.name) count.set(n.name, (count.get(n.name) ?? 0) + 1);
    const at = new Map<string, number>();
    nodes.forEach((n, i) => {
      if (n.name && count.get(n.name) === 1) at.set(n.name, i);
    });
    return at;
  };
  const namesB = unique(gb);
  for (const [name, i] of unique(ga)) {
    const j = namesB.get(name);
    if (j !== undefined) match(i, j, 'name');
  }

  // 2. structure
  const posA = new Map(ia.order.map((i, k) => [i, k / Math.max(1, ia.order.length)]));
  const posB = new Map(ib.order.map((i, k) => [i, k / Math.max(1, ib.order.length)]));
  /** Where a data input comes from: a node index (looking through pass-through nodes), a graph input, or null. */
  const origin = (idx: GraphIndex, name: string, matched: (i: number) => boolean): string | null => {
    let v = name;
    for (let guard = 0; guard < 16; guard++) {
      if (idx.graphInputs.has(v)) return `in:${v}`;
      const p = idx.producer.get(v);
      if (p === undefined) return null;
      const n = idx.graph.nodes[p];
      if (!matched(p) && passThrough.has(n.opType) && n.inputs[0]) {
        v = n.inputs[0];
        continue;
      }
      return `node:${p}`;
    }
    return null;
  };
  for (let pass = 0; pass < 3; pass++) {
    let found = 0;
    const candidatesB = new Map<string, number[]>();
    for (const j of ib.order) {
      if (bToA.has(j)) continue;
      const list = candidatesB.get(gb[j].opType) ?? [];
      list.push(j);
      candidatesB.set(gb[j].opType, list);
    }
    for (const i of ia.order) {
      if (aToB.has(i) || passThrough.has(ga[i].opType)) continue;
      const wanted = ga[i].inputs.map((x) => {
        if (!x) return null;
        const o = origin(ia, x, (p) => aToB.has(p));
        if (o?.startsWith('node:')) {
          const partner = aToB.get(Number(o.slice(5)));
          return partner === undefined ? '?' : `node:${partner}`;
        }
        return o;
      });
      if (!wanted.some((w) => w !== null) || wanted.includes('?')) continue;
      const list = candidatesB.get(ga[i].opType) ?? [];
      let best: number | undefined;
      let bestDist = Number.POSITIVE_INFINITY;
      for (const j of list) {
        if (bToA.has(j)) continue;
        const ok = wanted.every((w, k) => {
          if (w === null) return true;
          const x = gb[j].inputs[k];
          return !!x && origin(ib, x, (p) => bToA.has(p)) === w;
        });
        if (!ok) continue;
        const d = Math.abs((posA.get(i) ?? 0) - (posB.get(j) ?? 0));
        if (d < bestDist) {
          best = j;
          bestDist = d;
        }
      }
      if (best !== undefined) {
        match(i, best, 'structure');
        found++;
      }
    }
    if (!found) break;
  }

  // 3. position
  const leftA = new Map<string, number[]>();
  const leftB = new Map<string, number[]>();
  for (const i of ia.order) if (!aToB.has(i)) leftA.set(ga[i].opType, [...(leftA.get(ga[i].opType) ?? []), i]);
  for (const j of ib.order) if (!bToA.has(j)) leftB.set(gb[j].opType, [...(leftB.get(gb[j].opType) ?? []), j]);
  for (const [op, xs] of leftA) {
    const ys = leftB.get(op) ?? [];
    if (xs.length !== ys.length) continue;
    for (let k = 0; k < xs.length; k++) match(xs[k], ys[k], 'position');
  }

  // Diffs, in A's order with B's additions after the node they follow.
  const la = byIndex(pa);
  const lb = byIndex(pb);
  const layers: LayerDiff[] = [];
  const emittedB = new Set<number>();
  const emitAddedBefore = (j: number) => {
    // B nodes without a partner that come before `j` in B's order and were not listed yet.
    for (const k of ib.order) {
      if (k === j) break;
      if (!bToA.has(k) && !emittedB.has(k)) {
        emittedB.add(k);
        layers.push({ status: 'added', b: side(lb.get(k), k, gb[k].opType), changes: [] });
      }
    }
  };
  for (const i of ia.order) {
    const sa = side(la.get(i), i, ga[i].opType);
    const j = aToB.get(i);
    if (j === undefined) {
      layers.push({ status: 'removed', a: sa, changes: [] });
      continue;
    }
    emitAddedBefore(j);
    emittedB.add(j);
    const sb = side(lb.get(j), j, gb[j].opType);
    const changes = diffSides(sa, sb);
    layers.push({ status: changes.length ? 'changed' : 'same', matchedBy: how.get(i), a: sa, b: sb, changes });
  }
  for (const k of ib.order) {
    if (!bToA.has(k) && !emittedB.has(k))
      layers.push({ status: 'added', b: side(lb.get(k), k, gb[k].opType), changes: [] });
  }

  const count = (s: LayerDiff['status']) => layers.filter((l) => l.status === s).length;
  const kinds = [...how.values()];
  const opCount = (m: Model) => {
    const c = new Map<string, number>();
    for (const n of m.graph.nodes) c.set(n.opType, (c.get(n.opType) ?? 0) + 1);
    return c;
  };
  const ca = opCount(a);
  const cb = opCount(b);
  const ops = [...new Set([...ca.keys(), ...cb.keys()])].sort();
  return {
    a: { label: options.labels?.a ?? 'A', graphName: a.graph.name },
    b: { label: options.labels?.b ?? 'B', graphName: b.graph.name },
    totals: totals(pa, pb, a, b, options),
    opCounts: ops.map((op) => ({ opType: op, a: ca.get(op) ?? 0, b: cb.get(op) ?? 0 })).filter((r) => r.a !== r.b),
    layers,
    summary: {
      byName: kinds.filter((k) => k === 'name').length,
      byStructure: kinds.filter((k) => k === 'structure').length,
      byPosition: kinds.filter((k) => k === 'position').length,
      same: count('same'),
      changed: count('changed'),
      added: count('added'),
      removed: count('removed'),
    },
  };
}

function byIndex(p: ModelProfile): Map<number, LayerCost> {
  return new Map(p.layers.map((l) => [l.index, l]));
}

function side(l: LayerCost | undefined, index: number, opType: string): LayerSide {
  return {
    index,
    name: l?.name ?? `${opType}#${index}`,
    opType: l?.opType ?? opType,
    params: l?.params ?? 0,
    weightBytes: l?.weightBytes ?? 0,
    macs: l?.macs ?? null,
    outputs: (l?.outputs ?? []).map((o) => formatShape(o.shape ?? undefined)),
    weightTypes: Object.keys(l?.paramsByDtype ?? {}).sort(),
  };
}

const n = (x: number | null) => (x === null ? 'n/a' : formatCount(x));

function diffSides(a: LayerSide, b: LayerSide): string[] {
  const out: string[] = [];
  if (a.opType !== b.opType) out.push(`op ${a.opType} → ${b.opType}`);
  if (a.params !== b.params) out.push(`params ${n(a.params)} → ${n(b.params)}`);
  if (a.weightBytes !== b.weightBytes) out.push(`weight bytes ${n(a.weightBytes)} → ${n(b.weightBytes)}`);
  if (a.macs !== b.macs) out.push(`MACs ${n(a.macs)} → ${n(b.macs)}`);
  if (a.outputs.join(' ') !== b.outputs.join(' ')) out.push(`output ${a.outputs.join(' ')} → ${b.outputs.join(' ')}`);
  if (a.weightTypes.join(',') !== b.weightTypes.join(',') && (a.params || b.params)) {
    out.push(`weights ${a.weightTypes.join('+') || 'none'} → ${b.weightTypes.join('+') || 'none'}`);
  }
  return out;
}

function totals(pa: ModelProfile, pb: ModelProfile, a: Model, b: Model, options: CompareOptions): TotalRow[] {
  const row = (metric: string, x: number | null, y: number | null): TotalRow => ({
    metric,
    a: x,
    b: y,
    delta: x === null || y === null ? null : y - x,
    ratio: x === null || y === null || x === 0 ? null : y / x,
  });
  const rows = [
    row('nodes', a.graph.nodes.length, b.graph.nodes.length),
    row('params', pa.totals.params, pb.totals.params),
    row('weight bytes', pa.totals.weightBytes, pb.totals.weightBytes),
    row('MACs', pa.totals.macs, pb.totals.macs),
    row('FLOPs', pa.totals.flops, pb.totals.flops),
    row('activation bytes', pa.totals.activationBytes, pb.totals.activationBytes),
  ];
  if (options.fileBytes) rows.push(row('file bytes', options.fileBytes.a, options.fileBytes.b));
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Output

export interface CompareFormatOptions {
  /** List every layer, unchanged ones included (default: only changed, added and removed). */
  all?: boolean;
}

export function formatComparisonText(c: ModelComparison, options: CompareFormatOptions = {}): string {
  const lines: string[] = [`A: ${c.a.label}`, `B: ${c.b.label}`, ''];
  const num = (x: number | null) => (x === null ? 'n/a' : formatCount(x));
  const change = (r: TotalRow) =>
    r.delta === null
      ? ''
      : `${r.delta > 0 ? '+' : ''}${formatCount(r.delta)}${r.ratio !== null ? ` (${(r.ratio * 100).toFixed(1)}%)` : ''}`;
  lines.push(
    ...table(
      ['', 'A', 'B', 'B − A (B/A)'],
      [false, true, true, true],
      c.totals.map((r) => [r.metric, num(r.a), num(r.b), change(r)]),
    ),
  );
  if (c.opCounts.length) {
    lines.push('', `op counts that differ: ${c.opCounts.map((o) => `${o.opType} ${o.a} → ${o.b}`).join(', ')}`);
  }
  const s = c.summary;
  lines.push(
    '',
    `layers: ${s.byName} matched by name, ${s.byStructure} by structure, ${s.byPosition} by position; ${s.same} unchanged, ${s.changed} changed, ${s.removed} removed, ${s.added} added`,
  );
  const rows = c.layers.filter((l) => options.all || l.status !== 'same');
  if (rows.length) {
    lines.push('');
    lines.push(
      ...table(
        ['status', 'A', 'B', 'op', 'params A → B', 'MACs A → B', 'what changed'],
        [false, false, false, false, true, true, false],
        rows.map((l) => [
          l.status + (l.matchedBy && l.matchedBy !== 'name' ? ` (${l.matchedBy})` : ''),
          l.a?.name ?? '',
          l.b?.name ?? '',
          l.a && l.b && l.a.opType !== l.b.opType ? `${l.a.opType}→${l.b.opType}` : (l.a?.opType ?? l.b?.opType ?? ''),
          arrow(l.a?.params, l.b?.params),
          arrow(l.a?.macs, l.b?.macs),
          l.changes
            .filter((x) => !x.startsWith('params ') && !x.startsWith('MACs ') && !x.startsWith('op '))
            .join('; '),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function arrow(a: number | null | undefined, b: number | null | undefined): string {
  const f = (x: number | null | undefined) => (x === undefined ? '' : x === null ? 'n/a' : formatCount(x));
  if (a === undefined) return f(b);
  if (b === undefined) return f(a);
  return a === b ? f(a) : `${f(a)} → ${f(b)}`;
}

function table(header: string[], numeric: boolean[], rows: string[][]): string[] {
  const max = 48;
  const widths = header.map((h, c) =>
    Math.min(
      c === header.length - 1 ? Number.POSITIVE_INFINITY : max,
      Math.max(h.length, ...rows.map((r) => r[c].length)),
    ),
  );
  const clip = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s);
  const line = (r: string[]) =>
    r
      .map((cell, c) =>
        numeric[c] ? clip(cell, widths[c]).padStart(widths[c]) : clip(cell, widths[c]).padEnd(widths[c]),
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The comparison as plain JSON data (it already is; this fixes the field order for output). */
export function comparisonJson(c: ModelComparison): object {
  return { a: c.a, b: c.b, summary: c.summary, totals: c.totals, opCounts: c.opCounts, layers: c.layers };
}
