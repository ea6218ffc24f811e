/**
 * External tensor data (TensorProto.data_location = EXTERNAL): locations are resolved relative to the model's
 * folder through a small I/O interface, so the engine never touches a file system itself. A location that could
 * leave that folder is refused before any I/O happens.
 */

import type { Graph, Model, Tensor } from './ir.js';
import { walkGraphs } from './ir.js';
import { tensorByteSize } from './tensor.js';

/** Reads byte ranges of files that sit next to a model. Implemented by the CLI (node:fs) and the extension. */
export interface ExternalDataSource {
  /** Size in bytes of the file at `location` (a checked relative path); rejects if it does not exist. */
  size(location: string): Promise<number>;
  /** `length` bytes at `offset` of the file at `location`. */
  read(location: string, offset: number, length: number): Promise<Uint8Array>;
}

export class ExternalDataError extends Error {
  override name = 'ExternalDataError';
}

/**
 * Checks an external-data location and returns it as a relative path with '/' separators.
 * Refused: empty, absolute (POSIX, Windows drive or UNC), any '..' segment, NUL characters.
 */
export function checkExternalLocation(location: string): string {
  if (!location) throw new ExternalDataError('external data location is empty');
  if (location.includes('\0')) throw new ExternalDataError(`external data location contains a NUL character`);
  const slashed = location.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) {
    throw new ExternalDataError(
      `external data location '${location}' is an absolute path; only paths inside the model's folder are allowed`,
    );
  }
  const parts = slashed.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new ExternalDataError(`external data location '${location}' leaves the model's folder ('..'); refused`);
  }
  if (parts.length === 0) throw new ExternalDataError(`external data location '${location}' names no file`);
  return parts.join('/');
}

/** Reads an external tensor's bytes after checking its location and range against the file's real size. */
export async function readExternalBytes(t: Tensor, source: ExternalDataSource): Promise<Uint8Array> {
  const d = t.data;
  if (d.kind !== 'external') throw new ExternalDataError(`tensor '${t.name}' has no external data`);
  const location = checkExternalLocation(d.location);
  if (!Number.isSafeInteger(d.offset) || d.offset < 0) {
    throw new ExternalDataError(`tensor '${t.name}': external data offset '${d.offset}' is not a valid byte offset`);
  }
  let size: number;
  try {
    size = await source.size(location);
  } catch (err) {
    throw new ExternalDataError(
      `tensor '${t.name}': external data file '${location}' cannot be read: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const length = d.length ?? size - d.offset;
  if (!Number.isSafeInteger(length) || length < 0 || d.offset + length > size) {
    throw new ExternalDataError(
      `tensor '${t.name}': external data range offset ${d.offset} + length ${d.length ?? '(to end)'} exceeds '${location}' (${size} bytes)`,
    );
  }
  const expected = tensorByteSize(t);
  if (!Number.isNaN(expected) && expected !== length) {
    throw new ExternalDataError(
      `tensor '${t.name}': external data length ${length} does not match its shape [${t.dims.join(', ')}] (${expected} bytes)`,
    );
  }
  return source.read(location, d.offset, length);
}

/** Every tensor of a model whose data is external, across all graphs, functions and training info. */
export function externalTensors(model: Model): Tensor[] {
  const out: Tensor[] = [];
  const visitGraph = (g: Graph) => {
    for (const { graph } of walkGraphs(g)) {
      for (const t of graph.initializers) if (t.data.kind === 'external') out.push(t);
      for (const s of graph.sparseInitializers) {
        for (const t of [s.values, s.indices]) if (t.data.kind === 'external') out.push(t);
      }
      for (const n of graph.nodes) {
        for (const a of n.attributes) {
          if (a.type === 'tensor' && a.value.data.kind === 'external') out.push(a.value);
          if (a.type === 'tensors') for (const t of a.value) if (t.data.kind === 'external') out.push(t);
        }
      }
    }
  };
  visitGraph(model.graph);
  for (const ti of model.trainingInfo) {
    if (ti.initialization) visitGraph(ti.initialization);
    if (ti.algorithm) visitGraph(ti.algorithm);
  }
  return out;
}

/**
 * Returns a copy of the model in which every external tensor holds its bytes inline (raw_data), for writing a
 * self-contained file. The input model is not changed; tensors that were not external are shared.
 */
export async function inlineExternalData(model: Model, source: ExternalDataSource): Promise<Model> {
  const replaced = new Map<Tensor, Tensor>();
  for (const t of externalTensors(model)) {
    replaced.set(t, { ...t, data: { kind: 'raw', bytes: await readExternalBytes(t, source) } });
  }
  return replaceTensors(model, replaced);
}

/** A problem with a model's external data found without reading it (see checkExternalData). */
export interface ExternalDataProblem {
  code: 'external-location' | 'external-file' | 'external-range' | 'external-overlap';
  tensor: string;
  message: string;
}

/**
 * Checks every external tensor of a model against the files it names, by their sizes only (one `size()` per file;
 * no byte is read, so a 2 GB data file costs nothing): the location is inside the model's folder, the file exists
 * (and, for a folder source, does not lead out through a symbolic link), the range lies within the file and matches
 * the tensor's shape, and no two tensors share bytes. The static view reports these; reading such a tensor later is
 * refused by readExternalBytes with the same words.
 */
export async function checkExternalData(model: Model, source: ExternalDataSource): Promise<ExternalDataProblem[]> {
  const problems: ExternalDataProblem[] = [];
  const sizes = new Map<string, Promise<number | Error>>();
  const ranges = new Map<string, { start: number; end: number; tensor: string }[]>();
  for (const t of externalTensors(model)) {
    const d = t.data;
    if (d.kind !== 'external') continue;
    let location: string;
    try {
      location = checkExternalLocation(d.location);
    } catch (err) {
      problems.push({
        code: 'external-location',
        tensor: t.name,
        message: `tensor '${t.name}': ${String((err as Error).message)}`,
      });
      continue;
    }
    let pending = sizes.get(location);
    if (!pending) {
      pending = source.size(location).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      sizes.set(location, pending);
    }
    const size = await pending;
    if (size instanceof Error) {
      problems.push({
        code: 'external-file',
        tensor: t.name,
        message: `tensor '${t.name}': external data file '${location}' cannot be used: ${size.message}`,
      });
      continue;
    }
    const expected = tensorByteSize(t);
    const length = d.length ?? (Number.isNaN(expected) ? size - d.offset : expected);
    if (!Number.isSafeInteger(d.offset) || d.offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      problems.push({
        code: 'external-range',
        tensor: t.name,
        message: `tensor '${t.name}': external data offset ${d.offset} / length ${d.length ?? '(to end)'} is not a valid byte range`,
      });
      continue;
    }
    if (d.offset + length > size) {
      problems.push({
        code: 'external-range',
        tensor: t.name,
        message: `tensor '${t.name}': external data range offset ${d.offset} + length ${length} exceeds '${location}' (${size} bytes)`,
      });
      continue;
    }
    if (length > 0) {
      const list = ranges.get(location) ?? [];
      list.push({ start: d.offset, end: d.offset + length, tensor: t.name });
      ranges.set(location, list);
    }
  }
  for (const [location, list] of ranges) {
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    let reach = list[0];
    for (const r of list.slice(1)) {
      if (r.start < reach.end && r.tensor !== reach.tensor) {
        problems.push({
          code: 'external-overlap',
          tensor: r.tensor,
          message: `tensor '${r.tensor}': external data bytes ${r.start}–${r.end} of '${location}' overlap those of '${reach.tensor}' (${reach.start}–${reach.end})`,
        });
      }
      if (r.end > reach.end) reach = r;
    }
  }
  return problems;
}

/** One piece of a data file to write: `bytes()` is called when the writer reaches `offset`. */
export interface DataFilePart {
  offset: number;
  length: number;
  bytes: () => Promise<Uint8Array>;
}

export interface DataFilePlan {
  /** The data file's name, relative to the new model's folder. */
  location: string;
  size: number;
  parts: DataFilePart[];
}

/**
 * Moves every initializer of the main graph whose data is at least `minBytes` into a new data file of the
 * model's own (`location`), aligned to `align` bytes, and returns the rewritten model plus the plan of that file.
 * Tensors already external in the source model are copied into the new file: the user's data file is never
 * referenced for writing.
 */
export async function relocateToDataFile(
  model: Model,
  options: { location: string; minBytes?: number; align?: number },
  source?: ExternalDataSource,
): Promise<{ model: Model; dataFile: DataFilePlan }> {
  const location = checkExternalLocation(options.location);
  const minBytes = options.minBytes ?? 1024;
  const align = options.align ?? 4096;
  const parts: DataFilePart[] = [];
  const replaced = new Map<Tensor, Tensor>();
  let offset = 0;
  for (const t of model.graph.initializers) {
    let length: number;
    let bytes: () => Promise<Uint8Array>;
    if (t.data.kind === 'raw') {
      const raw = t.data.bytes;
      length = raw.length;
      bytes = async () => raw;
    } else if (t.data.kind === 'external') {
      if (!source) throw new ExternalDataError(`tensor '${t.name}' is external and no source was given to copy it`);
      length = tensorByteSize(t);
      const src = source;
      bytes = () => readExternalBytes(t, src);
    } else continue;
    if (length < minBytes) {
      if (t.data.kind === 'external' && source) replaced.set(t, { ...t, data: { kind: 'raw', bytes: await bytes() } });
      continue;
    }
    offset = Math.ceil(offset / align) * align;
    parts.push({ offset, length, bytes });
    replaced.set(t, { ...t, data: { kind: 'external', location, offset, length } });
    offset += length;
  }
  return { model: replaceTensors(model, replaced), dataFile: { location, size: offset, parts } };
}

function replaceTensors(model: Model, replaced: Map<Tensor, Tensor>): Model {
  if (replaced.size === 0) return model;
  const mapGraph = (g: Graph): Graph => ({
    ...g,
    initializers: g.initializers.map((t) => replaced.get(t) ?? t),
    sparseInitializers: g.sparseInitializers.map((s) => ({
      ...s,
      values: replaced.get(s.values) ?? s.values,
      indices: replaced.get(s.indices) ?? s.indices,
    })),
    nodes: g.nodes.map((n) => ({
      ...n,
      attributes: n.attributes.map((a) => {
        switch (a.type) {
          case 'tensor':
            return { ...a, value: replaced.get(a.value) ?? a.value };
          case 'tensors':
            return { ...a, value: a.value.map((t) => replaced.get(t) ?? t) };
          case 'graph':
            return { ...a, value: mapGraph(a.value) };
          case 'graphs':
            return { ...a, value: a.value.map(mapGraph) };
          default:
            return a;
        }
      }),
    })),
  });
  return {
    ...model,
    graph: mapGraph(model.graph),
    trainingInfo: model.trainingInfo.map((ti) => ({
      ...ti,
      initialization: ti.initialization && mapGraph(ti.initialization),
      algorithm: ti.algorithm && mapGraph(ti.algorithm),
    })),
  };
}
