/**
 * Conformance against ONNX's own backend test data (Debian's libonnx-testdata: node, pytorch-converted,
 * pytorch-operator, real and simple cases). Every model must decode, validate without errors, and survive
 * decode -> encode -> decode unchanged; every input_*.pb / output_*.pb must decode as the type the model declares
 * for it and hold exactly as many values as its dims say.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { test } from 'node:test';
import { DataType } from '../../src/core/onnx/dtype.js';
import type { Model, Tensor, TypeInfo } from '../../src/core/onnx/ir.js';
import { decodeModel, decodeTestValue, type TestValue } from '../../src/core/onnx/reader.js';
import { elementCount, readTensorValues } from '../../src/core/onnx/tensor.js';
import { type Problem, validateModel } from '../../src/core/onnx/validate.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { findOnnxFiles, listTestCases, requireTestData, type TestCase } from '../helpers/onnxTestData.js';

/** Real-world models for development; optional (absent on a user's machine and in CI). */
const sharedModels = process.env.SHARED_MODELS_DIR ?? '/work/shared/models';

/**
 * Models whose validation errors are genuine defects of the test model (confirmed with onnx.checker.check_model),
 * by case id, with the reason. Each entry must still produce an error, so a stale entry fails the test.
 */
const KNOWN_INVALID: ReadonlyMap<string, string> = new Map<string, string>([]);

interface Loaded {
  c: TestCase;
  model?: Model;
  decodeError?: string;
}

let loadedCache: Loaded[] | undefined;

/** Reads and decodes every model once; the tests below share the result. */
function loadAll(): Loaded[] {
  if (loadedCache) return loadedCache;
  const root = requireTestData();
  loadedCache = listTestCases(root).map((c) => {
    try {
      return { c, model: decodeModel(readFileSync(c.modelPath), { fileName: c.id }) };
    } catch (err) {
      return { c, decodeError: (err as Error).message };
    }
  });
  return loadedCache;
}

const tally = { models: 0, validatedClean: 0, whitelisted: 0, roundTripped: 0, pbFiles: 0, tensors: 0 };

function listFailures(what: string, failures: string[]): string {
  const shown = failures.slice(0, 40).join('\n  ');
  return `${failures.length} ${what}:\n  ${shown}${failures.length > 40 ? `\n  … and ${failures.length - 40} more` : ''}`;
}

test('libonnx-testdata is installed', () => {
  requireTestData();
  const byFolder = new Map<string, number>();
  for (const { c } of loadAll()) byFolder.set(c.folder, (byFolder.get(c.folder) ?? 0) + 1);
  // ONNX 1.12 ships 932 node cases, 82 pytorch-converted, 35 pytorch-operator and 23 simple ones; real/ holds
  // only download links (data.json), no model.onnx.
  assert.ok((byFolder.get('node') ?? 0) >= 900, `node cases: ${byFolder.get('node') ?? 0}`);
  assert.ok((byFolder.get('pytorch-converted') ?? 0) >= 80, `pytorch-converted: ${byFolder.get('pytorch-converted')}`);
  assert.ok((byFolder.get('pytorch-operator') ?? 0) >= 30, `pytorch-operator: ${byFolder.get('pytorch-operator')}`);
  assert.ok((byFolder.get('simple') ?? 0) >= 20, `simple: ${byFolder.get('simple')}`);
});

test('every model.onnx decodes', () => {
  const all = loadAll();
  const failures = all.filter((l) => l.decodeError).map((l) => `${l.c.id}: ${l.decodeError}`);
  tally.models = all.length - failures.length;
  assert.deepEqual(failures, [], listFailures('models do not decode', failures));
});

test('validateModel reports no errors', () => {
  const failures: string[] = [];
  const stillInvalid = new Set<string>();
  for (const { c, model } of loadAll()) {
    if (!model) continue;
    const errors = validateModel(model).filter((p: Problem) => p.severity === 'error');
    if (errors.length === 0) {
      tally.validatedClean++;
      continue;
    }
    if (KNOWN_INVALID.has(c.id)) {
      stillInvalid.add(c.id);
      tally.whitelisted++;
      continue;
    }
    for (const e of errors) failures.push(`${c.id}: [${e.code}] ${e.where}${e.message}`);
  }
  assert.deepEqual(failures, [], listFailures('false validation errors', failures));
  const stale = [...KNOWN_INVALID.keys()].filter((id) => !stillInvalid.has(id));
  assert.deepEqual(stale, [], `whitelisted as invalid but validate clean now: ${stale.join(', ')}`);
});

test('decodeModel(encodeModel(m)) deep-equals m', () => {
  const failures: string[] = [];
  for (const { c, model } of loadAll()) {
    if (!model) continue;
    try {
      const again = decodeModel(encodeModel(model), { fileName: `${c.id} (re-encoded)` });
      assert.deepStrictEqual(again, model);
      tally.roundTripped++;
    } catch (err) {
      failures.push(`${c.id}: ${(err as Error).message.slice(0, 1500)}`);
    }
  }
  assert.deepEqual(failures, [], listFailures('models change in a round trip', failures));
});

function isComplex(dataType: number): boolean {
  return dataType === DataType.COMPLEX64 || dataType === DataType.COMPLEX128;
}

/** Every tensor of a test value, depth-first, with the declared type it sits at (when known). */
function* tensorsOf(
  v: TestValue,
  type: TypeInfo | undefined,
  path: string,
): Generator<[Tensor, TypeInfo | undefined, string]> {
  switch (v.kind) {
    case 'tensor':
      yield [v.tensor, type, path];
      break;
    case 'sequence': {
      const elem = type?.kind === 'sequence' ? type.elem : undefined;
      for (let i = 0; i < v.elements.length; i++) yield* tensorsOf(v.elements[i], elem, `${path}[${i}]`);
      break;
    }
    case 'optional':
      if (v.element) yield* tensorsOf(v.element, type?.kind === 'optional' ? type.elem : undefined, `${path}?`);
      break;
    case 'map': {
      const value = type?.kind === 'map' ? type.value : undefined;
      for (let i = 0; i < v.values.length; i++) yield* tensorsOf(v.values[i], value, `${path}{${String(v.keys[i])}}`);
      break;
    }
  }
}

test('every input_*.pb and output_*.pb decodes with its declared type and holds elementCount(dims) values', async () => {
  const failures: string[] = [];
  for (const { c, model } of loadAll()) {
    if (!model) continue;
    for (const set of c.dataSets) {
      // input_i.pb belongs to graph.input[i] (initializers included, as ONNX's backend test runner counts them).
      const files = [
        ...set.inputs.map((file, i) => ({ file, type: model.graph.inputs[i]?.type, role: `input ${i}` })),
        ...set.outputs.map((file, i) => ({ file, type: model.graph.outputs[i]?.type, role: `output ${i}` })),
      ];
      for (const { file, type, role } of files) {
        const where = `${c.id}/${relative(dirname(c.modelPath), file)}`;
        if (!type) {
          failures.push(`${where}: the model declares no ${role}`);
          continue;
        }
        let value: TestValue;
        try {
          value = decodeTestValue(readFileSync(file), type, { fileName: where });
        } catch (err) {
          failures.push((err as Error).message);
          continue;
        }
        tally.pbFiles++;
        if (value.kind === 'tensor' && type.kind !== 'tensor' && type.kind !== 'sparse_tensor') {
          failures.push(`${where}: decoded as a tensor, but the ${role} is declared as ${type.kind}`);
        }
        for (const [t, declared, path] of tensorsOf(value, type, '')) {
          tally.tensors++;
          const label = `${where}${path}`;
          // ONNX up to 1.12 wrote bfloat16 test data as UINT16 tensors of the bit patterns (numpy has no bfloat16);
          // ONNX 1.22's copy of the same cases says BFLOAT16. Same width, so the count check below still holds.
          const bfloat16AsUint16 =
            declared?.kind === 'tensor' && declared.elemType === DataType.BFLOAT16 && t.dataType === DataType.UINT16;
          if (
            declared?.kind === 'tensor' &&
            declared.elemType &&
            declared.elemType !== t.dataType &&
            !bfloat16AsUint16
          ) {
            failures.push(`${label}: data_type ${t.dataType}, but the ${role} is declared with ${declared.elemType}`);
          }
          const n = elementCount(t.dims);
          try {
            const values = await readTensorValues(t);
            const expected = n * (isComplex(t.dataType) ? 2 : 1);
            if (values.length !== expected) {
              failures.push(`${label}: ${values.length} values for dims [${t.dims.join(', ')}] (expected ${expected})`);
            }
          } catch (err) {
            failures.push(`${label}: ${(err as Error).message}`);
          }
        }
      }
    }
  }
  assert.deepEqual(failures, [], listFailures('test-data problems', failures));
});

test(`optional: ${sharedModels}/**.onnx decode, validate clean and round-trip`, async (t) => {
  const files = findOnnxFiles(sharedModels);
  if (files.length === 0) {
    t.skip(`no models in ${sharedModels}`);
    return;
  }
  const failures: string[] = [];
  for (const file of files) {
    try {
      const model = decodeModel(readFileSync(file), { fileName: file });
      const errors = validateModel(model).filter((p) => p.severity === 'error');
      for (const e of errors) failures.push(`${file}: [${e.code}] ${e.where}${e.message}`);
      assert.deepStrictEqual(decodeModel(encodeModel(model)), model);
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message.slice(0, 1500)}`);
    }
  }
  assert.deepEqual(failures, [], listFailures('problems with shared models', failures));
  t.diagnostic(`${files.length} shared models decoded, validated clean and round-tripped`);
});

test('tally', (t) => {
  const line =
    `conformance: ${tally.models} models parsed, ${tally.validatedClean} validated clean` +
    `${tally.whitelisted ? ` (+${tally.whitelisted} known invalid)` : ''}, ${tally.roundTripped} round-tripped, ` +
    `${tally.pbFiles} .pb files read (${tally.tensors} tensors)`;
  t.diagnostic(line);
  const all = loadAll();
  assert.equal(tally.models, all.length);
  assert.ok(tally.models >= 1000, `only ${tally.models} models`);
  assert.equal(tally.validatedClean + tally.whitelisted, tally.models);
  assert.equal(tally.whitelisted, KNOWN_INVALID.size);
  assert.equal(tally.roundTripped, tally.models);
  const pbTotal = all.reduce((s, l) => s + l.c.dataSets.reduce((k, d) => k + d.inputs.length + d.outputs.length, 0), 0);
  assert.equal(tally.pbFiles, pbTotal);
  assert.ok(tally.pbFiles >= 3000, `only ${tally.pbFiles} .pb files`);
});
