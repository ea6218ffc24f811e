/**
 * The shape of a `HardwareProfile` as data, and a validator that names the exact field path and problem
 * (`memory.sram.bytes: expected a positive number, got "lots"`), flags unknown fields with a did-you-mean, and,
 * in partial mode, checks a user profile that only overrides some fields.
 */

import { dataTypeByName, dataTypeName } from '../onnx/dtype.js';
import { type HardwareProfile, MEMORY_LEVELS, OP_CLASSES, PROFILE_KINDS } from './profile.js';

export interface Issue {
  /** Dotted field path inside the checked value (`memory.sram.bytes`); empty for the value itself. */
  path: string;
  message: string;
}

interface FieldSpec {
  schema: Schema;
  required: boolean;
}

interface ObjectSchema {
  kind: 'object';
  fields: Record<string, FieldSpec>;
}

export type Schema =
  | { kind: 'number'; min: 'positive' | 'non-negative'; max?: number; integer?: boolean }
  | { kind: 'string'; oneOf?: readonly string[]; pattern?: RegExp; patternHint?: string }
  | { kind: 'array'; items: Schema; nonEmpty?: boolean }
  | ObjectSchema
  | { kind: 'record'; keyCheck?: (key: string) => string | undefined; values: Schema }
  | { kind: 'union'; tag: string; variants: Record<string, ObjectSchema> };

const req = (schema: Schema): FieldSpec => ({ schema, required: true });
const opt = (schema: Schema): FieldSpec => ({ schema, required: false });
const object = (fields: Record<string, FieldSpec>): ObjectSchema => ({ kind: 'object', fields });
const str: Schema = { kind: 'string' };
const positive: Schema = { kind: 'number', min: 'positive' };
const positiveInt: Schema = { kind: 'number', min: 'positive', integer: true };
const nonNegative: Schema = { kind: 'number', min: 'non-negative' };
const nonNegativeInt: Schema = { kind: 'number', min: 'non-negative', integer: true };
const fraction: Schema = { kind: 'number', min: 'positive', max: 1 };
const oneOf = (values: readonly string[]): Schema => ({ kind: 'string', oneOf: values });
const levelName = oneOf(MEMORY_LEVELS);

/** Profile ids: what a shell and a settings key can carry without quoting. */
export const PROFILE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function dtypeProblem(name: string): string | undefined {
  return dataTypeByName(name) ? undefined : `unknown element type '${name}'${didYouMean(name, knownDtypeNames())}`;
}

function knownDtypeNames(): string[] {
  // dtype.ts exports lookups, not a list: probe the ids it may know.
  const names: string[] = [];
  for (let id = 1; id < 64; id++) {
    const n = dataTypeName(id);
    if (!n.startsWith('dtype(')) names.push(n);
  }
  return names;
}

const dtypeString: Schema = {
  kind: 'string',
  pattern: /^[a-z0-9]+$/,
  patternHint: 'an element type name such as float32 or int8',
};

const computePeak = object({
  macsPerSec: req(positive),
  macsPerCycle: opt(positive),
  stated: opt(str),
});

const memoryLevel = object({
  description: req(str),
  bytes: opt(positiveInt),
  bandwidthBytesPerSec: opt(positive),
  bytesPerCycle: opt(positive),
});

const offload = (target: string) =>
  object({
    target: req(oneOf([target])),
    description: req(str),
    profileId: opt({ kind: 'string', pattern: PROFILE_ID_PATTERN, patternHint: 'a profile id' }),
    costFactor: req(positive),
    perBoundarySec: req(nonNegative),
    transferBytesPerSec: opt(positive),
    partition: req(oneOf(['per-op', 'rest-of-graph'])),
  });

const fallback: Schema = {
  kind: 'union',
  tag: 'target',
  variants: {
    none: object({ target: req(oneOf(['none'])), description: req(str) }),
    'host-cpu': offload('host-cpu'),
    'cpu-core': offload('cpu-core'),
  },
};

const calibration: Schema = {
  kind: 'union',
  tag: 'status',
  variants: {
    uncalibrated: object({ status: req(oneOf(['uncalibrated'])) }),
    calibrated: object({
      status: req(oneOf(['calibrated'])),
      measurements: req(positiveInt),
      medianAbsErrorPct: req(nonNegative),
      source: req(str),
    }),
  },
};

/** One point of a size-dependent cost (profile.ts SizeCost). */
const sizeCost = object({ bytes: req(nonNegative), sec: req(nonNegative) });

const efficiencyFields: Record<string, FieldSpec> = {};
for (const c of OP_CLASSES) efficiencyFields[c] = req(fraction);

/** Every field of a `HardwareProfile`, with its type and whether it is required. */
export const profileFields: Record<string, FieldSpec> = {
  id: req({ kind: 'string', pattern: PROFILE_ID_PATTERN, patternHint: 'letters, digits, ".", "_" or "-"' }),
  name: req(str),
  kind: req(oneOf(PROFILE_KINDS)),
  description: opt(str),
  runtime: req(object({ name: req(str), version: req(str) })),
  clockMHz: opt(positive),
  compute: req({ kind: 'record', keyCheck: dtypeProblem, values: computePeak }),
  memory: req({
    kind: 'record',
    keyCheck: (k) =>
      (MEMORY_LEVELS as readonly string[]).includes(k)
        ? undefined
        : `unknown memory level (expected ${MEMORY_LEVELS.map((l) => `'${l}'`).join(', ')})${didYouMean(k, MEMORY_LEVELS)}`,
    values: memoryLevel,
  }),
  placement: req(object({ weights: req(levelName), activations: req(levelName) })),
  dtypes: req({ kind: 'array', items: dtypeString, nonEmpty: true }),
  operators: req(
    object({
      mode: req(oneOf(['only', 'all-except'])),
      ops: req({ kind: 'array', items: str }),
      dtypes: opt({ kind: 'array', items: dtypeString, nonEmpty: true }),
      fallback: req(fallback),
    }),
  ),
  perOpOverheadSec: req(nonNegative),
  perOpOverheadCycles: opt(nonNegative),
  perInferenceOverheadSec: req(nonNegative),
  opOverheadSec: opt({ kind: 'record', values: nonNegative }),
  overheadByOutputBytes: opt({ kind: 'array', items: sizeCost }),
  perInferenceByIoBytes: opt({ kind: 'array', items: sizeCost }),
  efficiency: req(object(efficiencyFields)),
  fusions: req({
    kind: 'array',
    items: object({ pattern: req({ kind: 'array', items: str, nonEmpty: true }), description: opt(str) }),
  }),
  runtimeMemory: opt(
    object({
      perTensorBytes: req(nonNegativeInt),
      perOpBytes: req(nonNegativeInt),
      arenaAlignmentBytes: req(positiveInt),
      codeBytes: req(nonNegativeInt),
      perOpTypeCodeBytes: req(nonNegativeInt),
    }),
  ),
  calibration: req(calibration),
  sources: req({ kind: 'record', values: str }),
};

export const profileSchema: ObjectSchema = object(profileFields);

/** Short fields a user profile may use instead of the structured ones (value in the unit of the name). */
export const SHORTHANDS: Record<string, { level: 'sram' | 'dram' | 'flash'; bytesPerUnit: number }> = {
  sramKB: { level: 'sram', bytesPerUnit: 1024 },
  sramMB: { level: 'sram', bytesPerUnit: 1024 * 1024 },
  flashKB: { level: 'flash', bytesPerUnit: 1024 },
  flashMB: { level: 'flash', bytesPerUnit: 1024 * 1024 },
  dramMB: { level: 'dram', bytesPerUnit: 1024 * 1024 },
  dramGB: { level: 'dram', bytesPerUnit: 1024 * 1024 * 1024 },
};

/** A user profile: any subset of the profile fields, plus `extends` and the shorthands. */
export const userProfileSchema: ObjectSchema = object({
  ...profileFields,
  sources: opt({ kind: 'record', values: str }),
  extends: opt({ kind: 'string', pattern: PROFILE_ID_PATTERN, patternHint: 'a profile id' }),
  ...Object.fromEntries(Object.keys(SHORTHANDS).map((k) => [k, opt(positive)])),
});

/** How a value reads in an error message: strings quoted, containers by kind. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** ` (did you mean 'x'?)` for the closest candidate within a small edit distance, or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const score = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestScore <= limit ? ` (did you mean '${best}'?)` : '';
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function numberExpectation(s: Extract<Schema, { kind: 'number' }>): string {
  if (s.max !== undefined) return `a number greater than 0 and at most ${s.max}`;
  return s.min === 'positive' ? 'a positive number' : 'a non-negative number';
}

/**
 * Checks `value` against `schema`, appending problems to `issues`. `partial` skips required-field checks and
 * accepts `null` for optional fields (a user profile removing an inherited value).
 */
export function validateValue(value: unknown, schema: Schema, path: string, issues: Issue[], partial = false): void {
  switch (schema.kind) {
    case 'number': {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (schema.min === 'positive' ? value > 0 : value >= 0) &&
        (schema.max === undefined || value <= schema.max);
      if (!ok) issues.push({ path, message: `expected ${numberExpectation(schema)}, got ${describeValue(value)}` });
      else if (schema.integer && !Number.isInteger(value)) {
        issues.push({ path, message: `expected a whole number, got ${describeValue(value)}` });
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string' || value.length === 0) {
        const what = schema.oneOf ? `one of ${schema.oneOf.map((o) => `'${o}'`).join(', ')}` : 'a non-empty string';
        issues.push({ path, message: `expected ${what}, got ${describeValue(value)}` });
      } else if (schema.oneOf && !schema.oneOf.includes(value)) {
        issues.push({
          path,
          message: `expected one of ${schema.oneOf.map((o) => `'${o}'`).join(', ')}, got ${describeValue(value)}${didYouMean(value, schema.oneOf)}`,
        });
      } else if (schema.pattern && !schema.pattern.test(value)) {
        issues.push({
          path,
          message: `expected ${schema.patternHint ?? 'a valid value'}, got ${describeValue(value)}`,
        });
      }
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `expected an array, got ${describeValue(value)}` });
        return;
      }
      if (schema.nonEmpty && value.length === 0) issues.push({ path, message: 'expected a non-empty array' });
      for (const [i, item] of value.entries()) validateValue(item, schema.items, join(path, String(i)), issues, false);
      return;
    }
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        issues.push({ path, message: `expected an object, got ${describeValue(value)}` });
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const keyProblem = schema.keyCheck?.(k);
        if (keyProblem) {
          issues.push({ path: join(path, k), message: keyProblem });
          continue;
        }
        if (v === null && partial) continue;
        validateValue(v, schema.values, join(path, k), issues, partial);
      }
      return;
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        issues.push({ path, message: `expected an object, got ${describeValue(value)}` });
        return;
      }
      const rec = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(rec)) {
        const spec = schema.fields[k];
        if (!spec) {
          issues.push({ path: join(path, k), message: `unknown field${didYouMean(k, Object.keys(schema.fields))}` });
          continue;
        }
        if (v === null && partial) {
          if (spec.required) issues.push({ path: join(path, k), message: 'a required field cannot be removed' });
          continue;
        }
        validateValue(v, spec.schema, join(path, k), issues, partial);
      }
      if (!partial) {
        for (const [k, spec] of Object.entries(schema.fields)) {
          if (spec.required && rec[k] === undefined)
            issues.push({ path: join(path, k), message: 'required field is missing' });
        }
      }
      return;
    }
    case 'union': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        issues.push({ path, message: `expected an object, got ${describeValue(value)}` });
        return;
      }
      const tag = (value as Record<string, unknown>)[schema.tag];
      const names = Object.keys(schema.variants);
      if (tag === undefined) {
        // A partial override of the same variant may omit the tag; the merged result is checked in full later.
        if (!partial) issues.push({ path: join(path, schema.tag), message: 'required field is missing' });
        if (partial) {
          const anyVariant: ObjectSchema = object(Object.assign({}, ...names.map((n) => schema.variants[n].fields)));
          validateValue(value, anyVariant, path, issues, true);
        }
        return;
      }
      if (typeof tag !== 'string' || !schema.variants[tag]) {
        issues.push({
          path: join(path, schema.tag),
          message: `expected one of ${names.map((n) => `'${n}'`).join(', ')}, got ${describeValue(tag)}${typeof tag === 'string' ? didYouMean(tag, names) : ''}`,
        });
        return;
      }
      validateValue(value, schema.variants[tag], path, issues, partial);
      return;
    }
  }
}

const relClose = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));

/** Rules between fields that a per-field schema cannot express. */
export function checkConsistency(p: HardwareProfile): Issue[] {
  const issues: Issue[] = [];
  const clock = p.clockMHz;
  const perCycle = (path: string, perSec: number | undefined, cycles: number | undefined, unit: string) => {
    if (cycles === undefined) return;
    if (clock === undefined) {
      issues.push({ path, message: `a per-cycle rate needs clockMHz, which this profile does not set` });
    } else if (perSec === undefined || !relClose(perSec, cycles * clock * 1e6)) {
      issues.push({
        path,
        message: `expected ${cycles} ${unit}/cycle × ${clock} MHz = ${cycles * clock * 1e6}, got ${describeValue(perSec)}`,
      });
    }
  };
  for (const [dt, c] of Object.entries(p.compute)) {
    if (c) perCycle(`compute.${dt}.macsPerSec`, c.macsPerSec, c.macsPerCycle, 'MACs');
    if (!p.dtypes.includes(dt)) issues.push({ path: `compute.${dt}`, message: `'${dt}' is not listed in dtypes` });
  }
  for (const [level, m] of Object.entries(p.memory)) {
    if (m) perCycle(`memory.${level}.bandwidthBytesPerSec`, m.bandwidthBytesPerSec, m.bytesPerCycle, 'bytes');
  }
  if (p.perOpOverheadCycles !== undefined) {
    if (clock === undefined) {
      issues.push({
        path: 'perOpOverheadCycles',
        message: 'a per-cycle overhead needs clockMHz, which this profile does not set',
      });
    } else if (!relClose(p.perOpOverheadSec, p.perOpOverheadCycles / (clock * 1e6))) {
      issues.push({
        path: 'perOpOverheadSec',
        message: `expected ${p.perOpOverheadCycles} cycles ÷ ${clock} MHz = ${p.perOpOverheadCycles / (clock * 1e6)}, got ${p.perOpOverheadSec}`,
      });
    }
  }
  if (Object.keys(p.compute).length === 0)
    issues.push({ path: 'compute', message: 'expected at least one element type' });
  if (Object.keys(p.memory).length === 0)
    issues.push({ path: 'memory', message: 'expected at least one memory level' });
  for (const role of ['weights', 'activations'] as const) {
    const level = p.placement[role];
    if (!p.memory[level])
      issues.push({ path: `placement.${role}`, message: `'${level}' is not a memory level of this profile` });
  }
  for (const [i, d] of p.dtypes.entries()) {
    const problem = dtypeProblem(d);
    if (problem) issues.push({ path: `dtypes.${i}`, message: problem });
  }
  for (const [i, d] of (p.operators.dtypes ?? []).entries()) {
    const problem = dtypeProblem(d);
    if (problem) issues.push({ path: `operators.dtypes.${i}`, message: problem });
  }
  return issues;
}

/** Every problem with a complete profile: shape first, then (if the shape is sound) cross-field rules. */
export function validateProfile(value: unknown): Issue[] {
  const issues: Issue[] = [];
  validateValue(value, profileSchema, '', issues, false);
  if (issues.length === 0) issues.push(...checkConsistency(value as HardwareProfile));
  return issues;
}
