import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigintToJson, jsonChunks, toJsonText } from '../../src/core/report/jsonStream.js';

const joined = (value: unknown, chunkSize?: number) => [...jsonChunks(value, { chunkSize })].join('');

test('chunks join to JSON.stringify of documents large and small, at any chunk size', () => {
  const layer = (i: number) => ({
    index: i,
    name: `/blocks/blocks.${i}/conv/Conv`,
    scope: ['blocks', `blocks.${i}`, 'conv'],
    outputs: [{ name: `out_${i}`, dtype: 'float32', shape: [1, 4, 8, i % 7 === 0 ? null : 8], bytes: 1024 }],
    paramsByDtype: i % 3 ? {} : { float32: { params: 148, bytes: 592 } },
    macs: i % 5 ? 9216 : null,
    intensity: i / 7,
    folded: i % 11 === 0 ? true : undefined,
  });
  const deep = (d: number): object => (d === 0 ? { leaf: true } : { name: `s${d}`, children: [deep(d - 1), { n: d }] });
  const docs: unknown[] = [
    null,
    0,
    -0,
    1.5e300,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    'text with "quotes", \\ and \n and \u2028 and 😀',
    true,
    [],
    {},
    [undefined, () => 1, Symbol('s'), 1],
    { a: undefined, b: () => 1, c: Symbol('s'), d: 1 },
    { model: { file: 'x.onnx' }, layers: Array.from({ length: 5000 }, (_, i) => layer(i)), scopes: deep(60) },
    Array.from({ length: 3000 }, (_, i) => i),
    { date: new Date(0), nested: { toJSON: (key: string) => `key:${key}` }, list: [{ toJSON: () => [1, 2] }] },
    new Map([[1, 2]]),
    new Float32Array([1, 2.5]),
  ];
  for (const doc of docs) {
    for (const chunkSize of [1, 100, undefined]) {
      assert.equal(joined(doc, chunkSize), JSON.stringify(doc), `${JSON.stringify(doc)?.slice(0, 60)} at ${chunkSize}`);
    }
  }
});

test('large documents come in bounded chunks', () => {
  const doc = { layers: Array.from({ length: 20_000 }, (_, i) => ({ i, name: `layer ${i}`, shape: [1, i] })) };
  const chunks = [...jsonChunks(doc, { chunkSize: 4096 })];
  assert.ok(chunks.length > 50, `${chunks.length} chunks`);
  const biggest = Math.max(...chunks.map((c) => c.length));
  assert.ok(biggest < 4096 + 20_000, `largest chunk ${biggest} characters`);
  assert.equal(chunks.join(''), JSON.stringify(doc));
});

test('bigints: safe ones as numbers, others as decimal strings, wherever they are', () => {
  const doc = { small: 5n, big: 2n ** 63n - 1n, negative: -(2n ** 60n), list: [1n, { deep: [2n ** 70n] }] };
  const expected =
    '{"small":5,"big":"9223372036854775807","negative":"-1152921504606846976","list":[1,{"deep":["1180591620717411303424"]}]}';
  assert.equal(joined(doc), expected);
  assert.equal(toJsonText(doc), expected);
  assert.equal(JSON.stringify(doc, bigintToJson), expected);
  const wide = { values: Array.from({ length: 2000 }, (_, i) => BigInt(i) * 10n ** 17n) };
  assert.equal(joined(wide, 1000), JSON.stringify(wide, bigintToJson));
});

test('a top-level value without JSON yields nothing; cycles throw as JSON.stringify does', () => {
  assert.deepEqual([...jsonChunks(undefined)], []);
  assert.deepEqual([...jsonChunks(() => 1)], []);
  const cyclic: Record<string, unknown> = { list: Array.from({ length: 1000 }, (_, i) => ({ i })) };
  (cyclic.list as unknown[]).push(cyclic);
  assert.throws(() => [...jsonChunks(cyclic)], TypeError);
  const small: Record<string, unknown> = { a: 1 };
  small.self = small;
  assert.throws(() => [...jsonChunks(small)], TypeError);
});
