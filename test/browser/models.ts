/**
 * The models the browser tests and the UI benchmark show, and the host messages for each, built the way the
 * extension builds them (decode or build, validate, summarize, analyzeModel, buildGraphModel; for a target,
 * estimateModel and estimateView with a built-in hardware profile), plus what the stub host answers later: the
 * estimate for each target the webview may pick, and the statistics of the main graph's weights.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertBase, deepChain } from '../../bench/models.js';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder, makeTensor } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import { decodeModel, validateModel } from '../../src/core/onnx/index.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { readTensorValues } from '../../src/core/onnx/tensor.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { estimateView } from '../../src/core/report/estimateView.js';
import { buildGraphModel, type GraphModel, type MetricInfo } from '../../src/core/report/graphModel.js';
import { summarizeModel } from '../../src/core/report/summary.js';
import { builtinProfile, builtinProfiles } from '../../src/core/targets/builtinProfiles.js';
import { estimateModel } from '../../src/core/targets/estimate.js';
import { describeCalibration } from '../../src/core/targets/profile.js';
import type { HostMessage, TargetChoice, WeightStats } from '../../src/protocol.js';

const F = DataType.FLOAT;
const root = join(import.meta.dirname, '..', '..');

/** What runs if any model string is ever parsed as HTML (it must never happen). */
export const PAYLOAD = 'window.__pwned=(window.__pwned||0)+1';
export const HOSTILE_NODE = `<img src=x onerror="${PAYLOAD}">`;
export const HOSTILE_OP = `<script>${PAYLOAD}</script>`;
export const HOSTILE_SCOPE = `<svg onload="${PAYLOAD}">`;
export const HOSTILE_INPUT = `<b onmouseover="${PAYLOAD}">x</b>`;

/** Node, tensor, scope and op names carrying HTML and script. */
export function hostileModel(): Model {
  const b = new GraphBuilder({ opset: 17, name: '<i>graph</i>', producerName: `<img src=y onerror="${PAYLOAD}">` });
  const x = b.input(HOSTILE_INPUT, F, [1, 4]);
  const w = b.initializer('<u>weight</u>', F, [4, 4], new Array(16).fill(0.5));
  const y = b.node(
    'MatMul',
    [x, w],
    {},
    { name: `/${HOSTILE_SCOPE}/${HOSTILE_NODE}`, outputs: ['</script><script>alert(1)</script>'] },
  );
  const z = b.node(
    'Relu',
    [y],
    {},
    { name: `/${HOSTILE_SCOPE}/relu"'><iframe src=javascript:alert(1)>`, outputs: ['<style>*{display:none}</style>'] },
  );
  const out = b.node(HOSTILE_OP, [z], {}, { name: 'custom', domain: 'evil<b>', outputs: ['out&amp;<br>'] });
  b.output(out, F, [1, 4]);
  const m = b.build();
  m.opsetImports.push({ domain: 'evil<b>', version: 1 });
  return m;
}

/** A model with a Loop and an If, each with a body the view can open. */
export function controlFlowModel(): Model {
  const b = new GraphBuilder({ opset: 17, name: 'control' });
  const x = b.input('x', F, [1, 4]);
  const trips = b.initializer('trips', DataType.INT64, [], [3]);
  const w = b.initializer('w', F, [4, 4], new Array(16).fill(0.1));
  const body = b.subgraph('loop_body');
  body.input('i', DataType.INT64, []);
  const cond = body.input('cond', DataType.BOOL, []);
  const h = body.input('h', F, [1, 4]);
  const h2 = body.node('MatMul', [h, w], {}, { name: '/loop/body_mm' });
  const h3 = body.node('Relu', [h2], {}, { name: '/loop/body_relu' });
  body.output(body.node('Identity', [cond], {}, { name: 'body_cond' }), DataType.BOOL, []);
  body.output(h3, F, [1, 4]);
  const looped = b.node('Loop', [trips, '', x], { body: body.toGraph() }, { name: '/loop/Loop' });
  const flag = b.input('flag', DataType.BOOL, []);
  const thenB = b.subgraph('then_branch');
  const w8 = thenB.addInitializer(makeTensor('w8', F, [4, 8], new Array(32).fill(0)));
  thenB.output(thenB.node('MatMul', [looped, w8], {}, { name: 'then_mm' }), F, [1, 8]);
  const elseB = b.subgraph('else_branch');
  const w8b = elseB.addInitializer(makeTensor('w8b', F, [4, 8], new Array(32).fill(0)));
  const sq = elseB.node('Mul', [looped, looped], {}, { name: 'else_mul' });
  elseB.output(elseB.node('MatMul', [sq, w8b], {}, { name: 'else_mm' }), F, [1, 8]);
  const y = b.node('If', [flag], { then_branch: thenB.toGraph(), else_branch: elseB.toGraph() }, { name: 'branch' });
  b.output(y, F, [1, 8]);
  return b.build();
}

/** A 2,390-node transformer encoder (BERT's layout, 70 small layers): a real scope hierarchy at 2.4k nodes. */
export function bert2k(): Model {
  return bertBase({ layers: 70, hidden: 32, heads: 2, ffn: 64, seq: 8 }).model;
}

export function chain50k(): Model {
  return deepChain(50_000).model;
}

export interface Case {
  fileName: string;
  model: () => Model;
  /** Targets the stub host offers; the first is estimated at once, the others when the webview picks them. */
  targets?: string[];
}

/** The overlay columns the host adds for an estimate (as the extension names them): latency in seconds, bound. */
export const LATENCY_METRIC: MetricInfo = {
  kind: 'numeric',
  key: 'latency',
  label: 'Estimated latency',
  unit: 'seconds',
  aggregate: 'sum',
};
const BOUND_CATEGORIES = ['compute', 'memory', 'overhead'];
export const BOUND_METRIC: MetricInfo = {
  kind: 'category',
  key: 'bound',
  label: 'Bound',
  categories: BOUND_CATEGORIES,
};

/** What the host sends for the estimate of one target: the estimate, then its two overlay columns. */
function estimateMessages(model: Model, graph: GraphModel, analysis: ReturnType<typeof analyzeModel>, id: string) {
  const profile = builtinProfile(id);
  if (!profile) throw new Error(`no built-in target ${id}`);
  const est = estimateModel(model, analysis.profile, analysis.facts, profile);
  const view = estimateView(graph, est, profile);
  const n = graph.graphs[0].nodes.length;
  const latency: (number | null)[] = new Array(n).fill(null);
  const bound: (number | null)[] = new Array(n).fill(null);
  for (const l of view.layers) {
    latency[l.node] = l.latencyMs === null ? null : l.latencyMs / 1000;
    bound[l.node] = l.bound === null ? null : BOUND_CATEGORIES.indexOf(l.bound);
  }
  return [
    { type: 'estimate', estimate: view },
    { type: 'metrics', graph: 0, metric: LATENCY_METRIC, values: latency },
    { type: 'metrics', graph: 0, metric: BOUND_METRIC, values: bound },
  ] satisfies HostMessage[];
}

export function targetChoices(): TargetChoice[] {
  return builtinProfiles().map((p) => ({
    id: p.id,
    name: p.name,
    kind: p.kind,
    user: false,
    accuracy: `estimate (${describeCalibration(p.calibration)})`,
  }));
}

/** Statistics of a weight as the host computes them on request: min/max/mean/std, zeros, 32-bin histogram. */
export function weightStats(values: ArrayLike<number>, dtype: string): WeightStats {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    if (v === 0) zeros++;
  }
  const count = values.length;
  const mean = count ? sum / count : 0;
  let sq = 0;
  for (let i = 0; i < count; i++) sq += (Number(values[i]) - mean) ** 2;
  const bins = 32;
  const counts = new Array(bins).fill(0);
  const span = max - min;
  for (let i = 0; i < count; i++) {
    const b = span > 0 ? Math.min(bins - 1, Math.floor(((Number(values[i]) - min) / span) * bins)) : 0;
    counts[b]++;
  }
  return {
    count,
    dtype,
    min: count ? min : 0,
    max: count ? max : 0,
    mean,
    std: count ? Math.sqrt(sq / count) : 0,
    sparsity: count ? zeros / count : 0,
    histogram: { min: count ? min : 0, max: count ? max : 0, counts },
  };
}

export const CASES: Record<string, Case> = {
  vww: {
    fileName: 'vww_96_float.onnx',
    targets: ['ethos-u55-128', 'cortex-m7', 'jetson-orin-nano'],
    model: () =>
      decodeModel(readFileSync(join(root, 'samples', 'vww_96_float.onnx')), { fileName: 'vww_96_float.onnx' }),
  },
  bert2k: { fileName: 'bert_2k.onnx', model: bert2k },
  chain50k: { fileName: 'chain_50k.onnx', model: chain50k, targets: ['jetson-orin-nano'] },
  hostile: { fileName: '<img src=x onerror=alert(1)>.onnx', model: hostileModel, targets: ['cortex-m7'] },
  control: { fileName: 'control.onnx', model: controlFlowModel },
};

export interface HostScript {
  /** Sent after `ready`. */
  messages: HostMessage[];
  /** Sent when the webview picks a target (by id). */
  estimates: Record<string, HostMessage[]>;
  /** Answers to `requestWeightStats`, by `graph:tensor`. */
  weightStats: Record<string, WeightStats>;
  /** Milliseconds to build the summary and graph messages (what the host does before the graph can be drawn). */
  graphMs: number;
  /** Milliseconds for the estimates and the weight statistics. */
  extraMs: number;
}

const scripts = new Map<string, HostScript>();

/** Everything the stub host says for a case (built once per process). */
export async function hostScript(name: string): Promise<HostScript> {
  const cached = scripts.get(name);
  if (cached) return cached;
  const c = CASES[name];
  if (!c) throw new Error(`no case ${name}`);
  const started = performance.now();
  const model = c.model();
  // What the extension reads: the model as written to a file, decoded again.
  const bytes = encodeModel(model);
  const decoded = decodeModel(bytes, { fileName: c.fileName });
  const summary = summarizeModel(decoded, validateModel(decoded), { path: c.fileName, bytes: bytes.length });
  const analysis = analyzeModel(decoded);
  const graph = buildGraphModel(decoded, analysis);
  const messages: HostMessage[] = [
    { type: 'summary', fileName: c.fileName, summary },
    { type: 'graph', fileName: c.fileName, graph },
  ];
  const graphMs = performance.now() - started;
  const estimates: Record<string, HostMessage[]> = {};
  if (c.targets?.length) {
    for (const id of c.targets) estimates[id] = estimateMessages(decoded, graph, analysis, id);
    messages.push({ type: 'targets', targets: targetChoices(), current: c.targets[0] }, ...estimates[c.targets[0]]);
  }
  const stats: Record<string, WeightStats> = {};
  const main = graph.graphs[0];
  const byName = new Map(decoded.graph.initializers.map((t) => [t.name, t]));
  for (let t = 0; t < main.tensors.length && Object.keys(stats).length < 400; t++) {
    const info = main.tensors[t];
    const init = info.kind === 'initializer' ? byName.get(info.name) : undefined;
    if (!init) continue;
    const values = await readTensorValues(init);
    if (typeof values[0] === 'string') continue;
    stats[`0:${t}`] = weightStats(values as ArrayLike<number>, info.dtype ?? '?');
  }
  const script = {
    messages,
    estimates,
    weightStats: stats,
    graphMs,
    extraMs: performance.now() - started - graphMs,
  };
  scripts.set(name, script);
  return script;
}

/** The messages the extension host sends after `ready`, for a case. */
export async function hostMessages(name: string): Promise<HostMessage[]> {
  return (await hostScript(name)).messages;
}
