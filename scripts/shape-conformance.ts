// Development report: shape inference against ONNX's node tests, per case.
// Usage: node --import tsx scripts/shape-conformance.ts [--all] [--op NAME]
// (LIBONNX_TESTDATA_DIR=/path/to/data for another copy of the test data, e.g. ONNX 1.22's)
// --all also lists partial cases (data-dependent dims left unknown) and unsupported ones.
import { runShapeConformance, tallyResults } from '../test/helpers/shapeConformance.js';

const all = process.argv.includes('--all');
const opIdx = process.argv.indexOf('--op');
const op = opIdx > 0 ? process.argv[opIdx + 1] : undefined;
const results = runShapeConformance().filter((r) => !op || r.ops.split('+').includes(op));
for (const r of results) {
  if (r.status === 'disagree' || (all && r.status !== 'agree'))
    console.log(`${r.status}: ${r.id} (${r.ops}) ${r.details ?? ''}`);
}
const t = tallyResults(results);
console.log(
  `cases ${t.cases}: checked ${t.checked}, agree ${t.agree}, disagree ${t.disagree}, partial ${t.partial}, unsupported ${t.unsupported}, no data ${t.noData}`,
);
console.log(`unsupported ops: ${t.unsupportedOps.map(([o, n]) => `${o}(${n})`).join(' ')}`);
