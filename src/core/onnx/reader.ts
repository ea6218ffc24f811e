/**
 * ONNX bytes -> IR. Decoding is done by the generated protobufjs code; this module turns the decoded messages
 * into the IR shapes of ir.ts without copying tensor bytes (raw_data stays a view on the input).
 */

import type {
  Attribute,
  FunctionDef,
  Graph,
  Model,
  Node,
  OpsetImport,
  SparseTensor,
  StringEntry,
  Tensor,
  TensorAnnotation,
  TensorData,
  TrainingInfo,
  TypeInfo,
  ValueInfo,
} from './ir.js';
import { notePresence } from './presence.js';
import { type Long, onnx, toBigInt, toNumber } from './proto.js';

/** A model (or tensor file) that cannot be read at all. The message names the file when one is known. */
export class OnnxReadError extends Error {
  override name = 'OnnxReadError';
}

export interface ReadOptions {
  /** Used in error messages. */
  fileName?: string;
}

/** Parses a whole `.onnx` file. Throws OnnxReadError when the bytes are not a readable ONNX model. */
export function decodeModel(bytes: Uint8Array, options: ReadOptions = {}): Model {
  const proto = decodeProto(bytes, options, 'an ONNX model', (b) => onnx.ModelProto.decode(b));
  if (!proto.graph) {
    throw new OnnxReadError(
      `${label(options)}not an ONNX model: no graph in ${bytes.length} bytes` +
        (proto.irVersion ? '' : ' and no ir_version'),
    );
  }
  return modelFromProto(proto);
}

/** Parses a serialized TensorProto (ONNX test data `input_*.pb`, `output_*.pb`). */
export function decodeTensor(bytes: Uint8Array, options: ReadOptions = {}): Tensor {
  const proto = decodeProto(bytes, options, 'a TensorProto', (b) => onnx.TensorProto.decode(b));
  return tensorFromProto(proto);
}

/** A value of ONNX test data: a tensor, or a sequence / optional / map of values. */
export type TestValue =
  | { kind: 'tensor'; tensor: Tensor }
  | { kind: 'sequence'; name: string; elements: TestValue[] }
  | { kind: 'optional'; name: string; element?: TestValue }
  | { kind: 'map'; name: string; keyType: number; keys: (bigint | string)[]; values: TestValue[] };

/**
 * Parses a test-data file whose expected type is known from the model's input/output declaration
 * (sequence inputs are SequenceProto files, optional ones OptionalProto, and so on).
 */
export function decodeTestValue(bytes: Uint8Array, type: TypeInfo | undefined, options: ReadOptions = {}): TestValue {
  switch (type?.kind) {
    case 'sequence':
      return sequenceValue(decodeProto(bytes, options, 'a SequenceProto', (b) => onnx.SequenceProto.decode(b)));
    case 'optional':
      return optionalValue(decodeProto(bytes, options, 'an OptionalProto', (b) => onnx.OptionalProto.decode(b)));
    case 'map':
      return mapValue(decodeProto(bytes, options, 'a MapProto', (b) => onnx.MapProto.decode(b)));
    default:
      return { kind: 'tensor', tensor: decodeTensor(bytes, options) };
  }
}

function sequenceValue(p: onnx.ISequenceProto): TestValue {
  const elements: TestValue[] = [
    ...(p.tensorValues ?? []).map((t) => ({ kind: 'tensor' as const, tensor: tensorFromProto(t) })),
    ...(p.sequenceValues ?? []).map(sequenceValue),
    ...(p.mapValues ?? []).map(mapValue),
    ...(p.optionalValues ?? []).map(optionalValue),
  ];
  return { kind: 'sequence', name: p.name ?? '', elements };
}

function optionalValue(p: onnx.IOptionalProto): TestValue {
  let element: TestValue | undefined;
  if (p.tensorValue) element = { kind: 'tensor', tensor: tensorFromProto(p.tensorValue) };
  else if (p.sequenceValue) element = sequenceValue(p.sequenceValue);
  else if (p.mapValue) element = mapValue(p.mapValue);
  else if (p.optionalValue) element = optionalValue(p.optionalValue);
  return { kind: 'optional', name: p.name ?? '', element };
}

function mapValue(p: onnx.IMapProto): TestValue {
  const keys: (bigint | string)[] = p.stringKeys?.length
    ? p.stringKeys.map((k) => utf8(k))
    : (p.keys ?? []).map((k) => toBigInt(k as Long));
  const values = p.values ? (sequenceValue(p.values) as { elements: TestValue[] }).elements : [];
  return { kind: 'map', name: p.name ?? '', keyType: p.keyType ?? 0, keys, values };
}

function label(options: ReadOptions): string {
  return options.fileName ? `${options.fileName}: ` : '';
}

function decodeProto<T>(bytes: Uint8Array, options: ReadOptions, what: string, decode: (b: Uint8Array) => T): T {
  if (bytes.length === 0) throw new OnnxReadError(`${label(options)}empty file: not ${what}`);
  // A plain Uint8Array view (not a Buffer) so that every decoded `bytes` field is a Uint8Array view too.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decode(view);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (/maximum nesting depth/i.test(reason)) {
      throw new OnnxReadError(
        `${label(options)}not readable as ${what}: nesting deeper than the limit of 100 message levels (about 33 nested subgraphs)`,
      );
    }
    if (err instanceof RangeError && /call stack/i.test(reason)) {
      throw new OnnxReadError(`${label(options)}not readable as ${what}: nesting too deep`);
    }
    throw new OnnxReadError(`${label(options)}not readable as ${what} (truncated or corrupt): ${reason}`);
  }
}

const textDecoder = new TextDecoder();
function utf8(b: Uint8Array): string {
  return textDecoder.decode(b);
}

function entries(list: onnx.IStringStringEntryProto[] | null | undefined): StringEntry[] {
  return (list ?? []).map((e) => ({ key: e.key ?? '', value: e.value ?? '' }));
}

function optionalEntries(list: onnx.IStringStringEntryProto[] | null | undefined): StringEntry[] | undefined {
  return list?.length ? entries(list) : undefined;
}

function opsets(list: onnx.IOperatorSetIdProto[] | null | undefined): OpsetImport[] {
  return (list ?? []).map((o) => {
    const opset = { domain: o.domain ?? '', version: toNumber(o.version as Long) };
    // The writer writes the domain even when empty (as onnx.helper does); note the files that leave it out.
    if (!Object.hasOwn(o, 'domain')) notePresence(opset, 'domain', false);
    return opset;
  });
}

/** Notes the optional string fields that the message stored explicitly as '' (see presence.ts). */
function noteEmptyStrings(target: object, p: object, fields: string[]): void {
  for (const f of fields) {
    if ((p as Record<string, unknown>)[f] === '' && Object.hasOwn(p, f)) notePresence(target, f, true);
  }
}

function longsToNumbers(list: (Long | number)[] | null | undefined): number[] {
  return (list ?? []).map((v) => toNumber(v));
}

export function modelFromProto(p: onnx.IModelProto): Model {
  const model: Model = {
    irVersion: toNumber(p.irVersion as Long),
    opsetImports: opsets(p.opsetImport),
    producerName: p.producerName ?? '',
    producerVersion: p.producerVersion ?? '',
    domain: p.domain ?? '',
    modelVersion: toBigInt(p.modelVersion as Long),
    docString: p.docString ?? '',
    graph: p.graph ? graphFromProto(p.graph) : emptyGraph(),
    metadataProps: entries(p.metadataProps),
    functions: (p.functions ?? []).map(functionFromProto),
    trainingInfo: (p.trainingInfo ?? []).map(trainingFromProto),
  };
  if (p.configuration?.length) model.configuration = p.configuration;
  noteEmptyStrings(model, p, ['producerName', 'producerVersion', 'domain', 'docString']);
  if (has(p, 'modelVersion') && model.modelVersion === 0n) notePresence(model, 'modelVersion', true);
  return model;
}

export function emptyGraph(name = ''): Graph {
  return {
    name,
    nodes: [],
    inputs: [],
    outputs: [],
    valueInfo: [],
    initializers: [],
    sparseInitializers: [],
    quantizationAnnotation: [],
  };
}

function trainingFromProto(p: onnx.ITrainingInfoProto): TrainingInfo {
  const t: TrainingInfo = {
    initializationBinding: entries(p.initializationBinding),
    updateBinding: entries(p.updateBinding),
  };
  if (p.initialization) t.initialization = graphFromProto(p.initialization);
  if (p.algorithm) t.algorithm = graphFromProto(p.algorithm);
  return t;
}

function graphFromProto(p: onnx.IGraphProto): Graph {
  const g: Graph = {
    name: p.name ?? '',
    nodes: (p.node ?? []).map(nodeFromProto),
    inputs: (p.input ?? []).map(valueInfoFromProto),
    outputs: (p.output ?? []).map(valueInfoFromProto),
    valueInfo: (p.valueInfo ?? []).map(valueInfoFromProto),
    initializers: (p.initializer ?? []).map(tensorFromProto),
    sparseInitializers: (p.sparseInitializer ?? []).map(sparseFromProto),
    quantizationAnnotation: (p.quantizationAnnotation ?? []).map(
      (a): TensorAnnotation => ({
        tensorName: a.tensorName ?? '',
        quantParameterTensorNames: entries(a.quantParameterTensorNames),
      }),
    ),
  };
  if (p.docString) g.docString = p.docString;
  const meta = optionalEntries(p.metadataProps);
  if (meta) g.metadataProps = meta;
  noteEmptyStrings(g, p, ['name', 'docString']);
  return g;
}

function functionFromProto(p: onnx.IFunctionProto): FunctionDef {
  const f: FunctionDef = {
    name: p.name ?? '',
    domain: p.domain ?? '',
    inputs: p.input ?? [],
    outputs: p.output ?? [],
    attributes: p.attribute ?? [],
    attributeDefaults: (p.attributeProto ?? []).map(attributeFromProto),
    nodes: (p.node ?? []).map(nodeFromProto),
    opsetImports: opsets(p.opsetImport),
    valueInfo: (p.valueInfo ?? []).map(valueInfoFromProto),
  };
  if (p.overload) f.overload = p.overload;
  if (p.docString) f.docString = p.docString;
  const meta = optionalEntries(p.metadataProps);
  if (meta) f.metadataProps = meta;
  noteEmptyStrings(f, p, ['name', 'domain', 'overload', 'docString']);
  return f;
}

function nodeFromProto(p: onnx.INodeProto): Node {
  const n: Node = {
    name: p.name ?? '',
    opType: p.opType ?? '',
    domain: p.domain ?? '',
    inputs: p.input ?? [],
    outputs: p.output ?? [],
    attributes: (p.attribute ?? []).map(attributeFromProto),
  };
  if (p.overload) n.overload = p.overload;
  if (p.docString) n.docString = p.docString;
  const meta = optionalEntries(p.metadataProps);
  if (meta) n.metadataProps = meta;
  if (p.deviceConfigurations?.length) n.deviceConfigurations = p.deviceConfigurations;
  noteEmptyStrings(n, p, ['name', 'opType', 'domain', 'overload', 'docString']);
  return n;
}

function valueInfoFromProto(p: onnx.IValueInfoProto): ValueInfo {
  const v: ValueInfo = { name: p.name ?? '' };
  if (p.type) v.type = typeFromProto(p.type);
  if (p.docString) v.docString = p.docString;
  const meta = optionalEntries(p.metadataProps);
  if (meta) v.metadataProps = meta;
  noteEmptyStrings(v, p, ['name', 'docString']);
  return v;
}

export function typeFromProto(p: onnx.ITypeProto): TypeInfo {
  let t: TypeInfo;
  if (p.tensorType || p.sparseTensorType) {
    const tt = (p.tensorType ?? p.sparseTensorType) as onnx.TypeProto.ITensor;
    t = { kind: p.tensorType ? 'tensor' : 'sparse_tensor', elemType: tt.elemType ?? 0 };
    if (tt.shape) {
      const dims = tt.shape.dim ?? [];
      t.shape = dims.map((d) => {
        if (d.dimValue !== null && d.dimValue !== undefined && Object.hasOwn(d, 'dimValue')) {
          return toNumber(d.dimValue as Long);
        }
        if (d.dimParam !== null && d.dimParam !== undefined && Object.hasOwn(d, 'dimParam')) return d.dimParam;
        return null;
      });
      if (dims.some((d) => d.denotation)) t.dimDenotations = dims.map((d) => d.denotation ?? '');
    }
  } else if (p.sequenceType) {
    t = { kind: 'sequence' };
    if (p.sequenceType.elemType) t.elem = typeFromProto(p.sequenceType.elemType);
  } else if (p.optionalType) {
    t = { kind: 'optional' };
    if (p.optionalType.elemType) t.elem = typeFromProto(p.optionalType.elemType);
  } else if (p.mapType) {
    t = { kind: 'map', keyType: p.mapType.keyType ?? 0 };
    if (p.mapType.valueType) t.value = typeFromProto(p.mapType.valueType);
  } else if (p.opaqueType) {
    t = { kind: 'opaque', domain: p.opaqueType.domain ?? '', name: p.opaqueType.name ?? '' };
  } else {
    t = { kind: 'none' };
  }
  if (p.denotation) t.denotation = p.denotation;
  noteEmptyStrings(t, p, ['denotation']);
  return t;
}

export function tensorFromProto(p: onnx.ITensorProto): Tensor {
  const t: Tensor = {
    name: p.name ?? '',
    dataType: p.dataType ?? 0,
    dims: longsToNumbers(p.dims as Long[]),
    data: tensorDataFromProto(p),
  };
  if (p.docString) t.docString = p.docString;
  if (p.segment) t.segment = { begin: toBigInt(p.segment.begin as Long), end: toBigInt(p.segment.end as Long) };
  const meta = optionalEntries(p.metadataProps);
  if (meta) t.metadataProps = meta;
  noteEmptyStrings(t, p, ['name', 'docString']);
  if (has(p, 'dataLocation') && p.dataLocation === onnx.TensorProto.DataLocation.DEFAULT) {
    notePresence(t, 'dataLocation', true);
  }
  return t;
}

function tensorDataFromProto(p: onnx.ITensorProto): TensorData {
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const data: TensorData = { kind: 'external', location: '', offset: 0 };
    const extra: StringEntry[] = [];
    for (const { key, value } of entries(p.externalData)) {
      if (key === 'location') data.location = value;
      else if (key === 'offset') data.offset = parseExternalNumber(value);
      else if (key === 'length') data.length = parseExternalNumber(value);
      else if (key === 'checksum') data.checksum = value;
      else extra.push({ key, value });
    }
    if (extra.length) data.extra = extra;
    return data;
  }
  // Exactly one field should be set; the first non-empty one in this order wins (validation reports the rest).
  if (p.rawData && Object.hasOwn(p, 'rawData')) return { kind: 'raw', bytes: p.rawData };
  if (p.floatData?.length) return { kind: 'float', values: Float32Array.from(p.floatData) };
  if (p.int32Data?.length) return { kind: 'int32', values: Int32Array.from(p.int32Data) };
  if (p.int64Data?.length) {
    const src = p.int64Data as Long[];
    const values = new BigInt64Array(src.length);
    for (let i = 0; i < src.length; i++) values[i] = toBigInt(src[i]);
    return { kind: 'int64', values };
  }
  if (p.doubleData?.length) return { kind: 'double', values: Float64Array.from(p.doubleData) };
  if (p.uint64Data?.length) {
    const src = p.uint64Data as Long[];
    const values = new BigUint64Array(src.length);
    for (let i = 0; i < src.length; i++) values[i] = toBigInt(src[i], true);
    return { kind: 'uint64', values };
  }
  if (p.stringData?.length) return { kind: 'string', values: p.stringData };
  return { kind: 'empty' };
}

/** Offsets and lengths are decimal strings; anything else is kept as NaN and reported by validation. */
function parseExternalNumber(value: string): number {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
}

function sparseFromProto(p: onnx.ISparseTensorProto): SparseTensor {
  return {
    values: tensorFromProto(p.values ?? {}),
    indices: tensorFromProto(p.indices ?? {}),
    dims: longsToNumbers(p.dims as Long[]),
  };
}

const attrTypeNames: Record<number, Attribute['type']> = {
  0: 'undefined',
  1: 'float',
  2: 'int',
  3: 'string',
  4: 'tensor',
  5: 'graph',
  11: 'sparse_tensor',
  13: 'type_proto',
  6: 'floats',
  7: 'ints',
  8: 'strings',
  9: 'tensors',
  10: 'graphs',
  12: 'sparse_tensors',
  14: 'type_protos',
};

function has(p: object, key: string): boolean {
  return Object.hasOwn(p, key);
}

/** IR version 1 attributes carry no type; infer it from the field that is set, as ONNX's own checker does. */
function inferAttributeType(p: onnx.IAttributeProto): Attribute['type'] {
  if (has(p, 'f')) return 'float';
  if (has(p, 'i')) return 'int';
  if (has(p, 's')) return 'string';
  if (p.t) return 'tensor';
  if (p.g) return 'graph';
  if (p.sparseTensor) return 'sparse_tensor';
  if (p.tp) return 'type_proto';
  if (p.floats?.length) return 'floats';
  if (p.ints?.length) return 'ints';
  if (p.strings?.length) return 'strings';
  if (p.tensors?.length) return 'tensors';
  if (p.graphs?.length) return 'graphs';
  if (p.sparseTensors?.length) return 'sparse_tensors';
  if (p.typeProtos?.length) return 'type_protos';
  return 'undefined';
}

function attributeFromProto(p: onnx.IAttributeProto): Attribute {
  const type = p.type ? (attrTypeNames[p.type] ?? 'undefined') : inferAttributeType(p);
  const name = p.name ?? '';
  let a: Attribute;
  switch (type) {
    case 'float':
      a = { name, type, value: p.f ?? 0 };
      break;
    case 'int':
      a = { name, type, value: toBigInt(p.i as Long) };
      break;
    case 'string':
      a = { name, type, value: utf8(p.s ?? new Uint8Array()) };
      break;
    case 'tensor':
      a = { name, type, value: tensorFromProto(p.t ?? {}) };
      break;
    case 'graph':
      a = { name, type, value: p.g ? graphFromProto(p.g) : emptyGraph() };
      break;
    case 'sparse_tensor':
      a = { name, type, value: sparseFromProto(p.sparseTensor ?? {}) };
      break;
    case 'type_proto':
      a = { name, type, value: typeFromProto(p.tp ?? {}) };
      break;
    case 'floats':
      a = { name, type, value: p.floats ?? [] };
      break;
    case 'ints':
      a = { name, type, value: (p.ints ?? []).map((v) => toBigInt(v as Long)) };
      break;
    case 'strings':
      a = { name, type, value: (p.strings ?? []).map(utf8) };
      break;
    case 'tensors':
      a = { name, type, value: (p.tensors ?? []).map(tensorFromProto) };
      break;
    case 'graphs':
      a = { name, type, value: (p.graphs ?? []).map(graphFromProto) };
      break;
    case 'sparse_tensors':
      a = { name, type, value: (p.sparseTensors ?? []).map(sparseFromProto) };
      break;
    case 'type_protos':
      a = { name, type, value: (p.typeProtos ?? []).map(typeFromProto) };
      break;
    default:
      a = { name, type: 'undefined' };
  }
  if (p.refAttrName) a.refAttrName = p.refAttrName;
  if (p.docString) a.docString = p.docString;
  noteEmptyStrings(a, p, ['refAttrName', 'docString']);
  return a;
}
