/**
 * ONNX bytes -> IR in one pass: a protobuf wire-format decoder written for onnx.proto's messages that builds the
 * IR objects of ir.ts directly, with what reader.ts's conversion from the generated protobufjs messages gives (the
 * same objects, field presence noted the same way, tensor bytes left as views on the input).
 *
 * Decoding into protobufjs messages first and then copying them into the IR allocated every object twice (and a
 * Long for every int64, and arrays grown from empty for every repeated field); on a graph of 50,000 nodes that
 * was most of the reading time and much of the garbage. The generated code is still used for the messages the IR
 * keeps as protobufjs objects (multi-device configurations) and by reader.ts for tensors and test data.
 *
 * Parsing follows protobuf's rules as protoc's C++ parser does: fields in any order, the last value of a scalar
 * field wins, repeated numeric fields packed or not, unknown fields skipped, and a field whose wire type does not
 * match the schema treated as unknown. Every length prefix is checked against the bytes left in its message before
 * anything is allocated, and nesting is limited to 100 message levels as protobufjs's decoder limits it.
 */

import protobuf from 'protobufjs/minimal.js';
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
import { onnx } from './proto.js';

/** Message nesting allowed (protobufjs's and protoc's default recursion limit). */
const RECURSION_LIMIT = 100;

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

/** A tag: field number and wire type. */
const t = (field: number, wire: number) => (field << 3) | wire;

const TWO_32 = 4294967296;

/** Small non-negative int64 values (kernel sizes, strides, axes…) as shared bigints: no allocation per value. */
const smallBigints: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

const textDecoder = new TextDecoder();

/** How many recent node outputs a node input's name is compared with (residual blocks reach a few nodes back). */
const RECENT_NAMES = 16;

class WireReader {
  pos = 0;
  /** End of the message being read. */
  end: number;
  /** The last 64-bit varint read: low and high 32 bits (unsigned). */
  lo = 0;
  hi = 0;
  /** The byte ranges and strings of the last node outputs read (see outputName). */
  private readonly recentStart = new Int32Array(RECENT_NAMES);
  private readonly recentEnd = new Int32Array(RECENT_NAMES);
  private readonly recentText: string[] = new Array<string>(RECENT_NAMES).fill('');
  private recentNext = 0;
  /** Short recurring strings by a hash of their bytes (see commonString). */
  private readonly common = new Map<number, string>();
  private readonly view: DataView;
  /** A Buffer over the same memory, for its fast native UTF-8 decoding (where Buffer exists). */
  private readonly nodeBuffer: { utf8Slice(start: number, end: number): string } | undefined;

  constructor(readonly buf: Uint8Array) {
    this.end = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const B = (globalThis as { Buffer?: typeof Buffer }).Buffer;
    const nb = B ? B.from(buf.buffer, buf.byteOffset, buf.byteLength) : undefined;
    this.nodeBuffer =
      nb && typeof (nb as unknown as { utf8Slice?: unknown }).utf8Slice === 'function'
        ? (nb as unknown as { utf8Slice(start: number, end: number): string })
        : undefined;
  }

  private outOfRange(wanted: number): RangeError {
    return new RangeError(`index out of range: ${this.pos} + ${wanted} > ${this.end}`);
  }

  /** An unsigned 32-bit varint (longer encodings, as of negative int32 values, keep their low 32 bits). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.end && buf[pos] < 0x80) {
      this.pos = pos + 1;
      return buf[pos];
    }
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= this.end) throw this.outOfRange(1);
      const b = buf[pos++];
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new Error('invalid varint encoding');
  }

  int32(): number {
    return this.uint32() | 0;
  }

  /** A 64-bit varint into `lo` and `hi`. */
  varint64(): void {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.end && buf[pos] < 0x80) {
      this.pos = pos + 1;
      this.lo = buf[pos];
      this.hi = 0;
      return;
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw this.outOfRange(1);
      const b = buf[pos++];
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new Error('invalid varint encoding');
  }

  /** A signed int64 as a number (exact up to 2^53), as Long.toNumber gives it. */
  int64Number(): number {
    this.varint64();
    // The common case returned as the small integer it is (arithmetic would make it a boxed double).
    if (this.hi === 0 && this.lo < 0x40000000) return this.lo | 0;
    return (this.hi | 0) * TWO_32 + this.lo;
  }

  /** An int64 (or uint64) as an exact bigint. */
  int64Bigint(unsigned = false): bigint {
    this.varint64();
    const n = (unsigned ? this.hi : this.hi | 0) * TWO_32 + this.lo;
    if (n >= 0 && n < 1024) return smallBigints[n];
    if (Number.isSafeInteger(n)) return BigInt(n);
    const big = (BigInt(this.hi) << 32n) | BigInt(this.lo);
    return unsigned ? big : BigInt.asIntN(64, big);
  }

  float(): number {
    if (this.pos + 4 > this.end) throw this.outOfRange(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw this.outOfRange(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length prefix, read in full and checked against the bytes left in the message. */
  length(): number {
    const at = this.pos;
    this.varint64();
    const n = this.hi * TWO_32 + this.lo;
    if (n > this.end - this.pos) {
      throw new RangeError(
        `length ${n} at byte ${at} runs past the end of the data (${this.end - this.pos} bytes left)`,
      );
    }
    return n;
  }

  bytes(): Uint8Array {
    const n = this.length();
    const start = this.pos;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }

  /**
   * A string field, decoded as the generated protobufjs code decodes it (its own UTF-8 decoder below 48 bytes,
   * TextDecoder from 48 on) so that every string reads as it always has. Both agree with Buffer's native decoder,
   * the fastest, on valid UTF-8 without a leading byte order mark: that is tried first, and only a result with a
   * replacement character (invalid input, or U+FFFD itself) or a leading BOM goes the old way.
   */
  string(): string {
    const n = this.length();
    const start = this.pos;
    this.pos = start + n;
    return n === 0 ? '' : this.text(start, start + n);
  }

  /**
   * A node output's name: remembered, so that the inputs of the next nodes that name the same value get the same
   * string (one string per value instead of one per use, and lookups by name that compare pointers only).
   */
  outputName(): string {
    const n = this.length();
    const start = this.pos;
    this.pos = start + n;
    if (n === 0) return '';
    const s = this.text(start, start + n);
    const k = this.recentNext;
    this.recentStart[k] = start;
    this.recentEnd[k] = start + n;
    this.recentText[k] = s;
    this.recentNext = (k + 1) % RECENT_NAMES;
    return s;
  }

  /**
   * A short string that recurs (operator types, domains, attribute names): one string per distinct text instead of
   * one per occurrence. ASCII text of up to 32 bytes is kept by a hash of its bytes; anything else is decoded.
   */
  commonString(): string {
    const n = this.length();
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    if (n === 0) return '';
    if (n > 32) return this.text(start, end);
    const buf = this.buf;
    let h = n;
    for (let i = start; i < end; i++) {
      const b = buf[i];
      if (b >= 0x80) return this.text(start, end);
      h = (Math.imul(h, 31) + b) | 0;
    }
    const known = this.common.get(h);
    if (known !== undefined && known.length === n) {
      let i = 0;
      while (i < n && known.charCodeAt(i) === buf[start + i]) i++;
      if (i === n) return known;
    }
    const s = this.text(start, end);
    this.common.set(h, s);
    return s;
  }

  /** A node input's name: the string of a recent output when it has the same bytes, else a new one. */
  inputName(): string {
    const n = this.length();
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    if (n === 0) return '';
    const buf = this.buf;
    for (let k = 0; k < RECENT_NAMES; k++) {
      const rs = this.recentStart[k];
      if (this.recentEnd[k] - rs !== n) continue;
      let i = n - 1;
      while (i >= 0 && buf[start + i] === buf[rs + i]) i--;
      if (i < 0) return this.recentText[k];
    }
    return this.text(start, end);
  }

  private text(start: number, end: number): string {
    const n = end - start;
    if (this.nodeBuffer) {
      const s = this.nodeBuffer.utf8Slice(start, end);
      if (s.charCodeAt(0) !== 0xfeff && !s.includes('\ufffd')) return s;
    }
    if (n < 48) return protobuf.util.utf8.read(this.buf, start, end);
    return textDecoder.decode(this.buf.subarray(start, end));
  }

  /** Enters a length-delimited sub-message; returns the enclosing message's end, for leave(). */
  enter(): number {
    const n = this.length();
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }

  leave(outer: number): void {
    if (this.pos !== this.end) throw this.outOfRange(0);
    this.end = outer;
  }

  /** Skips a field this decoder does not read. */
  skip(tag: number, depth: number): void {
    if (tag >>> 3 === 0) throw new Error(`invalid field number 0 at offset ${this.pos}`);
    const wire = tag & 7;
    switch (wire) {
      case VARINT:
        this.varint64();
        break;
      case FIXED64:
        this.advance(8);
        break;
      case LEN:
        this.advance(this.length());
        break;
      case START_GROUP: {
        if (depth + 1 > RECURSION_LIMIT) throw new Error('maximum nesting depth exceeded');
        for (;;) {
          const inner = this.uint32();
          if ((inner & 7) === END_GROUP) break;
          this.skip(inner, depth + 1);
        }
        break;
      }
      case FIXED32:
        this.advance(4);
        break;
      default:
        throw new Error(`invalid wire type ${wire} at offset ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw this.outOfRange(n);
    this.pos += n;
  }

  /** The bytes of a length-delimited field, for the generated protobufjs decoder. */
  rawMessage(): Uint8Array {
    return this.bytes();
  }
}

/**
 * A list built by push as an array of exactly its length: an array grown from empty by push keeps room for 17
 * elements, and the IR keeps these lists (node inputs and outputs, attributes, ints…) for as long as the model.
 */
function exact<T>(list: T[]): T[] {
  return list.length ? list.slice() : list;
}

/** `list` with `item` added; a new list when there is none yet. */
function append<T>(list: T[] | undefined, item: T): T[] {
  if (!list) return [item];
  list.push(item);
  return list;
}

function checkDepth(depth: number): void {
  if (depth > RECURSION_LIMIT) throw new Error('maximum nesting depth exceeded');
}

// ---------------------------------------------------------------------------------------------------------------
// Repeated numeric fields: packed (one length-delimited run) or one value per field.

function packedNumbers(r: WireReader, wire: number, into: number[], read: (r: WireReader) => number): number[] {
  if (wire !== LEN) {
    into.push(read(r));
    return into;
  }
  const outer = r.enter();
  while (r.pos < r.end) into.push(read(r));
  r.leave(outer);
  return into;
}

function packedBigints(r: WireReader, wire: number, into: bigint[], unsigned: boolean): bigint[] {
  if (wire !== LEN) {
    into.push(r.int64Bigint(unsigned));
    return into;
  }
  const outer = r.enter();
  while (r.pos < r.end) into.push(r.int64Bigint(unsigned));
  r.leave(outer);
  return into;
}

const readInt64Number = (r: WireReader) => r.int64Number();
const readInt32 = (r: WireReader) => r.int32();
const readFloat = (r: WireReader) => r.float();
const readDouble = (r: WireReader) => r.double();

/** The wire type a repeated numeric field has when not packed. */
function isNumericWire(wire: number, single: number): boolean {
  return wire === single || wire === LEN;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

export interface DecodedModel {
  model: Model;
  /** Whether the bytes had a graph field at all (a file without one is no model). */
  hasGraph: boolean;
}

/** Decodes a whole ModelProto. Throws (Error/RangeError) on bytes that are not a well-formed message. */
export function readModel(bytes: Uint8Array): DecodedModel {
  const r = new WireReader(bytes);
  const depth = 0;
  let irVersion = 0;
  const opsetImports: OpsetImport[] = [];
  let producerName: string | undefined;
  let producerVersion: string | undefined;
  let domain: string | undefined;
  let modelVersion: bigint | undefined;
  let docString: string | undefined;
  let graph: Graph | undefined;
  const metadataProps: StringEntry[] = [];
  const trainingInfo: TrainingInfo[] = [];
  const functions: FunctionDef[] = [];
  const configuration: onnx.IDeviceConfigurationProto[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case t(1, VARINT):
        irVersion = r.int64Number();
        break;
      case t(8, LEN): {
        const outer = r.enter();
        opsetImports.push(readOpset(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(2, LEN):
        producerName = r.string();
        break;
      case t(3, LEN):
        producerVersion = r.string();
        break;
      case t(4, LEN):
        domain = r.string();
        break;
      case t(5, VARINT):
        modelVersion = r.int64Bigint();
        break;
      case t(6, LEN):
        docString = r.string();
        break;
      case t(7, LEN): {
        const outer = r.enter();
        graph = readGraph(r, depth + 1);
        r.leave(outer);
        break;
      }
      case t(14, LEN):
        metadataProps.push(readEntry(r, depth + 1));
        break;
      case t(20, LEN): {
        const outer = r.enter();
        trainingInfo.push(readTrainingInfo(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(25, LEN): {
        const outer = r.enter();
        functions.push(readFunction(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(26, LEN):
        configuration.push(onnx.DeviceConfigurationProto.decode(r.rawMessage()));
        break;
      default:
        r.skip(tag, depth);
    }
  }
  const model: Model = {
    irVersion,
    opsetImports,
    producerName: producerName ?? '',
    producerVersion: producerVersion ?? '',
    domain: domain ?? '',
    modelVersion: modelVersion ?? 0n,
    docString: docString ?? '',
    graph: graph ?? emptyGraphOf(''),
    metadataProps,
    functions,
    trainingInfo,
  };
  if (configuration.length) model.configuration = configuration;
  if (producerName === '') notePresence(model, 'producerName', true);
  if (producerVersion === '') notePresence(model, 'producerVersion', true);
  if (domain === '') notePresence(model, 'domain', true);
  if (docString === '') notePresence(model, 'docString', true);
  if (modelVersion === 0n) notePresence(model, 'modelVersion', true);
  return { model, hasGraph: graph !== undefined };
}

function emptyGraphOf(name: string): Graph {
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

function readOpset(r: WireReader, depth: number): OpsetImport {
  checkDepth(depth);
  let domain: string | undefined;
  let version = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === t(1, LEN)) domain = r.string();
    else if (tag === t(2, VARINT)) version = r.int64Number();
    else r.skip(tag, depth);
  }
  const opset = { domain: domain ?? '', version };
  // The writer writes the domain even when empty (as onnx.helper does); note the files that leave it out.
  if (domain === undefined) notePresence(opset, 'domain', false);
  return opset;
}

/** A StringStringEntryProto (the length prefix not read yet). */
function readEntry(r: WireReader, depth: number): StringEntry {
  const outer = r.enter();
  checkDepth(depth);
  let key = '';
  let value = '';
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === t(1, LEN)) key = r.string();
    else if (tag === t(2, LEN)) value = r.string();
    else r.skip(tag, depth);
  }
  r.leave(outer);
  return { key, value };
}

function readGraph(r: WireReader, depth: number): Graph {
  checkDepth(depth);
  let name: string | undefined;
  let docString: string | undefined;
  const nodes: Node[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const valueInfo: ValueInfo[] = [];
  const initializers: Tensor[] = [];
  const sparseInitializers: SparseTensor[] = [];
  const quantizationAnnotation: TensorAnnotation[] = [];
  let metadataProps: StringEntry[] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case t(1, LEN): {
        const outer = r.enter();
        nodes.push(readNode(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(2, LEN):
        name = r.string();
        break;
      case t(5, LEN): {
        const outer = r.enter();
        initializers.push(readTensor(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(15, LEN): {
        const outer = r.enter();
        sparseInitializers.push(readSparseTensor(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(10, LEN):
        docString = r.string();
        break;
      case t(11, LEN):
      case t(12, LEN):
      case t(13, LEN): {
        const outer = r.enter();
        const v = readValueInfo(r, depth + 1);
        r.leave(outer);
        (tag === t(11, LEN) ? inputs : tag === t(12, LEN) ? outputs : valueInfo).push(v);
        break;
      }
      case t(14, LEN): {
        const outer = r.enter();
        quantizationAnnotation.push(readAnnotation(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(16, LEN):
        metadataProps = append(metadataProps, readEntry(r, depth + 1));
        break;
      default:
        r.skip(tag, depth);
    }
  }
  const g: Graph = {
    name: name ?? '',
    nodes,
    inputs,
    outputs,
    valueInfo,
    initializers,
    sparseInitializers,
    quantizationAnnotation,
  };
  if (docString) g.docString = docString;
  if (metadataProps) g.metadataProps = metadataProps;
  if (name === '') notePresence(g, 'name', true);
  if (docString === '') notePresence(g, 'docString', true);
  return g;
}

function readAnnotation(r: WireReader, depth: number): TensorAnnotation {
  checkDepth(depth);
  let tensorName = '';
  const quantParameterTensorNames: StringEntry[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === t(1, LEN)) tensorName = r.string();
    else if (tag === t(2, LEN)) quantParameterTensorNames.push(readEntry(r, depth + 1));
    else r.skip(tag, depth);
  }
  return { tensorName, quantParameterTensorNames };
}

function readNode(r: WireReader, depth: number): Node {
  checkDepth(depth);
  const inputs: string[] = [];
  const outputs: string[] = [];
  let name: string | undefined;
  let opType: string | undefined;
  let domain: string | undefined;
  let overload: string | undefined;
  let docString: string | undefined;
  const attributes: Attribute[] = [];
  let metadataProps: StringEntry[] | undefined;
  let deviceConfigurations: onnx.INodeDeviceConfigurationProto[] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case t(1, LEN):
        inputs.push(r.inputName());
        break;
      case t(2, LEN):
        outputs.push(r.outputName());
        break;
      case t(3, LEN):
        name = r.string();
        break;
      case t(4, LEN):
        opType = r.commonString();
        break;
      case t(7, LEN):
        domain = r.commonString();
        break;
      case t(8, LEN):
        overload = r.string();
        break;
      case t(5, LEN): {
        const outer = r.enter();
        attributes.push(readAttribute(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(6, LEN):
        docString = r.string();
        break;
      case t(9, LEN):
        metadataProps = append(metadataProps, readEntry(r, depth + 1));
        break;
      case t(10, LEN):
        deviceConfigurations = append(deviceConfigurations, onnx.NodeDeviceConfigurationProto.decode(r.rawMessage()));
        break;
      default:
        r.skip(tag, depth);
    }
  }
  const n: Node = {
    name: name ?? '',
    opType: opType ?? '',
    domain: domain ?? '',
    inputs: exact(inputs),
    outputs: exact(outputs),
    attributes: exact(attributes),
  };
  if (overload) n.overload = overload;
  if (docString) n.docString = docString;
  if (metadataProps) n.metadataProps = metadataProps;
  if (deviceConfigurations) n.deviceConfigurations = deviceConfigurations;
  if (name === '') notePresence(n, 'name', true);
  if (opType === '') notePresence(n, 'opType', true);
  if (domain === '') notePresence(n, 'domain', true);
  if (overload === '') notePresence(n, 'overload', true);
  if (docString === '') notePresence(n, 'docString', true);
  return n;
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

function readAttribute(r: WireReader, depth: number): Attribute {
  checkDepth(depth);
  let name: string | undefined;
  let refAttrName: string | undefined;
  let docString: string | undefined;
  let type = 0;
  let f: number | undefined;
  let i: bigint | undefined;
  let s: Uint8Array | undefined;
  let tensor: Tensor | undefined;
  let graph: Graph | undefined;
  let sparse: SparseTensor | undefined;
  let tp: TypeInfo | undefined;
  let floats: number[] | undefined;
  let ints: bigint[] | undefined;
  let strings: Uint8Array[] | undefined;
  let tensors: Tensor[] | undefined;
  let graphs: Graph[] | undefined;
  let sparseTensors: SparseTensor[] | undefined;
  let typeProtos: TypeInfo[] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wire !== LEN) r.skip(tag, depth);
        else name = r.commonString();
        break;
      case 21:
        if (wire !== LEN) r.skip(tag, depth);
        else refAttrName = r.string();
        break;
      case 13:
        if (wire !== LEN) r.skip(tag, depth);
        else docString = r.string();
        break;
      case 20:
        if (wire !== VARINT) r.skip(tag, depth);
        else type = r.int32();
        break;
      case 2:
        if (wire !== FIXED32) r.skip(tag, depth);
        else f = r.float();
        break;
      case 3:
        if (wire !== VARINT) r.skip(tag, depth);
        else i = r.int64Bigint();
        break;
      case 4:
        if (wire !== LEN) r.skip(tag, depth);
        else s = r.bytes();
        break;
      case 5:
      case 6:
      case 22:
      case 14:
      case 10:
      case 11:
      case 23:
      case 15: {
        if (wire !== LEN) {
          r.skip(tag, depth);
          break;
        }
        const outer = r.enter();
        switch (tag >>> 3) {
          case 5:
            tensor = readTensor(r, depth + 1);
            break;
          case 6:
            graph = readGraph(r, depth + 1);
            break;
          case 22:
            sparse = readSparseTensor(r, depth + 1);
            break;
          case 14:
            tp = readType(r, depth + 1);
            break;
          case 10:
            tensors = append(tensors, readTensor(r, depth + 1));
            break;
          case 11:
            graphs = append(graphs, readGraph(r, depth + 1));
            break;
          case 23:
            sparseTensors = append(sparseTensors, readSparseTensor(r, depth + 1));
            break;
          default:
            typeProtos = append(typeProtos, readType(r, depth + 1));
        }
        r.leave(outer);
        break;
      }
      case 7:
        if (!isNumericWire(wire, FIXED32)) r.skip(tag, depth);
        else floats = packedNumbers(r, wire, floats ?? [], readFloat);
        break;
      case 8:
        if (!isNumericWire(wire, VARINT)) r.skip(tag, depth);
        else ints = packedBigints(r, wire, ints ?? [], false);
        break;
      case 9:
        if (wire !== LEN) r.skip(tag, depth);
        else strings = append(strings, r.bytes());
        break;
      default:
        r.skip(tag, depth);
    }
  }
  // IR version 1 attributes carry no type; infer it from the field that is set, as ONNX's own checker does.
  let kind: Attribute['type'];
  if (type) kind = attrTypeNames[type] ?? 'undefined';
  else if (f !== undefined) kind = 'float';
  else if (i !== undefined) kind = 'int';
  else if (s !== undefined) kind = 'string';
  else if (tensor) kind = 'tensor';
  else if (graph) kind = 'graph';
  else if (sparse) kind = 'sparse_tensor';
  else if (tp) kind = 'type_proto';
  else if (floats?.length) kind = 'floats';
  else if (ints?.length) kind = 'ints';
  else if (strings?.length) kind = 'strings';
  else if (tensors?.length) kind = 'tensors';
  else if (graphs?.length) kind = 'graphs';
  else if (sparseTensors?.length) kind = 'sparse_tensors';
  else if (typeProtos?.length) kind = 'type_protos';
  else kind = 'undefined';
  const n = name ?? '';
  let a: Attribute;
  switch (kind) {
    case 'float':
      a = { name: n, type: kind, value: f ?? 0 };
      break;
    case 'int':
      a = { name: n, type: kind, value: i ?? 0n };
      break;
    case 'string':
      a = { name: n, type: kind, value: s ? textDecoder.decode(s) : '' };
      break;
    case 'tensor':
      a = { name: n, type: kind, value: tensor ?? emptyTensor() };
      break;
    case 'graph':
      a = { name: n, type: kind, value: graph ?? emptyGraphOf('') };
      break;
    case 'sparse_tensor':
      a = { name: n, type: kind, value: sparse ?? { values: emptyTensor(), indices: emptyTensor(), dims: [] } };
      break;
    case 'type_proto':
      a = { name: n, type: kind, value: tp ?? { kind: 'none' } };
      break;
    case 'floats':
      a = { name: n, type: kind, value: floats ? exact(floats) : [] };
      break;
    case 'ints':
      a = { name: n, type: kind, value: ints ? exact(ints) : [] };
      break;
    case 'strings':
      a = { name: n, type: kind, value: (strings ?? []).map((b) => textDecoder.decode(b)) };
      break;
    case 'tensors':
      a = { name: n, type: kind, value: tensors ?? [] };
      break;
    case 'graphs':
      a = { name: n, type: kind, value: graphs ?? [] };
      break;
    case 'sparse_tensors':
      a = { name: n, type: kind, value: sparseTensors ?? [] };
      break;
    case 'type_protos':
      a = { name: n, type: kind, value: typeProtos ?? [] };
      break;
    default:
      a = { name: n, type: 'undefined' };
  }
  if (refAttrName) a.refAttrName = refAttrName;
  if (docString) a.docString = docString;
  if (refAttrName === '') notePresence(a, 'refAttrName', true);
  if (docString === '') notePresence(a, 'docString', true);
  return a;
}

/** What reader.ts makes of a TensorProto with no field set (an attribute of type tensor without one). */
function emptyTensor(): Tensor {
  return { name: '', dataType: 0, dims: [], data: { kind: 'empty' } };
}

function readValueInfo(r: WireReader, depth: number): ValueInfo {
  checkDepth(depth);
  let name: string | undefined;
  let type: TypeInfo | undefined;
  let docString: string | undefined;
  let metadataProps: StringEntry[] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case t(1, LEN):
        name = r.string();
        break;
      case t(2, LEN): {
        const outer = r.enter();
        type = readType(r, depth + 1);
        r.leave(outer);
        break;
      }
      case t(3, LEN):
        docString = r.string();
        break;
      case t(4, LEN):
        metadataProps = append(metadataProps, readEntry(r, depth + 1));
        break;
      default:
        r.skip(tag, depth);
    }
  }
  const v: ValueInfo = { name: name ?? '' };
  if (type) v.type = type;
  if (docString) v.docString = docString;
  if (metadataProps) v.metadataProps = metadataProps;
  if (name === '') notePresence(v, 'name', true);
  if (docString === '') notePresence(v, 'docString', true);
  return v;
}

/** TypeProto.Tensor and TypeProto.SparseTensor: element type and shape. */
interface TensorTypeFields {
  elemType: number;
  /** undefined: no shape field. */
  dims?: { value?: number; param?: string; denotation?: string }[];
}

function readTensorType(r: WireReader, depth: number): TensorTypeFields {
  checkDepth(depth);
  const out: TensorTypeFields = { elemType: 0 };
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === t(1, VARINT)) out.elemType = r.int32();
    else if (tag === t(2, LEN)) {
      const outer = r.enter();
      out.dims = readShape(r, depth + 1);
      r.leave(outer);
    } else r.skip(tag, depth);
  }
  return out;
}

function readShape(r: WireReader, depth: number): NonNullable<TensorTypeFields['dims']> {
  checkDepth(depth);
  const dims: NonNullable<TensorTypeFields['dims']> = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === t(1, LEN)) {
      const outer = r.enter();
      checkDepth(depth + 1);
      const d: NonNullable<TensorTypeFields['dims']>[number] = {};
      while (r.pos < r.end) {
        const inner = r.uint32();
        if (inner === t(1, VARINT)) d.value = r.int64Number();
        else if (inner === t(2, LEN)) d.param = r.string();
        else if (inner === t(3, LEN)) d.denotation = r.string();
        else r.skip(inner, depth + 1);
      }
      r.leave(outer);
      dims.push(d);
    } else r.skip(tag, depth);
  }
  return dims;
}

/** A message whose only field read is a TypeProto at field 1 (Sequence, Optional): that type, if any. */
function readElemType(r: WireReader, depth: number): TypeInfo | undefined {
  checkDepth(depth);
  let elem: TypeInfo | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === t(1, LEN)) {
      const outer = r.enter();
      elem = readType(r, depth + 1);
      r.leave(outer);
    } else r.skip(tag, depth);
  }
  return elem;
}

function readType(r: WireReader, depth: number): TypeInfo {
  checkDepth(depth);
  let tensorType: TensorTypeFields | undefined;
  let sparseTensorType: TensorTypeFields | undefined;
  let sequence: { elem?: TypeInfo } | undefined;
  let optional: { elem?: TypeInfo } | undefined;
  let map: { keyType: number; value?: TypeInfo } | undefined;
  let opaque: { domain: string; name: string } | undefined;
  let denotation: string | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case t(1, LEN):
      case t(8, LEN): {
        const outer = r.enter();
        const tt = readTensorType(r, depth + 1);
        r.leave(outer);
        if (tag === t(1, LEN)) tensorType = tt;
        else sparseTensorType = tt;
        break;
      }
      case t(4, LEN):
      case t(9, LEN): {
        const outer = r.enter();
        const elem = readElemType(r, depth + 1);
        r.leave(outer);
        if (tag === t(4, LEN)) sequence = { elem };
        else optional = { elem };
        break;
      }
      case t(5, LEN): {
        const outer = r.enter();
        checkDepth(depth + 1);
        const m: { keyType: number; value?: TypeInfo } = { keyType: 0 };
        while (r.pos < r.end) {
          const inner = r.uint32();
          if (inner === t(1, VARINT)) m.keyType = r.int32();
          else if (inner === t(2, LEN)) {
            const o2 = r.enter();
            m.value = readType(r, depth + 2);
            r.leave(o2);
          } else r.skip(inner, depth + 1);
        }
        r.leave(outer);
        map = m;
        break;
      }
      case t(7, LEN): {
        const outer = r.enter();
        checkDepth(depth + 1);
        const o: { domain: string; name: string } = { domain: '', name: '' };
        while (r.pos < r.end) {
          const inner = r.uint32();
          if (inner === t(1, LEN)) o.domain = r.string();
          else if (inner === t(2, LEN)) o.name = r.string();
          else r.skip(inner, depth + 1);
        }
        r.leave(outer);
        opaque = o;
        break;
      }
      case t(6, LEN):
        denotation = r.string();
        break;
      default:
        r.skip(tag, depth);
    }
  }
  let ti: TypeInfo;
  if (tensorType || sparseTensorType) {
    const tt = (tensorType ?? sparseTensorType) as TensorTypeFields;
    ti = { kind: tensorType ? 'tensor' : 'sparse_tensor', elemType: tt.elemType };
    if (tt.dims) {
      const dims = tt.dims;
      ti.shape = dims.map((d) => (d.value !== undefined ? d.value : d.param !== undefined ? d.param : null));
      if (dims.some((d) => d.denotation)) ti.dimDenotations = dims.map((d) => d.denotation ?? '');
    }
  } else if (sequence) {
    ti = { kind: 'sequence' };
    if (sequence.elem) ti.elem = sequence.elem;
  } else if (optional) {
    ti = { kind: 'optional' };
    if (optional.elem) ti.elem = optional.elem;
  } else if (map) {
    ti = { kind: 'map', keyType: map.keyType };
    if (map.value) ti.value = map.value;
  } else if (opaque) {
    ti = { kind: 'opaque', domain: opaque.domain, name: opaque.name };
  } else {
    ti = { kind: 'none' };
  }
  if (denotation) ti.denotation = denotation;
  if (denotation === '') notePresence(ti, 'denotation', true);
  return ti;
}

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;
const DEFAULT_LOCATION = onnx.TensorProto.DataLocation.DEFAULT;

function readTensor(r: WireReader, depth: number): Tensor {
  checkDepth(depth);
  const dims: number[] = [];
  let dataType = 0;
  let segment: { begin: bigint; end: bigint } | undefined;
  let floatData: number[] | undefined;
  let int32Data: number[] | undefined;
  let stringData: Uint8Array[] | undefined;
  let int64Data: bigint[] | undefined;
  let name: string | undefined;
  let docString: string | undefined;
  let rawData: Uint8Array | undefined;
  let externalData: StringEntry[] | undefined;
  let dataLocation: number | undefined;
  let doubleData: number[] | undefined;
  let uint64Data: bigint[] | undefined;
  let metadataProps: StringEntry[] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (!isNumericWire(wire, VARINT)) r.skip(tag, depth);
        else packedNumbers(r, wire, dims, readInt64Number);
        break;
      case 2:
        if (wire !== VARINT) r.skip(tag, depth);
        else dataType = r.int32();
        break;
      case 3: {
        if (wire !== LEN) {
          r.skip(tag, depth);
          break;
        }
        const outer = r.enter();
        checkDepth(depth + 1);
        const seg = { begin: 0n, end: 0n };
        while (r.pos < r.end) {
          const inner = r.uint32();
          if (inner === t(1, VARINT)) seg.begin = r.int64Bigint();
          else if (inner === t(2, VARINT)) seg.end = r.int64Bigint();
          else r.skip(inner, depth + 1);
        }
        r.leave(outer);
        segment = seg;
        break;
      }
      case 4:
        if (!isNumericWire(wire, FIXED32)) r.skip(tag, depth);
        else floatData = packedNumbers(r, wire, floatData ?? [], readFloat);
        break;
      case 5:
        if (!isNumericWire(wire, VARINT)) r.skip(tag, depth);
        else int32Data = packedNumbers(r, wire, int32Data ?? [], readInt32);
        break;
      case 6:
        if (wire !== LEN) r.skip(tag, depth);
        else stringData = append(stringData, r.bytes());
        break;
      case 7:
        if (!isNumericWire(wire, VARINT)) r.skip(tag, depth);
        else int64Data = packedBigints(r, wire, int64Data ?? [], false);
        break;
      case 8:
        if (wire !== LEN) r.skip(tag, depth);
        else name = r.string();
        break;
      case 12:
        if (wire !== LEN) r.skip(tag, depth);
        else docString = r.string();
        break;
      case 9:
        if (wire !== LEN) r.skip(tag, depth);
        else rawData = r.bytes();
        break;
      case 13:
        if (wire !== LEN) r.skip(tag, depth);
        else externalData = append(externalData, readEntry(r, depth + 1));
        break;
      case 14:
        if (wire !== VARINT) r.skip(tag, depth);
        else dataLocation = r.int32();
        break;
      case 10:
        if (!isNumericWire(wire, FIXED64)) r.skip(tag, depth);
        else doubleData = packedNumbers(r, wire, doubleData ?? [], readDouble);
        break;
      case 11:
        if (!isNumericWire(wire, VARINT)) r.skip(tag, depth);
        else uint64Data = packedBigints(r, wire, uint64Data ?? [], true);
        break;
      case 16:
        if (wire !== LEN) r.skip(tag, depth);
        else metadataProps = append(metadataProps, readEntry(r, depth + 1));
        break;
      default:
        r.skip(tag, depth);
    }
  }
  let data: TensorData;
  if (dataLocation === EXTERNAL) {
    const ext: TensorData = { kind: 'external', location: '', offset: 0 };
    const extra: StringEntry[] = [];
    for (const { key, value } of externalData ?? []) {
      if (key === 'location') ext.location = value;
      else if (key === 'offset') ext.offset = parseExternalNumber(value);
      else if (key === 'length') ext.length = parseExternalNumber(value);
      else if (key === 'checksum') ext.checksum = value;
      else extra.push({ key, value });
    }
    if (extra.length) ext.extra = extra;
    data = ext;
  } else if (rawData) {
    // Exactly one field should be set; the first non-empty one in this order wins (validation reports the rest).
    data = { kind: 'raw', bytes: rawData };
  } else if (floatData?.length) data = { kind: 'float', values: Float32Array.from(floatData) };
  else if (int32Data?.length) data = { kind: 'int32', values: Int32Array.from(int32Data) };
  else if (int64Data?.length) data = { kind: 'int64', values: BigInt64Array.from(int64Data) };
  else if (doubleData?.length) data = { kind: 'double', values: Float64Array.from(doubleData) };
  else if (uint64Data?.length) data = { kind: 'uint64', values: BigUint64Array.from(uint64Data) };
  else if (stringData?.length) data = { kind: 'string', values: stringData };
  else data = { kind: 'empty' };
  const tensor: Tensor = { name: name ?? '', dataType, dims: exact(dims), data };
  if (docString) tensor.docString = docString;
  if (segment) tensor.segment = segment;
  if (metadataProps) tensor.metadataProps = metadataProps;
  if (name === '') notePresence(tensor, 'name', true);
  if (docString === '') notePresence(tensor, 'docString', true);
  if (dataLocation === DEFAULT_LOCATION) notePresence(tensor, 'dataLocation', true);
  return tensor;
}

/** Offsets and lengths are decimal strings; anything else is kept as NaN and reported by validation. */
function parseExternalNumber(value: string): number {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
}

function readSparseTensor(r: WireReader, depth: number): SparseTensor {
  checkDepth(depth);
  let values: Tensor | undefined;
  let indices: Tensor | undefined;
  const dims: number[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    const wire = tag & 7;
    if (tag === t(1, LEN) || tag === t(2, LEN)) {
      const outer = r.enter();
      const tensor = readTensor(r, depth + 1);
      r.leave(outer);
      if (tag === t(1, LEN)) values = tensor;
      else indices = tensor;
    } else if (tag >>> 3 === 3 && isNumericWire(wire, VARINT)) packedNumbers(r, wire, dims, readInt64Number);
    else r.skip(tag, depth);
  }
  return { values: values ?? emptyTensor(), indices: indices ?? emptyTensor(), dims };
}

function readFunction(r: WireReader, depth: number): FunctionDef {
  checkDepth(depth);
  let name: string | undefined;
  let domain: string | undefined;
  let overload: string | undefined;
  let docString: string | undefined;
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: string[] = [];
  const attributeDefaults: Attribute[] = [];
  const nodes: Node[] = [];
  const opsetImports: OpsetImport[] = [];
  const valueInfo: ValueInfo[] = [];
  let metadataProps: StringEntry[] | undefined;
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case t(1, LEN):
        name = r.string();
        break;
      case t(4, LEN):
        inputs.push(r.string());
        break;
      case t(5, LEN):
        outputs.push(r.string());
        break;
      case t(6, LEN):
        attributes.push(r.string());
        break;
      case t(11, LEN): {
        const outer = r.enter();
        attributeDefaults.push(readAttribute(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(7, LEN): {
        const outer = r.enter();
        nodes.push(readNode(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(8, LEN):
        docString = r.string();
        break;
      case t(9, LEN): {
        const outer = r.enter();
        opsetImports.push(readOpset(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(10, LEN):
        domain = r.string();
        break;
      case t(13, LEN):
        overload = r.string();
        break;
      case t(12, LEN): {
        const outer = r.enter();
        valueInfo.push(readValueInfo(r, depth + 1));
        r.leave(outer);
        break;
      }
      case t(14, LEN):
        metadataProps = append(metadataProps, readEntry(r, depth + 1));
        break;
      default:
        r.skip(tag, depth);
    }
  }
  const f: FunctionDef = {
    name: name ?? '',
    domain: domain ?? '',
    inputs,
    outputs,
    attributes,
    attributeDefaults,
    nodes,
    opsetImports,
    valueInfo,
  };
  if (overload) f.overload = overload;
  if (docString) f.docString = docString;
  if (metadataProps) f.metadataProps = metadataProps;
  if (name === '') notePresence(f, 'name', true);
  if (domain === '') notePresence(f, 'domain', true);
  if (overload === '') notePresence(f, 'overload', true);
  if (docString === '') notePresence(f, 'docString', true);
  return f;
}

function readTrainingInfo(r: WireReader, depth: number): TrainingInfo {
  checkDepth(depth);
  let initialization: Graph | undefined;
  let algorithm: Graph | undefined;
  const initializationBinding: StringEntry[] = [];
  const updateBinding: StringEntry[] = [];
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case t(1, LEN):
      case t(2, LEN): {
        const outer = r.enter();
        const g = readGraph(r, depth + 1);
        r.leave(outer);
        if (tag === t(1, LEN)) initialization = g;
        else algorithm = g;
        break;
      }
      case t(3, LEN):
        initializationBinding.push(readEntry(r, depth + 1));
        break;
      case t(4, LEN):
        updateBinding.push(readEntry(r, depth + 1));
        break;
      default:
        r.skip(tag, depth);
    }
  }
  const ti: TrainingInfo = { initializationBinding, updateBinding };
  if (initialization) ti.initialization = initialization;
  if (algorithm) ti.algorithm = algorithm;
  return ti;
}
