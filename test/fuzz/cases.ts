/**
 * Fuzz cases, generated deterministically from (run seed, case index): a seed model, then a stack of IR-level,
 * wire-level and byte-level mutations. The same two numbers always give the same bytes.
 */

import { decodeModel } from '../../src/core/onnx/reader.js';
import { encodeModel } from '../../src/core/onnx/writer.js';
import { mutateIr } from './irMutators.js';
import { Chooser, caseSeed } from './random.js';
import { seedModels } from './seeds.js';
import { mutateBytes, mutateWire, nestGraphWire } from './wire.js';

export interface GeneratedCase {
  bytes: Uint8Array;
  seedModel: string;
  /** What was done to the seed, in order. */
  mutations: string[];
}

export function generateCase(seed: number, index: number): GeneratedCase {
  const c = new Chooser(caseSeed(seed, index));
  const seeds = seedModels();
  const base = c.weighted(seeds.map((s) => [s.name === 'vww_96_float' ? 1 : 1.5, s] as const));
  let bytes = base.bytes;
  const mutations: string[] = [];
  const plan = c.weighted<'ir' | 'wire' | 'bytes' | 'mixed'>([
    [45, 'ir'],
    [25, 'wire'],
    [15, 'bytes'],
    [15, 'mixed'],
  ]);
  if (plan === 'ir' || plan === 'mixed') {
    const model = decodeModel(bytes);
    for (let k = c.small(4); k > 0; k--) {
      const what = mutateIr(model, c);
      if (what) mutations.push(what);
    }
    try {
      bytes = encodeModel(model);
    } catch (err) {
      // The writer refused the mutated IR (not part of the pipeline under test): keep the seed's bytes.
      mutations.push(`(not encodable: ${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if ((plan === 'wire' || plan === 'mixed') && c.chance(0.08)) {
    const depth = c.pick([20, 28, 30, 31, 32, 33, 34, 100, 1000, 5000]);
    const op = c.chance(0.8) ? 'If' : 'Loop';
    const nested = nestGraphWire(bytes, depth, op);
    if (nested) {
      bytes = nested;
      mutations.push(`wire nest: graph inside ${depth} ${op} levels`);
    }
  }
  if (plan === 'wire' || plan === 'mixed') {
    for (let k = c.small(3); k > 0; k--) {
      const r = mutateWire(bytes, c);
      if (r) {
        bytes = r.bytes;
        mutations.push(r.what);
      }
    }
  }
  if (plan === 'bytes' || (plan === 'mixed' && c.chance(0.3))) {
    for (let k = c.small(4); k > 0; k--) {
      const r = mutateBytes(bytes, c, c.pick(seeds).bytes);
      if (r) {
        bytes = r.bytes;
        mutations.push(`bytes ${r.what}`);
      }
    }
  }
  // A copy in a plain Uint8Array (the writer gives a Buffer, whose slice() would be a view on the seed).
  return { bytes: Uint8Array.from(bytes), seedModel: base.name, mutations };
}
