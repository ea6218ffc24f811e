import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DataType,
  decodeModel,
  encodeModel,
  type Graph,
  type Model,
  modelOf,
  type Node,
  type Problem,
  validateModel,
} from '../../src/core/onnx/index.js';

const f32 = (name: string, shape: number[]) => ({
  name,
  type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape },
});

function node(name: string, opType: string, inputs: string[], outputs: string[], extra: Partial<Node> = {}): Node {
  return { name, opType, domain: '', inputs, outputs, attributes: [], ...extra };
}

function graph(nodes: Node[], outputs: string[], extra: Partial<Graph> = {}): Graph {
  return {
    name: 'g',
    nodes,
    inputs: [f32('x', [1, 4])],
    outputs: outputs.map((o) => f32(o, [1, 4])),
    valueInfo: [],
    initializers: [],
    sparseInitializers: [],
    quantizationAnnotation: [],
    ...extra,
  };
}

const model = (g: Graph, extra: Partial<Model> = {}): Model => modelOf(g, { producerName: 'test', ...extra });

const codes = (ps: Problem[]) => ps.map((p) => p.code).sort();

test('a well-formed chain has no problems, and survives a write/read round trip', () => {
  const m = model(graph([node('a', 'Relu', ['x'], ['y']), node('b', 'Neg', ['y'], ['z'])], ['z']));
  assert.deepEqual(validateModel(m), []);
  assert.deepStrictEqual(decodeModel(encodeModel(m)), m);
});

test('dangling input names the node and the missing value', () => {
  const ps = validateModel(model(graph([node('conv1', 'Relu', ['nope'], ['y'])], ['y'])));
  assert.deepEqual(codes(ps), ['dangling-input']);
  assert.match(ps[0].message, /'conv1'.*'nope'/);
  assert.equal(ps[0].node, 'conv1');
});

test('a graph output nobody produces is reported', () => {
  const ps = validateModel(model(graph([node('a', 'Relu', ['x'], ['y'])], ['ghost'])));
  assert.deepEqual(codes(ps), ['dangling-output']);
  assert.match(ps[0].message, /'ghost'/);
});

test('duplicate value names are reported', () => {
  const ps = validateModel(model(graph([node('a', 'Relu', ['x'], ['y']), node('b', 'Neg', ['x'], ['y'])], ['y'])));
  assert.deepEqual(codes(ps), ['duplicate-value']);
  assert.match(ps[0].message, /'y'.*'b'/);
});

test('a cycle is found and its nodes are named; unsorted but acyclic graphs only warn', () => {
  const cyclic = validateModel(
    model(graph([node('a', 'Add', ['x', 'c'], ['a_out']), node('b', 'Relu', ['a_out'], ['c'])], ['c'])),
  );
  assert.deepEqual(codes(cyclic), ['cycle']);
  assert.match(cyclic[0].message, /'a'/);
  assert.match(cyclic[0].message, /'b'/);
  const unsorted = validateModel(
    model(graph([node('b', 'Neg', ['y'], ['z']), node('a', 'Relu', ['x'], ['y'])], ['z'])),
  );
  assert.deepEqual(
    unsorted.map((p) => [p.code, p.severity]),
    [['not-sorted', 'warning']],
  );
});

test('a self-loop and a long chain do not break cycle detection', () => {
  assert.deepEqual(codes(validateModel(model(graph([node('s', 'Add', ['x', 's_out'], ['s_out'])], ['s_out'])))), [
    'cycle',
  ]);
  const chain: Node[] = [];
  for (let i = 0; i < 60_000; i++) chain.push(node(`n${i}`, 'Relu', [i ? `v${i - 1}` : 'x'], [`v${i}`]));
  assert.deepEqual(validateModel(model(graph(chain, ['v59999']))), []);
});

test('a domain missing from opset_import is reported with the node name', () => {
  const ps = validateModel(
    model(graph([node('q', 'Quant', ['x'], ['y'], { domain: 'qonnx.custom_op.general' })], ['y'])),
  );
  assert.deepEqual(codes(ps), ['unknown-domain']);
  assert.match(ps[0].message, /'q'.*qonnx\.custom_op\.general.*unknown domain/);
});

test('If without else_branch and Loop with a non-graph body are reported', () => {
  const then = graph([node('t', 'Identity', ['x'], ['t_out'])], ['t_out'], { inputs: [] });
  const ifNode = node('if1', 'If', ['cond'], ['r'], {
    attributes: [{ name: 'then_branch', type: 'graph', value: then }],
  });
  const loop = node('loop1', 'Loop', ['', ''], ['l'], { attributes: [{ name: 'body', type: 'int', value: 1n }] });
  const g = graph([ifNode, loop], ['r', 'l'], {
    inputs: [f32('x', [1, 4]), { name: 'cond', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [] } }],
  });
  const ps = validateModel(model(g));
  assert.deepEqual(codes(ps), ['missing-subgraph', 'missing-subgraph']);
  assert.ok(ps.some((p) => /'if1'.*else_branch.*missing/.test(p.message)));
  assert.ok(ps.some((p) => /'loop1'.*'body'.*type int/.test(p.message)));
});

test('subgraphs see outer values; problems inside a subgraph carry its path', () => {
  const ok = graph([node('t', 'Add', ['x', 'y'], ['t_out'])], ['t_out'], { inputs: [] });
  const bad = graph([node('e', 'Add', ['x', 'missing'], ['e_out'])], ['e_out'], { inputs: [] });
  const ifNode = node('if1', 'If', ['cond'], ['r'], {
    attributes: [
      { name: 'then_branch', type: 'graph', value: ok },
      { name: 'else_branch', type: 'graph', value: bad },
    ],
  });
  const g = graph([node('pre', 'Relu', ['x'], ['y']), ifNode], ['r'], {
    inputs: [f32('x', [1, 4]), { name: 'cond', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [] } }],
  });
  const ps = validateModel(model(g));
  assert.deepEqual(codes(ps), ['dangling-input']);
  assert.equal(ps[0].where, 'if1/else_branch/');
  assert.match(ps[0].message, /'e'.*'missing'/);
});

test('initializer data that does not match its shape, and unsafe external locations, are reported', () => {
  const g = graph([node('a', 'Add', ['x', 'w'], ['y']), node('b', 'Add', ['y', 'e'], ['z'])], ['z'], {
    initializers: [
      { name: 'w', dataType: DataType.FLOAT, dims: [1, 4], data: { kind: 'raw', bytes: new Uint8Array(12) } },
      {
        name: 'e',
        dataType: DataType.FLOAT,
        dims: [1, 4],
        data: { kind: 'external', location: '../../etc/passwd', offset: 0, length: 16 },
      },
    ],
  });
  const ps = validateModel(model(g));
  assert.deepEqual(codes(ps), ['external-location', 'tensor-size']);
  assert.match(ps.find((p) => p.code === 'tensor-size')?.message ?? '', /'w'.*12 bytes.*16 bytes expected/);
  assert.match(ps.find((p) => p.code === 'external-location')?.message ?? '', /'e'.*leaves the model's folder/);
});

test('nodes calling a model-local function are not reported as unknown ops', () => {
  const fn = {
    name: 'MyRelu',
    domain: 'local',
    inputs: ['a'],
    outputs: ['b'],
    attributes: [],
    attributeDefaults: [],
    nodes: [node('inner', 'Relu', ['a'], ['b'])],
    opsetImports: [{ domain: '', version: 17 }],
    valueInfo: [],
  };
  const m = model(graph([node('call', 'MyRelu', ['x'], ['y'], { domain: 'local' })], ['y']), {
    functions: [fn],
    opsetImports: [
      { domain: '', version: 17 },
      { domain: 'local', version: 1 },
    ],
  });
  assert.deepEqual(validateModel(m), []);
  assert.deepStrictEqual(decodeModel(encodeModel(m)), m);
});
