// Child process of bench/run.ts: reads one model and reports time and peak memory as one JSON line.
import { readFileSync } from 'node:fs';
import { decodeModel, validateModel } from '../src/core/onnx/index.js';

function status(field: string): number {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

const file = process.argv[2];
globalThis.gc?.();
const rssBefore = status('VmRSS');
const t0 = performance.now();
const bytes = readFileSync(file);
const t1 = performance.now();
const model = decodeModel(bytes, { fileName: file });
const t2 = performance.now();
const problems = validateModel(model);
const t3 = performance.now();
const peak = status('VmHWM');
process.stdout.write(
  `${JSON.stringify({
    fileBytes: bytes.length,
    readMs: t1 - t0,
    decodeMs: t2 - t1,
    validateMs: t3 - t2,
    nodes: model.graph.nodes.length,
    problems: problems.length,
    peakDeltaBytes: peak - rssBefore,
  })}\n`,
);
