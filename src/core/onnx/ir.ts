/**
 * The in-memory model every part of the engine works on. It mirrors ONNX's ModelProto closely enough that
 * writing it back loses nothing the schema defines, but in plain TypeScript shapes: lists are always arrays,
 * 64-bit integers that can exceed 2^53 are `bigint`, strings are decoded, and tensor contents stay where they
 * are (a view on the file bytes, or a reference into an external data file) until someone asks for them.
 */

import type { onnx } from './generated/onnx.js';

export interface StringEntry {
  key: string;
  value: string;
}

export interface OpsetImport {
  /** '' (or 'ai.onnx') is the standard domain. */
  domain: string;
  version: number;
}

/** A dimension: a size, a symbol (`batch`), or null when neither is known. */
export type Dim = number | string | null;

export type TypeInfo =
  | {
      kind: 'tensor' | 'sparse_tensor';
      elemType: number;
      /** undefined: the rank is unknown. */
      shape?: Dim[];
      /** Per-dimension denotations, kept only when some dimension has one. */
      dimDenotations?: string[];
      denotation?: string;
    }
  | { kind: 'sequence' | 'optional'; elem?: TypeInfo; denotation?: string }
  | { kind: 'map'; keyType: number; value?: TypeInfo; denotation?: string }
  | { kind: 'opaque'; domain: string; name: string; denotation?: string }
  /** A TypeProto with no value set. */
  | { kind: 'none'; denotation?: string };

export interface ValueInfo {
  name: string;
  type?: TypeInfo;
  docString?: string;
  metadataProps?: StringEntry[];
}

/** Where a tensor's elements are. Exactly one kind per tensor. */
export type TensorData =
  /** raw_data: little-endian elements; a view on the bytes the model was read from, not a copy. */
  | { kind: 'raw'; bytes: Uint8Array }
  | {
      kind: 'external';
      /** Path relative to the model's folder, exactly as stored. Checked when the data is read. */
      location: string;
      offset: number;
      /** undefined: to the end of the file. */
      length?: number;
      checksum?: string;
      /** Other key/value pairs of external_data, kept for writing back. */
      extra?: StringEntry[];
    }
  | { kind: 'float'; values: Float32Array }
  | { kind: 'int32'; values: Int32Array }
  | { kind: 'int64'; values: BigInt64Array }
  | { kind: 'double'; values: Float64Array }
  | { kind: 'uint64'; values: BigUint64Array }
  | { kind: 'string'; values: Uint8Array[] }
  | { kind: 'empty' };

export interface Tensor {
  name: string;
  dataType: number;
  dims: number[];
  data: TensorData;
  docString?: string;
  segment?: { begin: bigint; end: bigint };
  metadataProps?: StringEntry[];
}

export interface SparseTensor {
  values: Tensor;
  indices: Tensor;
  dims: number[];
}

export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'sparse_tensor'; value: SparseTensor }
  | { type: 'type_proto'; value: TypeInfo }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: bigint[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] }
  | { type: 'sparse_tensors'; value: SparseTensor[] }
  | { type: 'type_protos'; value: TypeInfo[] }
  /** No value: a reference to a function attribute (refAttrName) or a malformed attribute. */
  | { type: 'undefined'; value?: undefined };

export type Attribute = AttributeValue & {
  name: string;
  /** Inside a function body: the name of the calling node's attribute this one takes its value from. */
  refAttrName?: string;
  docString?: string;
};

export interface Node {
  name: string;
  opType: string;
  domain: string;
  overload?: string;
  /** '' marks an omitted optional input or output. */
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
  docString?: string;
  metadataProps?: StringEntry[];
  /** Multi-device annotations (IR 11), carried through unchanged. */
  deviceConfigurations?: onnx.INodeDeviceConfigurationProto[];
}

export interface TensorAnnotation {
  tensorName: string;
  quantParameterTensorNames: StringEntry[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  initializers: Tensor[];
  sparseInitializers: SparseTensor[];
  quantizationAnnotation: TensorAnnotation[];
  docString?: string;
  metadataProps?: StringEntry[];
}

/** A model-local function (FunctionProto), called by nodes whose domain/opType (and overload) match. */
export interface FunctionDef {
  name: string;
  domain: string;
  overload?: string;
  inputs: string[];
  outputs: string[];
  /** Attribute names without defaults. */
  attributes: string[];
  /** Attributes with default values. */
  attributeDefaults: Attribute[];
  nodes: Node[];
  opsetImports: OpsetImport[];
  valueInfo: ValueInfo[];
  docString?: string;
  metadataProps?: StringEntry[];
}

export interface TrainingInfo {
  initialization?: Graph;
  algorithm?: Graph;
  initializationBinding: StringEntry[];
  updateBinding: StringEntry[];
}

export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: bigint;
  docString: string;
  graph: Graph;
  metadataProps: StringEntry[];
  functions: FunctionDef[];
  trainingInfo: TrainingInfo[];
  /** Multi-device configurations (IR 11), carried through unchanged. */
  configuration?: onnx.IDeviceConfigurationProto[];
}

/** The opset version a model imports for a domain ('' and 'ai.onnx' are the same domain). */
export function opsetVersion(model: Pick<Model, 'opsetImports'>, domain: string): number | undefined {
  const d = normalizeDomain(domain);
  return model.opsetImports.find((o) => normalizeDomain(o.domain) === d)?.version;
}

export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

/**
 * The names of a graph's inputs that are also initializers (inputs with a default value, as models before IR 4
 * list every weight): found by looking the few inputs up while going over the initializers once, rather than
 * building a set of every initializer's name.
 */
export function initializedInputs(graph: Pick<Graph, 'inputs' | 'initializers'>): Set<string> {
  const inputs = new Set<string>();
  for (const v of graph.inputs) inputs.add(v.name);
  const out = new Set<string>();
  for (const t of graph.initializers) if (inputs.has(t.name)) out.add(t.name);
  return out;
}

/** Every graph in a model: the main graph, then subgraphs (If/Loop/Scan bodies) depth-first, with their path. */
export function* walkGraphs(graph: Graph, path = ''): Generator<{ graph: Graph; path: string }> {
  yield { graph, path };
  for (const node of graph.nodes) {
    for (const attr of node.attributes) {
      const where = `${path}${node.name || node.opType}/${attr.name}`;
      if (attr.type === 'graph') yield* walkGraphs(attr.value, `${where}/`);
      else if (attr.type === 'graphs') {
        for (let i = 0; i < attr.value.length; i++) yield* walkGraphs(attr.value[i], `${where}[${i}]/`);
      }
    }
  }
}
