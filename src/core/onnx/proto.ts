/**
 * The generated ONNX protobuf code, configured once: int64 fields decode to numbers within ±2^53 and to Long beyond
 * (exact either way; uint64 fields always to Long). Long is set explicitly because protobufjs looks it up with a
 * dynamic require that a bundle cannot see.
 */
import Long from 'long';
import protobuf from 'protobufjs/minimal.js';
import { onnx } from './generated/onnx.js';

protobuf.util.Long = Long;
protobuf.configure();

// String fields (names, doc strings, metadata) decode like every other UTF-8 reader (TextDecoder, WHATWG): invalid
// bytes become U+FFFD. protobufjs's own decoder turns them into lone surrogates and shifted characters instead.
const utf8Decoder = new TextDecoder();
protobuf.util.utf8.read = (buffer: Uint8Array, start: number, end: number) =>
  utf8Decoder.decode(buffer.subarray(start, end));

export { Long, onnx };

/**
 * Converters that the generated decoders apply to each message as soon as it is complete, by full type name
 * (`onnx.NodeProto`); decode() returns what they return. See addFinishers in scripts/gen-proto.mjs.
 */
export type Finishers = Readonly<Record<string, (message: never) => unknown>>;

/** A reader over `bytes` whose decoders hand every message of a type in `finish` to its finisher. */
export function finishingReader(bytes: Uint8Array, finish: Finishers): protobuf.Reader {
  const reader = protobuf.Reader.create(bytes) as protobuf.Reader & { finish?: Finishers };
  reader.finish = finish;
  return reader;
}

/** A Long (or a number, as int64 values within ±2^53 decode) as an exact bigint. */
export function toBigInt(v: Long | number | null | undefined, unsigned = false): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? big : BigInt.asIntN(64, big);
}

/** A Long as a JS number; values beyond ±2^53 lose precision (use for sizes, versions, offsets). */
export function toNumber(v: Long | number | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function fromBigInt(v: bigint, unsigned = false): Long {
  const lo = Number(BigInt.asUintN(32, v));
  const hi = Number(BigInt.asUintN(32, v >> 32n));
  return Long.fromBits(lo | 0, hi | 0, unsigned);
}

export function fromNumber(v: number): Long {
  return Long.fromNumber(v);
}
