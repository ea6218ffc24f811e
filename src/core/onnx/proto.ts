/**
 * The generated ONNX protobuf code, configured once: int64 fields decode to Long (exact beyond 2^53). Long is
 * set explicitly because protobufjs looks it up with a dynamic require that a bundle cannot see.
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

/** A Long (or a number, for values protobufjs chose to give as numbers) as an exact bigint. */
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
