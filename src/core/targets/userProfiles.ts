/**
 * User profiles: JSON (a file or the `edgeModelProfiler.profiles` setting) holding one profile or an array of
 * them. A user profile may `extends` a built-in or another user profile and override any field; short fields
 * (`sramKB`, `flashKB`, `dramMB`…) set memory sizes; `null` removes an inherited optional field.
 *
 * Overridden numbers are cited as `user profile <file>` in `sources`; rates stated per cycle (MACs/cycle,
 * bytes/cycle, overhead cycles) follow a changed `clockMHz`. A profile that changes any number becomes
 * `uncalibrated` unless it states its own `calibration`.
 *
 * Every problem names the origin, the profile and the field (`profiles.json: my-f746.memory.sram.bytes:
 * expected a positive number, got "lots"`); all problems are reported at once in one `ProfileError`.
 * The caller does the file I/O: this module only sees text or already-parsed values.
 */

import { builtinProfiles } from './builtinProfiles.js';
import { JsonSyntaxError, parseJsonc } from './jsonc.js';
import { type HardwareProfile, numericLeafPaths, valueAtPath } from './profile.js';
import {
  describeValue,
  didYouMean,
  type Issue,
  PROFILE_ID_PATTERN,
  SHORTHANDS,
  userProfileSchema,
  validateProfile,
  validateValue,
} from './profileSchema.js';

export interface ProfileProblem {
  /** File name or setting name the profile came from. */
  origin: string;
  /** `<profile id>.<field path>`, or `[<index>]…` for an entry without a usable id; empty for the whole input. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export function formatProblem(p: ProfileProblem): string {
  const where = p.line !== undefined ? `${p.origin}:${p.line}:${p.column}` : p.origin;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(readonly problems: ProfileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** Profile entries from one origin, before resolution. */
export interface UserProfileSet {
  origin: string;
  entries: unknown[];
}

/** The entries of a parsed value: one profile object, or an array of them. */
export function profileEntries(value: unknown, origin: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') return [value];
  throw new ProfileError([
    { origin, path: '', message: `expected a profile object or an array of profiles, got ${describeValue(value)}` },
  ]);
}

/** Parses profile JSON text (comments allowed); syntax errors name the origin, line and column. */
export function parseProfileText(text: string, origin: string): UserProfileSet {
  let value: unknown;
  try {
    value = parseJsonc(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      throw new ProfileError([
        { origin, path: '', message: `invalid JSON: ${e.reason}`, line: e.line, column: e.column },
      ]);
    }
    throw e;
  }
  return { origin, entries: profileEntries(value, origin) };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Union-valued fields: an override with a different tag replaces the inherited object instead of merging. */
const UNION_TAGS: Record<string, string> = { 'operators.fallback': 'target', calibration: 'status' };

function merge(base: unknown, overlay: unknown, path: string): unknown {
  if (!isObject(base) || !isObject(overlay)) return structuredClone(overlay);
  const tag = UNION_TAGS[path];
  if (tag && overlay[tag] !== undefined && overlay[tag] !== base[tag]) return structuredClone(overlay);
  const out: Json = structuredClone(base);
  for (const [k, v] of Object.entries(overlay)) {
    if (v === null) delete out[k];
    else out[k] = k in out ? merge(out[k], v, path ? `${path}.${k}` : k) : structuredClone(v);
  }
  return out;
}

const USER_ONLY_FIELDS = new Set(['extends', ...Object.keys(SHORTHANDS)]);
const CITED_SECTIONS = ['runtime', 'operators', 'fusions', 'placement', 'dtypes'];

interface Entry {
  origin: string;
  label: string;
  raw: Json;
}

/**
 * Resolves user profiles against `base` (default: the built-ins) and returns them, fully merged and validated,
 * in input order. Throws a `ProfileError` listing every problem found.
 */
export function resolveUserProfiles(
  sets: readonly UserProfileSet[],
  base: Iterable<HardwareProfile> = builtinProfiles(),
): HardwareProfile[] {
  const baseById = new Map<string, HardwareProfile>();
  for (const p of base) baseById.set(p.id, p);
  const problems: ProfileProblem[] = [];
  const entries: Entry[] = [];
  const byId = new Map<string, Entry>();
  const broken = new Set<string>();

  for (const { origin, entries: list } of sets) {
    list.forEach((raw, index) => {
      if (!isObject(raw)) {
        problems.push({ origin, path: `[${index}]`, message: `expected a profile object, got ${describeValue(raw)}` });
        return;
      }
      const id = raw.id;
      if (typeof id !== 'string' || !PROFILE_ID_PATTERN.test(id)) {
        problems.push({
          origin,
          path: `[${index}].id`,
          message:
            id === undefined
              ? 'required field is missing'
              : `expected letters, digits, ".", "_" or "-", got ${describeValue(id)}`,
        });
        return;
      }
      if (baseById.has(id)) {
        problems.push({
          origin,
          path: `${id}.id`,
          message: `'${id}' is a built-in profile; give yours another id and add "extends": "${id}"`,
        });
        return;
      }
      const previous = byId.get(id);
      if (previous) {
        problems.push({ origin, path: `${id}.id`, message: `profile '${id}' is also defined in ${previous.origin}` });
        return;
      }
      const issues: Issue[] = [];
      validateValue(raw, userProfileSchema, '', issues, true);
      for (const [key, spec] of Object.entries(SHORTHANDS)) {
        const level = isObject(raw.memory) ? raw.memory[spec.level] : undefined;
        if (raw[key] !== undefined && isObject(level) && level.bytes !== undefined) {
          issues.push({ path: key, message: `sets memory.${spec.level}.bytes, which this profile also sets` });
        }
      }
      const entry = { origin, label: id, raw };
      for (const i of issues) problems.push({ origin, path: `${id}.${i.path}`, message: i.message });
      if (issues.length) broken.add(id);
      entries.push(entry);
      byId.set(id, entry);
    });
  }

  const resolved = new Map<string, HardwareProfile>();
  const failed = new Set<string>();

  const resolve = (entry: Entry, stack: string[]): HardwareProfile | undefined => {
    const id = entry.label;
    const done = resolved.get(id);
    if (done) return done;
    if (failed.has(id) || broken.has(id)) return undefined;
    const report = (path: string, message: string) => {
      problems.push({ origin: entry.origin, path: path ? `${id}.${path}` : id, message });
      failed.add(id);
      return undefined;
    };

    let parent: HardwareProfile | undefined;
    const parentId = entry.raw.extends as string | undefined;
    if (parentId !== undefined) {
      if (parentId === id) return report('extends', `profile '${id}' extends itself`);
      if (stack.includes(parentId)) {
        const cycle = [...stack.slice(stack.indexOf(parentId)), id, parentId];
        return report('extends', `profiles extend each other in a cycle: ${cycle.join(' -> ')}`);
      }
      const userParent = byId.get(parentId);
      if (userParent) {
        parent = resolve(userParent, [...stack, id]);
        if (!parent) return report('extends', `base profile '${parentId}' has errors (see above)`);
      } else {
        parent = baseById.get(parentId);
        if (!parent) {
          const known = [...baseById.keys(), ...byId.keys()];
          return report('extends', `unknown profile '${parentId}'${didYouMean(parentId, known)}`);
        }
      }
    }

    const overlay: Json = {};
    for (const [k, v] of Object.entries(entry.raw)) if (!USER_ONLY_FIELDS.has(k)) overlay[k] = v;

    const merged = (parent ? merge(parent, overlay, '') : structuredClone(overlay)) as Json;
    if (parent && overlay.name === undefined) merged.name = `${id} (based on ${parent.name})`;
    const setPaths = new Set(numericLeafPaths(overlay));

    // Short fields → structured memory sizes.
    for (const [key, spec] of Object.entries(SHORTHANDS)) {
      const v = entry.raw[key];
      if (typeof v !== 'number') continue;
      const memory = isObject(merged.memory) ? merged.memory : {};
      const level = memory[spec.level];
      if (!isObject(level)) {
        return report(
          key,
          `the profile has no ${spec.level} memory level to size; add memory.${spec.level} with a description and bandwidthBytesPerSec`,
        );
      }
      level.bytes = Math.round(v * spec.bytesPerUnit);
      setPaths.add(`memory.${spec.level}.bytes`);
    }

    const sources: Record<string, string> = { ...(parent?.sources ?? {}) };
    const mark = `user profile ${entry.origin}`;
    for (const p of setPaths) sources[p] = mark;
    for (const section of CITED_SECTIONS) if (overlay[section] !== undefined) sources[section] = mark;

    // Per-cycle rates follow the clock unless the user stated the per-second value themselves.
    const clock = typeof merged.clockMHz === 'number' ? merged.clockMHz : undefined;
    const clockNote = setPaths.has('clockMHz') ? ` (clockMHz from ${mark})` : '';
    const rescale = (
      perSecPath: string,
      cyclesPath: string,
      apply: (cycles: number, clockMHz: number) => number,
      describe: (cycles: number, clockMHz: number) => string,
      container: Json,
      perSecKey: string,
      cyclesKey: string,
    ) => {
      const cycles = container[cyclesKey];
      if (typeof cycles !== 'number') return;
      const userPerSec = setPaths.has(perSecPath);
      const userCycles = setPaths.has(cyclesPath);
      if (userPerSec && !userCycles) {
        // The user states the rate per second: the inherited per-cycle figure no longer describes it.
        delete container[cyclesKey];
        delete sources[cyclesPath];
        return;
      }
      if (userPerSec || clock === undefined) return;
      const value = apply(cycles, clock);
      if (value !== valueAtPath(parent, perSecPath) || userCycles) {
        container[perSecKey] = value;
        sources[perSecPath] = `derived: ${describe(cycles, clock)}${clockNote}`;
      }
    };
    if (isObject(merged.compute)) {
      for (const [dt, peak] of Object.entries(merged.compute)) {
        if (!isObject(peak)) continue;
        rescale(
          `compute.${dt}.macsPerSec`,
          `compute.${dt}.macsPerCycle`,
          (c, mhz) => c * mhz * 1e6,
          (c, mhz) => `${c} MACs/cycle × ${mhz} MHz`,
          peak,
          'macsPerSec',
          'macsPerCycle',
        );
      }
    }
    if (isObject(merged.memory)) {
      for (const [level, m] of Object.entries(merged.memory)) {
        if (!isObject(m)) continue;
        rescale(
          `memory.${level}.bandwidthBytesPerSec`,
          `memory.${level}.bytesPerCycle`,
          (c, mhz) => c * mhz * 1e6,
          (c, mhz) => `${c} B/cycle × ${mhz} MHz`,
          m,
          'bandwidthBytesPerSec',
          'bytesPerCycle',
        );
      }
    }
    rescale(
      'perOpOverheadSec',
      'perOpOverheadCycles',
      (c, mhz) => c / (mhz * 1e6),
      (c, mhz) => `${c} cycles ÷ ${mhz} MHz`,
      merged,
      'perOpOverheadSec',
      'perOpOverheadCycles',
    );

    if (isObject(overlay.sources)) Object.assign(sources, overlay.sources);
    // Drop citations of values this profile removed.
    if (parent) {
      for (const key of Object.keys(sources)) {
        if (valueAtPath(parent, key) !== undefined && valueAtPath(merged, key) === undefined) delete sources[key];
      }
    }
    merged.sources = sources;

    if (overlay.calibration === undefined && setPaths.size > 0) merged.calibration = { status: 'uncalibrated' };

    const issues = validateProfile(merged);
    if (issues.length) {
      for (const i of issues)
        problems.push({ origin: entry.origin, path: i.path ? `${id}.${i.path}` : id, message: i.message });
      failed.add(id);
      return undefined;
    }
    const profile = merged as unknown as HardwareProfile;
    resolved.set(id, profile);
    return profile;
  };

  for (const entry of entries) resolve(entry, []);

  const known = new Set([...baseById.keys(), ...resolved.keys()]);
  for (const entry of entries) {
    const p = resolved.get(entry.label);
    const fallback = p?.operators.fallback;
    if (fallback && fallback.target !== 'none' && fallback.profileId && !known.has(fallback.profileId)) {
      problems.push({
        origin: entry.origin,
        path: `${entry.label}.operators.fallback.profileId`,
        message: `unknown profile '${fallback.profileId}'${didYouMean(fallback.profileId, known)}`,
      });
    }
  }

  if (problems.length) throw new ProfileError(problems);
  return entries.map((e) => resolved.get(e.label) as HardwareProfile);
}

/** Parses and resolves one profile file. */
export function loadUserProfiles(
  text: string,
  origin: string,
  base: Iterable<HardwareProfile> = builtinProfiles(),
): HardwareProfile[] {
  return resolveUserProfiles([parseProfileText(text, origin)], base);
}

/** Built-ins plus user profiles, by id (user profiles resolved against the given built-ins). */
export function profileRegistry(
  sets: readonly UserProfileSet[] = [],
  builtins: readonly HardwareProfile[] = builtinProfiles(),
): Map<string, HardwareProfile> {
  const out = new Map<string, HardwareProfile>();
  for (const p of builtins) out.set(p.id, p);
  for (const p of resolveUserProfiles(sets, builtins)) out.set(p.id, p);
  return out;
}
