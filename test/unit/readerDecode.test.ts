/**
 * The reader's decoding through the generated code (scripts/gen-proto.mjs post-processing): messages finished into
 * the IR as they complete, int64 values as numbers within ±2^53 and exact beyond, short strings decoded without
 * TextDecoder, lists exactly sized and owned by the IR. Expected values come from the model each test builds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileModel } from '../../src/core/analysis/cost.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType, decodeModel, encodeModel, type Model, OnnxReadError } from '../../src/core/onnx/index.js';
import { onnx } from '../../src/core/onnx/proto.js';

const F = DataType.FLOAT;

function smallModel(): Model {
  const b = new GraphBuilder({ opset: 17, name: 'g' });
  const x = b.input('x', F, [1, 3, 'batch', 3_000_000_000]);
  const y = b.node(
    'Slice',
    [
      x,
      b.initializer('starts', DataType.INT64, [1], [0n]),
      b.initializer('ends', DataType.INT64, [1], [2n ** 63n - 1n]),
    ],
    {},
    { name: 'slice/Slice' },
  );
  const z = b.node(
    'Relu',
    [y],
    { big: [2n ** 53n + 1n, -(2n ** 63n), -1n, 0n, 1023n, 1025n, -1025n], one: 2n ** 40n },
    {
      name: 'héllo/wörld/😀',
    },
  );
  b.node('Identity', [z], {}, { name: `${'n'.repeat(47)}/${'m'.repeat(48)}`, outputs: ['out'] });
  b.output('out', F);
  return b.build();
}

test('a decoded model equals the model encoded: int64 beyond 2^53, 5-byte varints, non-ASCII and long names', () => {
  const model = smallModel();
  const decoded = decodeModel(encodeModel(model));
  assert.deepEqual(decoded, model);
  const relu = decoded.graph.nodes[1];
  assert.equal(relu.name, 'héllo/wörld/😀');
  const big = relu.attributes.find((a) => a.name === 'big');
  assert.deepEqual(big?.value, [2n ** 53n + 1n, -(2n ** 63n), -1n, 0n, 1023n, 1025n, -1025n]);
  assert.deepEqual(decoded.graph.inputs[0].type, {
    kind: 'tensor',
    elemType: F,
    shape: [1, 3, 'batch', 3_000_000_000],
  });
  assert.equal(decoded.graph.nodes[2].name.length, 96);
});

test('the lists of the IR are its own: exactly sized, mutable, not shared between objects', () => {
  const decoded = decodeModel(encodeModel(smallModel()));
  const [slice, relu, identity] = decoded.graph.nodes;
  assert.notEqual(relu.attributes, identity.attributes, 'no two nodes share a list');
  identity.attributes.push({ name: 'added', type: 'int', value: 1n });
  assert.equal(slice.attributes.length, 0, 'an empty list is a list of its own');
  decoded.graph.valueInfo.push({ name: 'v' });
  assert.equal(decodeModel(encodeModel(smallModel())).graph.valueInfo.length, 0, 'absent lists start empty');
  assert.ok(!Object.isFrozen(slice.inputs), 'node inputs are mutable');
  slice.inputs.push('');
  assert.equal(slice.inputs.length, 4, 'an input can be appended');
});

test('without finishers the generated decoder returns plain protobuf messages, int64 as number or Long', () => {
  const bytes = encodeModel(smallModel());
  const message = onnx.ModelProto.decode(bytes);
  assert.ok(message instanceof onnx.ModelProto, 'a ModelProto message');
  const relu = message.graph?.node?.[1];
  assert.ok(relu instanceof onnx.NodeProto, 'nodes are NodeProto messages');
  const ints = relu.attribute.find((a) => a.name === 'big')?.ints ?? [];
  assert.equal(ints[3], 0);
  assert.equal(ints[4], 1023);
  assert.equal(typeof ints[0], 'object', '2^53 + 1 stays a Long');
  assert.equal(String(ints[0]), String(2n ** 53n + 1n));
  assert.equal(ints[2], -1, 'a negative value within 2^53 is a number');
});

test('a length prefix beyond the data is refused, also when it takes five bytes', () => {
  // ModelProto field 7 (graph), length 2^30 (five-byte varint), then nothing.
  const bytes = new Uint8Array([0x3a, 0x80, 0x80, 0x80, 0x80, 0x04, 0x00]);
  assert.throws(
    () => decodeModel(bytes),
    (err: unknown) => {
      assert.ok(err instanceof OnnxReadError, String(err));
      assert.match(err.message, /length 1073741824 at byte 1 runs past the end/);
      return true;
    },
  );
  // The same with a four-byte length (2^27), read without the 64-bit reader.
  const four = new Uint8Array([0x3a, 0x80, 0x80, 0x80, 0x40, 0x00]);
  assert.throws(() => decodeModel(four), /length 134217728 at byte 1 runs past the end/);
});

test('layers without weights report empty parameter tables; weighted ones their own', () => {
  const b = new GraphBuilder({ opset: 17, name: 'g' });
  const x = b.input('x', F, [1, 2]);
  const w = b.initializer('w', F, [2, 2], [1, 2, 3, 4]);
  const y = b.node('MatMul', [x, w], {}, { name: 'mm' });
  b.node('Relu', [y], {}, { name: 'act', outputs: ['out'] });
  b.output('out', F);
  const p = profileModel(decodeModel(encodeModel(b.build())));
  assert.deepEqual(p.layers[0].paramsByDtype, { float32: { params: 4, bytes: 16 } });
  assert.deepEqual(p.layers[0].weights, ['w']);
  assert.deepEqual(p.layers[1].paramsByDtype, {});
  assert.deepEqual(p.layers[1].weights, []);
  assert.deepEqual(p.totals.paramsByDtype, { float32: { params: 4, bytes: 16 } });
});
