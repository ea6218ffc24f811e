/**
 * ONNX bytes -> IR. Decoding is done by the generated protobufjs code; the finishers here turn each decoded message
 * into its IR shape (ir.ts) as soon as the decoder completes it, bottom-up, so that a message's sub-messages are IR
 * already when it is finished, and the tree of protobuf messages is never held whole. Tensor bytes are not copied
 * (raw_data stays a view on the input).
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
import { type Finishers, finishingReader, type Long, onnx, toBigInt, toNumber } from './proto.js';

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
  const proto = decodeProto(bytes, options, 'an ONNX model', (r) => onnx.ModelProto.decode(r) as ModelMessage);
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
  return decodeProto(bytes, options, 'a TensorProto', (r) => onnx.TensorProto.decode(r) as unknown as Tensor);
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
      return sequenceValue(decodeProto(bytes, options, 'a SequenceProto', (r) => onnx.SequenceProto.decode(r)));
    case 'optional':
      return optionalValue(decodeProto(bytes, options, 'an OptionalProto', (r) => onnx.OptionalProto.decode(r)));
    case 'map':
      return mapValue(decodeProto(bytes, options, 'a MapProto', (r) => onnx.MapProto.decode(r)));
    default:
      return { kind: 'tensor', tensor: decodeTensor(bytes, options) };
  }
}

// Test data containers are left as messages; their tensors are IR already (finished).
function sequenceValue(p: onnx.ISequenceProto): TestValue {
  const elements: TestValue[] = [
    ...((p.tensorValues ?? []) as unknown as Tensor[]).map((tensor) => ({ kind: 'tensor' as const, tensor })),
    ...(p.sequenceValues ?? []).map(sequenceValue),
    ...(p.mapValues ?? []).map(mapValue),
    ...(p.optionalValues ?? []).map(optionalValue),
  ];
  return { kind: 'sequence', name: p.name ?? '', elements };
}

function optionalValue(p: onnx.IOptionalProto): TestValue {
  let element: TestValue | undefined;
  if (p.tensorValue) element = { kind: 'tensor', tensor: p.tensorValue as unknown as Tensor };
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

function decodeProto<T>(
  bytes: Uint8Array,
  options: ReadOptions,
  what: string,
  decode: (reader: ReturnType<typeof finishingReader>) => T,
): T {
  if (bytes.length === 0) throw new OnnxReadError(`${label(options)}empty file: not ${what}`);
  // A plain Uint8Array view (not a Buffer) so that every decoded `bytes` field is a Uint8Array view too.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decode(finishingReader(view, finishers));
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

/**
 * A message as its finisher receives it: the fields listed in F hold what their own finishers returned. Repeated
 * fields that were absent are the prototype's shared (frozen) empty array, so a list is taken over only when it
 * has elements (then it is the message's own array, made by decode()).
 */
type Finished<P, F> = Omit<P, keyof F> & F;
type Entries = StringEntry[] | null;

type ModelMessage = Finished<
  onnx.IModelProto,
  {
    graph?: Graph | null;
    opsetImport?: OpsetImport[] | null;
    metadataProps?: Entries;
    functions?: FunctionDef[] | null;
    trainingInfo?: TrainingInfo[] | null;
  }
>;
type GraphMessage = Finished<
  onnx.IGraphProto,
  {
    node?: Node[] | null;
    input?: ValueInfo[] | null;
    output?: ValueInfo[] | null;
    valueInfo?: ValueInfo[] | null;
    initializer?: Tensor[] | null;
    sparseInitializer?: SparseTensor[] | null;
    quantizationAnnotation?: TensorAnnotation[] | null;
    metadataProps?: Entries;
  }
>;
type FunctionMessage = Finished<
  onnx.IFunctionProto,
  {
    attributeProto?: Attribute[] | null;
    node?: Node[] | null;
    opsetImport?: OpsetImport[] | null;
    valueInfo?: ValueInfo[] | null;
    metadataProps?: Entries;
  }
>;
type NodeMessage = Finished<onnx.INodeProto, { attribute?: Attribute[] | null; metadataProps?: Entries }>;
type ValueInfoMessage = Finished<onnx.IValueInfoProto, { type?: TypeInfo | null; metadataProps?: Entries }>;
type TypeMessage = Finished<
  onnx.ITypeProto,
  {
    sequenceType?: { elemType?: TypeInfo | null } | null;
    optionalType?: { elemType?: TypeInfo | null } | null;
    mapType?: { keyType?: number | null; valueType?: TypeInfo | null } | null;
  }
>;
type TensorMessage = Finished<onnx.ITensorProto, { externalData?: Entries; metadataProps?: Entries }>;
type SparseTensorMessage = Finished<onnx.ISparseTensorProto, { values?: Tensor | null; indices?: Tensor | null }>;
type AttributeMessage = Finished<
  onnx.IAttributeProto,
  {
    t?: Tensor | null;
    g?: Graph | null;
    sparseTensor?: SparseTensor | null;
    tp?: TypeInfo | null;
    tensors?: Tensor[] | null;
    graphs?: Graph[] | null;
    sparseTensors?: SparseTensor[] | null;
    typeProtos?: TypeInfo[] | null;
  }
>;
type TrainingMessage = Finished<
  onnx.ITrainingInfoProto,
  { initialization?: Graph | null; algorithm?: Graph | null; initializationBinding?: Entries; updateBinding?: Entries }
>;
type AnnotationMessage = Finished<onnx.ITensorAnnotation, { quantParameterTensorNames?: Entries }>;

/**
 * A repeated field's elements as an array of the IR's own (see Finished), exactly sized: decode() grows its arrays
 * by push, which leaves room for 17 elements, and the IR keeps hundreds of thousands of short lists.
 */
function list<T>(items: T[] | null | undefined): T[] {
  return items?.length ? items.slice() : [];
}

function optionalList<T>(items: T[] | null | undefined): T[] | undefined {
  return items?.length ? items.slice() : undefined;
}

function entryFromProto(p: onnx.IStringStringEntryProto): StringEntry {
  return { key: p.key ?? '', value: p.value ?? '' };
}

function opsetFromProto(o: onnx.IOperatorSetIdProto): OpsetImport {
  const opset = { domain: o.domain ?? '', version: toNumber(o.version as Long) };
  // The writer writes the domain even when empty (as onnx.helper does); note the files that leave it out.
  if (!Object.hasOwn(o, 'domain')) notePresence(opset, 'domain', false);
  return opset;
}

/** Notes the optional string fields that the message stored explicitly as '' (see presence.ts). */
function noteEmptyStrings(target: object, p: object, fields: readonly string[]): void {
  for (const f of fields) {
    if ((p as Record<string, unknown>)[f] === '' && Object.hasOwn(p, f)) notePresence(target, f, true);
  }
}

/** int64 values as numbers (exact within ±2^53), in an exactly sized array. */
function longsToNumbers(items: (Long | number)[] | null | undefined): number[] {
  const n = items?.length ?? 0;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = (items as (Long | number)[])[i];
    out[i] = typeof v === 'number' ? v : toNumber(v);
  }
  return out;
}

function modelFromProto(p: ModelMessage): Model {
  const model: Model = {
    irVersion: toNumber(p.irVersion as Long),
    opsetImports: list(p.opsetImport),
    producerName: p.producerName ?? '',
    producerVersion: p.producerVersion ?? '',
    domain: p.domain ?? '',
    modelVersion: toBigInt(p.modelVersion as Long),
    docString: p.docString ?? '',
    graph: p.graph ?? emptyGraph(),
    metadataProps: list(p.metadataProps),
    functions: list(p.functions),
    trainingInfo: list(p.trainingInfo),
  };
  if (p.configuration?.length) model.configuration = p.configuration;
  noteEmptyStrings(model, p, modelStrings);
  if (has(p, 'modelVersion') && model.modelVersion === 0n) notePresence(model, 'modelVersion', true);
  return model;
}
const modelStrings = ['producerName', 'producerVersion', 'domain', 'docString'];

/** A model around `graph` with every other field empty: IR version 8, default-domain opset 17, unless `extra` says otherwise. */
export function modelOf(graph: Graph, extra: Partial<Model> = {}): Model {
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0n,
    docString: '',
    graph,
    metadataProps: [],
    functions: [],
    trainingInfo: [],
    ...extra,
  };
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

function trainingFromProto(p: TrainingMessage): TrainingInfo {
  const t: TrainingInfo = {
    initializationBinding: list(p.initializationBinding),
    updateBinding: list(p.updateBinding),
  };
  if (p.initialization) t.initialization = p.initialization;
  if (p.algorithm) t.algorithm = p.algorithm;
  return t;
}

function annotationFromProto(a: AnnotationMessage): TensorAnnotation {
  return { tensorName: a.tensorName ?? '', quantParameterTensorNames: list(a.quantParameterTensorNames) };
}

function graphFromProto(p: GraphMessage): Graph {
  const g: Graph = {
    name: p.name ?? '',
    nodes: list(p.node),
    inputs: list(p.input),
    outputs: list(p.output),
    valueInfo: list(p.valueInfo),
    initializers: list(p.initializer),
    sparseInitializers: list(p.sparseInitializer),
    quantizationAnnotation: list(p.quantizationAnnotation),
  };
  if (p.docString) g.docString = p.docString;
  const meta = optionalList(p.metadataProps);
  if (meta) g.metadataProps = meta;
  noteEmptyStrings(g, p, graphStrings);
  return g;
}
const graphStrings = ['name', 'docString'];

function functionFromProto(p: FunctionMessage): FunctionDef {
  const f: FunctionDef = {
    name: p.name ?? '',
    domain: p.domain ?? '',
    inputs: list(p.input),
    outputs: list(p.output),
    attributes: list(p.attribute),
    attributeDefaults: list(p.attributeProto),
    nodes: list(p.node),
    opsetImports: list(p.opsetImport),
    valueInfo: list(p.valueInfo),
  };
  if (p.overload) f.overload = p.overload;
  if (p.docString) f.docString = p.docString;
  const meta = optionalList(p.metadataProps);
  if (meta) f.metadataProps = meta;
  noteEmptyStrings(f, p, functionStrings);
  return f;
}
const functionStrings = ['name', 'domain', 'overload', 'docString'];

function nodeFromProto(p: NodeMessage): Node {
  const n: Node = {
    name: p.name ?? '',
    opType: p.opType ?? '',
    domain: p.domain ?? '',
    inputs: list(p.input),
    outputs: list(p.output),
    attributes: list(p.attribute),
  };
  if (p.overload) n.overload = p.overload;
  if (p.docString) n.docString = p.docString;
  const meta = optionalList(p.metadataProps);
  if (meta) n.metadataProps = meta;
  if (p.deviceConfigurations?.length) n.deviceConfigurations = p.deviceConfigurations;
  noteEmptyStrings(n, p, nodeStrings);
  return n;
}
const nodeStrings = ['name', 'opType', 'domain', 'overload', 'docString'];

function valueInfoFromProto(p: ValueInfoMessage): ValueInfo {
  const v: ValueInfo = { name: p.name ?? '' };
  if (p.type) v.type = p.type;
  if (p.docString) v.docString = p.docString;
  const meta = optionalList(p.metadataProps);
  if (meta) v.metadataProps = meta;
  noteEmptyStrings(v, p, valueInfoStrings);
  return v;
}
const valueInfoStrings = ['name', 'docString'];

function typeFromProto(p: TypeMessage): TypeInfo {
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
    if (p.sequenceType.elemType) t.elem = p.sequenceType.elemType;
  } else if (p.optionalType) {
    t = { kind: 'optional' };
    if (p.optionalType.elemType) t.elem = p.optionalType.elemType;
  } else if (p.mapType) {
    t = { kind: 'map', keyType: p.mapType.keyType ?? 0 };
    if (p.mapType.valueType) t.value = p.mapType.valueType;
  } else if (p.opaqueType) {
    t = { kind: 'opaque', domain: p.opaqueType.domain ?? '', name: p.opaqueType.name ?? '' };
  } else {
    t = { kind: 'none' };
  }
  if (p.denotation) t.denotation = p.denotation;
  noteEmptyStrings(t, p, typeStrings);
  return t;
}
const typeStrings = ['denotation'];

function tensorFromProto(p: TensorMessage): Tensor {
  const t: Tensor = {
    name: p.name ?? '',
    dataType: p.dataType ?? 0,
    dims: longsToNumbers(p.dims),
    data: tensorDataFromProto(p),
  };
  if (p.docString) t.docString = p.docString;
  if (p.segment) t.segment = { begin: toBigInt(p.segment.begin as Long), end: toBigInt(p.segment.end as Long) };
  const meta = optionalList(p.metadataProps);
  if (meta) t.metadataProps = meta;
  noteEmptyStrings(t, p, tensorStrings);
  if (has(p, 'dataLocation') && p.dataLocation === onnx.TensorProto.DataLocation.DEFAULT) {
    notePresence(t, 'dataLocation', true);
  }
  return t;
}
const tensorStrings = ['name', 'docString'];

function tensorDataFromProto(p: TensorMessage): TensorData {
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const data: TensorData = { kind: 'external', location: '', offset: 0 };
    const extra: StringEntry[] = [];
    for (const { key, value } of list(p.externalData)) {
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
    const src = p.int64Data as (Long | number)[];
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

/** The IR of an absent tensor field (a sparse tensor without values, a tensor attribute without its tensor). */
function emptyTensor(): Tensor {
  return tensorFromProto({});
}

function sparseFromProto(p: SparseTensorMessage): SparseTensor {
  return {
    values: p.values ?? emptyTensor(),
    indices: p.indices ?? emptyTensor(),
    dims: longsToNumbers(p.dims),
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
function inferAttributeType(p: AttributeMessage): Attribute['type'] {
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

/**
 * The bigints of small integers, made once: attribute values are mostly such (kernel sizes, pads, strides, axes),
 * and a model with tens of thousands of nodes would otherwise hold a separate bigint for each of them.
 */
const SMALL_INT = 1024;
const smallBigInts = Array.from({ length: 2 * SMALL_INT + 1 }, (_, i) => BigInt(i - SMALL_INT));

function int64ToBigInt(v: Long | number | null | undefined): bigint {
  return typeof v === 'number' && v >= -SMALL_INT && v <= SMALL_INT ? smallBigInts[v + SMALL_INT] : toBigInt(v);
}

function intsToBigInts(items: (Long | number)[] | null | undefined): bigint[] {
  const n = items?.length ?? 0;
  const out = new Array<bigint>(n);
  for (let i = 0; i < n; i++) out[i] = int64ToBigInt((items as (Long | number)[])[i]);
  return out;
}

function attributeFromProto(p: AttributeMessage): Attribute {
  const type = p.type ? (attrTypeNames[p.type] ?? 'undefined') : inferAttributeType(p);
  const name = p.name ?? '';
  let a: Attribute;
  switch (type) {
    case 'float':
      a = { name, type, value: p.f ?? 0 };
      break;
    case 'int':
      a = { name, type, value: int64ToBigInt(p.i) };
      break;
    case 'string':
      a = { name, type, value: utf8(p.s ?? new Uint8Array()) };
      break;
    case 'tensor':
      a = { name, type, value: p.t ?? emptyTensor() };
      break;
    case 'graph':
      a = { name, type, value: p.g ?? emptyGraph() };
      break;
    case 'sparse_tensor':
      a = { name, type, value: p.sparseTensor ?? sparseFromProto({}) };
      break;
    case 'type_proto':
      a = { name, type, value: p.tp ?? typeFromProto({}) };
      break;
    case 'floats':
      a = { name, type, value: list(p.floats) };
      break;
    case 'ints':
      a = { name, type, value: intsToBigInts(p.ints) };
      break;
    case 'strings':
      a = { name, type, value: list(p.strings).map(utf8) };
      break;
    case 'tensors':
      a = { name, type, value: list(p.tensors) };
      break;
    case 'graphs':
      a = { name, type, value: list(p.graphs) };
      break;
    case 'sparse_tensors':
      a = { name, type, value: list(p.sparseTensors) };
      break;
    case 'type_protos':
      a = { name, type, value: list(p.typeProtos) };
      break;
    default:
      a = { name, type: 'undefined' };
  }
  if (p.refAttrName) a.refAttrName = p.refAttrName;
  if (p.docString) a.docString = p.docString;
  noteEmptyStrings(a, p, attributeStrings);
  return a;
}
const attributeStrings = ['refAttrName', 'docString'];

/**
 * What the decoders turn into IR as they complete it (the ModelProto itself is converted by decodeModel, after
 * its checks). Test-data containers (SequenceProto, MapProto, OptionalProto) stay messages.
 */
const finishers: Finishers = {
  'onnx.StringStringEntryProto': entryFromProto,
  'onnx.OperatorSetIdProto': opsetFromProto,
  'onnx.TensorAnnotation': annotationFromProto,
  'onnx.TensorProto': tensorFromProto,
  'onnx.SparseTensorProto': sparseFromProto,
  'onnx.TypeProto': typeFromProto,
  'onnx.ValueInfoProto': valueInfoFromProto,
  'onnx.AttributeProto': attributeFromProto,
  'onnx.NodeProto': nodeFromProto,
  'onnx.GraphProto': graphFromProto,
  'onnx.FunctionProto': functionFromProto,
  'onnx.TrainingInfoProto': trainingFromProto,
};
