/**
 * Protobuf wire format, just enough to mutate a serialized model without knowing its schema: a message is a list of
 * fields (tag = field number << 3 | wire type, then a varint, 8 bytes, a length-prefixed body, or 4 bytes). Any
 * length-delimited body that parses completely as fields is treated as a sub-message, so mutations reach every level
 * (ModelProto → GraphProto → NodeProto → AttributeProto → GraphProto …).
 */

import { type Chooser, interestingBigInts } from './random.js';

export interface WireField {
  no: number;
  wireType: number;
  /** Offsets in the message's bytes: the whole field, and its value (for wire type 2: the body, after the length). */
  start: number;
  valueStart: number;
  end: number;
}

/** Reads a varint at `pos`; undefined when it runs past the end or is longer than 10 bytes. */
export function readVarint(buf: Uint8Array, pos: number): { value: bigint; next: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) return undefined;
    const b = buf[pos + i];
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (!(b & 0x80)) return { value, next: pos + i + 1 };
  }
  return undefined;
}

/** A varint's bytes; negative values as their 64-bit two's complement (10 bytes), as protobuf writes int64. */
export function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

/** The fields of a message, or undefined when the bytes are not a well-formed message. */
export function parseFields(buf: Uint8Array, maxFields = 1_000_000): WireField[] | undefined {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (fields.length >= maxFields) return undefined;
    const tag = readVarint(buf, pos);
    if (!tag || tag.value > 0xffffffffn) return undefined;
    const no = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (no === 0) return undefined;
    let valueStart = tag.next;
    let end: number;
    switch (wireType) {
      case 0: {
        const v = readVarint(buf, tag.next);
        if (!v) return undefined;
        end = v.next;
        break;
      }
      case 1:
        end = tag.next + 8;
        break;
      case 2: {
        const len = readVarint(buf, tag.next);
        if (!len) return undefined;
        valueStart = len.next;
        end = len.next + Number(len.value);
        if (len.value > BigInt(buf.length)) return undefined;
        break;
      }
      case 5:
        end = tag.next + 4;
        break;
      default:
        return undefined;
    }
    if (end > buf.length) return undefined;
    fields.push({ no, wireType, start: pos, valueStart, end });
    pos = end;
  }
  return fields;
}

export function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A length-delimited field with the given body (a consistent length prefix). */
export function lengthField(no: number, body: Uint8Array): Uint8Array {
  return concat([varint((no << 3) | 2), varint(body.length), body]);
}

/** The sub-message in a field's body, when it parses as one (and is not empty). */
function subMessage(msg: Uint8Array, f: WireField): Uint8Array | undefined {
  if (f.wireType !== 2 || f.end - f.valueStart < 2 || f.end - f.valueStart > 4_000_000) return undefined;
  const body = msg.subarray(f.valueStart, f.end);
  const inner = parseFields(body, 200_000);
  return inner && inner.length > 0 ? body : undefined;
}

/** Varints a packed repeated field holds, or undefined when the body is not a sequence of varints. */
function packedVarints(body: Uint8Array): { start: number; end: number }[] | undefined {
  const out: { start: number; end: number }[] = [];
  let pos = 0;
  while (pos < body.length) {
    const v = readVarint(body, pos);
    if (!v) return undefined;
    out.push({ start: pos, end: v.next });
    pos = v.next;
  }
  return out.length ? out : undefined;
}

type Mutation = (msg: Uint8Array, fields: WireField[], c: Chooser) => { bytes: Uint8Array; what: string } | undefined;

const interestingVarint = (c: Chooser): bigint => c.pick(interestingBigInts);

/** Field-level mutations at one message level. */
const fieldMutations: [number, string, Mutation][] = [
  [
    3,
    'drop-field',
    (msg, fields, c) => {
      const f = c.pick(fields);
      return { bytes: concat([msg.subarray(0, f.start), msg.subarray(f.end)]), what: `drop field ${f.no}` };
    },
  ],
  [
    3,
    'duplicate-field',
    (msg, fields, c) => {
      const f = c.pick(fields);
      const copies = c.chance(0.8) ? 1 : c.range(2, 64);
      const field = msg.subarray(f.start, f.end);
      const at = c.chance(0.5) ? f.end : msg.length;
      const parts: Uint8Array[] = [msg.subarray(0, at)];
      for (let i = 0; i < copies; i++) parts.push(field);
      parts.push(msg.subarray(at));
      return { bytes: concat(parts), what: `duplicate field ${f.no} x${copies}` };
    },
  ],
  [
    1,
    'swap-fields',
    (msg, fields, c) => {
      if (fields.length < 2) return undefined;
      const i = c.int(fields.length - 1);
      const a = fields[i];
      const b = fields[i + 1];
      return {
        bytes: concat([
          msg.subarray(0, a.start),
          msg.subarray(b.start, b.end),
          msg.subarray(a.start, a.end),
          msg.subarray(b.end),
        ]),
        what: `swap fields ${a.no} and ${b.no}`,
      };
    },
  ],
  [
    3,
    'varint-value',
    (msg, fields, c) => {
      const vs = fields.filter((f) => f.wireType === 0);
      if (!vs.length) return undefined;
      const f = c.pick(vs);
      const v = interestingVarint(c);
      return {
        bytes: concat([msg.subarray(0, f.valueStart), varint(v), msg.subarray(f.end)]),
        what: `varint field ${f.no} = ${v}`,
      };
    },
  ],
  [
    2,
    'overlong-varint',
    (msg, fields, c) => {
      // A varint padded with continuation bytes (still the same value, up to 10 bytes), or one that never ends.
      const f = c.pick(fields);
      const broken = c.chance(0.3);
      const pad = broken ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [0x80, 0x80, 0x80];
      const at = f.wireType === 0 ? f.valueStart : f.start;
      const v = readVarint(msg, at);
      if (!v) return undefined;
      const bytes = Array.from(msg.subarray(at, v.next));
      bytes[bytes.length - 1] |= 0x80;
      const padded = broken ? pad : [...bytes, ...pad.slice(0, 10 - bytes.length - 1), 0];
      if (!broken && padded.length > 10) return undefined;
      return {
        bytes: concat([msg.subarray(0, at), broken ? pad : padded, msg.subarray(v.next)]),
        what: `${broken ? 'unterminated' : 'overlong'} varint in field ${f.no}`,
      };
    },
  ],
  [
    3,
    'length-prefix',
    (msg, fields, c) => {
      const ls = fields.filter((f) => f.wireType === 2);
      if (!ls.length) return undefined;
      const f = c.pick(ls);
      const len = f.end - f.valueStart;
      const v = c.pick<bigint>([
        BigInt(len + 1),
        BigInt(Math.max(0, len - 1)),
        BigInt(len + c.range(2, 100)),
        0n,
        2n ** 31n - 1n,
        2n ** 32n,
        2n ** 32n + BigInt(len),
        2n ** 40n,
        2n ** 63n,
        -1n,
      ]);
      const lenAt = readVarint(msg, f.start)?.next ?? f.valueStart;
      return {
        bytes: concat([msg.subarray(0, lenAt), varint(v), msg.subarray(f.valueStart)]),
        what: `length of field ${f.no}: ${len} -> ${v}`,
      };
    },
  ],
  [
    1,
    'wire-type',
    (msg, fields, c) => {
      const f = c.pick(fields);
      const wt = c.pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== f.wireType));
      const tag = readVarint(msg, f.start);
      if (!tag) return undefined;
      return {
        bytes: concat([msg.subarray(0, f.start), varint((f.no << 3) | wt), msg.subarray(tag.next)]),
        what: `wire type of field ${f.no}: ${f.wireType} -> ${wt}`,
      };
    },
  ],
  [
    1,
    'field-number',
    (msg, fields, c) => {
      const f = c.pick(fields);
      const no = c.chance(0.8) ? c.range(1, 25) : c.pick([536870911, 19000, 1000]);
      const tag = readVarint(msg, f.start);
      if (!tag) return undefined;
      return {
        bytes: concat([msg.subarray(0, f.start), varint((no << 3) | f.wireType), msg.subarray(tag.next)]),
        what: `field ${f.no} renumbered ${no}`,
      };
    },
  ],
  [
    2,
    'packed-value',
    (msg, fields, c) => {
      // dims, ints, int64_data… are packed varints: replace one element.
      const ls = fields.filter((f) => f.wireType === 2 && f.end - f.valueStart <= 4096);
      if (!ls.length) return undefined;
      const f = c.pick(ls);
      const body = msg.subarray(f.valueStart, f.end);
      const vs = packedVarints(body);
      if (!vs) return undefined;
      const e = c.pick(vs);
      const v = interestingVarint(c);
      const newBody = concat([body.subarray(0, e.start), varint(v), body.subarray(e.end)]);
      const tag = readVarint(msg, f.start);
      if (!tag) return undefined;
      return {
        bytes: concat([msg.subarray(0, f.start), lengthField(f.no, newBody), msg.subarray(f.end)]),
        what: `packed element of field ${f.no} = ${v}`,
      };
    },
  ],
  [
    1,
    'body-bytes',
    (msg, fields, c) => {
      const ls = fields.filter((f) => f.wireType === 2);
      if (!ls.length) return undefined;
      const f = c.pick(ls);
      const body = msg.subarray(f.valueStart, f.end);
      let newBody: Uint8Array;
      const kind = c.int(4);
      if (kind === 0) newBody = body.subarray(0, c.int(body.length + 1));
      else if (kind === 1) newBody = concat([body, c.bytes(c.range(1, 16))]);
      else if (kind === 2) newBody = c.bytes(c.range(0, 32));
      else
        newBody = new TextEncoder().encode(c.pick(['\u202e<script>alert(1)</script>', '../../etc/passwd', '', '\0']));
      return {
        bytes: concat([msg.subarray(0, f.start), lengthField(f.no, newBody), msg.subarray(f.end)]),
        what: `body of field ${f.no} replaced (${body.length} -> ${newBody.length} bytes)`,
      };
    },
  ],
  [
    1,
    'insert-field',
    (msg, fields, c) => {
      const no = c.range(1, 25);
      const wt = c.pick([0, 1, 2, 5]);
      let value: number[] | Uint8Array;
      if (wt === 0) value = varint(interestingVarint(c));
      else if (wt === 1) value = Array.from(c.bytes(8));
      else if (wt === 5) value = Array.from(c.bytes(4));
      else value = concat([varint(c.int(8)), c.bytes(c.int(8))]);
      const at = fields.length ? c.pick(fields).start : 0;
      return {
        bytes: concat([msg.subarray(0, at), varint((no << 3) | wt), value, msg.subarray(at)]),
        what: `insert field ${no} (wire type ${wt})`,
      };
    },
  ],
];

/**
 * One structure-aware mutation somewhere in the message tree: descends through sub-messages at random, mutates one
 * level, and rewrites the length prefixes on the way back up (so the damage stays where it was made), except that a
 * `length-prefix` mutation is the damage itself.
 */
export function mutateWire(bytes: Uint8Array, c: Chooser): { bytes: Uint8Array; what: string } | undefined {
  const go = (msg: Uint8Array, depth: number, path: number[]): { bytes: Uint8Array; what: string } | undefined => {
    const fields = parseFields(msg);
    if (!fields) return undefined;
    if (fields.length > 0 && depth < 40 && c.chance(depth === 0 ? 0.9 : 0.65)) {
      // Prefer descending into sub-messages.
      const subs = fields.filter((f) => f.wireType === 2 && f.end - f.valueStart >= 2);
      for (let tries = 0; tries < 4 && subs.length; tries++) {
        const f = c.pick(subs);
        const body = subMessage(msg, f);
        if (!body) continue;
        const inner = go(body, depth + 1, [...path, f.no]);
        if (!inner) return undefined;
        return {
          bytes: concat([msg.subarray(0, f.start), lengthField(f.no, inner.bytes), msg.subarray(f.end)]),
          what: inner.what,
        };
      }
    }
    if (!fields.length) return undefined;
    for (let tries = 0; tries < 4; tries++) {
      const [, name, m] = c.weighted(fieldMutations.map((e) => [e[0], e] as const));
      const r = m(msg, fields, c);
      if (r) return { bytes: r.bytes, what: `wire ${name} at /${path.join('/')}: ${r.what}` };
    }
    return undefined;
  };
  return go(bytes, 0, []);
}

/** Plain byte-level damage: bit flips, inserted, deleted and duplicated ranges, truncation, splices. */
export function mutateBytes(
  bytes: Uint8Array,
  c: Chooser,
  donor?: Uint8Array,
): { bytes: Uint8Array; what: string } | undefined {
  if (bytes.length === 0) return { bytes: c.bytes(c.range(1, 64)), what: 'random bytes' };
  const at = c.int(bytes.length);
  switch (c.int(8)) {
    case 0: {
      const out = Uint8Array.from(bytes);
      const n = c.small(8);
      for (let i = 0; i < n; i++) out[c.int(out.length)] ^= 1 << c.int(8);
      return { bytes: out, what: `flip ${n} bit(s)` };
    }
    case 1: {
      const out = Uint8Array.from(bytes);
      out[at] = c.pick([0x00, 0xff, 0x7f, 0x80, 0x01, 0x0a, 0x12, 0x1a, 0x3a, 0x42]);
      return { bytes: out, what: `set byte ${at} = ${out[at]}` };
    }
    case 2: {
      const n = c.range(1, 32);
      return {
        bytes: concat([bytes.subarray(0, at), c.bytes(n), bytes.subarray(at)]),
        what: `insert ${n} bytes at ${at}`,
      };
    }
    case 3: {
      const n = Math.min(bytes.length - at, c.chance(0.7) ? c.range(1, 16) : c.range(1, 4096));
      return { bytes: concat([bytes.subarray(0, at), bytes.subarray(at + n)]), what: `delete ${n} bytes at ${at}` };
    }
    case 4: {
      const n = Math.min(bytes.length - at, c.range(1, 256));
      const copy = bytes.subarray(at, at + n);
      return {
        bytes: concat([bytes.subarray(0, at + n), copy, bytes.subarray(at + n)]),
        what: `duplicate ${n} bytes at ${at}`,
      };
    }
    case 5:
      return { bytes: Uint8Array.from(bytes.subarray(0, at)), what: `truncate at ${at}` };
    case 6: {
      if (!donor || donor.length === 0) return undefined;
      const from = c.int(donor.length);
      const n = Math.min(donor.length - from, c.range(1, 512));
      return {
        bytes: concat([bytes.subarray(0, at), donor.subarray(from, from + n), bytes.subarray(at)]),
        what: `splice ${n} bytes of another model at ${at}`,
      };
    }
    default: {
      const out = Uint8Array.from(bytes);
      const n = Math.min(out.length - at, c.range(1, 8));
      out.set(c.bytes(n), at);
      return { bytes: out, what: `overwrite ${n} bytes at ${at}` };
    }
  }
}

/**
 * The model's graph (ModelProto field 7) wrapped in `depth` If (or Loop) nodes, each holding the next level in a
 * graph attribute: ModelProto.graph → GraphProto.node → NodeProto.attribute → AttributeProto.g → GraphProto … Written
 * at the wire level because the protobuf writer refuses to encode more than ~33 levels; built from the inside out with
 * one copy, so 5,000 levels cost no more than their bytes.
 */
export function nestGraphWire(bytes: Uint8Array, depth: number, op: 'If' | 'Loop'): Uint8Array | undefined {
  const fields = parseFields(bytes);
  const graphField = fields?.find((f) => f.no === 7 && f.wireType === 2);
  if (!fields || !graphField) return undefined;
  const enc = new TextEncoder();
  const str = (no: number, s: string) => lengthField(no, enc.encode(s));
  const attrName = str(1, op === 'If' ? 'then_branch' : 'body');
  const attrType = [0xa0, 0x01, 5]; // AttributeProto.type (field 20) = GRAPH
  const nodeFields = concat([str(1, 'nest_cond'), str(2, 'nest_out'), str(4, op)]);
  const prefixes: Uint8Array[] = [];
  let size = graphField.end - graphField.valueStart;
  for (let i = 0; i < depth; i++) {
    // Inner to outer: AttributeProto { name, type, g: <inner> }, NodeProto { …, attribute }, GraphProto { node }.
    const attrHead = concat([attrName, attrType, varint((6 << 3) | 2), varint(size)]);
    const attrLen = attrHead.length + size;
    const nodeHead = concat([nodeFields, varint((5 << 3) | 2), varint(attrLen), attrHead]);
    const nodeLen = nodeHead.length + size;
    const graphHead = concat([varint((1 << 3) | 2), varint(nodeLen), nodeHead]);
    prefixes.push(graphHead);
    size += graphHead.length;
  }
  prefixes.reverse();
  return concat([
    bytes.subarray(0, graphField.start),
    varint((7 << 3) | 2),
    varint(size),
    ...prefixes,
    bytes.subarray(graphField.valueStart, graphField.end),
    bytes.subarray(graphField.end),
  ]);
}
