/**
 * Inference walks a main graph in file order when that order is topological (as ONNX requires) and sorts it only
 * when it is not; validation sees the enclosing graph's values from a subgraph without copying them. Either way the
 * results are those of a sorted walk.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileModel } from '../../src/core/analysis/cost.js';
import { inferShapes } from '../../src/core/analysis/infer.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { type Attribute, DataType, type Graph, type Model, validateModel } from '../../src/core/onnx/index.js';
import { emptyGraph, modelOf } from '../../src/core/onnx/reader.js';

/** x -> [Conv -> Add(residual) -> Relu] x blocks -> y */
function residualChain(blocks: number): Model {
  const b = new GraphBuilder({ opset: 17, name: 'chain' });
  let x = b.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  for (let i = 0; i < blocks; i++) {
    const w = b.initializer(`w${i}`, DataType.FLOAT, [4, 4, 3, 3], new Float32Array(144).fill(0.01));
    const c = b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: `/b${i}/Conv` });
    const s = b.node('Add', [c, x], {}, { name: `/b${i}/Add` });
    x = b.node('Relu', [s], {}, { name: `/b${i}/Relu` });
  }
  b.output(x, DataType.FLOAT);
  return b.build();
}

const factsByName = (m: Model) =>
  Object.fromEntries([...inferShapes(m).values].map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]));

test('a graph out of order is inferred and costed as the same graph in order', () => {
  const sorted = residualChain(20);
  const shuffled = residualChain(20);
  shuffled.graph.nodes.reverse();
  assert.deepEqual(factsByName(shuffled), factsByName(sorted));
  const a = profileModel(sorted);
  const b = profileModel(shuffled);
  assert.deepEqual(b.totals, a.totals);
  assert.equal(b.layers.length, a.layers.length);
  const byName = (p: typeof a) => Object.fromEntries(p.layers.map((l) => [l.name, { ...l, index: 0 }]));
  assert.deepEqual(byName(b), byName(a));
  assert.ok(
    validateModel(shuffled).some((p) => p.code === 'not-sorted'),
    'validation still warns that the graph is not sorted',
  );
});

test('a value defined twice or a node output named like an initializer: inferred as a sorted walk does', () => {
  const m = residualChain(3);
  // The first Relu's output renamed to an initializer's name (and its reader updated): the node's value wins.
  const relu = m.graph.nodes[2];
  const old = relu.outputs[0];
  relu.outputs[0] = 'w2';
  for (const n of m.graph.nodes) n.inputs = n.inputs.map((i) => (i === old ? 'w2' : i));
  const facts = inferShapes(m).values.get('w2');
  assert.ok(facts?.kind === 'tensor', 'w2 has tensor facts');
  assert.deepEqual(facts.shape, [1, 4, 8, 8], 'the Relu output replaced the initializer');
  assert.equal(facts.origin, 'inferred');
  const p = profileModel(m);
  assert.equal(p.layers.length, 9);
  assert.ok(
    validateModel(m).some((x) => x.code === 'duplicate-value'),
    'validation reports the name defined twice',
  );
});

test('subgraphs see the enclosing graph values, and redefining one is a duplicate', () => {
  const f32 = (name: string) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [2] } });
  const node = (name: string, opType: string, inputs: string[], outputs: string[], attributes: Attribute[] = []) => ({
    name,
    opType,
    domain: '',
    inputs,
    outputs,
    attributes,
  });
  // Each branch reads `late`, which the outer graph produces after the If (allowed by ONNX's scoping rule); the
  // else branch also defines `late` again.
  const branch = (name: string, output: string): Graph => ({
    ...emptyGraph(name),
    nodes: [node(`${name}/Relu`, 'Relu', ['late'], [output])],
    outputs: [f32(output)],
  });
  const m: Model = modelOf({
    ...emptyGraph('outer'),
    inputs: [f32('x'), { name: 'cond', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [] } }],
    nodes: [
      node(
        'if',
        'If',
        ['cond'],
        ['y'],
        [
          { name: 'then_branch', type: 'graph', value: branch('then', 't') },
          { name: 'else_branch', type: 'graph', value: branch('else', 'late') },
        ],
      ),
      node('late', 'Neg', ['x'], ['late']),
    ],
    outputs: [f32('y')],
  });
  const problems = validateModel(m);
  assert.ok(!problems.some((p) => p.code === 'dangling-input'), JSON.stringify(problems));
  const dup = problems.filter((p) => p.code === 'duplicate-value');
  assert.equal(dup.length, 1, JSON.stringify(problems));
  assert.match(dup[0].where, /else_branch/);
});

test('validating a large graph with many subgraphs takes time in proportion to its size', () => {
  const f32 = (name: string) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [2] } });
  const nodes: Model['graph']['nodes'] = [];
  let prev = 'x';
  for (let i = 0; i < 12_000; i++) {
    const out = `v${i}`;
    if (i % 4 === 0) {
      const branch = (n: string): Graph => ({
        ...emptyGraph(n),
        nodes: [
          { name: `${n}${i}`, opType: 'Identity', domain: '', inputs: [prev], outputs: [`${n}${i}`], attributes: [] },
        ],
        outputs: [f32(`${n}${i}`)],
      });
      const attributes: Attribute[] = [
        { name: 'then_branch', type: 'graph', value: branch('then') },
        { name: 'else_branch', type: 'graph', value: branch('else') },
      ];
      nodes.push({ name: `if${i}`, opType: 'If', domain: '', inputs: ['cond'], outputs: [out], attributes });
    } else nodes.push({ name: `relu${i}`, opType: 'Relu', domain: '', inputs: [prev], outputs: [out], attributes: [] });
    prev = out;
  }
  const m: Model = modelOf({
    ...emptyGraph('g'),
    nodes,
    inputs: [f32('x'), { name: 'cond', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [] } }],
    outputs: [f32(prev)],
  });
  // Each of the 3,000 subgraphs once copied the names of all 12,000 outer values: seconds. Now milliseconds.
  const start = performance.now();
  const problems = validateModel(m);
  const ms = performance.now() - start;
  assert.deepEqual(problems, []);
  assert.ok(ms < 1500, `validation took ${ms.toFixed(0)} ms`);
});
