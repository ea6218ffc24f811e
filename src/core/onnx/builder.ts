/**
 * A small typed builder over the IR, for transforms that create nodes and for synthetic test models.
 *
 *   const b = new GraphBuilder({ opset: 17 });
 *   const x = b.input('x', DataType.FLOAT, [1, 3, 32, 32]);
 *   const w = b.initializer('w', DataType.FLOAT, [8, 3, 3, 3], weights);
 *   const y = b.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv1' });
 *   b.output(y, DataType.FLOAT, [1, 8, 32, 32]);
 *   const model = b.build();
 *
 * What it produces has exactly the shape `decodeModel` gives back for the same bytes (no optional key set to
 * undefined, floats rounded to float32, integers as bigint, tensor contents little-endian in `raw` data), so that
 * `decodeModel(encodeModel(b.build()))` deep-equals `b.build()`.
 */

import { DataType, dataTypeInfo, dataTypeName } from './dtype.js';
import type { Attribute, AttributeValue, Dim, Graph, Model, Node, OpsetImport, Tensor, ValueInfo } from './ir.js';
import { emptyGraph, modelOf } from './reader.js';
import { elementCount } from './tensor.js';

// ---------------------------------------------------------------------------------------------------------------
// Attributes

/** Typed attribute values, for when the plain-value rules of `AttrInput` would pick the wrong type. */
export const attr = {
  float: (v: number): AttributeValue => ({ type: 'float', value: Math.fround(v) }),
  int: (v: number | bigint): AttributeValue => ({ type: 'int', value: toInt64(v, 'int attribute') }),
  string: (v: string): AttributeValue => ({ type: 'string', value: v }),
  floats: (v: readonly number[]): AttributeValue => ({ type: 'floats', value: v.map((x) => Math.fround(x)) }),
  ints: (v: readonly (number | bigint)[]): AttributeValue => ({
    type: 'ints',
    value: v.map((x) => toInt64(x, 'ints attribute')),
  }),
  strings: (v: readonly string[]): AttributeValue => ({ type: 'strings', value: [...v] }),
  tensor: (v: Tensor): AttributeValue => ({ type: 'tensor', value: v }),
  graph: (v: Graph): AttributeValue => ({ type: 'graph', value: v }),
  graphs: (v: readonly Graph[]): AttributeValue => ({ type: 'graphs', value: [...v] }),
} as const;

/**
 * A plain attribute value. Strings, tensors and graphs map to their own type. A number is a float when it is not
 * an integer or when the attribute's name is one that is a float in every standard operator (`epsilon`, `alpha`,
 * `beta`…, see `floatAttributeNames`); otherwise it is an int. A bigint is always an int. Arrays follow the same
 * rule element-wise (an empty array is `ints` unless the name is a float one). Use `attr.float(…)` and friends
 * to say the type explicitly.
 */
export type AttrInput =
  | number
  | bigint
  | string
  | readonly number[]
  | readonly bigint[]
  | readonly string[]
  | Tensor
  | Graph
  | AttributeValue;

/** Attribute names that hold floats wherever they appear in the standard operator set. */
export const floatAttributeNames: ReadonlySet<string> = new Set([
  'alpha',
  'beta',
  'gamma',
  'bias',
  'epsilon',
  'momentum',
  'lambd',
  'ratio',
  'mean',
  'scale',
  'scales',
  'high',
  'low',
  'seed',
  'min',
  'max',
  'spatial_scale',
  'cubic_coeff_a',
  'extrapolation_value',
  'value_float',
  'value_floats',
]);

function isAttributeValue(v: object): v is AttributeValue {
  return typeof (v as { type?: unknown }).type === 'string' && !('dataType' in v) && !('nodes' in v);
}

function isTensor(v: object): v is Tensor {
  return 'dataType' in v && 'dims' in v && 'data' in v;
}

function isGraph(v: object): v is Graph {
  return 'nodes' in v && 'initializers' in v;
}

/** The IR attribute for a plain value, by the rules of `AttrInput`. */
export function toAttribute(name: string, v: AttrInput): Attribute {
  const floatName = floatAttributeNames.has(name);
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v) || floatName) return { name, type: 'float', value: Math.fround(v) };
    return { name, type: 'int', value: toInt64(v, `attribute '${name}'`) };
  }
  if (typeof v === 'bigint') return { name, type: 'int', value: toInt64(v, `attribute '${name}'`) };
  if (typeof v === 'string') return { name, type: 'string', value: v };
  if (Array.isArray(v)) {
    const list = v as readonly unknown[];
    if (list.length === 0) return floatName ? { name, type: 'floats', value: [] } : { name, type: 'ints', value: [] };
    if (list.every((x) => typeof x === 'string')) return { name, type: 'strings', value: [...(list as string[])] };
    if (list.every((x) => typeof x === 'bigint')) {
      return { name, type: 'ints', value: list.map((x) => toInt64(x as bigint, `attribute '${name}'`)) };
    }
    if (list.every((x) => typeof x === 'number')) {
      const nums = list as number[];
      if (floatName || nums.some((x) => !Number.isInteger(x))) {
        return { name, type: 'floats', value: nums.map((x) => Math.fround(x)) };
      }
      return { name, type: 'ints', value: nums.map((x) => toInt64(x, `attribute '${name}'`)) };
    }
    throw new TypeError(`attribute '${name}': a list must hold only numbers, only bigints or only strings`);
  }
  const obj = v as object;
  if (isTensor(obj)) return { name, type: 'tensor', value: obj };
  if (isGraph(obj)) return { name, type: 'graph', value: obj };
  if (isAttributeValue(obj)) return { ...obj, name } as Attribute;
  throw new TypeError(`attribute '${name}': unsupported value`);
}

function toInt64(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') {
    if (v !== BigInt.asIntN(64, v)) throw new RangeError(`${what}: ${v} does not fit in int64`);
    return v;
  }
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what}: ${v} is not an exact integer`);
  return BigInt(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors

/** Values for `makeTensor`: numbers (or booleans for BOOL), bigints for 64-bit types, strings for STRING. */
export type TensorInput =
  | ArrayLike<number>
  | ArrayLike<bigint>
  | readonly (number | bigint)[]
  | readonly boolean[]
  | readonly string[];

const integerRanges: Partial<Record<number, [number, number]>> = {
  [DataType.INT8]: [-128, 127],
  [DataType.UINT8]: [0, 255],
  [DataType.INT16]: [-32768, 32767],
  [DataType.UINT16]: [0, 65535],
  [DataType.INT32]: [-(2 ** 31), 2 ** 31 - 1],
  [DataType.UINT32]: [0, 2 ** 32 - 1],
  [DataType.BOOL]: [0, 1],
  [DataType.INT4]: [-8, 7],
  [DataType.UINT4]: [0, 15],
  [DataType.INT2]: [-2, 1],
  [DataType.UINT2]: [0, 3],
};

/**
 * A tensor whose elements are stored little-endian in `raw` data (STRING: in `string` data). Supported element
 * types: float32/64, float16 and bfloat16 (rounded to nearest even), all integer types including int4/uint4 and
 * int2/uint2 (packed, first element in the low bits), and bool. Other types (float8, float4): use `rawTensor` with
 * bytes already encoded. Throws when the value count does not match `dims` or a value does not fit the type.
 */
export function makeTensor(name: string, dataType: number, dims: readonly number[], values: TensorInput): Tensor {
  const n = elementCount(dims);
  if (Number.isNaN(n)) throw new RangeError(`tensor '${name}': invalid dims [${dims.join(', ')}]`);
  if (values.length !== n) {
    throw new RangeError(`tensor '${name}': ${values.length} values for dims [${dims.join(', ')}] (${n} elements)`);
  }
  if (dataType === DataType.STRING) {
    const enc = new TextEncoder();
    const list = Array.from(values as ArrayLike<unknown>, (v) => {
      if (typeof v !== 'string') throw new TypeError(`tensor '${name}': string tensors take strings`);
      return enc.encode(v);
    });
    return { name, dataType, dims: [...dims], data: { kind: 'string', values: list } };
  }
  const info = dataTypeInfo(dataType);
  if (!info) throw new RangeError(`tensor '${name}': unknown element type ${dataTypeName(dataType)}`);
  const bytes = new Uint8Array(Math.ceil((info.bits * n) / 8));
  const view = new DataView(bytes.buffer);
  const num = (i: number): number => {
    const v = (values as ArrayLike<unknown>)[i];
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'bigint') return Number(v);
    throw new TypeError(`tensor '${name}': element ${i} is not a number`);
  };
  const int = (i: number): number => {
    const v = num(i);
    const range = integerRanges[dataType] as [number, number];
    if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
      throw new RangeError(`tensor '${name}': element ${i} (${v}) is not a valid ${info.name}`);
    }
    return v;
  };
  const big = (i: number, unsigned: boolean): bigint => {
    const v = (values as ArrayLike<unknown>)[i];
    const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
    if (b === undefined || b !== (unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b))) {
      throw new RangeError(`tensor '${name}': element ${i} (${String(v)}) is not a valid ${info.name}`);
    }
    return b;
  };
  switch (dataType) {
    case DataType.FLOAT:
      for (let i = 0; i < n; i++) view.setFloat32(i * 4, num(i), true);
      break;
    case DataType.DOUBLE:
      for (let i = 0; i < n; i++) view.setFloat64(i * 8, num(i), true);
      break;
    case DataType.FLOAT16:
      for (let i = 0; i < n; i++) view.setUint16(i * 2, float32ToFloat16Bits(num(i)), true);
      break;
    case DataType.BFLOAT16:
      for (let i = 0; i < n; i++) view.setUint16(i * 2, float32ToBfloat16Bits(num(i)), true);
      break;
    case DataType.INT8:
      for (let i = 0; i < n; i++) view.setInt8(i, int(i));
      break;
    case DataType.UINT8:
    case DataType.BOOL:
      for (let i = 0; i < n; i++) view.setUint8(i, int(i));
      break;
    case DataType.INT16:
      for (let i = 0; i < n; i++) view.setInt16(i * 2, int(i), true);
      break;
    case DataType.UINT16:
      for (let i = 0; i < n; i++) view.setUint16(i * 2, int(i), true);
      break;
    case DataType.INT32:
      for (let i = 0; i < n; i++) view.setInt32(i * 4, int(i), true);
      break;
    case DataType.UINT32:
      for (let i = 0; i < n; i++) view.setUint32(i * 4, int(i), true);
      break;
    case DataType.INT64:
      for (let i = 0; i < n; i++) view.setBigInt64(i * 8, big(i, false), true);
      break;
    case DataType.UINT64:
      for (let i = 0; i < n; i++) view.setBigUint64(i * 8, big(i, true), true);
      break;
    case DataType.INT4:
    case DataType.UINT4:
    case DataType.INT2:
    case DataType.UINT2: {
      const bits = info.bits;
      const perByte = 8 / bits;
      const mask = (1 << bits) - 1;
      for (let i = 0; i < n; i++) bytes[Math.floor(i / perByte)] |= (int(i) & mask) << ((i % perByte) * bits);
      break;
    }
    default:
      throw new RangeError(
        `tensor '${name}': makeTensor cannot encode ${info.name} values; pass encoded bytes to rawTensor`,
      );
  }
  return { name, dataType, dims: [...dims], data: { kind: 'raw', bytes } };
}

/** A tensor over already encoded little-endian bytes (copied into a plain Uint8Array). */
export function rawTensor(name: string, dataType: number, dims: readonly number[], bytes: Uint8Array): Tensor {
  return { name, dataType, dims: [...dims], data: { kind: 'raw', bytes: Uint8Array.from(bytes) } };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of a value (first rounded to float32), rounding to nearest even. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const man = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): the 24-bit significand shifted down to units of 2^-24.
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  // A carry out of the mantissa moves into the exponent, up to infinity: that is the correct rounding.
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** bfloat16 bits of a value (first rounded to float32), rounding to nearest even. */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 0;
  return rounded >>> 16;
}

// ---------------------------------------------------------------------------------------------------------------
// Deterministic random numbers

/**
 * A small seeded generator (a Weyl sequence through a 32-bit integer mixer): the same seed gives the same numbers
 * on every platform, which is all synthetic weights need. Not for anything security related.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 2 ** 32;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Normally distributed (Box-Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `n` float32 values, uniform in [low, high). */
  uniformArray(n: number, low: number, high: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** `n` float32 values, normal with the given standard deviation. */
  normalArray(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** `n` bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Graphs and models

export interface GraphBuilderOptions {
  /** Version of the standard ('' / ai.onnx) opset. Default 17. */
  opset?: number;
  /** Further opset imports (other domains). */
  opsetImports?: OpsetImport[];
  /** Default: the IR version released with `opset` (7 for 12-14, 8 for 15-18, 9 for 19-20, 10 for 21-22…). */
  irVersion?: number;
  /** Graph name. Default 'main'. */
  name?: string;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

export interface NodeOptions {
  /** Node name; default `<OpType>_<n>`. Must be unique. */
  name?: string;
  /** Output value names; default derived from the node name. */
  outputs?: string[];
  domain?: string;
  docString?: string;
}

/** The IR version released with an opset version of the standard domain (ONNX's onnx/helper.py VERSION_TABLE). */
export function irVersionForOpset(opset: number): number {
  const table: [maxOpset: number, ir: number][] = [
    [8, 3],
    [9, 4],
    [10, 5],
    [11, 6],
    [14, 7],
    [18, 8],
    [20, 9],
    [22, 10],
    [23, 11],
    [24, 12],
  ];
  return table.find(([max]) => opset <= max)?.[1] ?? 13;
}

function tensorType(elemType: number, shape?: readonly Dim[]): ValueInfo['type'] {
  return shape ? { kind: 'tensor', elemType, shape: [...shape] } : { kind: 'tensor', elemType };
}

/**
 * Builds one graph (and, with `build()`, the model around it). Value names are checked as they are used: a node
 * may only read a value defined before it (in this graph or, for a subgraph, in an enclosing one), and no value or
 * node name may be defined twice.
 */
export class GraphBuilder {
  readonly opset: number;
  private readonly options: GraphBuilderOptions;
  private readonly graph: Graph;
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(
    options: GraphBuilderOptions = {},
    private readonly parent?: GraphBuilder,
  ) {
    this.options = options;
    this.opset = options.opset ?? parent?.opset ?? 17;
    this.graph = emptyGraph(options.name ?? 'main');
    if (options.docString) this.graph.docString = options.docString;
  }

  /** A builder for a subgraph (If/Loop/Scan body) that may read this graph's values. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder({ name, opset: this.opset }, this);
  }

  /** True when `name` is a value visible here (defined in this graph or an enclosing one). */
  has(name: string): boolean {
    return this.values.has(name) || (this.parent?.has(name) ?? false);
  }

  private define(name: string, what: string): string {
    if (!name) throw new Error(`${what} needs a name`);
    if (this.values.has(name)) throw new Error(`${what} '${name}': a value with this name already exists`);
    this.values.add(name);
    return name;
  }

  /** A fresh value name starting with `base` (`base`, `base_1`, `base_2`, …). */
  uniqueName(base: string): string {
    if (!this.has(base)) return base;
    for (let i = 1; ; i++) if (!this.has(`${base}_${i}`)) return `${base}_${i}`;
  }

  /** Declares a graph input and returns its name. Shape entries: sizes, symbols, or null for unknown. */
  input(name: string, elemType: number, shape?: readonly Dim[]): string {
    this.define(name, 'input');
    this.graph.inputs.push({ name, type: tensorType(elemType, shape) });
    return name;
  }

  /** Adds an initializer built by `makeTensor` and returns its name. */
  initializer(name: string, dataType: number, dims: readonly number[], values: TensorInput): string {
    return this.addInitializer(makeTensor(name, dataType, dims, values));
  }

  /** Adds a ready tensor as an initializer and returns its name. */
  addInitializer(tensor: Tensor): string {
    this.define(tensor.name, 'initializer');
    this.graph.initializers.push(tensor);
    return tensor.name;
  }

  /** A Constant node holding the tensor; returns the output name (the tensor's name). */
  constant(name: string, dataType: number, dims: readonly number[], values: TensorInput): string {
    return this.node('Constant', [], { value: makeTensor(name, dataType, dims, values) }, { outputs: [name] });
  }

  /** Adds a node with exactly one output and returns the output's name. */
  node(opType: string, inputs: readonly string[], attrs?: Record<string, AttrInput>, options?: NodeOptions): string {
    const outs = this.nodeOutputs(opType, inputs, options?.outputs ?? 1, attrs, options);
    if (outs.length !== 1) throw new Error(`node '${opType}': node() makes single-output nodes; use nodeOutputs()`);
    return outs[0];
  }

  /** Adds a node with `outputs` outputs (a count, or the names) and returns the output names. */
  nodeOutputs(
    opType: string,
    inputs: readonly string[],
    outputs: number | readonly string[],
    attrs: Record<string, AttrInput> = {},
    options: NodeOptions = {},
  ): string[] {
    const name = options.name ?? this.nextNodeName(opType);
    if (this.nodeNames.has(name)) throw new Error(`node '${name}': a node with this name already exists`);
    for (const input of inputs) {
      if (input !== '' && !this.has(input)) {
        throw new Error(`node '${name}' (${opType}): input '${input}' is not defined before it`);
      }
    }
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.uniqueName(outputs === 1 ? `${name}_out` : `${name}_out${i}`))
        : [...outputs];
    // Validate everything before changing state, so that a failed call leaves the builder as it was.
    const attributes = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    const seen = new Set<string>();
    for (const out of outNames) {
      if (out !== '' && (this.values.has(out) || seen.has(out))) {
        throw new Error(`node '${name}' (${opType}): output '${out}' is already defined`);
      }
      seen.add(out);
    }
    for (const out of outNames) if (out !== '') this.values.add(out);
    this.nodeNames.add(name);
    const node: Node = {
      name,
      opType,
      domain: options.domain ?? '',
      inputs: [...inputs],
      outputs: outNames,
      attributes,
    };
    if (options.docString) node.docString = options.docString;
    this.graph.nodes.push(node);
    return outNames;
  }

  private nextNodeName(opType: string): string {
    let n = this.counters.get(opType) ?? 0;
    let name: string;
    do name = `${opType}_${n++}`;
    while (this.nodeNames.has(name));
    this.counters.set(opType, n);
    return name;
  }

  /** Declares `name` (an input, initializer or node output of this graph) as a graph output. */
  output(name: string, elemType: number, shape?: readonly Dim[]): string {
    if (!this.has(name)) throw new Error(`output '${name}' is not a value of this graph`);
    if (this.graph.outputs.some((o) => o.name === name)) throw new Error(`output '${name}' is declared twice`);
    this.graph.outputs.push({ name, type: tensorType(elemType, shape) });
    return name;
  }

  /** Records the type of an intermediate value (graph.value_info). */
  valueInfo(name: string, elemType: number, shape?: readonly Dim[]): void {
    if (!this.has(name)) throw new Error(`value_info '${name}' is not a value of this graph`);
    this.graph.valueInfo.push({ name, type: tensorType(elemType, shape) });
  }

  /** The graph built so far (shared, not copied: keep building and it changes). */
  toGraph(): Graph {
    return this.graph;
  }

  /** The model around the graph. */
  build(): Model {
    const o = this.options;
    return modelOf(this.graph, {
      irVersion: o.irVersion ?? irVersionForOpset(this.opset),
      opsetImports: [{ domain: '', version: this.opset }, ...(o.opsetImports ?? [])],
      producerName: o.producerName ?? 'edge-model-profiler',
      producerVersion: o.producerVersion ?? '',
    });
  }
}
