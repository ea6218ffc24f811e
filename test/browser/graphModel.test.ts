/**
 * The pure parts behind the graph view, in plain Node: the graph model the host sends (graphModel.ts) and the
 * scope hierarchy the webview lays out (webview/graph/hierarchy.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bertBase, deepChain } from '../../bench/models.js';
import { analyzeModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model } from '../../src/core/onnx/ir.js';
import { buildGraphModel, COST_METRICS, type GraphModel } from '../../src/core/report/graphModel.js';
import { Hierarchy, MAX_CHILDREN } from '../../webview/graph/hierarchy.js';
import { controlFlowModel } from './models.js';

const F = DataType.FLOAT;
const widths = { title: (s: string) => 7 * s.length, subtitle: (s: string) => 6 * s.length };
const graphOf = (m: Model): GraphModel => buildGraphModel(m, analyzeModel(m));
const metric = (key: string) => COST_METRICS.findIndex((m) => m.key === key);

test('the graph model has every node, value and edge, with shapes and costs, and no tensor bytes', () => {
  const model = bertBase({ layers: 2, hidden: 32, heads: 2, ffn: 64, seq: 8 }).model;
  const analysis = analyzeModel(model);
  const g = buildGraphModel(model, analysis);
  const main = g.graphs[0];
  const ops = main.nodes.filter((n) => n.kind === 'op');
  assert.equal(ops.length, model.graph.nodes.length);
  assert.equal(g.nodeCount, model.graph.nodes.length);
  assert.equal(main.nodes.filter((n) => n.kind === 'input').length, 2, 'inputs_embeds and attention_mask');
  assert.equal(main.nodes.filter((n) => n.kind === 'output').length, 1);
  // Every edge runs from a value's producer to a node that reads it.
  for (const e of main.edges) {
    const to = main.nodes[e.to];
    assert.equal(main.tensors[e.tensor].producer, e.from, 'the edge starts at the producer');
    assert.ok(to.inputs.includes(e.tensor), 'and ends at a reader');
  }
  const consumed = ops.reduce(
    (a, n) => a + new Set(n.inputs.filter((t) => t >= 0 && main.tensors[t].producer >= 0)).size,
    0,
  );
  assert.equal(main.edges.length, consumed + 1, 'one edge per value read from a producer, plus the output');
  // Costs are the profile's, node by node.
  ops.forEach((n, i) => {
    const l = analysis.profile.layers[i];
    assert.equal(n.metrics[metric('macs')], l.macs, `${n.name}: MACs`);
    assert.equal(n.metrics[metric('params')], l.params, `${n.name}: parameters`);
    assert.equal(n.metrics[metric('activationBytes')], l.activationBytes, `${n.name}: activation bytes`);
  });
  assert.equal(g.totals[metric('macs')], analysis.profile.totals.macs);
  // Shapes and where they came from.
  const mm = ops.find((n) => n.name === '/encoder/layer.0/attention/self/query/MatMul');
  assert.ok(mm, 'the query MatMul is there');
  const out = main.tensors[mm.outputs[0]];
  assert.deepEqual([out.dtype, out.shape, out.origin], ['float32', [1, 8, 32], 'inferred']);
  const weight = main.tensors[mm.inputs[1]];
  assert.deepEqual([weight.kind, weight.shape, weight.origin], ['initializer', [32, 32], 'constant']);
  // Scopes by name.
  const path = (s: number): string[] => (s <= 0 ? [] : [...path(main.scopes[s].parent), main.scopes[s].name]);
  assert.deepEqual(path(mm.scope), ['encoder', 'layer.0', 'attention', 'self', 'query']);
  // Nothing that looks like tensor data.
  const json = JSON.stringify(g);
  assert.ok(!/"(raw|bytes|values|data)"\s*:/.test(json), 'no tensor contents in the message');
});

test('If and Loop bodies are graphs of their own, linked to their node, reading outer values', () => {
  const g = graphOf(controlFlowModel());
  const main = g.graphs[0];
  const loop = main.nodes.findIndex((n) => n.opType === 'Loop');
  const iff = main.nodes.findIndex((n) => n.opType === 'If');
  assert.deepEqual(
    main.nodes[iff].subgraphs?.map((s) => s.attribute),
    ['then_branch', 'else_branch'],
  );
  const body = g.graphs[main.nodes[loop].subgraphs?.[0].graph ?? -1];
  assert.deepEqual(body.parent, { graph: 0, node: loop, attribute: 'body' });
  const mm = body.nodes.find((n) => n.name === '/loop/body_mm');
  assert.ok(mm, 'the body has its MatMul');
  const w = body.tensors[mm.inputs[1]];
  assert.deepEqual([w.name, w.kind, w.shape], ['w', 'outer', [4, 4]], 'the weight comes from the main graph');
  assert.equal(mm.metrics[metric('macs')], 16);
  const elseGraph = g.graphs[main.nodes[iff].subgraphs?.[1].graph ?? -1];
  assert.equal(elseGraph.nodes.filter((n) => n.kind === 'op').length, 2);
  assert.equal(g.nodeCount, 2 + 3 + 1 + 2, 'main, loop body, then, else');
});

test('the hierarchy groups by scope, merges one-child scopes and relates boxes by edges', () => {
  const model = bertBase({ layers: 3, hidden: 32, heads: 2, ffn: 64, seq: 8 }).model;
  const graph = graphOf(model).graphs[0];
  const h = new Hierarchy(graph, widths);
  const top = h.children[h.root].map((i) => h.title[i]);
  assert.ok(top.includes('encoder') && top.includes('embeddings'), `top level: ${top.join(', ')}`);
  const encoder = h.children[h.root].find((i) => h.title[i] === 'encoder') as number;
  assert.deepEqual(
    h.children[encoder].map((i) => h.title[i]),
    ['layer.0', 'layer.1', 'layer.2'],
  );
  assert.equal(
    h.opCount[encoder],
    h.children[encoder].reduce((a, i) => a + h.opCount[i], 0),
  );
  assert.equal(h.opCount[h.root], model.graph.nodes.length);
  // The three layers form a chain: two edges between siblings.
  assert.deepEqual(h.containerEdges[encoder], [0, 1, 1, 2]);
  // 'intermediate' holds only 'dense' and 'intermediate_act_fn' … and 'attention/output' holds dense + Add + LN.
  const layer0 = h.children[encoder][0];
  assert.deepEqual(
    h.children[layer0].map((i) => h.title[i]),
    ['attention', 'intermediate', 'output'],
  );
  // Every node is inside exactly one box when all is expanded.
  const all = h.allContainers();
  assert.equal(all.boxes, graph.nodes.length);
  // The first view stays small.
  assert.ok(h.defaultExpansion(150).has(encoder), 'the encoder opens');
});

test('a scope with thousands of children gets ranges, so that no layout is larger than the limit', () => {
  const graph = graphOf(deepChain(3_002).model).graphs[0];
  const h = new Hierarchy(graph, widths);
  for (let i = 0; i < h.kind.length; i++) {
    assert.ok(h.children[i].length <= MAX_CHILDREN, `item ${i} has ${h.children[i].length} children`);
  }
  const blocks = h.children[h.root].find((i) => h.title[i] === 'blocks') as number;
  assert.ok(
    h.children[blocks].every((i) => h.kind[i] === 'range'),
    'blocks.0 … blocks.999 come in ranges',
  );
  assert.equal(h.opCount[blocks], 3 * 1000);
  assert.match(h.title[h.children[blocks][0]], /^blocks\.0 … blocks\.\d+$/);
});

test('a scope whose nodes share no edges is no box: its nodes join the enclosing scope', () => {
  // TFLite-style names: each Conv is named after the activation that follows it, in another top-level scope.
  const b = new GraphBuilder({ opset: 17 });
  let x = b.input('x', F, [1, 4]);
  for (let i = 0; i < 4; i++) {
    const w = b.initializer(`w${i}`, F, [4, 4], new Array(16).fill(0.1));
    const y = b.node('MatMul', [x, w], {}, { name: `CONVERTED_model/act_${i}/Relu;model/dense_${i}/MatMul` });
    x = b.node('Relu', [y], {}, { name: `model/act_${i}/Relu;model/dense_${i}/MatMul` });
  }
  b.output(x, F, [1, 4]);
  const h = new Hierarchy(graphOf(b.build()).graphs[0], widths);
  const top = h.children[h.root];
  assert.equal(top.length, 10, 'input, 8 nodes, output: no CONVERTED_model or model boxes');
  assert.ok(top.every((i) => !h.isContainer(i)));
});
