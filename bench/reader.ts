/**
 * Benchmarks of the ONNX reader, each against a reference measured in the same run on the same file:
 * ONNX's Python package (`onnx.load` + `onnx.checker.check_model`, protobuf's C++ parser).
 * Targets: peak memory of reading ≤ 1.3× the file size.
 * Run: npm run bench (all benchmarks) or npm run bench -- reader
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, encodeModel, type Model, type Node, type Tensor } from '../src/core/onnx/index.js';
import { median } from './proc.js';

function weight(name: string, dims: number[], seed: number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = s / 2 ** 32 - 0.5;
  }
  return { name, dataType: DataType.FLOAT, dims, data: { kind: 'raw', bytes: new Uint8Array(values.buffer) } };
}

/** A chain of MatMul+Add+Relu blocks: `blocks` blocks of `width`×`width` float32 weights. */
function mlp(blocks: number, width: number): Model {
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  let x = 'x';
  for (let i = 0; i < blocks; i++) {
    initializers.push(weight(`w${i}`, [width, width], i + 1), weight(`b${i}`, [width], i + 1000));
    const mk = (opType: string, inputs: string[], out: string): Node => ({
      name: `/block.${i}/${opType}`,
      opType,
      domain: '',
      inputs,
      outputs: [out],
      attributes: [],
    });
    nodes.push(
      mk('MatMul', [x, `w${i}`], `mm${i}`),
      mk('Add', [`mm${i}`, `b${i}`], `add${i}`),
      mk('Relu', [`add${i}`], `y${i}`),
    );
    x = `y${i}`;
  }
  const io = (name: string) => ({
    name,
    type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [1, width] },
  });
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: 'edge-model-profiler-bench',
    producerVersion: '',
    domain: '',
    modelVersion: 0n,
    docString: '',
    graph: {
      name: 'mlp',
      nodes,
      inputs: [io('x')],
      outputs: [io(x)],
      valueInfo: [],
      initializers,
      sparseInitializers: [],
      quantizationAnnotation: [],
    },
    metadataProps: [],
    functions: [],
    trainingInfo: [],
  };
}

/** Runs the reader benchmark, writing its models into `dir`. */
export function runReaderBench(dir: string): void {
  const cases: [string, Model][] = [
    ['weights 100 MB (25 blocks of 1024x1024 float32)', mlp(25, 1024)],
    ['graph 30k nodes (10k blocks of 8x8)', mlp(10_000, 8)],
  ];
  console.log('\n== reader: decode + validate vs onnx.load + check_model ==');
  const file = join(dir, 'reader-model.onnx');
  try {
    for (const [label, model] of cases) {
      writeFileSync(file, encodeModel(model));
      const ours = [0, 1, 2].map(() =>
        JSON.parse(
          execFileSync(
            process.execPath,
            ['--import', 'tsx', '--expose-gc', join(import.meta.dirname, 'readOnce.ts'), file],
            {
              encoding: 'utf8',
            },
          ),
        ),
      );
      const ref = [0, 1, 2].map(() =>
        JSON.parse(
          execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'pyLoad.py'), file], { encoding: 'utf8' }),
        ),
      );
      const fileBytes = ours[0].fileBytes as number;
      const ourMs = median(ours.map((r) => r.readMs + r.decodeMs + r.validateMs));
      const refMs = median(ref.map((r) => r.loadMs + r.checkMs));
      const ourPeak = median(ours.map((r) => r.peakDeltaBytes));
      const refPeak = median(ref.map((r) => r.peakDeltaBytes));
      console.log(`\n${label}: ${(fileBytes / 2 ** 20).toFixed(1)} MiB file`);
      console.log(
        `  read+decode+validate: ${ourMs.toFixed(0)} ms (decode ${median(ours.map((r) => r.decodeMs)).toFixed(0)} ms, validate ${median(ours.map((r) => r.validateMs)).toFixed(0)} ms)`,
      );
      console.log(
        `  reference onnx.load+check_model: ${refMs.toFixed(0)} ms   ratio ours/ref: ${(ourMs / refMs).toFixed(2)}`,
      );
      console.log(
        `  peak memory growth: ${(ourPeak / 2 ** 20).toFixed(1)} MiB = ${(ourPeak / fileBytes).toFixed(2)}x file (target <= 1.30x)` +
          `   reference: ${(refPeak / 2 ** 20).toFixed(1)} MiB = ${(refPeak / fileBytes).toFixed(2)}x`,
      );
    }
  } finally {
    rmSync(file, { force: true });
  }
}
