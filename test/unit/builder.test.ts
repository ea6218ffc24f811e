import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  attr,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  GraphBuilder,
  makeTensor,
  Rng,
  toAttribute,
} from '../../src/core/onnx/builder.js';
import {
  DataType,
  decodeModel,
  encodeModel,
  float16ToFloat32,
  fromLittleEndian,
  type Model,
  readTensorValues,
  relocateToDataFile,
  type Tensor,
  type TypeInfo,
  validateModel,
} from '../../src/core/onnx/index.js';
import { mobileNetLike, transformerBlock } from '../../src/core/onnx/syntheticModels.js';
import { loadModelFile, writeModelFiles } from '../../src/node/files.js';

const dir = mkdtempSync(join(tmpdir(), 'emp-builder-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------------------------
// Helpers

interface Output {
  dims: readonly number[];
  data: Float32Array;
}

/** Runs a model file in ONNX Runtime with float32 inputs; returns every output. */
async function runOrt(path: string, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', f.data, f.dims);
    const results = await session.run(inputs);
    const out: Record<string, Output> = {};
    for (const [name, t] of Object.entries(results)) out[name] = { dims: t.dims, data: t.data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

function staticShape(t: TypeInfo | undefined): number[] {
  assert.ok(t?.kind === 'tensor' && t.shape, 'expected a tensor type with a shape');
  return t.shape.map((d) => {
    assert.equal(typeof d, 'number');
    return d as number;
  });
}

/** Deterministic inputs for every graph input of a model. */
function feedsFor(model: Model, seed: number) {
  const rng = new Rng(seed);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const input of model.graph.inputs) {
    const dims = staticShape(input.type);
    feeds[input.name] = {
      data: rng.uniformArray(
        dims.reduce((a, b) => a * b, 1),
        -1,
        1,
      ),
      dims,
    };
  }
  return feeds;
}

function writeModel(name: string, model: Model): string {
  const path = join(dir, name);
  writeFileSync(path, encodeModel(model));
  return path;
}

function assertFinite(name: string, data: Float32Array) {
  for (let i = 0; i < data.length; i++) assert.ok(Number.isFinite(data[i]), `${name}[${i}] = ${data[i]}`);
}

/** Every row of the last axis sums to 1 and lies in [0, 1]. */
function assertProbabilityRows(name: string, out: Output) {
  const last = out.dims[out.dims.length - 1];
  assert.equal(out.data.length % last, 0);
  for (let r = 0; r < out.data.length / last; r++) {
    let sum = 0;
    for (let j = 0; j < last; j++) {
      const p = out.data[r * last + j];
      assert.ok(p >= 0 && p <= 1, `${name}: row ${r} has ${p}`);
      sum += p;
    }
    assert.ok(Math.abs(sum - 1) < 1e-5, `${name}: row ${r} sums to ${sum}`);
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function opCounts(model: Model): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of model.graph.nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  return counts;
}

function initializer(model: Model, name: string): Tensor {
  const t = model.graph.initializers.find((i) => i.name === name);
  assert.ok(t, `initializer '${name}'`);
  return t;
}

async function floats(model: Model, name: string): Promise<Float32Array> {
  const v = await readTensorValues(initializer(model, name));
  assert.ok(v instanceof Float32Array, `${name} decodes to float32`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------

describe('Rng', () => {
  test('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 100 }, () => a.u32());
    const sb = Array.from({ length: 100 }, () => b.u32());
    const sc = Array.from({ length: 100 }, () => c.u32());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
    assert.equal(new Set(sa).size, 100, 'no repeats in 100 draws');
  });

  test('uniform and normal draws have the expected moments', () => {
    const rng = new Rng(7);
    const n = 20000;
    const u = rng.uniformArray(n, 0, 1);
    const z = rng.normalArray(n);
    let su = 0;
    let sz = 0;
    let sz2 = 0;
    for (let i = 0; i < n; i++) {
      assert.ok(u[i] >= 0 && u[i] < 1, `uniform draw ${u[i]}`);
      su += u[i];
      sz += z[i];
      sz2 += z[i] * z[i];
    }
    assert.ok(Math.abs(su / n - 0.5) < 0.01, `uniform mean ${su / n}`);
    assert.ok(Math.abs(sz / n) < 0.03, `normal mean ${sz / n}`);
    assert.ok(Math.abs(Math.sqrt(sz2 / n - (sz / n) ** 2) - 1) < 0.03, 'normal std');
  });
});

describe('makeTensor', () => {
  const raw = (t: Tensor) => {
    assert.equal(t.data.kind, 'raw');
    return Array.from(t.data.kind === 'raw' ? t.data.bytes : []);
  };

  test('stores elements little-endian in raw data', () => {
    // 1.5f = 0x3FC00000, -2f = 0xC0000000
    assert.deepEqual(raw(makeTensor('f', DataType.FLOAT, [2], [1.5, -2])), [0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]);
    assert.deepEqual(raw(makeTensor('i', DataType.INT32, [2], [1, -2])), [1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
    assert.deepEqual(raw(makeTensor('s', DataType.INT16, [1], [0x1234])), [0x34, 0x12]);
    assert.deepEqual(
      raw(makeTensor('l', DataType.INT64, [2], [-1n, 2n ** 62n])),
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x40],
    );
    assert.deepEqual(raw(makeTensor('h', DataType.FLOAT16, [2], [1, -2])), [0x00, 0x3c, 0x00, 0xc0]);
    assert.deepEqual(raw(makeTensor('bf', DataType.BFLOAT16, [1], [1])), [0x80, 0x3f]);
    assert.deepEqual(raw(makeTensor('b', DataType.BOOL, [3], [true, false, true])), [1, 0, 1]);
  });

  test('packs int4/uint4 with the first element in the low nibble, odd counts padded', () => {
    assert.deepEqual(raw(makeTensor('q', DataType.INT4, [3], [1, -1, 7])), [0xf1, 0x07]);
    assert.deepEqual(raw(makeTensor('u', DataType.UINT4, [5], [1, 2, 15, 8, 7])), [0x21, 0x8f, 0x07]);
    assert.deepEqual(raw(makeTensor('u2', DataType.UINT2, [5], [1, 2, 3, 0, 3])), [0b00111001, 0b11]);
  });

  test('decodes back to the same values through readTensorValues', async () => {
    const cases: [number, number[]][] = [
      [DataType.FLOAT, [0, -1.25, 3.5e38, 1e-40]],
      [DataType.DOUBLE, [Math.PI, -1e300]],
      [DataType.INT8, [-128, 127, 0]],
      [DataType.UINT16, [0, 65535]],
      [DataType.INT4, [-8, 7, -1, 0, 3]],
      [DataType.UINT4, [15, 0, 9]],
      [DataType.FLOAT16, [0.5, -65504, 2 ** -24]],
    ];
    for (const [type, values] of cases) {
      const t = makeTensor('t', type, [values.length], values);
      const back = Array.from(await readTensorValues(t), Number);
      assert.deepEqual(back, type === DataType.FLOAT ? values.map(Math.fround) : values, `type ${type}`);
    }
    const s = makeTensor('s', DataType.STRING, [2], ['héllo', '']);
    assert.deepEqual(await readTensorValues(s), ['héllo', '']);
  });

  test('refuses wrong counts, out-of-range and non-integer values, and types it cannot encode', () => {
    assert.throws(() => makeTensor('a', DataType.FLOAT, [2, 2], [1, 2, 3]), /tensor 'a': 3 values for dims \[2, 2\]/);
    assert.throws(() => makeTensor('b', DataType.INT8, [1], [200]), /tensor 'b': element 0 \(200\)/);
    assert.throws(() => makeTensor('c', DataType.INT32, [1], [1.5]), /tensor 'c'/);
    assert.throws(() => makeTensor('d', DataType.INT4, [2], [1, 8]), /element 1 \(8\) is not a valid int4/);
    assert.throws(() => makeTensor('e', DataType.UINT64, [1], [-1n]), /tensor 'e'/);
    assert.throws(() => makeTensor('f', DataType.FLOAT8E4M3FN, [1], [1]), /rawTensor/);
    assert.throws(() => makeTensor('g', DataType.FLOAT, [-1], []), /invalid dims/);
  });
});

describe('float16 / bfloat16 encoding', () => {
  test('every float16 bit pattern survives decode -> encode', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = float16ToFloat32(h);
      const back = float32ToFloat16Bits(v);
      if (Number.isNaN(v)) assert.ok((back & 0x7c00) === 0x7c00 && (back & 0x3ff) !== 0, `NaN ${h.toString(16)}`);
      else assert.equal(back, h, `0x${h.toString(16)} -> ${v} -> 0x${back.toString(16)}`);
    }
  });

  test('rounds to nearest, ties to even, overflowing to infinity', () => {
    assert.equal(float32ToFloat16Bits(65519), 0x7bff);
    assert.equal(float32ToFloat16Bits(65520), 0x7c00);
    assert.equal(float32ToFloat16Bits(1e6), 0x7c00);
    assert.equal(float32ToFloat16Bits(-1e6), 0xfc00);
    assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00, 'tie rounds down to even');
    assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds up to even');
    assert.equal(float32ToFloat16Bits(2 ** -25), 0x0000, 'half the smallest subnormal ties to zero');
    assert.equal(float32ToFloat16Bits(1.5 * 2 ** -25), 0x0001);
    assert.equal(float32ToFloat16Bits(2 ** -14 - 2 ** -25), 0x0400, 'rounds up from subnormal to normal');
    assert.equal(float32ToFloat16Bits(-0), 0x8000);
  });

  test('every bfloat16 bit pattern survives decode -> encode, and rounding is to nearest even', () => {
    const bytes = new Uint8Array(2);
    for (let h = 0; h < 0x10000; h++) {
      bytes[0] = h & 0xff;
      bytes[1] = h >> 8;
      const v = (fromLittleEndian(DataType.BFLOAT16, bytes, 1) as Float32Array)[0];
      const back = float32ToBfloat16Bits(v);
      if (Number.isNaN(v))
        assert.ok((back & 0x7f80) === 0x7f80 && (back & 0x7f) !== 0, `NaN 0x${h.toString(16)} stays NaN`);
      else assert.equal(back, h, `0x${h.toString(16)}`);
    }
    assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80, 'tie to even (down)');
    assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82, 'tie to even (up)');
    assert.equal(float32ToBfloat16Bits(3.4e38), 0x7f80, 'rounds past the largest finite value to infinity');
  });
});

describe('attributes', () => {
  test('plain values get the type the operator expects', () => {
    assert.deepEqual(toAttribute('epsilon', 1e-5), { name: 'epsilon', type: 'float', value: Math.fround(1e-5) });
    assert.deepEqual(toAttribute('alpha', 1), { name: 'alpha', type: 'float', value: 1 });
    assert.deepEqual(toAttribute('axis', -1), { name: 'axis', type: 'int', value: -1n });
    assert.deepEqual(toAttribute('ratio', 0.1), { name: 'ratio', type: 'float', value: Math.fround(0.1) });
    assert.deepEqual(toAttribute('custom', 0.1), { name: 'custom', type: 'float', value: Math.fround(0.1) });
    assert.deepEqual(toAttribute('pads', [1, 1]), { name: 'pads', type: 'ints', value: [1n, 1n] });
    assert.deepEqual(toAttribute('scales', [1, 2]), { name: 'scales', type: 'floats', value: [1, 2] });
    assert.deepEqual(toAttribute('perm', []), { name: 'perm', type: 'ints', value: [] });
    assert.deepEqual(toAttribute('mode', 'linear'), { name: 'mode', type: 'string', value: 'linear' });
    assert.deepEqual(toAttribute('big', 2n ** 63n - 1n), { name: 'big', type: 'int', value: 2n ** 63n - 1n });
    assert.deepEqual(toAttribute('k', attr.float(3)), { name: 'k', type: 'float', value: 3 });
    assert.deepEqual(toAttribute('k', attr.floats([0.1])), { name: 'k', type: 'floats', value: [Math.fround(0.1)] });
    assert.deepEqual(toAttribute('alpha', attr.int(3)), { name: 'alpha', type: 'int', value: 3n });
    const t = makeTensor('v', DataType.FLOAT, [1], [2]);
    assert.deepEqual(toAttribute('value', t), { name: 'value', type: 'tensor', value: t });
    assert.throws(() => toAttribute('x', 2n ** 64n), /does not fit in int64/);
    assert.throws(() => toAttribute('x', [1, 'a'] as unknown as number[]), /only numbers/);
  });

  test('float attributes survive encode/decode exactly', () => {
    const b = new GraphBuilder();
    const x = b.input('x', DataType.FLOAT, [1]);
    const y = b.node('LeakyRelu', [x], { alpha: 0.1 });
    b.node('Custom', [y], { fs: attr.floats([0.1, 1 / 3, 1e-7]), f: attr.float(Math.PI) }, { domain: 'x.test' });
    const m = b.build();
    assert.deepEqual(decodeModel(encodeModel(m)), m);
    const a = m.graph.nodes[0].attributes[0];
    assert.ok(a.type === 'float' && a.value === Math.fround(0.1) && a.value !== 0.1, 'alpha is stored as float32 0.1');
  });
});

describe('GraphBuilder', () => {
  test('refuses undefined inputs, duplicate names and outputs of unknown values, and stays unchanged', () => {
    const b = new GraphBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    assert.throws(() => b.node('Relu', ['nope']), /input 'nope' is not defined/);
    assert.throws(() => b.input('x', DataType.FLOAT, [2]), /'x': a value with this name already exists/);
    b.node('Relu', [x], {}, { name: 'r' });
    assert.throws(() => b.node('Relu', [x], {}, { name: 'r' }), /node 'r': a node with this name already exists/);
    assert.throws(() => b.node('Relu', [x], {}, { outputs: ['x'] }), /output 'x' is already defined/);
    assert.throws(() => b.node('Relu', [x], { bad: [1, 'a'] as unknown as number[] }), /only numbers/);
    assert.throws(() => b.output('missing', DataType.FLOAT), /not a value of this graph/);
    assert.equal(b.toGraph().nodes.length, 1);
    // Optional inputs may be omitted with ''.
    const [y, mask] = b.nodeOutputs('Dropout', [x, '', ''], 2);
    assert.deepEqual(b.toGraph().nodes[1].inputs, ['x', '', '']);
    assert.notEqual(y, mask);
  });

  test('subgraphs see the enclosing graph and the model validates', () => {
    const b = new GraphBuilder({ opset: 17 });
    const x = b.input('x', DataType.FLOAT, [2]);
    const cond = b.input('cond', DataType.BOOL, []);
    const thenB = b.subgraph('then');
    thenB.output(thenB.node('Relu', [x]), DataType.FLOAT, [2]);
    const elseB = b.subgraph('else');
    elseB.output(elseB.node('Neg', [x]), DataType.FLOAT, [2]);
    const y = b.node('If', [cond], { then_branch: thenB.toGraph(), else_branch: elseB.toGraph() });
    b.output(y, DataType.FLOAT, [2]);
    const m = b.build();
    assert.deepEqual(validateModel(m), []);
    assert.deepEqual(decodeModel(encodeModel(m)), m);
    assert.equal(m.irVersion, 8);
  });

  test('the default IR version is the one ONNX released with the opset', () => {
    // Pairs from ONNX's release table (onnx/helper.py VERSION_TABLE).
    const pairs = [
      [9, 4],
      [11, 6],
      [13, 7],
      [14, 7],
      [15, 8],
      [17, 8],
      [19, 9],
      [21, 10],
      [23, 11],
      [24, 12],
      [25, 13],
    ];
    for (const [opset, ir] of pairs) assert.equal(new GraphBuilder({ opset }).build().irVersion, ir, `opset ${opset}`);
    assert.equal(new GraphBuilder({ opset: 17, irVersion: 10 }).build().irVersion, 10);
  });

  test('a Gemm built with plain attributes runs in ONNX Runtime as the attributes say', async () => {
    // alpha: 2 must become a float attribute (ONNX Runtime rejects an int one) and transB an int.
    const rng = new Rng(5);
    const w = rng.uniformArray(3 * 4, -1, 1); // [N=3, K=4], used transposed
    const bias = rng.uniformArray(3, -1, 1);
    const b = new GraphBuilder({ opset: 13 });
    const a = b.input('a', DataType.FLOAT, [2, 4]);
    const y = b.node(
      'Gemm',
      [a, b.initializer('w', DataType.FLOAT, [3, 4], w), b.initializer('c', DataType.FLOAT, [3], bias)],
      {
        alpha: 2,
        beta: 0.5,
        transB: 1,
      },
    );
    b.output(y, DataType.FLOAT, [2, 3]);
    const feeds = feedsFor(b.build(), 9);
    const out = (await runOrt(writeModel('gemm.onnx', b.build()), feeds))[y];
    assert.deepEqual(out.dims, [2, 3]);
    const av = feeds.a.data;
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += av[i * 4 + k] * w[j * 4 + k];
        expected.push(2 * s + 0.5 * bias[j]);
      }
    }
    assert.ok(maxAbsDiff(out.data, expected) < 1e-5, `differs by ${maxAbsDiff(out.data, expected)}`);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('mobileNetLike', () => {
  const variants: [string, Model][] = [
    ['default', mobileNetLike()],
    [
      'reshape head, 4 blocks, batch 2',
      mobileNetLike({ head: 'reshape', blocks: 4, width: 12, inputSize: 48, batch: 2 }),
    ],
  ];

  test('has the expected structure', () => {
    const m = mobileNetLike({ width: 8, blocks: 3 });
    const counts = opCounts(m);
    assert.equal(counts.get('Conv'), 1 + 2 * 3);
    assert.equal(counts.get('BatchNormalization'), 1 + 2 * 3);
    assert.equal(counts.get('Add'), 2, 'blocks 0 and 2 keep the shape and have a residual Add');
    for (const op of ['Relu', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']) assert.ok(counts.get(op), op);
    const depthwise = m.graph.nodes.filter((n) => n.name.endsWith('.dw.conv'));
    assert.equal(depthwise.length, 3);
    for (const n of depthwise) {
      const group = n.attributes.find((a) => a.name === 'group');
      const w = initializer(m, n.inputs[1]);
      assert.ok(group?.type === 'int', `${n.name}: group is an int attribute`);
      assert.equal(Number(group.value), w.dims[0], `${n.name}: group = channels`);
      assert.deepEqual(w.dims.slice(1), [1, 3, 3]);
    }
    assert.deepEqual(m.opsetImports, [{ domain: '', version: 17 }]);
    assert.deepEqual(staticShape(m.graph.outputs[0].type), [1, 10]);
    // The same seed gives the same model; another seed other weights.
    assert.deepEqual(encodeModel(mobileNetLike({ width: 8, blocks: 3 })), encodeModel(m));
    assert.notDeepEqual(encodeModel(mobileNetLike({ seed: 2 })), encodeModel(m));
  });

  for (const [label, model] of variants) {
    test(`${label}: encode/decode round trip, validation and ONNX Runtime`, async () => {
      assert.deepEqual(decodeModel(encodeModel(model)), model);
      assert.deepEqual(validateModel(model), []);
      const out = await runOrt(writeModel(`mobilenet-${label.length}.onnx`, model), feedsFor(model, 1));
      const probs = out.probabilities;
      assert.deepEqual(probs.dims, staticShape(model.graph.outputs[0].type));
      assertFinite('probabilities', probs.data);
      assertProbabilityRows('probabilities', probs);
    });
  }

  test('Flatten and Reshape heads compute the same thing', async () => {
    const a = mobileNetLike({ blocks: 2, seed: 3 });
    const b = mobileNetLike({ blocks: 2, seed: 3, head: 'reshape' });
    const feeds = feedsFor(a, 4);
    const oa = (await runOrt(writeModel('head-a.onnx', a), feeds)).probabilities;
    const ob = (await runOrt(writeModel('head-b.onnx', b), feeds)).probabilities;
    assert.deepEqual(Array.from(oa.data), Array.from(ob.data));
    // …and a different input gives a different answer (the model is not constant).
    const oc = (await runOrt(writeModel('head-a.onnx', a), feedsFor(a, 5))).probabilities;
    assert.ok(
      maxAbsDiff(oa.data, oc.data) > 1e-4,
      `another input changes the output by ${maxAbsDiff(oa.data, oc.data)}`,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** The transformer block computed in float64 from the model's own weights (for the 'relu' activation). */
async function transformerReference(
  m: Model,
  x: Float32Array,
  batch: number,
  seq: number,
  hidden: number,
  heads: number,
) {
  const d = hidden / heads;
  const layerNorm = async (name: string, v: Float64Array) => {
    const g = await floats(m, `${name}.weight`);
    const bias = await floats(m, `${name}.bias`);
    const out = new Float64Array(v.length);
    for (let r = 0; r < v.length / hidden; r++) {
      let mean = 0;
      for (let j = 0; j < hidden; j++) mean += v[r * hidden + j];
      mean /= hidden;
      let variance = 0;
      for (let j = 0; j < hidden; j++) variance += (v[r * hidden + j] - mean) ** 2;
      variance /= hidden;
      for (let j = 0; j < hidden; j++) {
        out[r * hidden + j] = ((v[r * hidden + j] - mean) / Math.sqrt(variance + 1e-5)) * g[j] + bias[j];
      }
    }
    return out;
  };
  const linear = async (name: string, v: Float64Array, cin: number, cout: number) => {
    const w = await floats(m, `${name}.weight`);
    const bias = await floats(m, `${name}.bias`);
    const rows = v.length / cin;
    const out = new Float64Array(rows * cout);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < cout; o++) {
        let s = bias[o];
        for (let i = 0; i < cin; i++) s += v[r * cin + i] * w[i * cout + o];
        out[r * cout + o] = s;
      }
    }
    return out;
  };
  const x64 = Float64Array.from(x);
  const h = await layerNorm('ln1', x64);
  const q = await linear('attn.q', h, hidden, hidden);
  const k = await linear('attn.k', h, hidden, hidden);
  const v = await linear('attn.v', h, hidden, hidden);
  const probs = new Float64Array(batch * heads * seq * seq);
  const ctx = new Float64Array(batch * seq * hidden);
  const scale = Math.fround(1 / Math.sqrt(d));
  for (let b = 0; b < batch; b++) {
    for (let hd = 0; hd < heads; hd++) {
      for (let i = 0; i < seq; i++) {
        const row = new Float64Array(seq);
        for (let j = 0; j < seq; j++) {
          let s = 0;
          for (let e = 0; e < d; e++)
            s += q[(b * seq + i) * hidden + hd * d + e] * k[(b * seq + j) * hidden + hd * d + e];
          row[j] = s * scale;
        }
        const max = Math.max(...row);
        let sum = 0;
        for (let j = 0; j < seq; j++) sum += row[j] = Math.exp(row[j] - max);
        for (let j = 0; j < seq; j++) probs[((b * heads + hd) * seq + i) * seq + j] = row[j] / sum;
        for (let e = 0; e < d; e++) {
          let s = 0;
          for (let j = 0; j < seq; j++) s += (row[j] / sum) * v[(b * seq + j) * hidden + hd * d + e];
          ctx[(b * seq + i) * hidden + hd * d + e] = s;
        }
      }
    }
  }
  const attnOut = await linear('attn.out', ctx, hidden, hidden);
  const res1 = x64.map((xv, i) => xv + attnOut[i]);
  const ffn = initializer(m, 'mlp.fc1.weight').dims[1];
  const up = (await linear('mlp.fc1', await layerNorm('ln2', res1), hidden, ffn)).map((u) => Math.max(0, u));
  const down = await linear('mlp.fc2', up, ffn, hidden);
  return { y: res1.map((r, i) => r + down[i]), probs };
}

describe('transformerBlock', () => {
  test('has the expected structure', () => {
    const m = transformerBlock({ hidden: 32, heads: 4, seqLen: 8 });
    const counts = opCounts(m);
    assert.equal(counts.get('LayerNormalization'), 2);
    assert.equal(counts.get('MatMul'), 4 + 2 + 2, 'Q, K, V, output projection, two attention products, two MLP');
    assert.equal(counts.get('Softmax'), 1);
    assert.equal(counts.get('Reshape'), 4);
    assert.equal(counts.get('Transpose'), 4);
    assert.equal(counts.get('Erf'), 1, 'opset 17 defaults to the Erf form of Gelu');
    assert.equal(transformerBlock({ opset: 20 }).graph.nodes.filter((n) => n.opType === 'Gelu').length, 1);
    assert.equal(opCounts(transformerBlock({ activation: 'relu' })).get('Relu'), 1);
    assert.deepEqual(initializer(m, 'attn.heads_shape').dims, [4]);
    assert.throws(() => transformerBlock({ opset: 16 }), /opset 17/);
    assert.throws(() => transformerBlock({ activation: 'gelu', opset: 17 }), /opset 20/);
    assert.throws(() => transformerBlock({ hidden: 30, heads: 4 }), /must divide/);
  });

  const variants: [string, Model][] = [
    ['erf, opset 17', transformerBlock()],
    ['gelu, opset 20', transformerBlock({ opset: 20 })],
    ['relu, batch 2, 2 heads', transformerBlock({ activation: 'relu', batch: 2, heads: 2, hidden: 16, seqLen: 5 })],
  ];
  for (const [label, model] of variants) {
    test(`${label}: encode/decode round trip, validation and ONNX Runtime`, async () => {
      assert.deepEqual(decodeModel(encodeModel(model)), model);
      assert.deepEqual(validateModel(model), []);
      const out = await runOrt(writeModel(`transformer-${label.length}.onnx`, model), feedsFor(model, 2));
      assert.deepEqual(out.y.dims, staticShape(model.graph.outputs[0].type));
      assert.deepEqual(out.attention_probs.dims, staticShape(model.graph.outputs[1].type));
      assertFinite('y', out.y.data);
      assertProbabilityRows('attention_probs', out.attention_probs);
    });
  }

  test('ONNX Runtime computes what a float64 reference computes from the same weights', async () => {
    const [batch, seq, hidden, heads] = [2, 5, 16, 2];
    const m = transformerBlock({ activation: 'relu', batch, heads, hidden, seqLen: seq, seed: 11 });
    const feeds = feedsFor(m, 3);
    const out = await runOrt(writeModel('transformer-ref.onnx', m), feeds);
    const ref = await transformerReference(m, feeds.x.data, batch, seq, hidden, heads);
    assert.ok(maxAbsDiff(out.attention_probs.data, ref.probs) < 1e-5, 'attention probabilities');
    assert.ok(maxAbsDiff(out.y.data, ref.y) < 1e-4, `y differs by ${maxAbsDiff(out.y.data, ref.y)}`);
  });

  test('the Erf form and the Gelu operator agree', async () => {
    const feeds = feedsFor(transformerBlock(), 8);
    const a = await runOrt(writeModel('t-erf.onnx', transformerBlock({ activation: 'erf', opset: 20 })), feeds);
    const b = await runOrt(writeModel('t-gelu.onnx', transformerBlock({ activation: 'gelu', opset: 20 })), feeds);
    const c = await runOrt(writeModel('t-relu.onnx', transformerBlock({ activation: 'relu', opset: 20 })), feeds);
    assert.ok(maxAbsDiff(a.y.data, b.y.data) < 1e-5, `Erf form and Gelu differ by ${maxAbsDiff(a.y.data, b.y.data)}`);
    assert.ok(maxAbsDiff(a.y.data, c.y.data) > 1e-3, 'the activation matters');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('external data', () => {
  const cases: [string, Model, number][] = [
    ['mobilenet', mobileNetLike({ width: 16, blocks: 3, seed: 9 }), 1024],
    ['transformer', transformerBlock({ seed: 9 }), 2048],
  ];
  for (const [label, model, minBytes] of cases) {
    test(`${label}: initializers moved to a data file read back and run the same`, async () => {
      const folder = mkdtempSync(join(dir, `ext-${label}-`));
      const { model: ext, dataFile } = await relocateToDataFile(model, { location: `${label}.weights`, minBytes });
      const path = join(folder, `${label}.onnx`);
      await writeModelFiles(path, ext, dataFile);
      assert.ok(existsSync(join(folder, `${label}.weights`)), 'the data file was written');
      assert.equal(statSync(join(folder, `${label}.weights`)).size, dataFile.size);
      assert.ok(statSync(path).size < encodeModel(model).length / 2, 'the model file lost the big tensors');

      const loaded = await loadModelFile(path);
      assert.deepEqual(loaded.problems, []);
      const external = loaded.model.graph.initializers.filter((t) => t.data.kind === 'external');
      const inline = loaded.model.graph.initializers.filter((t) => t.data.kind === 'raw');
      const big = model.graph.initializers.filter((t) => t.data.kind === 'raw' && t.data.bytes.length >= minBytes);
      assert.equal(external.length, big.length);
      assert.ok(external.length >= 3, `${external.length} external tensors`);
      assert.ok(inline.length >= 3, 'small tensors stay inline');
      for (const t of loaded.model.graph.initializers) {
        const original = await readTensorValues(initializer(model, t.name));
        assert.deepEqual(await readTensorValues(t, loaded.externalData), original, t.name);
      }

      const feeds = feedsFor(model, 6);
      const a = await runOrt(writeModel(`${label}-inline.onnx`, model), feeds);
      const b = await runOrt(path, feeds);
      for (const name of Object.keys(a)) assert.deepEqual(Array.from(b[name].data), Array.from(a[name].data), name);
    });
  }
});
