/**
 * The extension's settings (`edgeProfiler.*`) as plain values, checked here without `vscode` so that the checks
 * run in unit tests: input shape overrides (`{"input": "1x3x224x224"}`), symbolic dims (`{"batch": 1}`), the size
 * above which a model's weights are loaded only when asked, the default target and the user profiles file.
 * Every problem names the setting and the entry; a bad entry is left out, the rest still applies.
 */

import type { Dim } from '../core/onnx/ir.js';

export const SETTINGS_SECTION = 'edgeProfiler';

export interface RawSettings {
  defaultTarget?: unknown;
  profilesFile?: unknown;
  inputShapes?: unknown;
  dims?: unknown;
  sizeThresholdMB?: unknown;
}

export interface Settings {
  defaultTarget: string;
  /** Empty: no user profiles. */
  profilesFile: string;
  inputShapes: Record<string, Dim[]>;
  dims: Record<string, number>;
  sizeThresholdBytes: number;
  /** Problems found, each naming the setting (`edgeProfiler.inputShapes.input: …`). */
  problems: string[];
}

export const DEFAULT_TARGET = 'cortex-m7';
export const DEFAULT_SIZE_THRESHOLD_MB = 256;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `1x3x224x224` (or `1,3,224,224`) -> [1, 3, 224, 224]; a name keeps the dim symbolic, `?` leaves it unknown.
 * Throws with the reason when the text is not a shape.
 */
export function parseShapeText(text: string): Dim[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '[]') return [];
  const body = trimmed.replace(/^\[(.*)\]$/, '$1');
  const parts = body.split(body.includes(',') ? ',' : /x/i).map((p) => p.trim());
  return parts.map((p, i) => {
    if (/^\d+$/.test(p)) return Number(p);
    if (p === '?') return null;
    if (p === '') throw new Error(`dimension ${i + 1} is empty`);
    if (/^[A-Za-z_][\w.-]*$/.test(p)) return p;
    throw new Error(`dimension ${i + 1} ('${p}') is not a size, a symbol or '?'`);
  });
}

export function readSettings(raw: RawSettings): Settings {
  const problems: string[] = [];
  const name = (key: string) => `${SETTINGS_SECTION}.${key}`;
  const describe = (v: unknown) => (typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)));

  let defaultTarget = DEFAULT_TARGET;
  if (typeof raw.defaultTarget === 'string' && raw.defaultTarget.trim()) defaultTarget = raw.defaultTarget.trim();
  else if (raw.defaultTarget !== undefined && raw.defaultTarget !== '' && raw.defaultTarget !== null) {
    problems.push(`${name('defaultTarget')}: expected a target id, got ${describe(raw.defaultTarget)}`);
  }

  let profilesFile = '';
  if (typeof raw.profilesFile === 'string') profilesFile = raw.profilesFile.trim();
  else if (raw.profilesFile !== undefined && raw.profilesFile !== null) {
    problems.push(`${name('profilesFile')}: expected a file path, got ${describe(raw.profilesFile)}`);
  }

  const inputShapes: Record<string, Dim[]> = {};
  if (isRecord(raw.inputShapes)) {
    for (const [input, value] of Object.entries(raw.inputShapes)) {
      let shape: Dim[] | undefined;
      if (typeof value === 'string') {
        try {
          shape = parseShapeText(value);
        } catch (err) {
          problems.push(`${name('inputShapes')}.${input}: ${(err as Error).message} in '${value}'`);
        }
      } else if (Array.isArray(value) && value.every((d) => (Number.isInteger(d) && d >= 0) || typeof d === 'string')) {
        shape = value as Dim[];
      } else {
        problems.push(
          `${name('inputShapes')}.${input}: expected a shape such as "1x3x224x224", got ${describe(value)}`,
        );
      }
      if (shape) inputShapes[input] = shape;
    }
  } else if (raw.inputShapes !== undefined && raw.inputShapes !== null) {
    problems.push(
      `${name('inputShapes')}: expected an object of input name -> shape, got ${describe(raw.inputShapes)}`,
    );
  }

  const dims: Record<string, number> = {};
  if (isRecord(raw.dims)) {
    for (const [symbol, value] of Object.entries(raw.dims)) {
      const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) dims[symbol] = n;
      else problems.push(`${name('dims')}.${symbol}: expected a non-negative integer, got ${describe(value)}`);
    }
  } else if (raw.dims !== undefined && raw.dims !== null) {
    problems.push(`${name('dims')}: expected an object of symbol -> size, got ${describe(raw.dims)}`);
  }

  let mb = DEFAULT_SIZE_THRESHOLD_MB;
  if (typeof raw.sizeThresholdMB === 'number' && Number.isFinite(raw.sizeThresholdMB) && raw.sizeThresholdMB >= 0) {
    mb = raw.sizeThresholdMB;
  } else if (raw.sizeThresholdMB !== undefined && raw.sizeThresholdMB !== null) {
    problems.push(
      `${name('sizeThresholdMB')}: expected a number of megabytes ≥ 0, got ${describe(raw.sizeThresholdMB)}`,
    );
  }

  return { defaultTarget, profilesFile, inputShapes, dims, sizeThresholdBytes: Math.round(mb * 1024 * 1024), problems };
}

/**
 * The input shape overrides that apply to a model with these (non-initializer) inputs; overrides naming an input
 * the model lacks are reported (settings are shared by every model, so this is a note, not an error).
 */
export function shapesForModel(
  shapes: Record<string, Dim[]>,
  inputs: readonly string[],
): { shapes: Record<string, Dim[]>; unused: string[] } {
  const out: Record<string, Dim[]> = {};
  const unused: string[] = [];
  for (const [k, v] of Object.entries(shapes)) {
    if (inputs.includes(k)) out[k] = v;
    else unused.push(k);
  }
  return { shapes: out, unused };
}
