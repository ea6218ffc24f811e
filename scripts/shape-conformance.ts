// Development report: shape inference against ONNX's node tests, per case.
// Usage: node --import tsx scripts/shape-conformance.ts [--all] [--op NAME]
// (LIBONNX_TESTDATA_DIR=/path/to/data for another copy of the test data, e.g. ONNX 1.22's)
import { runShapeConformance } from '../test/helpers/shapeConformance.js';

const all = process.argv.includes('--all');
const opIdx = process.argv.indexOf('--op');
const op = opIdx > 0 ? process.argv[opIdx + 1] : undefined;
const results = runShapeConformance().filter((r) => !op || r.ops.split('+').includes(op));
const tally = { agree: 0, disagree: 0, unsupported: 0, 'no-data': 0 };
const unsupportedOps = new Map<string, number>();
for (const r of results) {
  tally[r.status]++;
  if (r.status === 'disagree' || (all && r.status !== 'agree'))
    console.log(`${r.status}: ${r.id} (${r.ops}) ${r.details ?? ''}`);
  if (r.status === 'unsupported')
    for (const o of (r.details ?? '').split(', ')) unsupportedOps.set(o, (unsupportedOps.get(o) ?? 0) + 1);
}
console.log(
  `cases ${results.length}: checked ${tally.agree + tally.disagree}, agree ${tally.agree}, disagree ${tally.disagree}, unsupported ${tally.unsupported}, no data ${tally['no-data']}`,
);
console.log(
  `unsupported ops: ${[...unsupportedOps.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${o}(${n})`)
    .join(' ')}`,
);
