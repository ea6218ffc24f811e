/**
 * node:fs implementations of the engine's I/O interfaces, used by the CLI and the tests (the extension has its
 * own, over workspace.fs). Reading a model reads the file once; tensors keep views on that buffer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { DataFilePlan, ExternalDataSource, Model, Problem } from '../core/onnx/index.js';
import {
  checkExternalData,
  checkExternalLocation,
  decodeModel,
  encodeModel,
  validateModel,
} from '../core/onnx/index.js';

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

export async function loadModelFile(
  path: string,
  phaseDone?: (phase: 'read' | 'decoded' | 'validated') => void,
): Promise<LoadedModel> {
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
  const bytes = await readWhole(abs, stat.size, path);
  phaseDone?.('read');
  const model = decodeModel(bytes, { fileName: path });
  phaseDone?.('decoded');
  const externalData = new FolderDataSource(dirname(abs));
  const problems = validateModel(model);
  // External data is checked against the files' sizes only: nothing is read, however large the files are.
  const reported = new Set(problems.filter((p) => p.code.startsWith('external')).map((p) => p.message));
  for (const p of await checkExternalData(model, externalData)) {
    if (p.code === 'external-location' || reported.has(p.message)) continue;
    problems.push({ severity: 'error', code: p.code, message: p.message, where: '' });
  }
  phaseDone?.('validated');
  return { path: abs, fileBytes: stat.size, model, problems, externalData };
}

/**
 * The whole file in one buffer, read with as few positional reads as possible (up to 1 GiB each): `fs.readFile`
 * reads in 512 KiB pieces, one thread-pool round trip each, which leaves a 100 MB model's read mostly waiting.
 * The size comes from the caller's stat; a file that changes size meanwhile is an error, not a short read.
 */
async function readWhole(abs: string, size: number, shown: string): Promise<Uint8Array> {
  let file: Awaited<ReturnType<typeof fs.open>>;
  try {
    file = await fs.open(abs, constants.O_RDONLY);
  } catch (err) {
    throw new FileError(`${shown}: ${describeFsError(err)}`);
  }
  try {
    const out = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await file.read(out, done, Math.min(size - done, 1 << 30), done);
      if (bytesRead === 0) throw new FileError(`${shown}: the file became shorter while it was read`);
      done += bytesRead;
    }
    const extra = await file.read(Buffer.alloc(1), 0, 1, size);
    if (extra.bytesRead !== 0) throw new FileError(`${shown}: the file grew while it was read`);
    return out;
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError(`${shown}: ${describeFsError(err)}`);
  } finally {
    await file.close();
  }
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
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EROFS') return 'read-only file system';
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

// ---------------------------------------------------------------------------------------------------------------
// Writing: temporary file in the destination's folder, flushed, then renamed (or hard-linked) into place.

/** An open file the writers write to. */
export interface WriterHandle {
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls the writers make. The default is node:fs; tests pass one that fails on purpose (a disk
 * that fills up after N bytes, a rename that throws or never returns) to check that no partial file is left.
 */
export interface WriterFs {
  open(path: string, flags: 'wx' | 'r'): Promise<WriterHandle>;
  rename(from: string, to: string): Promise<void>;
  /** Fails with EEXIST when `to` exists: how a new file is put in place without a window to replace another. */
  link(from: string, to: string): Promise<void>;
  rm(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  readdir(path: string): Promise<string[]>;
}

export const nodeWriterFs: WriterFs = {
  open: (path, flags) => fs.open(path, flags),
  rename: (from, to) => fs.rename(from, to),
  link: (from, to) => fs.link(from, to),
  rm: (path) => fs.rm(path, { force: true }),
  exists: (path) =>
    fs.lstat(path).then(
      () => true,
      () => false,
    ),
  readdir: (path) => fs.readdir(path),
};

export interface WriteOptions {
  /**
   * Replace an existing file. Default false: an existing destination is refused with a FileError (`code`
   * 'exists'), before anything is written. Asking the user is the caller's job.
   */
  overwrite?: boolean;
  /** File-system calls (default node:fs); for failure-injection tests. */
  fs?: WriterFs;
}

/** Why a write was refused or failed; `code` 'exists' is the refusal to replace a file without `overwrite`. */
export class WriteError extends FileError {
  override name = 'WriteError';
  constructor(
    message: string,
    readonly code: 'exists' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A short tag of this machine, so that a later run only cleans temporary files this machine's processes left. */
const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 6);

/**
 * Temporary files are named `.<name>.<host>-<pid>-<random>.tmp` next to the destination `<name>`: hidden, clearly
 * temporary, and carrying the writer's process id. A writer killed before its rename (SIGKILL, power loss) leaves
 * one behind; the next write to the same destination removes those whose process is gone (see removeStaleTempFiles).
 */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.${hostTag}-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files of `dest` left by writers on this machine whose process no longer runs. Returns the
 * names removed. Files of live processes, of other machines (a shared folder) and anything not named like our
 * temporary files are left alone.
 */
export async function removeStaleTempFiles(dest: string, fsi: WriterFs = nodeWriterFs): Promise<string[]> {
  const abs = resolve(dest);
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(abs))}\\.${hostTag}-(\\d+)-[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await fsi.readdir(dirname(abs));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      await fsi.rm(join(dirname(abs), name));
      removed.push(name);
    } catch {
      // Another run removed it, or it is not ours to remove: either way not this write's concern.
    }
  }
  return removed;
}

/** Writes every chunk to a new temporary file next to `dest`, flushed to disk; removes it again on any failure. */
async function stage(
  dest: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  fsi: WriterFs,
): Promise<string> {
  const tmp = tempPathFor(dest);
  let file: WriterHandle;
  try {
    file = await fsi.open(tmp, 'wx');
  } catch (err) {
    throw new WriteError(`${dest}: cannot create a file in its folder: ${describeFsError(err)}`, 'failed', {
      cause: err,
    });
  }
  let written = 0;
  try {
    for await (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await file.write(chunk, done, chunk.length - done);
        if (bytesWritten <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'ENOSPC' });
        done += bytesWritten;
        written += bytesWritten;
      }
    }
    await file.sync();
    await file.close();
  } catch (err) {
    await file.close().catch(() => undefined);
    await fsi.rm(tmp).catch(() => undefined);
    const why = err instanceof FileError ? err.message : describeFsError(err);
    throw new WriteError(`${dest}: writing failed after ${written} bytes (${why}); nothing was written`, 'failed', {
      cause: err,
    });
  }
  return tmp;
}

const linkUnsupported = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK', 'EACCES']);

/**
 * Puts a staged file in place. Without `overwrite` a hard link is made, which fails if the destination appeared in
 * the meantime (no window in which another file is replaced); file systems without hard links fall back to a check
 * and a rename. With `overwrite`, rename replaces the destination in one step.
 */
async function commit(tmp: string, dest: string, overwrite: boolean, fsi: WriterFs): Promise<void> {
  if (overwrite) {
    await fsi.rename(tmp, dest);
    return;
  }
  try {
    await fsi.link(tmp, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') throw existsError(dest);
    if (!linkUnsupported.has(code)) throw err;
    if (await fsi.exists(dest)) throw existsError(dest);
    await fsi.rename(tmp, dest);
    return;
  }
  await fsi.rm(tmp);
}

const existsError = (path: string) =>
  new WriteError(`${path} already exists; not replacing it unless asked to (overwrite, --force in the CLI)`, 'exists');

/** Best effort: flush the folder entry so that a rename survives a power loss (not possible on every platform). */
async function syncFolder(folder: string, fsi: WriterFs): Promise<void> {
  try {
    const dir = await fsi.open(folder, 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // Windows cannot open a folder for flushing; the rename itself is still atomic.
  }
}

/**
 * Writes `chunks` to `path` through a temporary file in the same folder and a rename, so that a failure (an error,
 * a full disk, the process being killed) leaves either the old file or the new one, never a partial file. An
 * existing `path` is refused unless `overwrite` is set. A failed write removes its temporary file; one left by a
 * killed process is removed by the next write to the same path.
 */
export async function writeFileAtomic(
  path: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: WriteOptions = {},
): Promise<void> {
  const fsi = options.fs ?? nodeWriterFs;
  const abs = resolve(path);
  const overwrite = options.overwrite === true;
  if (!overwrite && (await fsi.exists(abs))) throw existsError(path);
  await removeStaleTempFiles(abs, fsi);
  const tmp = await stage(abs, chunks, fsi);
  try {
    await commit(tmp, abs, overwrite, fsi);
  } catch (err) {
    await fsi.rm(tmp).catch(() => undefined);
    if (err instanceof WriteError) throw err;
    throw new WriteError(`${path}: could not put the new file in place (${describeFsError(err)})`, 'failed', {
      cause: err,
    });
  }
  await syncFolder(dirname(abs), fsi);
}

/**
 * Writes a model and, when given, the data file of its own that relocateToDataFile planned, next to it, as one
 * unit: both files are written to temporary files first; only when both are complete are they put in place, the
 * data file first so that a model on disk never points at a missing file. If putting the model in place fails,
 * the data file is taken back (removed, or the previous one restored when `overwrite` replaced it). Existing
 * destinations are refused, both checked before any byte is written, unless `overwrite` is set.
 *
 * The data file named by the plan must be a new file of the output's: callers never pass the original model's
 * data file (transforms/outputPath.ts refuses it), so the original's external data is only ever read.
 */
export async function writeModelFiles(
  path: string,
  model: Model,
  dataFile?: DataFilePlan,
  options: WriteOptions = {},
): Promise<void> {
  const fsi = options.fs ?? nodeWriterFs;
  const overwrite = options.overwrite === true;
  const abs = resolve(path);
  const dataPath = dataFile ? join(dirname(abs), checkExternalLocation(dataFile.location)) : undefined;
  if (dataPath === abs) throw new WriteError(`${path}: the data file cannot be the model file itself`, 'failed');
  if (!overwrite) {
    for (const p of [dataPath, abs]) if (p !== undefined && (await fsi.exists(p))) throw existsError(p);
  }
  await removeStaleTempFiles(abs, fsi);
  if (dataPath) await removeStaleTempFiles(dataPath, fsi);

  const staged: string[] = [];
  const cleanUp = () => Promise.all(staged.map((t) => fsi.rm(t).catch(() => undefined)));
  let dataTmp: string | undefined;
  let modelTmp: string;
  try {
    if (dataFile && dataPath) {
      dataTmp = await stage(dataPath, dataFileChunks(dataFile), fsi);
      staged.push(dataTmp);
    }
    modelTmp = await stage(abs, encodedModel(model), fsi);
    staged.push(modelTmp);
  } catch (err) {
    await cleanUp();
    throw err;
  }

  // Put the data file in place, keeping a hard link to the one it replaces (if any) to restore it on failure.
  let backup: string | undefined;
  let dataCreated = false;
  try {
    if (dataTmp && dataPath) {
      if (overwrite && (await fsi.exists(dataPath))) {
        const b = tempPathFor(dataPath);
        await fsi.link(dataPath, b).then(
          () => {
            backup = b;
          },
          () => undefined,
        );
      } else dataCreated = true;
      await commit(dataTmp, dataPath, overwrite, fsi);
    }
  } catch (err) {
    await cleanUp();
    if (backup) await fsi.rm(backup).catch(() => undefined);
    if (err instanceof WriteError) throw err;
    throw new WriteError(`${dataPath}: could not put the new data file in place (${describeFsError(err)})`, 'failed', {
      cause: err,
    });
  }
  try {
    await commit(modelTmp, abs, overwrite, fsi);
  } catch (err) {
    await fsi.rm(modelTmp).catch(() => undefined);
    if (dataPath) {
      if (backup) await fsi.rename(backup, dataPath).catch(() => undefined);
      else if (dataCreated) await fsi.rm(dataPath).catch(() => undefined);
    }
    if (err instanceof WriteError) throw err;
    throw new WriteError(`${path}: could not put the new model in place (${describeFsError(err)})`, 'failed', {
      cause: err,
    });
  }
  if (backup) await fsi.rm(backup).catch(() => undefined);
  await syncFolder(dirname(abs), fsi);
}

/** The encoded model as one chunk; an encoding error happens inside the staged write, so it cleans up the same way. */
function* encodedModel(model: Model): Generator<Uint8Array> {
  yield encodeModel(model);
}

async function* dataFileChunks(plan: DataFilePlan): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const part of plan.parts) {
    if (part.offset < at) throw new FileError(`data file parts overlap at offset ${part.offset}`);
    if (part.offset > at) yield new Uint8Array(part.offset - at);
    const bytes = await part.bytes();
    if (bytes.length !== part.length)
      throw new FileError(`data for offset ${part.offset} has ${bytes.length} bytes, expected ${part.length}`);
    yield bytes;
    at = part.offset + part.length;
  }
}
