// Child process of bench/profile.ts: builds one benchmark model (bench/models.ts), writes it, and reports what it
// built as one JSON line. A process of its own, so that its peak memory can be measured and is given back.
import { writeFileSync } from 'node:fs';
import { encodeModel } from '../src/core/onnx/index.js';
import { type BuiltModel, bertBase, deepChain, resnet50 } from './models.js';

const builders: Record<string, () => BuiltModel> = {
  resnet50: () => resnet50(),
  bert: () => bertBase(),
  'bert-full': () => bertBase({ wordEmbeddings: true }),
  chain50k: () => deepChain(50_000),
};

const [kind, file] = process.argv.slice(2);
const build = builders[kind];
if (!build || !file) {
  process.stderr.write(`usage: buildModel.ts ${Object.keys(builders).join('|')} OUT.onnx\n`);
  process.exit(2);
}
const t0 = performance.now();
const built = build();
const t1 = performance.now();
let bytes: Uint8Array | undefined = encodeModel(built.model);
const t2 = performance.now();
writeFileSync(file, bytes);
const fileBytes = bytes.length;
bytes = undefined;
process.stdout.write(
  `${JSON.stringify({
    description: built.description,
    nodes: built.model.graph.nodes.length,
    params: built.params,
    fileBytes,
    buildMs: t1 - t0,
    encodeMs: t2 - t1,
  })}\n`,
);
