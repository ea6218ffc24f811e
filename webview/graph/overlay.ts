/**
 * Colouring nodes by a per-node number (MACs, bytes, later latency) or category (compute- or memory-bound):
 * the colour of each item in view, and the legend that explains it. Numbers use a logarithmic scale between the
 * smallest positive and the largest value in view, since costs span orders of magnitude; zero and unknown values
 * are left uncoloured and say so in the legend.
 */
import type { MetricInfo } from '../../src/core/report/graphModel.js';
import type { Hierarchy } from './hierarchy.js';

/** Hue from blue (low) through green and yellow to red (high), at fixed saturation and lightness. */
export function rampColor(t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const hue = 220 - 220 * clamped;
  return `hsl(${hue.toFixed(0)}, 70%, 50%)`;
}

/** Colours for categories, distinct in light and dark themes. */
export const CATEGORY_COLORS = ['#3a7bd5', '#e8912d', '#4caf50', '#c2185b', '#8e6bbf', '#00897b'];

/** Black or white, whichever reads better on an `hsl()` or `#rrggbb` fill. */
export function textOn(fill: string): string {
  const hsl = /hsl\((\d+(?:\.\d+)?), (\d+)%, (\d+)%\)/.exec(fill);
  let r: number;
  let g: number;
  let b: number;
  if (hsl) {
    const h = Number(hsl[1]) / 360;
    const s = Number(hsl[2]) / 100;
    const l = Number(hsl[3]) / 100;
    const f = (n: number) => {
      const k = (n + h * 12) % 12;
      return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    };
    [r, g, b] = [f(0), f(8), f(4)];
  } else {
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(fill);
    if (!m) return '#000000';
    [r, g, b] = [m[1], m[2], m[3]].map((x) => Number.parseInt(x, 16) / 255);
  }
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.45 ? '#000000' : '#ffffff';
}

export interface Overlay {
  metric: MetricInfo;
  /** Fill per hierarchy item; null: not coloured. */
  fill: (string | null)[];
  /** Value per hierarchy item (NaN: unknown). */
  value: Float64Array;
  legend: { min: number; max: number } | { categories: string[] };
}

/** Values of one metric for every item: nodes their own, containers their nodes' sum (or max), unknowns NaN. */
export function itemValues(hier: Hierarchy, column: (number | null)[], metric: MetricInfo): Float64Array {
  const n = hier.kind.length;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < hier.nodeCount; i++) {
    const v = column[i];
    if (v !== null && v !== undefined && hier.kind[i] === 'op') out[i] = v;
  }
  if (metric.kind === 'category') return out;
  const combine = metric.aggregate === 'max' ? Math.max : (a: number, b: number) => a + b;
  const visit = (c: number): number => {
    let acc = Number.NaN;
    for (const i of hier.children[c]) {
      const v = hier.isContainer(i) ? visit(i) : out[i];
      if (!Number.isNaN(v)) acc = Number.isNaN(acc) ? v : combine(acc, v);
    }
    out[c] = acc;
    return acc;
  };
  visit(hier.root);
  return out;
}

/** Colours for the items in view (`inView`), on a scale over their values. */
export function buildOverlay(
  hier: Hierarchy,
  metric: MetricInfo,
  values: Float64Array,
  inView: readonly number[],
): Overlay {
  const fill: (string | null)[] = new Array(hier.kind.length).fill(null);
  if (metric.kind === 'category') {
    for (const i of inView) {
      const v = values[i];
      if (!Number.isNaN(v)) fill[i] = CATEGORY_COLORS[v % CATEGORY_COLORS.length];
    }
    return { metric, fill, value: values, legend: { categories: metric.categories } };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const i of inView) {
    const v = values[i];
    if (v > 0) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  if (max === 0) return { metric, fill, value: values, legend: { min: 0, max: 0 } };
  const lo = Math.log(min);
  const span = Math.log(max) - lo;
  for (const i of inView) {
    const v = values[i];
    if (v > 0) fill[i] = rampColor(span > 0 ? (Math.log(v) - lo) / span : 1);
  }
  return { metric, fill, value: values, legend: { min, max } };
}

/** `1.23 G`, `456 k`, `12.0 MiB`: short numbers for labels and the legend. */
export function formatMetric(v: number, unit: string): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (unit === 'bytes') {
    if (v < 1024) return `${v} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let x = v / 1024;
    let u = 0;
    while (x >= 1024 && u < units.length - 1) {
      x /= 1024;
      u++;
    }
    return `${x.toFixed(x < 10 ? 2 : 1)} ${units[u]}`;
  }
  if (unit === 'seconds') {
    if (v >= 1) return `${v.toFixed(2)} s`;
    if (v >= 1e-3) return `${(v * 1e3).toFixed(2)} ms`;
    return `${(v * 1e6).toFixed(1)} µs`;
  }
  const abs = Math.abs(v);
  const steps: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [f, s] of steps) if (abs >= f) return `${(v / f).toFixed(v / f < 10 ? 2 : 1)} ${s}`;
  return String(Math.round(v * 100) / 100);
}
