/**
 * The one-pass decoder (src/core/onnx/wireReader.ts, behind decodeModel) against the generated protobufjs decoder
 * plus reader.ts's conversion (modelFromProto), which it replaces on the hot path: the same IR, the same field
 * presence (checked by writing both back), on every kind of field ONNX has.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { decodeModel, encodeModel, type Model } from '../../src/core/onnx/index.js';
import { Long, onnx } from '../../src/core/onnx/proto.js';
import { modelFromProto } from '../../src/core/onnx/reader.js';
import { mobileNetLike, transformerBlock } from '../../src/core/onnx/syntheticModels.js';

const sample = join(__dirname, '..', '..', 'samples', 'vww_96_float.onnx');

/** Decodes with both readers and checks they agree, field presence included; returns the new reader's model. */
function bothAgree(bytes: Uint8Array, what: string): Model {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expected = modelFromProto(onnx.ModelProto.decode(view));
  const actual = decodeModel(bytes);
  assert.ok(isDeepStrictEqual(actual, expected), `${what}: the IR differs from the protobufjs reader's`);
  assert.deepEqual(encodeModel(actual), encodeModel(expected), `${what}: written back differently (field presence)`);
  return actual;
}

const varint = (v: number | bigint): number[] => {
  let n = BigInt(v);
  if (n < 0n) n += 1n << 64n;
  const out: number[] = [];
  do {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
};
const field = (no: number, body: number[]) => [...varint((no << 3) | 2), ...varint(body.length), ...body];
const text = (s: string) => [...new TextEncoder().encode(s)];

test('real and synthetic models read the same with both readers', () => {
  bothAgree(readFileSync(sample), 'vww_96_float.onnx');
  bothAgree(encodeModel(mobileNetLike()), 'mobileNetLike');
  bothAgree(encodeModel(transformerBlock()), 'transformerBlock');
});

test('every field kind, explicit empty strings and absent ones, int64 extremes', () => {
  const L = (v: bigint) => Long.fromString(v.toString(), false);
  const tensorType = (elemType: number, dims: onnx.TensorShapeProto.IDimension[]): onnx.ITypeProto => ({
    tensorType: { elemType, shape: { dim: dims } },
    denotation: '',
  });
  const sub: onnx.IGraphProto = {
    name: 'then',
    node: [{ input: ['x'], output: ['t'], opType: 'Identity', domain: '', docString: '' }],
    output: [{ name: 't', type: tensorType(1, [{ dimParam: 'n' }]) }],
  };
  const proto: onnx.IModelProto = {
    irVersion: L(10n),
    opsetImport: [{ domain: '', version: L(21n) }, { version: L(1n) }, { domain: 'com.example', version: L(3n) }],
    producerName: '',
    producerVersion: 'v',
    docString: 'doc',
    modelVersion: L(0n),
    metadataProps: [{ key: 'k', value: '' }, {}],
    graph: {
      name: '',
      docString: '',
      input: [
        { name: 'x', type: tensorType(1, [{ dimValue: L(1n), denotation: 'DATA_BATCH' }, { dimParam: 'n' }, {}]) },
        { name: 's', type: { sequenceType: { elemType: tensorType(7, []) } } },
        { name: 'm', type: { mapType: { keyType: 8, valueType: { optionalType: { elemType: tensorType(1, []) } } } } },
        { name: 'o', type: { opaqueType: { domain: 'd', name: 'n' } }, docString: '' },
        { name: 'sp', type: { sparseTensorType: { elemType: 1 } } },
        { name: 'none', type: {} },
        { name: 'untyped' },
      ],
      output: [{ name: 'y', type: tensorType(1, [{ dimValue: L(-1n) }]) }],
      valueInfo: [{ name: 'v', type: tensorType(16, [{ dimValue: L(2n ** 40n) }]), metadataProps: [{ key: 'a' }] }],
      initializer: [
        { name: 'raw', dataType: 1, dims: [L(2n)], rawData: new Uint8Array(8) },
        { name: 'emptyRaw', dataType: 1, dims: [L(0n)], rawData: new Uint8Array(0) },
        { name: 'floats', dataType: 1, dims: [L(2n)], floatData: [1.5, -0] },
        { name: 'i32', dataType: 6, dims: [L(2n)], int32Data: [-1, 2 ** 31 - 1] },
        { name: 'i64', dataType: 7, dims: [L(3n)], int64Data: [L(-(2n ** 63n)), L(2n ** 63n - 1n), L(5n)] },
        { name: 'f64', dataType: 11, dims: [L(1n)], doubleData: [Math.PI] },
        {
          name: 'u64',
          dataType: 13,
          dims: [L(2n)],
          uint64Data: [Long.fromString('18446744073709551615', true), Long.fromNumber(7, true)],
        },
        { name: 'str', dataType: 8, dims: [L(2n)], stringData: [text('a'), text('')].map((b) => new Uint8Array(b)) },
        {
          name: 'ext',
          dataType: 1,
          dims: [L(4n)],
          dataLocation: 1,
          externalData: [
            { key: 'location', value: 'w.bin' },
            { key: 'offset', value: '4096' },
            { key: 'length', value: '16' },
            { key: 'checksum', value: 'c' },
            { key: 'other', value: 'x' },
          ],
        },
        { name: 'def', dataType: 1, dims: [], dataLocation: 0, docString: '', segment: { begin: L(1n), end: L(2n) } },
        { name: '', dataType: 1, metadataProps: [{ key: 'm', value: 'v' }] },
      ],
      sparseInitializer: [
        {
          values: { name: 'sv', dataType: 1, dims: [L(2n)], floatData: [1, 2] },
          indices: { name: 'si', dataType: 7, dims: [L(2n)], int64Data: [L(0n), L(3n)] },
          dims: [L(4n)],
        },
        {},
      ],
      quantizationAnnotation: [{ tensorName: 't', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] }],
      metadataProps: [{ key: 'g', value: 'h' }],
      node: [
        {
          name: '',
          opType: 'If',
          domain: 'ai.onnx',
          overload: '',
          input: ['c', ''],
          output: ['y', ''],
          docString: 'a node',
          metadataProps: [{ key: 'k', value: 'v' }],
          deviceConfigurations: [
            { configurationId: 'cfg', pipelineStage: 1, shardingSpec: [{ tensorName: 'c', device: [L(0n), L(1n)] }] },
          ],
          attribute: [
            { name: 'then_branch', type: 5, g: sub },
            { name: 'else_branch', g: sub },
            { name: 'f', type: 1, f: 0.25 },
            { name: 'f0', f: 0 },
            { name: 'i', type: 2, i: L(-(2n ** 62n)) },
            { name: 'i0', i: L(0n) },
            { name: 's', type: 3, s: new Uint8Array(text('héllo')) },
            { name: 's0', s: new Uint8Array(0) },
            { name: 't', type: 4, t: { name: 'tt', dataType: 1, dims: [L(1n)], floatData: [3] } },
            { name: 'tEmpty', type: 4 },
            { name: 'sp', type: 11, sparseTensor: { dims: [L(3n)] } },
            { name: 'tp', type: 13, tp: tensorType(1, []) },
            { name: 'floats', type: 6, floats: [1, 2.5] },
            { name: 'ints', type: 7, ints: [L(1n), L(-1n), L(2n ** 53n + 1n)] },
            { name: 'strings', type: 8, strings: [new Uint8Array(text('a')), new Uint8Array(0)] },
            { name: 'tensors', type: 9, tensors: [{ name: 'a' }, {}] },
            { name: 'graphs', type: 10, graphs: [sub, {}] },
            { name: 'sparses', type: 12, sparseTensors: [{}] },
            { name: 'tps', type: 14, typeProtos: [{ sequenceType: {} }] },
            { name: 'ref', refAttrName: 'outer', docString: '' },
            { name: 'unknownType', type: 99 as onnx.AttributeProto.AttributeType },
            { name: 'inferredInts', ints: [L(4n)] },
            {},
          ],
        },
      ],
    },
    functions: [
      {
        name: 'Fn',
        domain: 'com.example',
        overload: '',
        input: ['a'],
        output: ['b'],
        attribute: ['alpha'],
        attributeProto: [{ name: 'beta', type: 1, f: 2 }],
        node: [{ input: ['a'], output: ['b'], opType: 'Relu' }],
        opsetImport: [{ domain: '', version: L(21n) }],
        valueInfo: [{ name: 'b' }],
        docString: '',
        metadataProps: [{ key: 'fk', value: 'fv' }],
      },
    ],
    trainingInfo: [
      {
        initialization: { name: 'init' },
        algorithm: { name: 'algo' },
        initializationBinding: [{ key: 'a', value: 'b' }],
        updateBinding: [{ key: 'c', value: 'd' }],
      },
      {},
    ],
    configuration: [{ name: 'cfg', numDevices: 2, device: ['cpu', 'gpu'] }],
  };
  const model = bothAgree(onnx.ModelProto.encode(proto).finish(), 'kitchen sink');
  assert.equal(model.graph.nodes[0].attributes.length, 23, 'every attribute was read');
  assert.deepEqual(
    model.graph.initializers.map((t) => t.data.kind),
    ['raw', 'raw', 'float', 'int32', 'int64', 'double', 'uint64', 'string', 'external', 'empty', 'empty'],
  );
});

test('packed and unpacked repeated fields, fields out of order, unknown fields, mismatched wire types', () => {
  const tensor = [
    ...field(8, text('w')), // name first
    ...[0x08, 2, 0x08, 3], // dims unpacked: 2, 3
    ...field(1, [4]), // and packed: 4
    0x10,
    1, // data_type FLOAT
    ...field(4, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]), // float_data packed: 1, 2
    0x25,
    0,
    0,
    0x40,
    0x40, // float_data unpacked: 3
    ...field(99, [1, 2, 3]), // unknown length-delimited field
    0xa8,
    0x06,
    0x05, // unknown varint field 101
  ];
  // Field 8 (name) with wire type 5: not a name. protoc's parser skips it as an unknown field, and so does this
  // reader; protobufjs would read it as a string anyway, so the comparison below leaves it out.
  const mismatched = [0x45, 1, 2, 3, 4];
  const node = [...field(4, text('Relu')), ...field(1, text('x')), ...field(2, text('y')), ...field(1, text('x'))];
  const modelBytes = (t: number[]) =>
    new Uint8Array([
      ...field(7, [...field(5, t), ...field(1, node), ...field(2, text('g'))]),
      0x08,
      8,
      ...field(8, [0x10, 17]),
    ]);
  bothAgree(modelBytes(tensor), 'out of order');
  const model = decodeModel(modelBytes([...tensor, ...mismatched]));
  const t = model.graph.initializers[0];
  assert.equal(t.name, 'w', 'the name field with the wrong wire type is ignored, the earlier name kept');
  assert.deepEqual(t.dims, [2, 3, 4]);
  assert.ok(t.data.kind === 'float', 'float data');
  assert.deepEqual([...t.data.values], [1, 2, 3]);
  assert.deepEqual(model.graph.nodes[0].inputs, ['x', 'x']);
});

test('names that are not valid UTF-8 read as protobufjs reads them; inputs naming earlier outputs read right', () => {
  const names = ['\u00ff', 'a\u{1f600}b', '\ufeffbom', 'x'.repeat(60), '\ufeff'.repeat(20)];
  const bad = [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xff], [0xf4, 0x90, 0x80, 0x80], [0x61, 0xe2, 0x82]];
  const nodes = [
    ...names.map((n) => field(1, [...field(1, text(n)), ...field(2, text(`${n}!`)), ...field(4, text('Relu'))])),
    ...bad.map((b, i) => field(1, [...field(1, b), ...field(2, [...b, ...b, 0x30 + i]), ...field(4, text('Relu'))])),
    field(1, [...field(1, [...'x'.repeat(50)].map((c) => c.charCodeAt(0)).concat([0xff])), ...field(4, text('Relu'))]),
  ].flat();
  const bytes = new Uint8Array([0x08, 8, ...field(7, nodes)]);
  bothAgree(bytes, 'odd strings');

  const m = decodeModel(encodeModel(mobileNetLike()));
  const producedBy = new Map<string, string>();
  for (const n of m.graph.nodes) for (const o of n.outputs) producedBy.set(o, o);
  let shared = 0;
  for (const n of m.graph.nodes) for (const i of n.inputs) if (producedBy.has(i)) shared++;
  assert.ok(shared > 10, `${shared} inputs name an earlier output`);
});
