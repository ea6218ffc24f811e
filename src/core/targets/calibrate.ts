/**
 * Calibration: measured times from other tools, mapped to a model's layers, and a fit of a profile's efficiency
 * factors and per-op overhead to them.
 *
 * Formats read (all by layer name; a file holds one model's layers unless it says which model each row is of):
 *   ort-profile  ONNX Runtime's profile (Chrome trace JSON, `enableProfiling`): `<node>_kernel_time` events; each
 *                node's time is the median over runs of its summed kernel times (the first run is left out as
 *                warm-up when there are several)
 *   trtexec      `trtexec --exportProfile` JSON: an array of `{ name, timeMs, averageMs, medianMs, percentage }`
 *                (a leading `{ count }` entry is skipped); `averageMs` is used, else `medianMs`, else
 *                `timeMs / count`. TensorRT names a fused layer after its parts (`A + B`, `PWN(A, B)`): the time is
 *                charged to the group of model layers it names
 *   vela         Vela's per-layer CSV (`<model>_per-layer.csv`, written with `--verbose-performance`): columns
 *                `TFLite_operator` (or `Original Operator`), `NNG Operator`, `SRAM Usage`, `Peak%`, `Op Cycles`,
 *                `Network%`, `NPU`, `SRAM AC`, `DRAM AC`, `OnFlash AC`, `OffFlash AC`, `MAC Count`, `Network%`,
 *                `Util%`, `Name`; time is `Op Cycles` ÷ the NPU clock. A repeated header row is skipped
 *   csv          `model,layer,ms` (header optional, `#` comments); layer `*` or empty: the whole model's latency
 *
 * Names are matched to a model's nodes: node name, node label (`Conv#3` for unnamed nodes), output tensor name,
 * ONNX Runtime's node index for unnamed nodes, the longest node name a fused kernel's name starts with, and last a
 * comparison ignoring case and punctuation. Entries that hit the same node are merged into one measured unit.
 *
 * The fit (`fitProfile`): per layer the estimate is the roofline of estimate.ts, max(work / (peak × efficiency of
 * its op class), memory time) + per-op overhead, evaluated from one `estimateModel` run so that it agrees with the
 * estimator exactly. Repeated a few times:
 *   1. per-op overhead = the median, over single-layer units whose compute and memory time is under a fifth of the
 *      measured time, of what is left of the measured time;
 *   2. per op class, every unit where that class has most of the estimated compute time and whose measured time is
 *      clearly above its memory time (so compute is what binds) implies an efficiency:
 *      efficiency × (the class's roofline time) / (measured time − the unit's other layers − overheads); the class's
 *      new factor is the median of those, weighted by measured time (the layers that dominate latency dominate the
 *      fit), clamped to (0, 1];
 *   3. the classes no unit informed share one scale, from the units that informed no class (whole models, groups
 *      where no class dominates): their factors keep the base profile's ratios.
 * Layers that run on a fallback, and memory-bound layers, keep their estimate. Errors before and after are
 * reported per measured unit (median |error|) and per model total.
 */

import type { ModelProfile } from '../analysis/cost.js';
import type { ValueFacts } from '../analysis/facts.js';
import type { Model } from '../onnx/ir.js';
import { nodeLabel } from '../onnx/validate.js';
import { parseProfile } from '../runtime/profileTrace.js';
import { type Estimate, estimateModel } from './estimate.js';
import { type HardwareProfile, OP_CLASSES, type OpClass } from './profile.js';

export type TimingFormat = 'ort-profile' | 'trtexec' | 'vela' | 'csv';
export const TIMING_FORMATS: readonly TimingFormat[] = ['ort-profile', 'trtexec', 'vela', 'csv'];

export class CalibrationError extends Error {
  override name = 'CalibrationError';
}

/** One measured time: a layer, a group of layers the runtime ran as one (fused), or a whole model. */
export interface TimingEntry {
  /** The tool's name for what it timed. */
  name: string;
  /** Names of the model layers the entry covers (node or tensor names); empty for a whole model. */
  layers: string[];
  ms: number;
  opType?: string;
  /** ONNX Runtime's node index (finds unnamed nodes). */
  nodeIndex?: number;
  /** The model the row is of (simple CSV); absent: the file's model. */
  model?: string;
  /** The whole model's latency, not one layer's. */
  wholeModel?: boolean;
}

export interface TimingFile {
  format: TimingFormat;
  entries: TimingEntry[];
  /** Things the reader skipped or assumed, for the report. */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Readers

/** The format of a measurement file, from its content (the name only breaks ties). */
export function detectTimingFormat(text: string, fileName = ''): TimingFormat {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('[') || t.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (e) {
      throw new CalibrationError(`${fileName || 'input'}: invalid JSON (${e instanceof Error ? e.message : e})`);
    }
    if (!Array.isArray(value)) {
      if (value && typeof value === 'object' && Array.isArray((value as { traceEvents?: unknown }).traceEvents))
        return 'ort-profile';
      throw new CalibrationError(`${fileName || 'input'}: a JSON object that is not an ONNX Runtime profile`);
    }
    const objects = value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object');
    if (objects.some((o) => 'cat' in o && 'ph' in o)) return 'ort-profile';
    if (objects.some((o) => 'averageMs' in o || 'timeMs' in o || 'percentage' in o)) return 'trtexec';
    throw new CalibrationError(
      `${fileName || 'input'}: a JSON array that is neither an ONNX Runtime profile nor a trtexec --exportProfile file`,
    );
  }
  const header = t.split(/\r?\n/, 1)[0] ?? '';
  if (/Op Cycles|NNG Operator/.test(header) || /per-layer\.csv$/i.test(fileName)) return 'vela';
  return 'csv';
}

export interface ReadOptions {
  /** Clock of the unit Vela's cycles count (MHz); needed for Vela files. */
  clockMHz?: number;
  /** Name used in messages. */
  fileName?: string;
}

/** Reads a measurement file of any supported format. */
export function readTimings(text: string, format: TimingFormat, options: ReadOptions = {}): TimingFile {
  switch (format) {
    case 'ort-profile':
      return readOrtProfile(text);
    case 'trtexec':
      return readTrtexecProfile(text, options.fileName);
    case 'vela':
      return readVelaPerLayer(text, options);
    case 'csv':
      return readSimpleCsv(text, options.fileName);
  }
}

const median = (xs: readonly number[]): number => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** ONNX Runtime profile: per kernel name, the median over runs (first run skipped when there are more). */
export function readOrtProfile(text: string): TimingFile {
  const events = parseProfile(text);
  const runs = new Set(events.map((e) => e.run));
  const skip = runs.size > 1 ? Math.min(...runs) : Number.NEGATIVE_INFINITY;
  const byName = new Map<string, { opType: string; nodeIndex?: number; perRun: Map<number, number> }>();
  for (const e of events) {
    if (e.run === skip) continue;
    const k = byName.get(e.name) ?? { opType: e.opType, nodeIndex: e.nodeIndex, perRun: new Map() };
    k.perRun.set(e.run, (k.perRun.get(e.run) ?? 0) + e.durUs / 1000);
    byName.set(e.name, k);
  }
  const entries: TimingEntry[] = [...byName].map(([name, k]) => ({
    name,
    layers: [name],
    ms: median([...k.perRun.values()]),
    ...(k.opType ? { opType: k.opType } : {}),
    ...(k.nodeIndex !== undefined ? { nodeIndex: k.nodeIndex } : {}),
  }));
  const notes = [
    `${runs.size} run${runs.size === 1 ? '' : 's'}${runs.size > 1 ? ', the first left out as warm-up' : ''}`,
  ];
  if (!entries.length) notes.push('no kernel events (was the profile written with enableProfiling?)');
  return { format: 'ort-profile', entries, notes };
}

/** Names of the layers a TensorRT layer name stands for (`A + B`, `PWN(A, PWN(B, C))`). */
export function trtLayerNames(name: string): string[] {
  const out: string[] = [];
  const walk = (s: string) => {
    for (const part of splitTopLevel(s, ' + ')) {
      const m = /^\s*(?:PWN|ForeignNode)\((.*)\)\s*$/s.exec(part);
      if (m) {
        for (const inner of splitTopLevel(m[1], ', ')) walk(inner);
      } else if (part.trim()) out.push(part.trim());
    }
  };
  walk(name);
  return out;
}

/** Splits at `sep` outside parentheses and brackets. */
function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (depth === 0 && s.startsWith(sep, i)) {
      parts.push(s.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

export function readTrtexecProfile(text: string, fileName = 'input'): TimingFile {
  const value = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  if (!Array.isArray(value)) throw new CalibrationError(`${fileName}: expected a JSON array (trtexec --exportProfile)`);
  let count: number | undefined;
  const entries: TimingEntry[] = [];
  const notes: string[] = [];
  for (const item of value) {
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    if (typeof o.count === 'number' && o.name === undefined) {
      count = o.count;
      continue;
    }
    if (typeof o.name !== 'string') continue;
    const num = (k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined);
    const ms =
      num('averageMs') ??
      num('medianMs') ??
      (num('timeMs') !== undefined && count ? (num('timeMs') as number) / count : undefined);
    if (ms === undefined) {
      notes.push(`layer '${o.name}': no averageMs, medianMs, or timeMs with a count; skipped`);
      continue;
    }
    entries.push({ name: o.name, layers: trtLayerNames(o.name), ms });
  }
  return { format: 'trtexec', entries, notes };
}

/** Parses CSV text (RFC 4180 quoting) into rows of fields; blank lines are dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const s = text.replace(/^\uFEFF/, '');
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0].trim() !== '') rows.push(row);
    row = [];
    field = '';
  };
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      endRow();
    } else field += c;
    i++;
  }
  if (field !== '' || row.length) endRow();
  return rows;
}

export function readVelaPerLayer(text: string, options: ReadOptions = {}): TimingFile {
  const file = options.fileName ?? 'input';
  const rows = parseCsv(text);
  if (!rows.length) throw new CalibrationError(`${file}: empty file`);
  const header = rows[0].map((h) => h.trim());
  const col = (...names: string[]) => {
    for (const n of names) {
      const i = header.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const cycles = col('Op Cycles');
  const name = col('Name');
  if (cycles < 0 || name < 0)
    throw new CalibrationError(`${file}: not a Vela per-layer CSV (no 'Op Cycles' or 'Name' column)`);
  const clock = options.clockMHz;
  if (!(clock !== undefined && clock > 0))
    throw new CalibrationError(`${file}: Vela counts cycles; the NPU clock (MHz) is needed to turn them into time`);
  const tflite = col('TFLite_operator', 'Original Operator');
  const nng = col('NNG Operator');
  const entries: TimingEntry[] = [];
  const notes: string[] = [`cycles ÷ ${clock} MHz`];
  for (const r of rows.slice(1)) {
    if (r.map((x) => x.trim()).join(',') === header.join(',')) continue;
    const c = Number(r[cycles]);
    const n = (r[name] ?? '').trim();
    if (!n || !Number.isFinite(c)) {
      notes.push(`row '${r.join(',').slice(0, 60)}': no name or cycle count; skipped`);
      continue;
    }
    const op = (tflite >= 0 ? r[tflite] : nng >= 0 ? r[nng] : '')?.trim();
    entries.push({ name: n, layers: [n], ms: c / (clock * 1e3), ...(op ? { opType: op } : {}) });
  }
  return { format: 'vela', entries, notes };
}

export function readSimpleCsv(text: string, fileName = 'input'): TimingFile {
  const rows = parseCsv(
    text
      .split(/\r?\n/)
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n'),
  );
  if (!rows.length) throw new CalibrationError(`${fileName}: no rows`);
  let iModel = 0;
  let iLayer = 1;
  let iMs = 2;
  let body = rows;
  const first = rows[0].map((h) => h.trim().toLowerCase());
  if (!Number.isFinite(Number(rows[0][2])) || rows[0][2]?.trim() === '') {
    const find = (...names: string[]) => first.findIndex((h) => names.includes(h));
    iModel = find('model');
    iLayer = find('layer', 'name', 'node');
    iMs = find('ms', 'time_ms', 'latency_ms', 'timems');
    if (iModel < 0 || iLayer < 0 || iMs < 0)
      throw new CalibrationError(`${fileName}: expected columns model,layer,ms (header: ${rows[0].join(',')})`);
    body = rows.slice(1);
  }
  const entries: TimingEntry[] = [];
  for (const [i, r] of body.entries()) {
    const ms = Number(r[iMs]);
    if (!Number.isFinite(ms) || ms < 0 || r[iMs]?.trim() === '')
      throw new CalibrationError(`${fileName}: row ${i + 1}: '${r[iMs] ?? ''}' is not a time in ms`);
    const model = (r[iModel] ?? '').trim();
    const layer = (r[iLayer] ?? '').trim();
    const whole = layer === '' || layer === '*';
    entries.push({
      name: whole ? '*' : layer,
      layers: whole ? [] : [layer],
      ms,
      ...(model ? { model } : {}),
      ...(whole ? { wholeModel: true } : {}),
    });
  }
  return { format: 'csv', entries, notes: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Matching to a model

/** One measured time and the model layers (node indices of the main graph) it covers. */
export interface MeasuredUnit {
  name: string;
  layers: number[];
  measuredMs: number;
  wholeModel: boolean;
}

export interface MatchResult {
  units: MeasuredUnit[];
  /** Entries that named no layer of the model. */
  unmatched: TimingEntry[];
}

const normalize = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Maps entries (of one model) to its layers; entries hitting a common layer are merged. */
export function matchTimings(model: Model, entries: readonly TimingEntry[]): MatchResult {
  const nodes = model.graph.nodes;
  const exact = new Map<string, number>();
  const loose = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const key of [n.name, nodeLabel(n, i), ...n.outputs]) if (key && !exact.has(key)) exact.set(key, i);
    for (const key of [n.name, ...n.outputs]) {
      const k = key ? normalize(key) : '';
      if (k && !loose.has(k)) loose.set(k, i);
    }
  });
  const prefixes = nodes
    .map((n, i) => ({ name: n.name, i }))
    .filter((x) => x.name.length >= 3)
    .sort((a, b) => b.name.length - a.name.length);

  const find = (token: string, e: TimingEntry): number | undefined => {
    const hit = exact.get(token);
    if (hit !== undefined) return hit;
    if (e.nodeIndex !== undefined) {
      const n = nodes[e.nodeIndex];
      if (n && !n.name && (!e.opType || e.opType === n.opType)) return e.nodeIndex;
    }
    const p = prefixes.find((x) => token.startsWith(x.name));
    if (p) return p.i;
    return loose.get(normalize(token));
  };

  const units: MeasuredUnit[] = [];
  const unitOf = new Map<number, MeasuredUnit>();
  const unmatched: TimingEntry[] = [];
  for (const e of entries) {
    if (e.wholeModel) {
      units.push({ name: e.name, layers: nodes.map((_, i) => i), measuredMs: e.ms, wholeModel: true });
      continue;
    }
    const hits = [...new Set(e.layers.map((t) => find(t, e)).filter((i): i is number => i !== undefined))];
    if (!hits.length) {
      unmatched.push(e);
      continue;
    }
    // Merge with every unit that already holds one of these layers.
    const owners = [...new Set(hits.map((i) => unitOf.get(i)).filter((u): u is MeasuredUnit => u !== undefined))];
    const unit: MeasuredUnit = owners[0] ?? { name: e.name, layers: [], measuredMs: 0, wholeModel: false };
    if (!owners.length) units.push(unit);
    else unit.name = `${unit.name} + ${e.name}`;
    for (const other of owners.slice(1)) {
      unit.layers.push(...other.layers);
      unit.measuredMs += other.measuredMs;
      units.splice(units.indexOf(other), 1);
      for (const i of other.layers) unitOf.set(i, unit);
    }
    unit.measuredMs += e.ms;
    for (const i of hits) {
      if (!unit.layers.includes(i)) unit.layers.push(i);
      unitOf.set(i, unit);
    }
  }
  for (const u of units) u.layers.sort((a, b) => a - b);
  return { units, unmatched };
}

// ---------------------------------------------------------------------------------------------------------------
// Fit

/** A model with its measured units, ready to fit. */
export interface CalibrationSet {
  /** Label for reports (file name). */
  id: string;
  model: Model;
  cost: ModelProfile;
  facts: ReadonlyMap<string, ValueFacts>;
  units: MeasuredUnit[];
}

export interface FitOptions {
  /** Profiles by id (fallbacks that name another profile). */
  profiles?: ReadonlyMap<string, HardwareProfile>;
  /** Rounds of the fit (default 5). */
  iterations?: number;
  /** Fit the per-op overhead (default true). */
  fitOverhead?: boolean;
  /** Classes to fit (default all). */
  classes?: readonly OpClass[];
  /** Share of a unit's compute time one class must have to count for that class (default 0.6). */
  minShare?: number;
}

export interface ModelError {
  id: string;
  measuredMs: number;
  estimatedMs: number;
  errorPct: number;
}

export interface ErrorSummary {
  /** Units with a known estimate. */
  units: number;
  /** Median over units of |estimate − measured| / measured, percent. */
  medianAbsErrorPct: number;
  /** Per model: the sum over its units (or its whole-model time) against the estimate of the same layers. */
  models: ModelError[];
  /** Median over models of |error| of their totals, percent. */
  totalMedianAbsErrorPct: number;
}

export interface ClassFit {
  opClass: OpClass;
  /** Units that informed the factor in the last round. */
  units: number;
  /**
   * The factor was scaled together with the other classes no unit of their own informed (whole-model and mixed
   * units); their ratios are the base profile's.
   */
  scaledTogether?: boolean;
  before: number;
  after: number;
}

export interface FitResult {
  /** A copy of the profile with the fitted factors (sources and calibration untouched; see calibratedProfileJson). */
  profile: HardwareProfile;
  before: ErrorSummary;
  after: ErrorSummary;
  classes: ClassFit[];
  overhead: { beforeSec: number; afterSec: number; units: number; fitted: boolean };
  /** Units left out because some layer of theirs has no estimate. */
  unknownUnits: number;
  /** Units whose layers all run on the profile's fallback (their estimate is not the profile's to fit). */
  fallbackUnits: number;
}

/** A layer's estimate, split so that it can be re-evaluated with other factors. */
type Terms =
  | { kind: 'zero' }
  | { kind: 'fixed'; ms: number }
  | { kind: 'roofline'; cls: OpClass; computeMs: number; eff0: number; memoryMs: number | null; extraMs: number }
  | { kind: 'unknown' };

interface Params {
  eff: Record<OpClass, number>;
  overheadMs: number;
}

function layerTerms(estimate: Estimate, profile: HardwareProfile): Terms[] {
  return estimate.layers.map((l): Terms => {
    if (l.fusedInto !== undefined) return { kind: 'zero' };
    if (l.latencyMs === null) return { kind: 'unknown' };
    if (l.latencyMs === 0) return { kind: 'zero' };
    if (l.runsOn !== 'target' || l.computeMs === null) return { kind: 'fixed', ms: l.latencyMs };
    const body = l.memoryMs === null ? l.computeMs : Math.max(l.computeMs, l.memoryMs);
    return {
      kind: 'roofline',
      cls: l.opClass,
      computeMs: l.computeMs,
      eff0: profile.efficiency[l.opClass],
      memoryMs: l.memoryMs,
      // The base per-op overhead is what the fit varies; op-type and size-dependent extras stay as they are.
      extraMs: Math.max(0, l.latencyMs - body - profile.perOpOverheadSec * 1000),
    };
  });
}

const computeAt = (t: Extract<Terms, { kind: 'roofline' }>, p: Params) => (t.computeMs * t.eff0) / p.eff[t.cls];

function termMs(t: Terms, p: Params): number {
  switch (t.kind) {
    case 'zero':
    case 'unknown':
      return 0;
    case 'fixed':
      return t.ms;
    case 'roofline': {
      const c = computeAt(t, p);
      return (t.memoryMs === null ? c : Math.max(c, t.memoryMs)) + p.overheadMs + t.extraMs;
    }
  }
}

interface PreparedUnit {
  set: string;
  unit: MeasuredUnit;
  terms: Terms[];
  perInferenceMs: number;
}

function unitEstimate(u: PreparedUnit, p: Params): number {
  return u.terms.reduce((s, t) => s + termMs(t, p), 0) + (u.unit.wholeModel ? u.perInferenceMs : 0);
}

function weightedMedian(items: { v: number; w: number }[]): number {
  const s = [...items].sort((a, b) => a.v - b.v);
  const total = s.reduce((a, b) => a + b.w, 0);
  let acc = 0;
  for (const it of s) {
    acc += it.w;
    if (acc >= total / 2) return it.v;
  }
  return s[s.length - 1].v;
}

function summarize(units: PreparedUnit[], p: Params): ErrorSummary {
  const errs: number[] = [];
  const byModel = new Map<string, { m: number; e: number; whole?: { m: number; e: number } }>();
  for (const u of units) {
    const e = unitEstimate(u, p);
    const m = u.unit.measuredMs;
    if (m > 0) errs.push(Math.abs(e - m) / m);
    const agg = byModel.get(u.set) ?? { m: 0, e: 0 };
    if (u.unit.wholeModel) agg.whole = { m, e };
    else {
      agg.m += m;
      agg.e += e;
    }
    byModel.set(u.set, agg);
  }
  const models: ModelError[] = [...byModel].map(([id, a]) => {
    const t = a.whole ?? { m: a.m, e: a.e };
    return { id, measuredMs: t.m, estimatedMs: t.e, errorPct: t.m > 0 ? ((t.e - t.m) / t.m) * 100 : 0 };
  });
  return {
    units: units.length,
    medianAbsErrorPct: errs.length ? median(errs) * 100 : 0,
    models,
    totalMedianAbsErrorPct: models.length ? median(models.map((m) => Math.abs(m.errorPct))) : 0,
  };
}

/** Fits `profile`'s efficiency factors (and per-op overhead) to the measured units of `sets`. */
export function fitProfile(
  profile: HardwareProfile,
  sets: readonly CalibrationSet[],
  options: FitOptions = {},
): FitResult {
  const prepared: PreparedUnit[] = [];
  let unknownUnits = 0;
  for (const s of sets) {
    const est = estimateModel(s.model, s.cost, s.facts, profile, { profiles: options.profiles });
    const terms = layerTerms(est, profile);
    for (const unit of s.units) {
      const ts = unit.layers.map((i) => terms[i] ?? { kind: 'unknown' as const });
      if (ts.some((t) => t.kind === 'unknown') || !(unit.measuredMs > 0)) {
        unknownUnits++;
        continue;
      }
      prepared.push({ set: s.id, unit, terms: ts, perInferenceMs: profile.perInferenceOverheadSec * 1000 });
    }
  }
  const p0: Params = { eff: { ...profile.efficiency }, overheadMs: profile.perOpOverheadSec * 1000 };
  const p: Params = { eff: { ...p0.eff }, overheadMs: p0.overheadMs };
  const classes = options.classes ?? OP_CLASSES;
  const minShare = options.minShare ?? 0.6;
  const used = new Map<OpClass, number>();
  const scaled = new Map<OpClass, number>();
  let overheadUnits = 0;
  let overheadFitted = false;
  const fitOverhead = options.fitOverhead ?? true;
  for (let round = 0; round < (options.iterations ?? 5); round++) {
    if (fitOverhead) {
      const residuals: { v: number; w: number }[] = [];
      for (const u of prepared) {
        if (u.unit.wholeModel) continue;
        const roof = u.terms.filter((t) => t.kind === 'roofline');
        if (roof.length !== 1 || u.terms.some((t) => t.kind === 'fixed')) continue;
        const t = roof[0] as Extract<Terms, { kind: 'roofline' }>;
        const c = computeAt(t, p);
        const body = (t.memoryMs === null ? c : Math.max(c, t.memoryMs)) + t.extraMs;
        if (body < 0.2 * u.unit.measuredMs) residuals.push({ v: u.unit.measuredMs - body, w: 1 });
      }
      if (residuals.length >= 3) {
        overheadUnits = residuals.length;
        overheadFitted = true;
        p.overheadMs = Math.max(0, weightedMedian(residuals));
      }
    }
    const informed = new Set<PreparedUnit>();
    for (const cls of classes) {
      const implied: { v: number; w: number }[] = [];
      const informing: PreparedUnit[] = [];
      for (const u of prepared) {
        let cc = 0;
        let ctotal = 0;
        let memCls = 0;
        let nCls = 0;
        let extraCls = 0;
        let others = u.unit.wholeModel ? u.perInferenceMs : 0;
        let bodyCls = 0;
        for (const t of u.terms) {
          if (t.kind === 'roofline') {
            const c = computeAt(t, p);
            ctotal += c;
            if (t.cls === cls) {
              cc += c;
              bodyCls += t.memoryMs === null ? c : Math.max(c, t.memoryMs);
              memCls += t.memoryMs ?? 0;
              nCls++;
              extraCls += t.extraMs;
              continue;
            }
          }
          others += termMs(t, p);
        }
        if (cc <= 0 || cc < minShare * ctotal) continue;
        const need = u.unit.measuredMs - others - nCls * p.overheadMs - extraCls;
        if (!(need > 0) || need <= memCls * 1.05) continue;
        // The factor that makes this unit's roofline time equal what was measured (exact where compute binds).
        implied.push({ v: (p.eff[cls] * bodyCls) / need, w: u.unit.measuredMs });
        informing.push(u);
      }
      used.set(cls, implied.length);
      if (implied.length) p.eff[cls] = Math.min(1, Math.max(1e-6, weightedMedian(implied)));
      for (const u of informing) informed.add(u);
    }
    // Units where no class dominates (whole models, mixed groups) scale the classes nothing else informed, together.
    const free = classes.filter((c) => !used.get(c));
    if (free.length) {
      const implied: { v: number; w: number }[] = [];
      for (const u of prepared) {
        if (informed.has(u)) continue;
        let cFree = 0;
        let bodyFree = 0;
        let memFree = 0;
        let nFree = 0;
        let extraFree = 0;
        let others = u.unit.wholeModel ? u.perInferenceMs : 0;
        for (const t of u.terms) {
          if (t.kind === 'roofline' && free.includes(t.cls)) {
            const c = computeAt(t, p);
            cFree += c;
            bodyFree += t.memoryMs === null ? c : Math.max(c, t.memoryMs);
            memFree += t.memoryMs ?? 0;
            nFree++;
            extraFree += t.extraMs;
          } else others += termMs(t, p);
        }
        const need = u.unit.measuredMs - others - nFree * p.overheadMs - extraFree;
        if (cFree > 0 && need > 0 && need > memFree * 1.05) implied.push({ v: bodyFree / need, w: u.unit.measuredMs });
      }
      if (implied.length) {
        const scale = weightedMedian(implied);
        for (const c of free) {
          p.eff[c] = Math.min(1, Math.max(1e-6, p.eff[c] * scale));
          scaled.set(c, implied.length);
        }
      }
    }
  }
  const fitted = structuredClone(profile);
  fitted.efficiency = { ...p.eff };
  if (overheadFitted) {
    fitted.perOpOverheadSec = p.overheadMs / 1000;
    if (fitted.perOpOverheadCycles !== undefined && fitted.clockMHz !== undefined)
      fitted.perOpOverheadCycles = fitted.perOpOverheadSec * fitted.clockMHz * 1e6;
  }
  return {
    profile: fitted,
    before: summarize(prepared, p0),
    after: summarize(prepared, p),
    classes: classes.map((c) => ({
      opClass: c,
      units: used.get(c) || scaled.get(c) || 0,
      ...(used.get(c) ? {} : scaled.get(c) ? { scaledTogether: true } : {}),
      before: p0.eff[c],
      after: p.eff[c],
    })),
    overhead: {
      beforeSec: p0.overheadMs / 1000,
      afterSec: p.overheadMs / 1000,
      units: overheadUnits,
      fitted: overheadFitted,
    },
    unknownUnits,
    fallbackUnits: prepared.filter((u) => u.terms.every((t) => t.kind !== 'roofline')).length,
  };
}

/** Errors of `profile`'s estimates against the measured units, without fitting anything. */
export function evaluateProfile(
  profile: HardwareProfile,
  sets: readonly CalibrationSet[],
  options: Pick<FitOptions, 'profiles'> = {},
): ErrorSummary {
  return fitProfile(profile, sets, { ...options, iterations: 0, fitOverhead: false }).before;
}

const round = (x: number, digits = 4) => Number(x.toPrecision(digits));

/**
 * The user-profile JSON for a fit: `{ id, extends, efficiency, perOpOverhead…, calibration, sources }`, which
 * userProfiles.ts resolves against the base profile.
 */
export function calibratedProfileJson(
  base: HardwareProfile,
  fit: FitResult,
  meta: { id: string; source: string; measurements: number },
): Record<string, unknown> {
  const out: Record<string, unknown> = { id: meta.id, extends: base.id };
  const sources: Record<string, string> = {};
  const efficiency: Record<string, number> = {};
  for (const c of fit.classes) {
    efficiency[c.opClass] = round(c.after);
    sources[`efficiency.${c.opClass}`] = c.units
      ? `calibrated: ${meta.source}; ${c.scaledTogether ? 'scaled with the other classes without measurements of their own by' : 'median of'} ${c.units} measured unit${c.units === 1 ? '' : 's'} (was ${round(c.before, 3)})`
      : `${base.sources[`efficiency.${c.opClass}`] ?? 'inherited'} (no measurement of this class; kept)`;
  }
  out.efficiency = efficiency;
  if (fit.overhead.fitted) {
    const note = `calibrated: ${meta.source}; median residual of ${fit.overhead.units} overhead-bound layers`;
    if (base.perOpOverheadCycles !== undefined && base.clockMHz !== undefined) {
      out.perOpOverheadCycles = round(fit.overhead.afterSec * base.clockMHz * 1e6);
      sources.perOpOverheadCycles = note;
    } else {
      out.perOpOverheadSec = round(fit.overhead.afterSec);
      sources.perOpOverheadSec = note;
    }
  }
  out.calibration = {
    status: 'calibrated',
    measurements: Math.max(1, meta.measurements),
    medianAbsErrorPct: round(fit.after.totalMedianAbsErrorPct, 3),
    source: meta.source,
  };
  out.sources = sources;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison of one measured run with an estimate

/** Spearman rank correlation (average ranks for ties); NaN with fewer than 3 pairs or a constant side. */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return Number.NaN;
  const rx = ranks(xs.slice(0, n));
  const ry = ranks(ys.slice(0, n));
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].x === order[i].x) j++;
    for (let k = i; k <= j; k++) r[order[k].i] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export interface LayerComparison {
  index: number;
  name: string;
  opType: string;
  opClass: OpClass | null;
  measuredMs: number;
  estimatedMs: number | null;
  /** (estimated − measured) / measured, percent; null without an estimate or with a zero measurement. */
  errorPct: number | null;
  bound: string | null;
}

export interface MeasuredComparison {
  totals: {
    /** Median wall time of `run()`. */
    measuredMs: number;
    /** Sum of per-layer kernel medians (what the layers below add up to, plus unattributed kernels). */
    kernelMs: number;
    /** The estimate's total latency (per-inference overhead included); the known part when some layer is unknown. */
    estimatedMs: number;
    estimateComplete: boolean;
    /** (estimated − measured wall) / measured wall, percent. */
    errorPct: number;
  };
  layers: LayerComparison[];
  /** Rank correlation of measured and estimated per-layer times, over layers that have both. */
  spearman: number | null;
  /** Median of |errorPct| over layers. */
  medianAbsLayerErrorPct: number | null;
  /** Layers the estimate prices that ran no kernel (e.g. removed or fused by the runtime), and their estimate. */
  notMeasured: { count: number; estimatedMs: number };
}

/** Lines up measured layers (by node index) with an estimate of the same model. */
export function compareWithEstimate(
  measured: {
    wallMs: number;
    kernelMs: number;
    layers: readonly { index: number; name: string; opType: string; measuredMs: number }[];
  },
  estimate: Estimate,
): MeasuredComparison {
  const byIndex = new Map(estimate.layers.map((l) => [l.index, l]));
  const seen = new Set<number>();
  const layers: LayerComparison[] = measured.layers.map((m) => {
    seen.add(m.index);
    const e = byIndex.get(m.index);
    const est = e?.latencyMs ?? null;
    return {
      index: m.index,
      name: m.name,
      opType: m.opType,
      opClass: e?.opClass ?? null,
      measuredMs: m.measuredMs,
      estimatedMs: est,
      errorPct: est !== null && m.measuredMs > 0 ? ((est - m.measuredMs) / m.measuredMs) * 100 : null,
      bound: e?.bound ?? null,
    };
  });
  const pairs = layers.filter((l) => l.estimatedMs !== null);
  const rho = spearman(
    pairs.map((l) => l.measuredMs),
    pairs.map((l) => l.estimatedMs as number),
  );
  const errs = layers.filter((l) => l.errorPct !== null).map((l) => Math.abs(l.errorPct as number));
  const rest = estimate.layers.filter((l) => !seen.has(l.index) && (l.latencyMs ?? 0) > 0);
  const estimatedMs = estimate.totals.latencyMs ?? estimate.totals.knownLatencyMs;
  return {
    totals: {
      measuredMs: measured.wallMs,
      kernelMs: measured.kernelMs,
      estimatedMs,
      estimateComplete: estimate.totals.latencyMs !== null,
      errorPct: measured.wallMs > 0 ? ((estimatedMs - measured.wallMs) / measured.wallMs) * 100 : 0,
    },
    layers,
    spearman: Number.isNaN(rho) ? null : rho,
    medianAbsLayerErrorPct: errs.length ? median(errs) : null,
    notMeasured: { count: rest.length, estimatedMs: rest.reduce((s, l) => s + (l.latencyMs ?? 0), 0) },
  };
}
