import assert from 'node:assert/strict';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { GraphBuilder, makeTensor, Rng } from '../../src/core/onnx/builder.js';
import {
  DataType,
  decodeModel,
  encodeModel,
  type Model,
  OnnxReadError,
  readTensorValues,
  type Tensor,
  type TensorValues,
  validateModel,
} from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { FileError, FolderDataSource, loadModelFile } from '../../src/node/files.js';

const sample = join(__dirname, '..', '..', 'samples', 'vww_96_float.onnx');
const dir = mkdtempSync(join(tmpdir(), 'emp-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Each bad input must be answered within this time. */
const LIMIT_MS = 2000;

// ---------------------------------------------------------------------------------------------------------------
// Hand-encoded protobuf

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A length-delimited field (wire type 2). */
function field(num: number, body: number[] | Uint8Array): number[] {
  return [...varint((num << 3) | 2), ...varint(body.length), ...body];
}

const utf8 = (s: string) => Array.from(new TextEncoder().encode(s));

/** ModelProto header: ir_version 8 (field 1), opset_import { version 17 } (field 8). */
const modelHeader = [0x08, 8, ...field(8, [0x10, 17])];

/**
 * `depth` nested If nodes, each with its then_branch holding the next one: ModelProto.graph -> GraphProto.node ->
 * NodeProto.attribute -> AttributeProto.g -> GraphProto … Built from the inside out in one pass (every level is a
 * prefix: the fields after the nested graph are written before it), so a deep bomb costs O(depth) to make.
 */
function ifBomb(depth: number): Uint8Array {
  const prefixes: number[][] = [];
  let size = 0;
  for (let i = 0; i < depth; i++) {
    // AttributeProto: name (1), type = GRAPH (20, varint 5), g (6) = inner graph.
    const attrHead = [...field(1, utf8('then_branch')), 0xa0, 0x01, 5, ...varint((6 << 3) | 2), ...varint(size)];
    const attrLen = attrHead.length + size;
    // NodeProto: op_type (4) 'If', attribute (5).
    const nodeHead = [...field(4, utf8('If')), ...varint((5 << 3) | 2), ...varint(attrLen), ...attrHead];
    // GraphProto: node (1).
    const graphHead = [...varint((1 << 3) | 2), ...varint(nodeHead.length + size), ...nodeHead];
    prefixes.push(graphHead);
    size += graphHead.length;
  }
  return concatPrefixes([...modelHeader, ...varint((7 << 3) | 2), ...varint(size)], prefixes, size);
}

/** A graph input whose type is `depth` nested sequence types: TypeProto.sequence_type.elem_type.sequence_type… */
function typeBomb(depth: number): Uint8Array {
  const prefixes: number[][] = [];
  // Innermost TypeProto: tensor_type { elem_type: FLOAT }, written at the very end.
  const innermost = [0x0a, 2, 0x08, 1];
  let size = innermost.length;
  for (let i = 0; i < depth; i++) {
    // TypeProto.sequence_type (4) -> TypeProto.Sequence.elem_type (1) -> TypeProto
    const seq = [...varint((1 << 3) | 2), ...varint(size)];
    const head = [...varint((4 << 3) | 2), ...varint(seq.length + size), ...seq];
    prefixes.push(head);
    size += head.length;
  }
  const valueInfo = [...field(1, utf8('x')), ...varint((2 << 3) | 2), ...varint(size)];
  const graph = [...varint((11 << 3) | 2), ...varint(valueInfo.length + size), ...valueInfo];
  const head = [...modelHeader, ...varint((7 << 3) | 2), ...varint(graph.length + size), ...graph];
  const out = concatPrefixes(head, prefixes, size);
  out.set(innermost, out.length - innermost.length);
  return out;
}

function concatPrefixes(head: number[], prefixes: number[][], size: number): Uint8Array {
  const out = new Uint8Array(head.length + size);
  out.set(head, 0);
  let at = head.length;
  for (let i = prefixes.length - 1; i >= 0; i--) {
    out.set(prefixes[i], at);
    at += prefixes[i].length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

/**
 * Decodes bad bytes: either a clear OnnxReadError naming the file, or (when the bytes happen to form a model) a
 * model that validation and tensor decoding handle without throwing anything but an Error. Returns what happened.
 */
async function decodeBad(bytes: Uint8Array, fileName: string): Promise<'error' | 'decoded'> {
  const start = performance.now();
  let model: Model;
  try {
    model = decodeModel(bytes, { fileName });
  } catch (err) {
    assert.ok(err instanceof OnnxReadError, `${fileName}: ${String(err)} is not an OnnxReadError`);
    assert.ok(err.message.startsWith(`${fileName}: `), `the message names the file: ${err.message}`);
    assert.match(err.message, /empty file|not readable as an ONNX model|not an ONNX model/);
    assert.ok(performance.now() - start < LIMIT_MS, `${fileName}: took ${performance.now() - start} ms`);
    return 'error';
  }
  const problems = validateModel(model);
  assert.ok(Array.isArray(problems), 'validation returns a list');
  for (const t of model.graph.initializers) {
    await readTensorValues(t).catch((err) => assert.ok(err instanceof Error, String(err)));
  }
  assert.ok(performance.now() - start < LIMIT_MS, `${fileName}: took ${performance.now() - start} ms`);
  return 'decoded';
}

async function rejectsClearly(
  fn: () => Promise<unknown>,
  pattern: RegExp,
  types: (new (...args: never[]) => Error)[] = [Error],
): Promise<Error> {
  const start = performance.now();
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  const ms = performance.now() - start;
  assert.ok(caught instanceof Error, 'expected an error');
  assert.ok(
    types.some((t) => caught instanceof t),
    `${caught.name} is not one of ${types.map((t) => t.name).join(', ')}`,
  );
  assert.match(caught.message, pattern);
  assert.ok(ms < LIMIT_MS, `took ${ms} ms`);
  return caught;
}

let gc: (() => void) | undefined;
try {
  v8.setFlagsFromString('--expose-gc');
  gc = vm.runInNewContext('gc') as () => void;
} catch {
  gc = undefined;
}

function memory(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MB = 1024 * 1024;

/** 50 cut points spread over the file, plus the first and last byte. */
function cutPoints(length: number): number[] {
  const cuts = new Set<number>([1, length - 1]);
  for (let i = 1; cuts.size < 50; i++) cuts.add(Math.floor((i * length) / 49) - (i % 3));
  return [...cuts].filter((c) => c > 0 && c < length).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------------------------

describe('bad model bytes', () => {
  const mobilenet = encodeModel(mobileNetLike());
  const vww = new Uint8Array(readFileSync(sample));

  test('empty input', async () => {
    assert.equal(await decodeBad(new Uint8Array(0), 'empty.onnx'), 'error');
    assert.throws(() => decodeModel(new Uint8Array(0), { fileName: 'e.onnx' }), /^OnnxReadError: e\.onnx: empty file/);
  });

  test('random bytes, several seeds and sizes', async (t) => {
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      for (const size of [1, 2, 13, 100, 4096, 200_000]) {
        outcomes.push(await decodeBad(new Rng(seed).bytes(size), `random-${seed}-${size}.onnx`));
      }
    }
    // Random bytes are almost never a model; the seeds are fixed, so this count is too.
    const errors = outcomes.filter((o) => o === 'error').length;
    t.diagnostic(`${errors} of ${outcomes.length} refused, the rest decoded and validated`);
    assert.ok(errors >= outcomes.length - 2, `${errors} of ${outcomes.length} random inputs were refused`);
  });

  for (const [label, bytes] of [
    ['synthetic MobileNet', mobilenet],
    ['vww_96_float.onnx', vww],
  ] as const) {
    test(`${label} truncated at 50 offsets`, async (t) => {
      const cuts = cutPoints(bytes.length);
      assert.equal(cuts.length, 50);
      let errors = 0;
      let worst = 0;
      for (const cut of cuts) {
        const start = performance.now();
        if ((await decodeBad(bytes.subarray(0, cut), `${label}@${cut}`)) === 'error') errors++;
        worst = Math.max(worst, performance.now() - start);
      }
      t.diagnostic(`${errors} of 50 refused, the rest decoded and validated; slowest ${worst.toFixed(1)} ms`);
      // The model is one big length-delimited graph field: nearly every cut lands inside it.
      assert.ok(errors >= 45, `${errors} of 50 truncations refused`);
      assert.ok(worst < LIMIT_MS, `slowest truncation took ${worst} ms`);
      // The untruncated file still reads (the cuts are what breaks it).
      assert.ok(decodeModel(bytes).graph.nodes.length > 10, 'the whole file reads');
    });
  }

  test('a length prefix of 2^40 is refused without allocating', () => {
    const big = 2 ** 40;
    // ModelProto.graph (field 7, wire type 2) with a 6-byte varint of 2^40, then a few bytes.
    const top = new Uint8Array([...modelHeader, 0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 2, 3]);
    assert.deepEqual(varint(big), [0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(
      () => decodeModel(top, { fileName: 'len40.onnx' }),
      (err: Error) =>
        err instanceof OnnxReadError &&
        err.message.startsWith('len40.onnx: ') &&
        err.message.includes(String(big)) &&
        /runs past the end/.test(err.message),
    );
    // The same length on raw_data, on a packed dims list and on a string, nested inside a valid graph.
    const tensorWith = (bad: number[]) => field(5, [0x10, 1, ...bad]); // GraphProto.initializer
    const variants: [string, number[]][] = [
      ['raw_data', tensorWith([0x4a, ...varint(big), 0, 0, 0, 0])],
      ['dims', tensorWith([0x0a, ...varint(big), 1, 2])],
      ['graph name', [0x12, ...varint(big), 0x61, 0x62]],
      ['2^64-1', [0x12, ...varint(2n ** 64n - 1n), 0x61]],
    ];
    for (const [what, graphBody] of variants) {
      const bytes = new Uint8Array([...modelHeader, ...field(7, graphBody)]);
      assert.throws(
        () => decodeModel(bytes, { fileName: `${what}.onnx` }),
        (err: Error) => err instanceof OnnxReadError && /runs past the end/.test(err.message),
        what,
      );
    }
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * MB, 'no buffer was allocated for the claimed length');
  });

  test('nesting-depth bombs are refused; moderate nesting is read', async () => {
    const moderate = ifBomb(10);
    const m = decodeModel(moderate);
    let depth = 0;
    for (let g = m.graph; g.nodes.length; depth++) {
      const a = g.nodes[0].attributes[0];
      assert.ok(a.type === 'graph', 'then_branch is a graph');
      g = a.value;
    }
    assert.equal(depth, 10);
    assert.ok(
      validateModel(m).some((p) => p.code === 'missing-subgraph'),
      'the Ifs have no else_branch',
    );

    for (const [label, bytes] of [
      ['If x200', ifBomb(200)],
      ['If x100000', ifBomb(100_000)],
      ['sequence type x100000', typeBomb(100_000)],
    ] as const) {
      const start = performance.now();
      assert.throws(
        () => decodeModel(bytes, { fileName: 'bomb.onnx' }),
        (err: Error) => err instanceof OnnxReadError && /bomb\.onnx: .*nesting/.test(err.message),
        label,
      );
      assert.ok(performance.now() - start < LIMIT_MS, label);
    }
    // The type bomb is well-formed apart from its depth: shallow, it reads.
    const shallow = decodeModel(typeBomb(5));
    assert.equal(shallow.graph.inputs[0].type?.kind, 'sequence');
  });

  test('memory stays bounded over a loop of bad inputs', async (t) => {
    const round = async () => {
      for (let seed = 1; seed <= 4; seed++) await decodeBad(new Rng(seed).bytes(100_000), `r${seed}`);
      for (const cut of cutPoints(vww.length)) await decodeBad(vww.subarray(0, cut), `vww@${cut}`);
      for (const cut of cutPoints(mobilenet.length)) await decodeBad(mobilenet.subarray(0, cut), `mb@${cut}`);
      assert.throws(() => decodeModel(ifBomb(50_000)), OnnxReadError);
      assert.throws(() => decodeModel(new Uint8Array([...modelHeader, 0x3a, ...varint(2 ** 40), 1])), OnnxReadError);
    };
    await round(); // warm up (JIT, lazily created objects)
    const base = memory();
    let peak = 0;
    for (let i = 0; i < 3; i++) {
      await round();
      peak = Math.max(peak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - base);
    }
    const growth = memory() - base;
    t.diagnostic(
      `gc ${gc ? 'forced' : 'not available'}; retained growth ${(growth / MB).toFixed(2)} MB, peak above base ${(peak / MB).toFixed(1)} MB`,
    );
    assert.ok(growth < 64 * MB, `memory grew by ${(growth / MB).toFixed(1)} MB`);
    assert.ok(peak < 512 * MB, `peak ${(peak / MB).toFixed(1)} MB`);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('bad model files', () => {
  test('a 1-byte x.onnx, an empty file, random bytes', async () => {
    const x = join(dir, 'x.onnx');
    writeFileSync(x, new Uint8Array([0x08]));
    await rejectsClearly(() => loadModelFile(x), /x\.onnx: not readable as an ONNX model \(truncated or corrupt\)/, [
      OnnxReadError,
    ]);
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, new Uint8Array(0));
    await rejectsClearly(() => loadModelFile(empty), /empty\.onnx: empty file/, [OnnxReadError]);
    const random = join(dir, 'random.onnx');
    writeFileSync(random, new Rng(3).bytes(5000));
    await rejectsClearly(() => loadModelFile(random), /random\.onnx: not/, [OnnxReadError]);
  });

  test('a missing file and a directory', async () => {
    await rejectsClearly(() => loadModelFile(join(dir, 'nope.onnx')), /nope\.onnx: no such file/, [FileError]);
    const folder = join(dir, 'folder.onnx');
    mkdirSync(folder);
    await rejectsClearly(() => loadModelFile(folder), /folder\.onnx: not a regular file/, [FileError]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const values = [1.5, -2, 0.25, 1024];
const tailValues = [7, -8, 0.5, 3];
const floatBytes = (v: number[]) => {
  const t = makeTensor('v', DataType.FLOAT, [4], v);
  return t.data.kind === 'raw' ? t.data.bytes : new Uint8Array();
};
const valueBytes = () => floatBytes(values);
const numbers = (v: TensorValues) => Array.from(v as ArrayLike<number>);

function externalTensor(name: string, location: string, offset = 0, length: number | undefined = 16): Tensor {
  return {
    name,
    dataType: DataType.FLOAT,
    dims: [4],
    data:
      length === undefined ? { kind: 'external', location, offset } : { kind: 'external', location, offset, length },
  };
}

/** A model with one Relu per external tensor, written to `folder/model.onnx`. */
function writeExternalModel(folder: string, tensors: Tensor[]): string {
  const b = new GraphBuilder();
  for (const t of tensors) {
    b.addInitializer(t);
    b.output(b.node('Relu', [t.name]), DataType.FLOAT, [4]);
  }
  const path = join(folder, 'model.onnx');
  writeFileSync(path, encodeModel(b.build()));
  return path;
}

describe('external data', () => {
  test('locations that leave the model folder are reported and never read', async () => {
    const root = mkdtempSync(join(dir, 'trav-'));
    const folder = join(root, 'model');
    mkdirSync(folder);
    writeFileSync(join(root, 'secret.bin'), valueBytes());
    writeFileSync(join(folder, 'data.bin'), valueBytes());
    symlinkSync(join('..', 'secret.bin'), join(folder, 'link.bin'));
    symlinkSync('..', join(folder, 'up'));
    symlinkSync('data.bin', join(folder, 'inside.bin'));

    const escaping = ['../secret.bin', '/etc/passwd', 'C:\\x.bin', 'a/../../secret.bin'];
    const links = ['link.bin', 'up/secret.bin'];
    const tensors = [
      ...escaping.map((l, i) => externalTensor(`e${i}`, l)),
      ...links.map((l, i) => externalTensor(`l${i}`, l)),
      externalTensor('ok', 'data.bin'),
      externalTensor('ok_link', 'inside.bin'),
    ];
    const loaded = await loadModelFile(writeExternalModel(folder, tensors));

    const locationProblems = loaded.problems.filter((p) => p.code === 'external-location');
    assert.equal(locationProblems.length, escaping.length);
    for (const location of escaping) {
      assert.ok(
        locationProblems.some((p) => p.message.includes(`'${location}'`)),
        `validation names ${location}: ${locationProblems.map((p) => p.message).join(' | ')}`,
      );
    }
    const source = new FolderDataSource(folder);
    for (const t of loaded.model.graph.initializers) {
      const location = t.data.kind === 'external' ? t.data.location : '';
      if (t.name.startsWith('ok')) {
        // The control: the same tensor inside the folder (directly or through a link that stays inside) reads.
        assert.deepEqual(numbers(await readTensorValues(t, loaded.externalData)), values);
        continue;
      }
      const pattern = new RegExp(location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      await rejectsClearly(() => readTensorValues(t, loaded.externalData), pattern);
      await rejectsClearly(() => source.read(location, 0, 16), pattern);
      if (links.includes(location)) {
        await rejectsClearly(() => source.read(location, 0, 16), /resolves outside the model's folder/, [FileError]);
      }
    }
  });

  test('a missing data file, a range past its end, a length that does not fit the shape', async () => {
    const folder = mkdtempSync(join(dir, 'range-'));
    writeFileSync(join(folder, 'data.bin'), valueBytes());
    const path = writeExternalModel(folder, [
      externalTensor('missing', 'missing.bin'),
      externalTensor('past_end', 'data.bin', 8, 16),
      externalTensor('offset_past_end', 'data.bin', 100, undefined),
      externalTensor('wrong_length', 'data.bin', 0, 12),
    ]);
    const loaded = await loadModelFile(path);
    const t = (name: string) => loaded.model.graph.initializers.find((i) => i.name === name) as Tensor;
    await rejectsClearly(() => readTensorValues(t('missing'), loaded.externalData), /'missing\.bin'.*no such file/);
    await rejectsClearly(
      () => readTensorValues(t('past_end'), loaded.externalData),
      /tensor 'past_end': external data range offset 8 \+ length 16 exceeds 'data\.bin' \(16 bytes\)/,
    );
    await rejectsClearly(
      () => readTensorValues(t('offset_past_end'), loaded.externalData),
      /offset 100 .*exceeds 'data\.bin'/,
    );
    await rejectsClearly(() => readTensorValues(t('wrong_length'), loaded.externalData), /does not match its shape/);
    assert.ok(
      loaded.problems.some((p) => p.code === 'tensor-size' && p.message.includes('wrong_length')),
      'validation reports the length mismatch',
    );
  });

  test('a sparse data file larger than 2 GiB is read at offsets beyond 2^31', async () => {
    const folder = mkdtempSync(join(dir, 'big-'));
    const file = join(folder, 'big.bin');
    const size = 2_300_000_000;
    const far = 2 ** 31 + 12_345;
    const fd = openSync(file, 'w');
    try {
      ftruncateSync(fd, size);
      writeSync(fd, valueBytes(), 0, 16, far);
      writeSync(fd, floatBytes(tailValues), 0, 16, size - 16);
    } finally {
      closeSync(fd);
    }
    try {
      const path = writeExternalModel(folder, [
        externalTensor('far', 'big.bin', far, 16),
        externalTensor('tail', 'big.bin', size - 16, undefined),
        externalTensor('hole', 'big.bin', 2 ** 31, 16),
      ]);
      const loaded = await loadModelFile(path);
      assert.deepEqual(loaded.problems, []);
      const [farT, tailT, holeT] = loaded.model.graph.initializers;
      assert.equal(farT.data.kind === 'external' && farT.data.offset, far);

      const start = performance.now();
      assert.equal(await loaded.externalData.size('big.bin'), size);
      assert.deepEqual(await loaded.externalData.read('big.bin', far, 16), valueBytes());
      assert.deepEqual(numbers(await readTensorValues(farT, loaded.externalData)), values);
      assert.deepEqual(numbers(await readTensorValues(tailT, loaded.externalData)), tailValues);
      assert.deepEqual(numbers(await readTensorValues(holeT, loaded.externalData)), [0, 0, 0, 0]);
      assert.ok(performance.now() - start < LIMIT_MS, 'reads beyond 2 GiB are quick');
      await rejectsClearly(
        () => readTensorValues(externalTensor('beyond', 'big.bin', size - 8, 16), loaded.externalData),
        /exceeds 'big\.bin' \(2300000000 bytes\)/,
      );
    } finally {
      rmSync(file, { force: true });
    }
  });
});
