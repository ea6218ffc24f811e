/**
 * node:fs implementations of the engine's I/O interfaces, used by the CLI and the tests (the extension has its
 * own, over workspace.fs). Reading a model reads the file once; tensors keep views on that buffer.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { DataFilePlan, ExternalDataSource, Model, Problem } from '../core/onnx/index.js';
import { checkExternalLocation, decodeModel, encodeModel, validateModel } from '../core/onnx/index.js';

/** Protobuf messages, and so `.onnx` files, cannot exceed 2 GiB; larger weights must be external data. */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

export class FileError extends Error {
  override name = 'FileError';
}

export interface LoadedModel {
  path: string;
  fileBytes: number;
  model: Model;
  problems: Problem[];
  externalData: ExternalDataSource;
}

export async function loadModelFile(path: string): Promise<LoadedModel> {
  const abs = resolve(path);
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(abs);
  } catch (err) {
    throw new FileError(`${path}: ${describeFsError(err)}`);
  }
  if (!stat.isFile()) throw new FileError(`${path}: not a regular file`);
  if (stat.size > MAX_MODEL_FILE_BYTES) {
    throw new FileError(
      `${path}: ${stat.size} bytes is more than a protobuf message can hold (2 GiB); not an ONNX model`,
    );
  }
  const bytes = await fs.readFile(abs);
  const model = decodeModel(bytes, { fileName: path });
  return {
    path: abs,
    fileBytes: stat.size,
    model,
    problems: validateModel(model),
    externalData: new FolderDataSource(dirname(abs)),
  };
}

/** A small text file (a profile file, a settings file); errors name the file. */
export async function readTextFile(path: string): Promise<string> {
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new FileError(`${path}: not a regular file`);
    return await fs.readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError(`${path}: ${describeFsError(err)}`);
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}

/**
 * External data files of a model, confined to the model's folder: locations are checked, and a file reached
 * through a symbolic link that leads out of the folder is refused.
 */
export class FolderDataSource implements ExternalDataSource {
  private readonly realRoot: Promise<string>;
  constructor(readonly folder: string) {
    this.realRoot = fs.realpath(folder);
  }

  private async resolveInside(location: string): Promise<string> {
    const rel = checkExternalLocation(location);
    const root = await this.realRoot;
    let real: string;
    try {
      real = await fs.realpath(join(root, rel));
    } catch (err) {
      throw new FileError(`external data file '${rel}' (in ${this.folder}): ${describeFsError(err)}`);
    }
    const r = relative(root, real);
    if (r === '' || r.startsWith('..') || r.startsWith(sep) || resolve(root, r) !== real) {
      throw new FileError(`external data file '${rel}' resolves outside the model's folder; refused`);
    }
    return real;
  }

  async size(location: string): Promise<number> {
    const st = await fs.stat(await this.resolveInside(location));
    if (!st.isFile()) throw new FileError(`external data file '${location}' is not a regular file`);
    return st.size;
  }

  async read(location: string, offset: number, length: number): Promise<Uint8Array> {
    const file = await fs.open(await this.resolveInside(location), constants.O_RDONLY);
    try {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await file.read(out, done, Math.min(length - done, 1 << 30), offset + done);
        if (bytesRead === 0) throw new FileError(`external data file '${location}' ended at byte ${offset + done}`);
        done += bytesRead;
      }
      return out;
    } finally {
      await file.close();
    }
  }
}

/**
 * Writes `chunks` to `path` through a temporary file in the same folder and a rename, so that a failure leaves
 * either the old file or the new one, never a partial file. `overwrite: false` refuses an existing target.
 */
export async function writeFileAtomic(
  path: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const abs = resolve(path);
  if (!options.overwrite) {
    const exists = await fs.stat(abs).then(
      () => true,
      () => false,
    );
    if (exists) throw new FileError(`${path} already exists; not overwriting it`);
  }
  const tmp = join(dirname(abs), `.${basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await fs.open(tmp, 'wx');
  try {
    for await (const chunk of chunks) await file.write(chunk);
    await file.sync();
    await file.close();
    await fs.rename(tmp, abs);
  } catch (err) {
    await file.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes a model and, when given, the data file of its own that relocateToDataFile planned, next to it. The data
 * file is written first so that a model on disk never points at a missing file.
 */
export async function writeModelFiles(
  path: string,
  model: Model,
  dataFile?: DataFilePlan,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  if (dataFile) {
    const dataPath = join(dirname(resolve(path)), dataFile.location);
    await writeFileAtomic(dataPath, dataFileChunks(dataFile), options);
  }
  await writeFileAtomic(path, [encodeModel(model)], options);
}

async function* dataFileChunks(plan: DataFilePlan): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const part of plan.parts) {
    if (part.offset > at) yield new Uint8Array(part.offset - at);
    const bytes = await part.bytes();
    if (bytes.length !== part.length)
      throw new FileError(`data for offset ${part.offset} has ${bytes.length} bytes, expected ${part.length}`);
    yield bytes;
    at = part.offset + part.length;
  }
}
