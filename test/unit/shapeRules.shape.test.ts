/**
 * Shape rules of the shape-manipulation (ops/shape.ts), indexing (ops/gather.ts), reduction (ops/reduce.ts) and
 * element-wise (ops/elementwise.ts) families, per opset: attributes that became inputs, constant folding of shape
 * arithmetic, and symbolic dims carried through it.
 *
 * Expected shapes come from ONNX's operator documentation and its node test cases (named `test_*` below, with the
 * shapes of their model.onnx / output_0.pb).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Dim } from '../../src/core/analysis/facts.js';
import { type InferOptions, inferShapes, type ShapeInference } from '../../src/core/analysis/infer.js';
import { attr, GraphBuilder, makeTensor } from '../../src/core/onnx/builder.js';
import { DataType, type TypeInfo } from '../../src/core/onnx/index.js';

const F = DataType.FLOAT;
const I32 = DataType.INT32;
const I64 = DataType.INT64;
const B = DataType.BOOL;
const INT64_MAX = 9223372036854775807n;

function run(build: (g: GraphBuilder) => void, opset = 17, options: InferOptions = {}): ShapeInference {
  const g = new GraphBuilder({ opset });
  build(g);
  return inferShapes(g.build(), { useDeclared: false, ...options });
}

function expectTensor(
  r: ShapeInference,
  name: string,
  dtype: number | undefined,
  shape: Dim[] | undefined,
  what = name,
) {
  const f = r.values.get(name);
  assert.ok(f?.kind === 'tensor', `${what}: '${name}' should be a tensor, got ${JSON.stringify(f)}`);
  if (f?.kind !== 'tensor') return;
  assert.equal(f.dtype, dtype, `${what}: element type of '${name}'`);
  assert.deepEqual(f.shape, shape, `${what}: shape of '${name}'`);
}

/** The folded value of a tensor: numbers (value) or dims (symbolicValue). */
function expectValue(r: ShapeInference, name: string, data: Dim[] | undefined, what = name) {
  const f = r.values.get(name);
  assert.ok(f?.kind === 'tensor', `${what}: '${name}' should be a tensor`);
  if (f?.kind !== 'tensor') return;
  assert.deepEqual(f.value?.data ?? f.symbolicValue, data, `${what}: value of '${name}'`);
}

function expectWarning(r: ShapeInference, pattern: RegExp, what: string) {
  const messages = r.warnings.filter((w) => w.code === 'rule-failed').map((w) => w.message);
  assert.ok(
    messages.some((m) => pattern.test(m)),
    `${what}: expected a rule-failed warning matching ${pattern}, got ${JSON.stringify(messages)}`,
  );
}

function expectNoWarnings(r: ShapeInference, what: string) {
  assert.deepEqual(
    r.warnings.map((w) => w.message),
    [],
    `${what}: no warnings expected`,
  );
}

/**
 * One node: inputs are float graph inputs of the given shapes, or int64 initializers where `consts` gives values
 * (an `{ dims, data }` for other shapes); outputs y0, y1, ….
 */
function single(
  op: string,
  inputs: (Dim[] | { dims: number[]; data: number[]; dtype?: number } | null | undefined)[],
  attrs: Parameters<GraphBuilder['node']>[2] = {},
  options: { opset?: number; outputs?: number; dtype?: number; consts?: number[] } = {},
): ShapeInference {
  return run((g) => {
    const names = inputs.map((s, i) => {
      if (s === null) return '';
      if (s === undefined) return g.input(`x${i}`, F);
      if (!Array.isArray(s)) return g.initializer(`c${i}`, s.dtype ?? I64, s.dims, s.data);
      if (options.consts?.includes(i)) return g.initializer(`c${i}`, I64, [s.length], s as number[]);
      return g.input(`x${i}`, i === 0 ? (options.dtype ?? F) : F, s);
    });
    const outs = Array.from({ length: options.outputs ?? 1 }, (_, i) => `y${i}`);
    g.nodeOutputs(op, names, outs, attrs);
  }, options.opset ?? 17);
}

describe('shape arithmetic of exported graphs', () => {
  /** PyTorch's x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze -> Concat([-1]) -> Reshape. */
  function viewChain(g: GraphBuilder, tail: number) {
    const x = g.input('x', F, ['batch', 3, 4]);
    const s = g.node('Shape', [x]);
    const i0 = g.constant('i0', I64, [], [0]);
    const b = g.node('Gather', [s, i0], { axis: 0 }, { outputs: ['b'] });
    const ax = g.constant('ax', I64, [1], [0]);
    const u = g.node('Unsqueeze', [b, ax], {}, { outputs: ['bu'] });
    const t = g.constant('tail', I64, [1], [tail]);
    const shape = g.node('Concat', [u, t], { axis: 0 }, { outputs: ['shape'] });
    g.node('Reshape', [x, shape], {}, { outputs: ['y'] });
    g.output('y', F);
  }

  test('Shape -> Gather -> Unsqueeze -> Concat -> Reshape keeps the symbolic batch', () => {
    for (const tail of [12, -1]) {
      const r = run((g) => viewChain(g, tail), 13);
      expectNoWarnings(r, `tail ${tail}`);
      expectTensor(r, 'b', I64, [], 'Gather of the shape');
      expectValue(r, 'b', ['batch'], 'Gather of the shape');
      expectValue(r, 'shape', ['batch', tail], 'the concatenated shape');
      expectTensor(r, 'y', F, ['batch', 12], `Reshape to [batch, ${tail}]`);
    }
  });

  test('with dims { batch: 2 } the same chain gives concrete shapes', () => {
    const r = run((g) => viewChain(g, -1), 13, { dims: { batch: 2 } });
    expectValue(r, 'shape', [2, -1], 'the folded shape');
    expectTensor(r, 'y', F, [2, 12], 'Reshape');
  });

  test('ConstantOfShape takes its shape from folded arithmetic', () => {
    const r = run((g) => {
      const x = g.input('x', F, [2, 3]);
      const s = g.node('Shape', [x]);
      const two = g.constant('two', I64, [], [2]);
      const m = g.node('Mul', [s, two]);
      const one = g.constant('one', I64, [1], [1]);
      const a = g.node('Add', [m, one], {}, { outputs: ['dims'] });
      g.node('ConstantOfShape', [a], { value: makeTensor('v', I32, [1], [7]) }, { outputs: ['y'] });
      g.node('ConstantOfShape', [a], {}, { outputs: ['z'] });
    }, 13);
    expectValue(r, 'dims', [5, 7], 'Shape * 2 + 1');
    expectTensor(r, 'y', I32, [5, 7], 'ConstantOfShape with an int32 value');
    expectValue(r, 'y', new Array(35).fill(7), 'ConstantOfShape folds a small fill');
    expectTensor(r, 'z', F, [5, 7], 'ConstantOfShape defaults to float32');
  });

  test('symbolic dims through Mul, Div, Sub, Slice, Cast, Equal/Where and ReduceProd', () => {
    const r = run((g) => {
      const x = g.input('x', F, ['b', 'seq', 64]);
      const s = g.node('Shape', [x], {}, { outputs: ['s'] });
      const st = g.constant('st', I64, [1], [0]);
      const en = g.constant('en', I64, [1], [2]);
      const bs = g.node('Slice', [s, st, en], {}, { outputs: ['bs'] });
      g.node('ReduceProd', [bs], { keepdims: 0 }, { outputs: ['numel'] });
      const heads = g.constant('heads', I64, [1], [8]);
      g.node('Div', [g.node('Slice', [s, en, g.constant('en3', I64, [1], [3])]), heads], {}, { outputs: ['hd'] });
      g.node('Cast', [s], { to: DataType.INT32 }, { outputs: ['s32'] });
      g.node('Cast', [s], { to: DataType.FLOAT }, { outputs: ['sf'] });
      const z = g.constant('zero', I64, [3], [0, 0, 0]);
      const eq = g.node('Equal', [z, z], {}, { outputs: ['eq'] });
      g.node('Where', [eq, s, z], {}, { outputs: ['w'] });
      g.node('Sub', [s, g.constant('one', I64, [], [1])], {}, { outputs: ['sm1'] });
      g.node('Div', [s, g.constant('two', I64, [], [2])], {}, { outputs: ['half'] });
      g.node('Max', [s, g.constant('mxc', I64, [3], [1, 1, 7])], {}, { outputs: ['mx'] });
      const hs = g.node('Concat', [bs, heads, g.constant('m1', I64, [1], [-1])], { axis: 0 }, { outputs: ['hs'] });
      g.node('Reshape', [x, hs], {}, { outputs: ['split_heads'] });
    }, 13);
    expectValue(r, 'bs', ['b', 'seq']);
    expectTensor(r, 'numel', I64, [], 'ReduceProd keepdims=0');
    expectValue(r, 'numel', ['b*seq'], 'ReduceProd of symbolic dims');
    expectValue(r, 'hd', [8], '64 / 8');
    expectValue(r, 's32', ['b', 'seq', 64], 'Cast to int32 keeps dims');
    expectValue(r, 'sf', undefined, 'Cast to float drops symbolic dims');
    expectValue(r, 'w', ['b', 'seq', 64], 'Where over a known condition');
    expectValue(r, 'sm1', ['b-1', 'seq-1', 63], 'Sub of a number');
    expectValue(r, 'half', [null, null, 32], 'Div by 2 of [b, seq, 64]');
    expectValue(r, 'mx', [null, null, 64], 'Max with [1, 1, 7]');
    expectTensor(r, 'split_heads', F, ['b', 'seq', 8, 8], 'Reshape to [b, seq, 8, -1]');
  });

  test('Slice bounds computed from symbolic dims', () => {
    const r = run((g) => {
      const x = g.input('x', F, ['N', 'seq', 4]);
      const m = g.input('m', F, [1, 'maxlen']);
      const s = g.node('Shape', [x]);
      const seq = g.node('Slice', [s, g.constant('one', I64, [1], [1]), g.constant('two', I64, [1], [2])]);
      const zero = g.constant('zero', I64, [1], [0]);
      const ax = g.constant('ax', I64, [1], [1]);
      g.node('Slice', [x, zero, seq, ax], {}, { outputs: ['whole'] });
      g.node('Slice', [m, zero, seq, ax], {}, { outputs: ['prefix'] });
    }, 13);
    expectTensor(r, 'whole', F, ['N', 'seq', 4], 'x[:, :seq] of an axis of size seq');
    expectTensor(r, 'prefix', F, [1, null], 'mask[:, :seq] of another axis: min(seq, maxlen)');
  });
});

describe('Constant, Shape, Size, Cast', () => {
  test('Constant value_* attributes and sparse_value', () => {
    const r = run((g) => {
      g.node('Constant', [], { value_ints: [1, 2, 3] }, { outputs: ['ints'] });
      g.node('Constant', [], { value_int: attr.int(5) }, { outputs: ['int'] });
      g.node('Constant', [], { value_float: attr.float(1.5) }, { outputs: ['float'] });
      g.node('Constant', [], { value_floats: attr.floats([1, 2]) }, { outputs: ['floats'] });
      g.node('Constant', [], { value_strings: ['a', 'b'] }, { outputs: ['strings'] });
      g.node('Constant', [], { value_string: 'a' }, { outputs: ['string'] });
      g.node('Constant', [], { value: makeTensor('t', DataType.INT32, [2, 2], [1, 2, 3, 4]) }, { outputs: ['t'] });
      g.node(
        'Constant',
        [],
        {
          sparse_value: {
            type: 'sparse_tensor',
            value: {
              values: makeTensor('sv', F, [2], [1, 2]),
              indices: makeTensor('si', I64, [2], [1, 7]),
              dims: [3, 4],
            },
          },
        },
        { outputs: ['sparse'] },
      );
    }, 13);
    expectTensor(r, 'ints', I64, [3]);
    expectValue(r, 'ints', [1, 2, 3]);
    expectTensor(r, 'int', I64, []);
    expectTensor(r, 'float', F, []);
    expectValue(r, 'float', [1.5]);
    expectTensor(r, 'floats', F, [2]);
    expectTensor(r, 'strings', DataType.STRING, [2]);
    expectTensor(r, 'string', DataType.STRING, []);
    expectTensor(r, 't', DataType.INT32, [2, 2]);
    expectValue(r, 't', [1, 2, 3, 4]);
    expectTensor(r, 'sparse', F, [3, 4], 'Constant sparse_value is dense [3, 4]');
  });

  test('Shape with start/end (opset 15), partially symbolic shapes keep what is known', () => {
    // test_shape_start_1_end_negative_1: x [3, 4, 5] -> [4]
    let r = single('Shape', [[3, 4, 5]], { start: 1, end: -1 }, { opset: 15 });
    expectTensor(r, 'y0', I64, [1]);
    expectValue(r, 'y0', [4]);
    // test_shape_start_negative_1 / test_shape_end_1 / test_shape_clip_start (start -10 clips to 0)
    r = single('Shape', [[3, 4, 5]], { start: -1 }, { opset: 15 });
    expectValue(r, 'y0', [5], 'start -1');
    r = single('Shape', [[3, 4, 5]], { start: -10 }, { opset: 15 });
    expectValue(r, 'y0', [3, 4, 5], 'start -10 clips');
    r = single('Shape', [[3, 4, 5]], { start: 2, end: 1 }, { opset: 15 });
    expectTensor(r, 'y0', I64, [0], 'start after end');
    // Before opset 15 start/end do not exist.
    r = single('Shape', [[3, 4, 5]], { start: 1 }, { opset: 13 });
    expectValue(r, 'y0', [3, 4, 5], 'opset 13 ignores start');
    r = single('Shape', [['N', null, 5]]);
    expectValue(r, 'y0', ['N', null, 5], 'symbolic and unknown dims');
    r = single('Shape', [undefined]);
    expectTensor(r, 'y0', I64, [null], 'unknown rank');
  });

  test('Size', () => {
    let r = single('Size', [[3, 4, 5]]);
    expectTensor(r, 'y0', I64, []);
    expectValue(r, 'y0', [60]);
    r = single('Size', [['N', 4]]);
    expectValue(r, 'y0', ['N*4'], 'symbolic size');
  });

  test('Cast (string `to` at opset 1) and CastLike fold values', () => {
    let r = run((g) => {
      const c = g.initializer('c', F, [3], [1.7, -2.5, 3]);
      g.node('Cast', [c], { to: DataType.INT64 }, { outputs: ['y'] });
    });
    expectTensor(r, 'y', I64, [3]);
    expectValue(r, 'y', [1, -2, 3], 'truncation toward zero');
    r = run((g) => {
      const c = g.initializer('c', I64, [2], [1, 2]);
      g.node('Cast', [c], { to: 'FLOAT' }, { outputs: ['y'] });
    }, 5);
    expectTensor(r, 'y', F, [2], 'Cast-1 with to="FLOAT"');
    r = run((g) => {
      const x = g.input('x', F, [2, 3]);
      const t = g.input('t', DataType.FLOAT16, [1]);
      g.node('CastLike', [x, t], {}, { outputs: ['y'] });
    }, 15);
    expectTensor(r, 'y', DataType.FLOAT16, [2, 3], 'CastLike takes the target type');
  });
});

describe('Reshape, Transpose, Concat, Split, Squeeze, Unsqueeze', () => {
  test('Reshape: 0 copies unless allowzero, -1 inferred (numeric and symbolic)', () => {
    // test_reshape_zero_and_negative_dim: [2, 3, 4] -> [2, 0, 1, -1] = [2, 3, 1, 4]
    let r = single(
      'Reshape',
      [
        [2, 3, 4],
        [2, 0, 1, -1],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, [2, 3, 1, 4]);
    // test_reshape_allowzero_reordered: [0, 3, 4] -> [3, 4, 0] with allowzero
    r = single(
      'Reshape',
      [
        [0, 3, 4],
        [3, 4, 0],
      ],
      { allowzero: 1 },
      { consts: [1], opset: 14 },
    );
    expectTensor(r, 'y0', F, [3, 4, 0]);
    // Without allowzero (opset 13) the 0 copies the input's dim 2 (4): [3, 4, 4] does not hold 0 elements.
    r = single(
      'Reshape',
      [
        [0, 3, 4],
        [3, 4, 0],
      ],
      {},
      { consts: [1], opset: 13 },
    );
    expectWarning(r, /cannot reshape/, 'a 0 copying a dim that does not fit');
    r = single(
      'Reshape',
      [
        ['b', 'seq', 64],
        [0, 0, 8, -1],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, ['b', 'seq', 8, 8], 'symbolic with 0 and -1');
    r = single(
      'Reshape',
      [
        ['b', 'seq', 64],
        [-1, 64],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, ['b*seq', 64], 'symbolic product');
    r = single(
      'Reshape',
      [
        ['b', null, 64],
        [-1, 64],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, [null, 64], 'an unknown dim leaves -1 unknown');
    r = run((g) => {
      g.node('Reshape', [g.input('x', F, [2, 3]), g.input('s', I64, [2])], {}, { outputs: ['y'] });
    });
    expectTensor(r, 'y', F, [null, null], 'a shape from a graph input: only its length is known');
    r = single(
      'Reshape',
      [
        [2, 3, 4],
        [5, -1],
      ],
      {},
      { consts: [1] },
    );
    expectWarning(r, /divide/, '24 elements into [5, -1]');
    // Reshape-1: shape attribute
    r = single('Reshape', [[2, 3, 4]], { shape: [4, -1] }, { opset: 1 });
    expectTensor(r, 'y0', F, [4, 6], 'Reshape-1 attribute');
  });

  test('Transpose: perm, default reverses, folds', () => {
    let r = single('Transpose', [[2, 3, 4]], { perm: [1, 0, 2] });
    expectTensor(r, 'y0', F, [3, 2, 4]);
    r = single('Transpose', [['N', 3, 4]]);
    expectTensor(r, 'y0', F, [4, 3, 'N'], 'default perm reverses');
    r = single('Transpose', [{ dims: [2, 3], data: [1, 2, 3, 4, 5, 6] }]);
    expectValue(r, 'y0', [1, 4, 2, 5, 3, 6], 'folded transpose');
  });

  test('Concat: sums the axis, folds, default axis 1 before opset 4', () => {
    let r = single(
      'Concat',
      [
        [2, 3],
        ['N', 3],
      ],
      { axis: 0 },
    );
    expectTensor(r, 'y0', F, ['2+N', 3]);
    r = single(
      'Concat',
      [
        [2, 3],
        [2, 4],
      ],
      { axis: -1 },
    );
    expectTensor(r, 'y0', F, [2, 7]);
    r = single(
      'Concat',
      [
        [2, 3],
        [2, 4],
      ],
      {},
      { opset: 1 },
    );
    expectTensor(r, 'y0', F, [2, 7], 'Concat-1 defaults to axis 1');
    r = single(
      'Concat',
      [
        { dims: [2, 1], data: [1, 2] },
        { dims: [2, 2], data: [3, 4, 5, 6] },
      ],
      { axis: 1 },
    );
    expectValue(r, 'y0', [1, 3, 4, 2, 5, 6], 'folded 2-D concat');
  });

  test('Split: attribute (opset 11), input (13), num_outputs with an uneven last chunk (18)', () => {
    // test_split_variable_parts_2d: [2, 6] split [2, 4] on axis 1
    let r = single('Split', [[2, 6]], { axis: 1, split: [2, 4] }, { opset: 11, outputs: 2 });
    expectTensor(r, 'y0', F, [2, 2]);
    expectTensor(r, 'y1', F, [2, 4]);
    r = single(
      'Split',
      [
        [2, 6],
        [2, 4],
      ],
      { axis: 1 },
      { opset: 13, outputs: 2, consts: [1] },
    );
    expectTensor(r, 'y0', F, [2, 2], 'opset 13 split input');
    expectTensor(r, 'y1', F, [2, 4], 'opset 13 split input');
    // test_split_equal_parts_1d: [6] into 3
    r = single('Split', [[6]], {}, { opset: 13, outputs: 3 });
    for (const y of ['y0', 'y1', 'y2']) expectTensor(r, y, F, [2], 'equal parts');
    // test_split_1d_uneven_split_opset18: [7], num_outputs 4 -> 2, 2, 2, 1
    r = single('Split', [[7]], { num_outputs: 4 }, { opset: 18, outputs: 4 });
    expectTensor(r, 'y0', F, [2]);
    expectTensor(r, 'y3', F, [1], 'the last chunk is smaller');
    // test_split_2d_uneven_split_opset18: [2, 8], axis 1, num_outputs 3 -> [2, 3], [2, 3], [2, 2]
    r = single('Split', [[2, 8]], { axis: 1, num_outputs: 3 }, { opset: 18, outputs: 3 });
    expectTensor(r, 'y1', F, [2, 3]);
    expectTensor(r, 'y2', F, [2, 2]);
    r = single('Split', [[7]], {}, { opset: 13, outputs: 2 });
    expectWarning(r, /equal parts/, 'uneven split before opset 18');
    r = single('Split', [['N', 4]], {}, { opset: 13, outputs: 2 });
    expectTensor(r, 'y0', F, ['N/2', 4], 'symbolic equal split');
    r = single('Split', [{ dims: [4], data: [1, 2, 3, 4] }, [1, 3]], {}, { opset: 13, outputs: 2, consts: [1] });
    expectValue(r, 'y1', [2, 3, 4], 'folded split');
  });

  test('Squeeze/Unsqueeze: axes attribute before 13, input from 13', () => {
    // test_squeeze: [1, 3, 4, 5] axes [0]
    let r = single('Squeeze', [[1, 3, 4, 5]], { axes: [0] }, { opset: 11 });
    expectTensor(r, 'y0', F, [3, 4, 5]);
    r = single('Squeeze', [[1, 3, 1, 5], [-2]], {}, { opset: 13, consts: [1] });
    expectTensor(r, 'y0', F, [1, 3, 5], 'test_squeeze_negative_axes');
    r = single('Squeeze', [[1, 3, 1, 5]], {}, { opset: 13 });
    expectTensor(r, 'y0', F, [3, 5], 'no axes squeezes every 1');
    r = single('Squeeze', [['N', 3, 1]], {}, { opset: 13 });
    expectTensor(r, 'y0', F, undefined, 'no axes with a symbolic dim: rank unknown');
    r = single('Squeeze', [[2, 3]], { axes: [0] }, { opset: 11 });
    expectWarning(r, /cannot squeeze/, 'squeezing a dim of 2');
    // test_unsqueeze_unsorted_axes: [3, 4, 5] axes [5, 4, 2] -> [3, 4, 1, 5, 1, 1]
    r = single(
      'Unsqueeze',
      [
        [3, 4, 5],
        [5, 4, 2],
      ],
      {},
      { opset: 13, consts: [1] },
    );
    expectTensor(r, 'y0', F, [3, 4, 1, 5, 1, 1]);
    // test_unsqueeze_negative_axes: [1, 3, 1, 5] axes [-2] -> [1, 3, 1, 1, 5]
    r = single('Unsqueeze', [[1, 3, 1, 5]], { axes: [-2] }, { opset: 11 });
    expectTensor(r, 'y0', F, [1, 3, 1, 1, 5]);
    r = single('Unsqueeze', [[3, 4], [1]], {}, { opset: 13 });
    expectTensor(r, 'y0', F, [null, null, null], 'axes from a graph input: rank known, dims not');
  });
});

describe('Slice', () => {
  test('opset 1 attributes', () => {
    const r = single('Slice', [[20, 10, 5]], { starts: [0, 0], ends: [3, 10], axes: [0, 1] }, { opset: 1 });
    expectTensor(r, 'y0', F, [3, 10, 5]);
  });

  test('inputs from opset 10: negative, INT64_MAX, clamping, steps', () => {
    const slice = (
      shape: Dim[],
      starts: (number | bigint)[],
      ends: (number | bigint)[],
      axes?: number[],
      steps?: number[],
    ) =>
      run((g) => {
        const x = g.input('x', F, shape);
        const ins = [x, g.initializer('s', I64, [starts.length], starts), g.initializer('e', I64, [ends.length], ends)];
        if (axes) ins.push(g.initializer('a', I64, [axes.length], axes));
        else if (steps) ins.push('');
        if (steps) ins.push(g.initializer('t', I64, [steps.length], steps));
        g.node('Slice', ins, {}, { outputs: ['y'] });
      }, 13);
    // test_slice: starts [0, 0], ends [3, 10], axes [0, 1], steps [1, 1]
    expectTensor(slice([20, 10, 5], [0, 0], [3, 10], [0, 1], [1, 1]), 'y', F, [3, 10, 5], 'test_slice');
    // test_slice_neg: starts [0], ends [-1], axes [1]
    expectTensor(slice([20, 10, 5], [0], [-1], [1], [1]), 'y', F, [20, 9, 5], 'test_slice_neg');
    // test_slice_neg_steps: starts [20, 10, 4], ends [0, 0, 1], steps [-1, -3, -2]
    expectTensor(slice([20, 10, 5], [20, 10, 4], [0, 0, 1], [0, 1, 2], [-1, -3, -2]), 'y', F, [19, 3, 2]);
    // test_slice_end_out_of_bounds / test_slice_start_out_of_bounds
    expectTensor(slice([20, 10, 5], [1], [1000], [1], [1]), 'y', F, [20, 9, 5], 'end out of bounds');
    expectTensor(slice([20, 10, 5], [1000], [1000], [1], [1]), 'y', F, [20, 0, 5], 'start out of bounds');
    // test_slice_default_axes: starts/ends over the first axes
    expectTensor(slice([20, 10, 5], [0, 0, 3], [20, 10, 4]), 'y', F, [20, 10, 1], 'default axes');
    expectTensor(slice([20, 10, 5], [1], [INT64_MAX], [0]), 'y', F, [19, 10, 5], 'INT64_MAX end');
    expectTensor(slice([20, 10, 5], [-1], [-INT64_MAX], [0], [-1]), 'y', F, [20, 10, 5], 'full reverse');
    // Symbolic dims: exact only for the whole axis.
    expectTensor(slice(['N', 'T', 5], [0, 1], [INT64_MAX, INT64_MAX], [0, 1]), 'y', F, ['N', null, 5]);
    expectTensor(slice(['N', 5], [-1], [-INT64_MAX], [0], [-1]), 'y', F, ['N', 5], 'reverse of a symbolic axis');
    expectTensor(slice(['N', 5], [0], [4], [0]), 'y', F, [null, 5], 'a prefix of a symbolic axis is unknown');
  });

  test('unknown starts leave the sliced axes unknown; steps of 0 are invalid', () => {
    let r = run((g) => {
      const x = g.input('x', F, [4, 5, 6]);
      const s = g.input('s', I64, [1]);
      g.node(
        'Slice',
        [x, s, g.initializer('e', I64, [1], [3]), g.initializer('a', I64, [1], [1])],
        {},
        { outputs: ['y'] },
      );
    }, 13);
    expectTensor(r, 'y', F, [4, null, 6]);
    r = run((g) => {
      const x = g.input('x', F, [4]);
      const one = g.initializer('one', I64, [1], [0]);
      g.node('Slice', [x, one, one, one, g.initializer('z', I64, [1], [0])], {}, { outputs: ['y'] });
    }, 13);
    expectWarning(r, /step/, 'step 0');
  });
});

describe('Expand, Tile, Pad, Range, OneHot, TopK, NonZero, Unique, Compress', () => {
  test('Expand broadcasts both ways', () => {
    // test_expand_dim_changed: [3, 1] to [2, 1, 6] -> [2, 3, 6]
    let r = single(
      'Expand',
      [
        [3, 1],
        [2, 1, 6],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, [2, 3, 6]);
    // test_expand_dim_unchanged: [3, 1] to [3, 4]
    r = single(
      'Expand',
      [
        [3, 1],
        [3, 4],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, [3, 4]);
    r = single(
      'Expand',
      [
        ['N', 1],
        [1, 5],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, ['N', 5]);
    r = single('Expand', [[3, 1], [2]], {}, {});
    expectTensor(r, 'y0', F, [3, null], 'unknown target: rank and the dims > 1 known');
  });

  test('Tile: repeats input (opset 6+) and Tile-1 tiles/axis', () => {
    // test_tile_precomputed: [2, 2] x [2, 2] -> [4, 4]
    let r = single(
      'Tile',
      [
        [2, 2],
        [2, 2],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, [4, 4]);
    r = single(
      'Tile',
      [
        ['N', 2],
        [1, 3],
      ],
      {},
      { consts: [1] },
    );
    expectTensor(r, 'y0', F, ['N', 6]);
    r = single('Tile', [[2, 2], { dims: [], data: [3] }, { dims: [], data: [1] }], {}, { opset: 1 });
    expectTensor(r, 'y0', F, [2, 6], 'Tile-1');
  });

  test('Pad: paddings (1), pads attribute (2), pads input (11), axes input (18)', () => {
    let r = single('Pad', [[1, 3, 4, 5]], { paddings: [0, 0, 1, 3, 0, 0, 2, 4] }, { opset: 1 });
    expectTensor(r, 'y0', F, [1, 3, 7, 12], 'Pad-1');
    r = single('Pad', [[1, 3, 4, 5]], { pads: [0, 0, 1, 3, 0, 0, 2, 4] }, { opset: 2 });
    expectTensor(r, 'y0', F, [1, 3, 7, 12], 'Pad-2');
    // test_constant_pad: [1, 3, 4, 5] pads [0, 0, 1, 3, 0, 0, 2, 4] -> [1, 3, 7, 12]
    r = single(
      'Pad',
      [
        [1, 3, 4, 5],
        [0, 0, 1, 3, 0, 0, 2, 4],
      ],
      { mode: 'constant' },
      { consts: [1], opset: 11 },
    );
    expectTensor(r, 'y0', F, [1, 3, 7, 12], 'Pad-11');
    // test_constant_pad_axes: [1, 3, 4, 5], pads [0, 3, 0, 4], axes [1, 3] -> [1, 3, 4, 12]
    r = single('Pad', [[1, 3, 4, 5], [0, 3, 0, 4], null, [1, 3]], {}, { consts: [1, 3], opset: 18 });
    expectTensor(r, 'y0', F, [1, 3, 4, 12], 'Pad-18 with axes');
    r = single(
      'Pad',
      [
        ['N', 3],
        [0, 1, 0, -1],
      ],
      {},
      { consts: [1], opset: 13 },
    );
    expectTensor(r, 'y0', F, ['N', 3], 'symbolic dim, no net padding on the other');
    r = single('Pad', [['N', 3], [8]], {}, { opset: 13 });
    expectTensor(r, 'y0', F, [null, null], 'unknown pads');
  });

  test('Range folds; Range(0, d, 1) over a symbolic d', () => {
    // test_range_int32_type_negative_delta: 10, 6, -3 -> [2]
    let r = run((g) => {
      const s = g.initializer('s', I32, [], [10]);
      const l = g.initializer('l', I32, [], [6]);
      const d = g.initializer('d', I32, [], [-3]);
      g.node('Range', [s, l, d], {}, { outputs: ['y'] });
    }, 11);
    expectTensor(r, 'y', I32, [2]);
    expectValue(r, 'y', [10, 7]);
    r = run((g) => {
      const x = g.input('x', F, ['seq', 4]);
      const n = g.node('Gather', [g.node('Shape', [x]), g.initializer('i', I64, [], [0])]);
      g.node(
        'Range',
        [g.initializer('z', I64, [], [0]), n, g.initializer('one', I64, [], [1])],
        {},
        { outputs: ['y'] },
      );
    }, 11);
    expectTensor(r, 'y', I64, ['seq'], 'position ids');
  });

  test('OneHot, TopK (k attribute before 10, input after)', () => {
    // test_onehot_with_axis: indices [2, 2], depth 10, axis 1 -> [2, 10, 2]
    let r = run((g) => {
      const i = g.input('i', F, [2, 2]);
      const d = g.initializer('d', F, [1], [10]);
      const v = g.initializer('v', I32, [2], [0, 1]);
      g.node('OneHot', [i, d, v], { axis: 1 }, { outputs: ['y'] });
    }, 11);
    expectTensor(r, 'y', I32, [2, 10, 2]);
    r = single('TopK', [[3, 4]], { k: 3, axis: 1 }, { opset: 1, outputs: 2 });
    expectTensor(r, 'y0', F, [3, 3], 'TopK-1 values');
    expectTensor(r, 'y1', I64, [3, 3], 'TopK-1 indices');
    r = single('TopK', [[3, 4], [3]], {}, { opset: 11, outputs: 2, consts: [1] });
    expectTensor(r, 'y0', F, [3, 3], 'TopK-11 default axis -1');
  });

  test('data-dependent outputs: NonZero, Unique, Compress, NonMaxSuppression', () => {
    let r = single('NonZero', [[2, 2]], {}, {});
    expectTensor(r, 'y0', I64, [2, null]);
    r = single('NonZero', [{ dims: [2, 2], data: [1, 0, 1, 1] }]);
    expectTensor(r, 'y0', I64, [2, 3], 'NonZero of a constant');
    expectValue(r, 'y0', [0, 1, 1, 0, 0, 1]);
    r = single('Unique', [[2, 3]], { axis: 0 }, { opset: 11, outputs: 4 });
    expectTensor(r, 'y0', F, [null, 3]);
    expectTensor(r, 'y2', I64, [2], 'inverse indices follow the axis');
    r = single('Unique', [[2, 3]], {}, { opset: 11, outputs: 4 });
    expectTensor(r, 'y0', F, [null]);
    expectTensor(r, 'y2', I64, [6], 'inverse indices of the flattened input');
    r = single('Compress', [[3, 2], { dims: [3], data: [0, 1, 1], dtype: B }], { axis: 0 });
    expectTensor(r, 'y0', F, [2, 2], 'test_compress_0 with a constant condition');
    r = single('Compress', [[3, 2], [3]], { axis: 1 });
    expectTensor(r, 'y0', F, [3, null], 'unknown condition');
    r = single('NonMaxSuppression', [
      [1, 6, 4],
      [1, 1, 6],
    ]);
    expectTensor(r, 'y0', I64, [null, 3]);
  });
});

describe('DepthToSpace, SpaceToDepth, Resize, Upsample, EyeLike, Trilu', () => {
  test('DepthToSpace and SpaceToDepth', () => {
    let r = single('DepthToSpace', [[1, 8, 2, 3]], { blocksize: 2, mode: 'CRD' });
    expectTensor(r, 'y0', F, [1, 2, 4, 6]);
    r = single('SpaceToDepth', [['N', 2, 4, 6]], { blocksize: 2 });
    expectTensor(r, 'y0', F, ['N', 8, 2, 3]);
    r = single('DepthToSpace', [[1, 6, 2, 3]], { blocksize: 2 });
    expectWarning(r, /divisible/, 'channels not divisible');
  });

  test('Resize: scales floor, sizes, opset 18 axes and keep_aspect_ratio_policy', () => {
    const resize = (opset: number, x: Dim[], scales: number[] | null, sizes: number[] | null, attrs = {}) =>
      run((g) => {
        const ins = [g.input('x', F, x)];
        if (opset >= 11) ins.push('');
        ins.push(scales ? g.initializer('scales', F, [scales.length], scales) : '');
        if (sizes) ins.push(g.initializer('sizes', I64, [sizes.length], sizes));
        g.node('Resize', ins, attrs, { outputs: ['y'] });
      }, opset);
    // test_resize_downsample_scales_linear: [1, 1, 2, 4] x [1, 1, 0.6, 0.6] -> [1, 1, 1, 2]
    expectTensor(resize(13, [1, 1, 2, 4], [1, 1, 0.6, 0.6], null), 'y', F, [1, 1, 1, 2]);
    expectTensor(resize(10, [1, 1, 2, 4], [1, 1, 0.6, 0.6], null), 'y', F, [1, 1, 1, 2], 'Resize-10');
    // output_dimension = floor(input_dimension * scale): 3 * 0.5 = 1.5 -> 1, 5 * 0.7 = 3.5 -> 3
    expectTensor(resize(13, [1, 1, 3, 5], [1, 1, 0.5, 0.7], null), 'y', F, [1, 1, 1, 3], 'floor, not round');
    // test_resize_upsample_scales_nearest: [1, 1, 2, 2] x [1, 1, 2, 3] -> [1, 1, 4, 6]
    expectTensor(resize(13, ['N', 1, 2, 2], [1, 1, 2, 3], null), 'y', F, ['N', 1, 4, 6]);
    // test_resize_upsample_sizes_cubic: sizes [1, 1, 9, 10]
    expectTensor(resize(13, [1, 1, 4, 4], null, [1, 1, 9, 10]), 'y', F, [1, 1, 9, 10]);
    // test_resize_upsample_sizes_nearest_axes_2_3 (opset 18): sizes [7, 8] on axes [2, 3]
    expectTensor(resize(18, [1, 1, 2, 2], null, [7, 8], { axes: [2, 3] }), 'y', F, [1, 1, 7, 8]);
    // test_resize_upsample_sizes_nearest_not_larger: scale min(7/2, 8/2) = 3.5 -> [7, 7]
    expectTensor(
      resize(18, [1, 1, 2, 2], null, [7, 8], { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }),
      'y',
      F,
      [1, 1, 7, 7],
    );
    // test_resize_downsample_sizes_nearest_not_smaller: [1, 1, 2, 4], sizes [1, 3] -> scale 0.75 -> [2, 3]
    expectTensor(
      resize(18, [1, 1, 2, 4], null, [1, 3], { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }),
      'y',
      F,
      [1, 1, 2, 3],
    );
    // Opset 18: scales on a subset of axes
    expectTensor(resize(18, [1, 3, 4, 4], [0.5, 0.5], null, { axes: [-2, -1] }), 'y', F, [1, 3, 2, 2]);
    // Opset 11: an empty scales tensor with sizes.
    const r = run((g) => {
      const x = g.input('x', F, [1, 3, 4, 4]);
      const roi = g.initializer('roi', F, [0], []);
      const sc = g.initializer('sc', F, [0], []);
      g.node('Resize', [x, roi, sc, g.initializer('sz', I64, [4], [1, 3, 8, 8])], {}, { outputs: ['y'] });
    }, 11);
    expectTensor(r, 'y', F, [1, 3, 8, 8], 'Resize-11 with empty scales');
  });

  test('Upsample: scales attribute (7), input (9)', () => {
    let r = single('Upsample', [[1, 1, 2, 2]], { scales: [1, 1, 2, 3] }, { opset: 7 });
    expectTensor(r, 'y0', F, [1, 1, 4, 6], 'Upsample-7');
    r = run((g) => {
      const x = g.input('x', F, [1, 1, 2, 2]);
      g.node('Upsample', [x, g.initializer('s', F, [4], [1, 1, 2, 3])], {}, { outputs: ['y'] });
    }, 9);
    expectTensor(r, 'y', F, [1, 1, 4, 6], 'test_upsample_nearest');
  });

  test('EyeLike, Trilu, CumSum, ReverseSequence keep the shape', () => {
    let r = single('EyeLike', [[3, 4]], { dtype: DataType.INT32 });
    expectTensor(r, 'y0', I32, [3, 4]);
    r = single('EyeLike', [[3, 4]]);
    expectTensor(r, 'y0', F, [3, 4], 'EyeLike without dtype');
    r = single('Trilu', [['N', 4, 5]], {}, { opset: 14 });
    expectTensor(r, 'y0', F, ['N', 4, 5]);
  });
});

describe('reductions', () => {
  test('axes attribute before opset 13 (ReduceSum) / 18 (others), input after', () => {
    // test_reduce_sum_keepdims_example: [3, 2, 2], axes [1] -> [3, 1, 2]
    let r = single('ReduceSum', [[3, 2, 2], [1]], { keepdims: 1 }, { opset: 13, consts: [1] });
    expectTensor(r, 'y0', F, [3, 1, 2]);
    r = single('ReduceSum', [[3, 2, 2]], { axes: [1], keepdims: 0 }, { opset: 11 });
    expectTensor(r, 'y0', F, [3, 2], 'ReduceSum-11 attribute');
    r = single('ReduceMean', [[3, 2, 2]], { axes: [-2] }, { opset: 13 });
    expectTensor(r, 'y0', F, [3, 1, 2], 'ReduceMean-13 still takes an attribute');
    r = single('ReduceMean', [[3, 2, 2], [-2]], { keepdims: 0 }, { opset: 18, consts: [1] });
    expectTensor(r, 'y0', F, [3, 2], 'ReduceMean-18 axes input');
    // test_reduce_sum_default_axes_keepdims: no axes reduces everything
    r = single('ReduceSum', [[3, 2, 2]], {}, { opset: 13 });
    expectTensor(r, 'y0', F, [1, 1, 1]);
    // test_reduce_sum_empty_axes_input_noop: empty axes with noop_with_empty_axes -> identity
    r = single('ReduceSum', [[3, 2, 2], { dims: [0], data: [] }], { noop_with_empty_axes: 1 }, { opset: 13 });
    expectTensor(r, 'y0', F, [3, 2, 2]);
    r = single('ReduceMax', [['N', 2, 2]], { keepdims: 0 }, { opset: 13 });
    expectTensor(r, 'y0', F, [], 'all axes without keepdims: a scalar');
    r = single('ReduceL2', [[3, 2, 2], [2]], { keepdims: 0 }, { opset: 18 });
    expectTensor(r, 'y0', F, [null], 'two axes from a graph input, keepdims 0');
    r = single('ReduceL2', [[3, 2, 2], [2]], {}, { opset: 18 });
    expectTensor(r, 'y0', F, [null, null, null], 'axes from a graph input, keepdims 1');
  });

  test('ReduceSum / ReduceProd fold small constants', () => {
    const r = run((g) => {
      const c = g.initializer('c', I64, [2, 3], [1, 2, 3, 4, 5, 6]);
      g.node('ReduceSum', [c, g.initializer('a', I64, [1], [1])], { keepdims: 0 }, { outputs: ['sum'] });
      g.node('ReduceProd', [c], { axes: [0] }, { outputs: ['prod'] });
    }, 13);
    expectValue(r, 'sum', [6, 15]);
    expectTensor(r, 'prod', I64, [1, 3]);
    expectValue(r, 'prod', [4, 10, 18]);
  });

  test('ArgMax/ArgMin: axis, keepdims, int64', () => {
    let r = single('ArgMax', [[2, 3, 4]], { axis: 1, keepdims: 0, select_last_index: 1 }, { opset: 12 });
    expectTensor(r, 'y0', I64, [2, 4]);
    r = single('ArgMin', [[2, 3, 4]]);
    expectTensor(r, 'y0', I64, [1, 3, 4], 'default axis 0, keepdims 1');
  });
});

describe('indexing', () => {
  test('Gather shapes and folds', () => {
    let r = single('Gather', [[5, 4, 3], { dims: [2, 2], data: [0, 1, 1, 2] }], { axis: 1 });
    expectTensor(r, 'y0', F, [5, 2, 2, 3]);
    r = single(
      'Gather',
      [
        { dims: [2, 3], data: [1, 2, 3, 4, 5, 6] },
        { dims: [2], data: [2, -3] },
      ],
      { axis: 1 },
    );
    expectValue(r, 'y0', [3, 1, 6, 4], 'negative index counts from the end');
    r = single('Gather', [[3], { dims: [1], data: [3] }]);
    expectWarning(r, /out of range/, 'index 3 of 3');
  });

  test('GatherElements, GatherND (batch_dims), Scatter*, Det', () => {
    let r = single(
      'GatherElements',
      [
        [3, 3],
        [2, 3],
      ],
      { axis: 1 },
    );
    expectTensor(r, 'y0', F, [2, 3]);
    // test_gathernd_example_int32_batch_dim1: data [2, 2, 2], indices [2, 1], batch_dims 1 -> [2, 2]
    r = single(
      'GatherND',
      [
        [2, 2, 2],
        [2, 1],
      ],
      { batch_dims: 1 },
      { opset: 12 },
    );
    expectTensor(r, 'y0', F, [2, 2]);
    // test_gathernd_example_float32: data [2, 2, 2], indices [2, 1, 2] -> [2, 1, 2]
    r = single(
      'GatherND',
      [
        [2, 2, 2],
        [2, 1, 2],
      ],
      {},
      { opset: 11 },
    );
    expectTensor(r, 'y0', F, [2, 1, 2]);
    r = single('ScatterND', [
      ['N', 4],
      [2, 1],
      [2, 4],
    ]);
    expectTensor(r, 'y0', F, ['N', 4]);
    r = single('Det', [[3, 2, 2]]);
    expectTensor(r, 'y0', F, [3]);
  });
});

describe('element-wise', () => {
  test('Identity passes tensors (with values), sequences and optionals through', () => {
    const seq: TypeInfo = { kind: 'sequence', elem: { kind: 'tensor', elemType: F, shape: [2, 'N'] } };
    const opt: TypeInfo = { kind: 'optional', elem: seq };
    const g = new GraphBuilder({ opset: 16 });
    const c = g.initializer('c', I64, [2], [4, 5]);
    const graph = g.toGraph();
    graph.inputs.push({ name: 's', type: seq }, { name: 'o', type: opt });
    graph.nodes.push(
      { name: 'i1', opType: 'Identity', domain: '', inputs: ['s'], outputs: ['ys'], attributes: [] },
      { name: 'i2', opType: 'Identity', domain: '', inputs: ['o'], outputs: ['yo'], attributes: [] },
      { name: 'i3', opType: 'Identity', domain: '', inputs: [c], outputs: ['yc'], attributes: [] },
    );
    const r = inferShapes(g.build(), { useDeclared: false });
    const ys = r.values.get('ys');
    assert.equal(ys?.kind, 'sequence', 'Identity of a sequence is a sequence');
    assert.deepEqual(ys?.kind === 'sequence' && ys.elem?.kind === 'tensor' && ys.elem.shape, [2, 'N'], 'elements');
    const yo = r.values.get('yo');
    assert.equal(yo?.kind, 'optional', 'Identity of an optional is an optional');
    assert.equal(yo?.kind === 'optional' && yo.elem?.kind, 'sequence', 'the optional holds a sequence');
    expectValue(r, 'yc', [4, 5], 'Identity keeps a folded value');
  });

  test('Clip: min/max attributes before opset 11, inputs from 11; folds', () => {
    let r = run((g) => {
      const c = g.initializer('c', F, [3], [-2, 0.5, 9]);
      g.node('Clip', [c], { min: -1, max: 1 }, { outputs: ['y'] });
    }, 6);
    expectValue(r, 'y', [-1, 0.5, 1], 'Clip-6 attributes');
    r = run((g) => {
      const c = g.initializer('c', I64, [3], [-2, 1, 9]);
      g.node('Clip', [c, '', g.initializer('hi', I64, [], [4])], {}, { outputs: ['y'] });
    }, 13);
    expectTensor(r, 'y', I64, [3]);
    expectValue(r, 'y', [-2, 1, 4], 'Clip-13 with only max');
    r = run((g) => {
      const c = g.initializer('c', F, [2], [-2, 9]);
      const lo = g.input('lo', F, []);
      g.node('Clip', [c, lo], {}, { outputs: ['y'] });
    }, 13);
    expectValue(r, 'y', undefined, 'unknown min: no fold');
    expectTensor(r, 'y', F, [2]);
  });

  test('Dropout mask type per opset; Pow keeps the base type; comparisons are bool', () => {
    let r = single('Dropout', [[2, 3]], {}, { opset: 7, outputs: 2 });
    expectTensor(r, 'y1', F, [2, 3], 'Dropout-7 mask has the data type');
    r = single('Dropout', [[2, 3]], {}, { opset: 13, outputs: 2 });
    expectTensor(r, 'y1', B, [2, 3], 'Dropout-13 mask is bool');
    r = run((g) => {
      const x = g.input('x', I32, [2, 1]);
      const e = g.input('e', F, [3]);
      g.node('Pow', [x, e], {}, { outputs: ['y'] });
      g.node('Less', [x, x], {}, { outputs: ['l'] });
    }, 15);
    expectTensor(r, 'y', I32, [2, 3], 'Pow: base type, broadcast shape');
    expectTensor(r, 'l', B, [2, 1]);
    r = run((g) => {
      const x = g.input('x', F);
      g.node('Add', [g.input('u', F, [2]), x], {}, { outputs: ['y'] });
    });
    expectTensor(r, 'y', F, undefined, 'broadcast with an unknown rank');
    r = single('Add', [
      [2, 3],
      [4, 3],
    ]);
    expectWarning(r, /cannot broadcast/, 'incompatible dims');
    // Opset 1-6: B broadcasts to A from `axis` (legacy broadcasting); the output has A's shape.
    r = single(
      'Mul',
      [
        [2, 3, 4, 5],
        [3, 4],
      ],
      { broadcast: 1, axis: 1 },
      { opset: 6 },
    );
    expectTensor(r, 'y0', F, [2, 3, 4, 5], 'legacy broadcast with axis');
    // PRelu's slope broadcasts to X: test_PReLU_1d_multiparam (opset 6) X [2, 3, 4], slope [3]
    r = single('PRelu', [[2, 3, 4], [3]], {}, { opset: 6 });
    expectTensor(r, 'y0', F, [2, 3, 4], 'PRelu-6 per-channel slope');
    r = single(
      'PRelu',
      [
        ['N', 3, 4, 4],
        [3, 1, 1],
      ],
      {},
      { opset: 9 },
    );
    expectTensor(r, 'y0', F, ['N', 3, 4, 4], 'PRelu-9');
  });

  test('integer folds: Div truncates, Mod follows the divisor, float32 results round', () => {
    const r = run((g) => {
      const a = g.initializer('a', I64, [2], [-7, 7]);
      const b = g.initializer('b', I64, [], [2]);
      g.node('Div', [a, b], {}, { outputs: ['div'] });
      g.node('Mod', [a, g.initializer('m', I64, [], [3])], {}, { outputs: ['mod'] });
      const f = g.initializer('f', F, [1], [0.1]);
      g.node('Mul', [f, g.initializer('t', F, [1], [3])], {}, { outputs: ['mul'] });
    }, 13);
    expectValue(r, 'div', [-3, 3]);
    expectValue(r, 'mod', [2, 1]);
    expectValue(r, 'mul', [Math.fround(Math.fround(0.1) * 3)], 'float32 product');
  });
});
