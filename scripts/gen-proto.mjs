// Regenerates src/core/onnx/generated/ from src/core/onnx/schema/onnx.proto with protobufjs-cli.
// The output is committed so that a build needs no code generator; run this after editing the schema.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = join(root, 'src/core/onnx/schema/onnx.proto');
const outDir = join(root, 'src/core/onnx/generated');
mkdirSync(outDir, { recursive: true });
const bin = (name) => join(root, 'node_modules/protobufjs-cli/bin', name);

// Static code decodes faster than reflection; int64 fields always decode to Long so that values beyond 2^53
// (INT64_MAX in Slice ends, for example) survive a round trip.
execFileSync(
  process.execPath,
  [
    bin('pbjs'),
    '--target',
    'static-module',
    '--wrap',
    'commonjs',
    '--force-long',
    '--no-verify',
    '--no-delimited',
    '--no-convert',
    '--no-service',
    '--out',
    join(outDir, 'onnx.js'),
    schema,
  ],
  { stdio: 'inherit' },
);
hardenLengthPrefixes(join(outDir, 'onnx.js'));
leanMessages(join(outDir, 'onnx.js'));
addFinishers(join(outDir, 'onnx.js'));
execFileSync(
  process.execPath,
  [bin('pbts'), '--no-comments', '--out', join(outDir, 'onnx.d.ts'), join(outDir, 'onnx.js')],
  {
    stdio: 'inherit',
  },
);
console.log(`generated ${outDir}`);

/**
 * protobufjs reads a length prefix with uint32(), which silently keeps the low 32 bits of a longer varint, so a
 * corrupt length of 2^40 would read as 0 and the rest of the message would be misparsed instead of refused.
 * Route every length prefix (sub-messages, packed arrays, bytes, strings) through one checked reader.
 */
function hardenLengthPrefixes(file) {
  let src = readFileSync(file, 'utf8');
  const header = `
// Added by scripts/gen-proto.mjs: every length prefix is read in full and checked against the bytes left.
// Lengths below 2^28 (up to four bytes) are read here without allocating; longer ones through uint64().
function $lengthPrefix(reader) {
    var at = reader.pos, buf = reader.buf, n = 0, b;
    for (var i = 0; i < 4 && at + i < reader.len; i++) {
        b = buf[at + i];
        n |= (b & 127) << (7 * i);
        if (b < 128) {
            reader.pos = at + i + 1;
            if (n > reader.len - reader.pos)
                throw RangeError("length " + n + " at byte " + at + " runs past the end of the data (" + (reader.len - reader.pos) + " bytes left)");
            return n;
        }
    }
    var v = reader.uint64();
    var n = typeof v === "number" ? v : (v.high >>> 0) * 4294967296 + (v.low >>> 0);
    if (n > reader.len - reader.pos)
        throw RangeError("length " + n + " at byte " + at + " runs past the end of the data (" + (reader.len - reader.pos) + " bytes left)");
    return n;
}
function $bytes(reader) {
    var n = $lengthPrefix(reader), start = reader.pos;
    reader.pos += n;
    return reader.buf.subarray(start, start + n);
}
var $textDecoder = new TextDecoder();
// Short strings (names, op types) are mostly ASCII: their bytes are the char codes, gathered in a reused array per
// length and turned into a string in one call.
var $charCodes = [];
function $string(reader) {
    var n = $lengthPrefix(reader), start = reader.pos, buf = reader.buf;
    reader.pos += n;
    if (n >= 48)
        return $textDecoder.decode(buf.subarray(start, start + n));
    var codes = $charCodes[n] || ($charCodes[n] = new Array(n).fill(0));
    for (var i = 0; i < n; i++) {
        var c = buf[start + i];
        if (c > 127)
            return $util.utf8.read(buf, start, start + n);
        codes[i] = c;
    }
    return String.fromCharCode.apply(String, codes);
}
`;
  const count = (needle) => src.split(needle).length - 1;
  const before =
    count('reader.uint32() + reader.pos') +
    count('decode(reader, reader.uint32()') +
    count('reader.bytes()') +
    count('reader.string()');
  src = src
    .replaceAll('reader.uint32() + reader.pos', '$lengthPrefix(reader) + reader.pos')
    .replaceAll('decode(reader, reader.uint32()', 'decode(reader, $lengthPrefix(reader)')
    .replaceAll('reader.bytes()', '$bytes(reader)')
    .replaceAll('reader.string()', '$string(reader)')
    .replace('var $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;', (m) => m + header);
  if (
    before === 0 ||
    count('$lengthPrefix(reader)') + count('$bytes(reader)') + count('$string(reader)') < before + 2
  ) {
    throw new Error('gen-proto: the generated decoder no longer has the expected shape; update hardenLengthPrefixes');
  }
  writeFileSync(file, src);
}

/**
 * Two changes that keep decoding from allocating what nobody reads:
 * - message constructors no longer give every repeated field its own empty array (the prototype's shared empty array
 *   stands for it, and decode() makes a real one at the first element), so a TensorProto is one object, not ten;
 * - an int64 field decodes to a number when its value is within ±2^53 (exact), and to a Long only beyond, instead of
 *   always to a Long (two objects per dimension or attribute value).
 */
function leanMessages(file) {
  let src = readFileSync(file, 'utf8');
  const header = `
// Added by scripts/gen-proto.mjs: int64 values read as numbers when they are exact as numbers (|v| < 2^53), else as
// Long. Values below 2^28 (up to four bytes) are read here without allocating.
function $int64(reader) {
    var at = reader.pos, buf = reader.buf, n = 0, b;
    for (var i = 0; i < 4 && at + i < reader.len; i++) {
        b = buf[at + i];
        n |= (b & 127) << (7 * i);
        if (b < 128) {
            reader.pos = at + i + 1;
            return n;
        }
    }
    var v = reader.int64();
    if (typeof v === "number")
        return v;
    var high = v.high;
    return high >= -2097152 && high < 2097152 ? high * 4294967296 + (v.low >>> 0) : v;
}
`;
  const arrayInits = /^ {12}this\.\w+ = \[\];\n/gm;
  const inits = src.match(arrayInits)?.length ?? 0;
  const reads = src.split('reader.int64()').length - 1;
  if (inits === 0 || reads === 0 || !src.includes('function $lengthPrefix(reader) {')) {
    throw new Error('gen-proto: the generated code no longer has the expected shape; update leanMessages');
  }
  // The documented types (from which pbts writes onnx.d.ts) follow: Long becomes number|Long (uint64 fields too,
  // which stay Long: a wider type, still true).
  src = src.replace(
    /^( +\*.*\{)([^{}]*\bLong\b[^{}]*)\}/gm,
    (_m, head, type) =>
      `${head}${type.replace('Array.<Long>', 'Array.<(number|Long)>').replace(/^Long\b/, 'number|Long')}}`,
  );
  src = src
    .replace(arrayInits, '')
    .replaceAll('reader.int64()', '$int64(reader)')
    .replace('function $lengthPrefix(reader) {', (m) => `${header.trimStart()}${m}`);
  writeFileSync(file, src);
}

/**
 * Every decode() ends by handing its message to a finisher when the reader carries one for the message's type
 * (`reader.finish["onnx.NodeProto"]`), and returns what the finisher returns. A caller that builds its own
 * representation (src/core/onnx/reader.ts builds the IR) converts each message as soon as it is complete, so the
 * whole tree of protobuf messages never exists at once. Without finishers decode() returns messages as usual.
 */
function addFinishers(file) {
  const src = readFileSync(file, 'utf8');
  let count = 0;
  const out = src.replace(
    /(\.decode = function decode\(reader, length, error, long\) \{[\s\S]*?message = new \$root\.([\w.]+)\(\);[\s\S]*?)return message;/g,
    (_m, body, type) => {
      count++;
      return (
        `${body}var finish = reader.finish && reader.finish[${JSON.stringify(type)}];\n` +
        `            return finish === undefined ? message : finish(message);`
      );
    },
  );
  const decoders = src.split('.decode = function decode(reader, length, error, long) {').length - 1;
  if (count === 0 || count !== decoders) {
    throw new Error('gen-proto: the generated decoders no longer have the expected shape; update addFinishers');
  }
  writeFileSync(file, out);
}
