/**
 * The models the browser tests and the UI benchmark show, and the host messages for each, built the way the
 * extension builds them (decode or build, validate, summarize, analyzeModel, buildGraphModel).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertBase, deepChain } from '../../bench/models.js';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder, makeTensor } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import { decodeModel, validateModel } from '../../src/core/onnx/index.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { buildGraphModel } from '../../src/core/report/graphModel.js';
import { summarizeModel } from '../../src/core/report/summary.js';
import type { HostMessage } from '../../src/protocol.js';

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
  /** Further messages after the graph (e.g. an estimator's column). */
  extra?: (messages: HostMessage[]) => HostMessage[];
}

export const CASES: Record<string, Case> = {
  vww: {
    fileName: 'vww_96_float.onnx',
    model: () =>
      decodeModel(readFileSync(join(root, 'samples', 'vww_96_float.onnx')), { fileName: 'vww_96_float.onnx' }),
  },
  bert2k: { fileName: 'bert_2k.onnx', model: bert2k },
  chain50k: { fileName: 'chain_50k.onnx', model: chain50k },
  hostile: { fileName: '<img src=x onerror=alert(1)>.onnx', model: hostileModel },
  control: { fileName: 'control.onnx', model: controlFlowModel },
};

/** The messages the extension host sends after `ready`, for a case. */
export function hostMessages(name: string): HostMessage[] {
  const c = CASES[name];
  if (!c) throw new Error(`no case ${name}`);
  const model = c.model();
  // What the extension reads: the model as written to a file, decoded again.
  const bytes = encodeModel(model);
  const decoded = decodeModel(bytes, { fileName: c.fileName });
  const summary = summarizeModel(decoded, validateModel(decoded), { path: c.fileName, bytes: bytes.length });
  const graph = buildGraphModel(decoded, analyzeModel(decoded));
  const messages: HostMessage[] = [
    { type: 'summary', fileName: c.fileName, summary },
    { type: 'graph', fileName: c.fileName, graph },
  ];
  return c.extra ? c.extra(messages) : messages;
}
