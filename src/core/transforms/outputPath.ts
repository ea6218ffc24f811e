/**
 * Where and how a transformed model is written: next to the original, named after the transform
 * (`model.onnx` → `model.int8.onnx`, `model.fp16.onnx`, `model.pruned.onnx`), never over an existing file unless
 * asked (`overwrite: true`; the CLI's --force), never over the original or a data file it references, and
 * atomically (temporary file + rename, src/node/files.ts). The original's external data is never written to: a
 * model that fits in one file is written self-contained (external tensors inlined), a larger one gets a data file
 * of its own (`model.int8.onnx.data`) holding every large tensor, copied from the original where unchanged.
 *
 * The naming is pure; writing uses node:fs.
 */

import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeModelFiles } from '../../node/files.js';
import type { ExternalDataSource } from '../onnx/externalData.js';
import { type DataFilePlan, externalTensors, inlineExternalData, relocateToDataFile } from '../onnx/externalData.js';
import type { Model } from '../onnx/ir.js';
import { tensorStoredBytes } from '../onnx/tensor.js';

/** Suffixes the transforms use. */
export type OutputKind = 'int8' | 'fp16' | 'pruned' | 'preprocessed' | (string & {});

/**
 * The default output path of a transform: `dir/model.onnx` → `dir/model.<kind>.onnx` (a name without `.onnx`
 * gets `.<kind>.onnx` appended). Pure string work on '/' and '\\' separators.
 */
export function transformedPath(modelPath: string, kind: OutputKind): string {
  const cut = Math.max(modelPath.lastIndexOf('/'), modelPath.lastIndexOf('\\')) + 1;
  const dir = modelPath.slice(0, cut);
  const name = modelPath.slice(cut);
  const stem = /\.onnx$/i.test(name) ? name.slice(0, -5) : name;
  return `${dir}${stem}.${kind}.onnx`;
}

export class OutputPathError extends Error {
  override name = 'OutputPathError';
  constructor(
    message: string,
    /** 'exists': the output exists and overwrite was not asked; 'protected': it is the original or its data. */
    readonly code: 'exists' | 'protected',
  ) {
    super(message);
  }
}

export interface WriteOutputOptions {
  /** Replace an existing output (default false: refuse). The original model and its data are never replaced. */
  overwrite?: boolean;
  /** Reads the external data the model still references (the original's). */
  source?: ExternalDataSource;
  /** Path of the original model: refused as an output, and its data files with it. */
  originalPath?: string;
  /** The original model, to know its data files. */
  originalModel?: Model;
  /** Above this many tensor bytes, large tensors go to a data file of the output's own (default 1.5 GiB). */
  maxInlineBytes?: number;
}

export interface WrittenModel {
  path: string;
  /** The data file written next to it, if any. */
  dataPath?: string;
  /** Bytes on disk: model file plus data file. */
  sizeBytes: number;
  /** The model as written (external tensors inlined or relocated). */
  model: Model;
}

const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

/** Plans how the model is stored: self-contained when small enough, else with a data file of its own. */
export async function planOutput(
  path: string,
  model: Model,
  options: WriteOutputOptions = {},
): Promise<{ model: Model; dataFile?: DataFilePlan }> {
  const limit = options.maxInlineBytes ?? 1.5 * 2 ** 30;
  const tensorBytes = model.graph.initializers.reduce((s, t) => s + tensorStoredBytes(t), 0);
  if (tensorBytes <= limit) {
    if (!externalTensors(model).length) return { model };
    if (!options.source) throw new Error('the model references external data and no source was given to copy it');
    return { model: await inlineExternalData(model, options.source) };
  }
  const planned = await relocateToDataFile(model, { location: `${basename(path)}.data` }, options.source);
  return { model: planned.model, dataFile: planned.dataFile };
}

/** Writes a transformed model (see the module comment for the rules). */
export async function writeTransformedModel(
  path: string,
  model: Model,
  options: WriteOutputOptions = {},
): Promise<WrittenModel> {
  const abs = resolve(path);
  const protectedPaths = new Set<string>();
  if (options.originalPath) {
    const orig = resolve(options.originalPath);
    protectedPaths.add(orig);
    for (const t of externalTensors(options.originalModel ?? model)) {
      if (t.data.kind === 'external') protectedPaths.add(resolve(dirname(orig), t.data.location));
    }
  }
  const planned = await planOutput(abs, model, options);
  const dataPath = planned.dataFile ? join(dirname(abs), planned.dataFile.location) : undefined;
  for (const p of [abs, dataPath]) {
    if (p === undefined) continue;
    if (protectedPaths.has(p)) {
      throw new OutputPathError(
        `${p} is the original model or one of its data files; refusing to write it`,
        'protected',
      );
    }
    if (!options.overwrite && (await exists(p))) {
      throw new OutputPathError(`${p} already exists; not overwriting it (use --force to replace it)`, 'exists');
    }
  }
  await writeModelFiles(abs, planned.model, planned.dataFile, { overwrite: options.overwrite });
  const sizeBytes = (await fs.stat(abs)).size + (dataPath ? (await fs.stat(dataPath)).size : 0);
  return { path: abs, ...(dataPath ? { dataPath } : {}), sizeBytes, model: planned.model };
}
