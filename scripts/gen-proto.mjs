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
function $lengthPrefix(reader) {
    var at = reader.pos;
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
function $string(reader) {
    var n = $lengthPrefix(reader), start = reader.pos;
    reader.pos += n;
    return n < 48 ? $util.utf8.read(reader.buf, start, start + n) : $textDecoder.decode(reader.buf.subarray(start, start + n));
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
