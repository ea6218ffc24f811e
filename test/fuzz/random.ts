/**
 * Deterministic choices for the fuzzer, on top of the engine's seeded Rng: the same (seed, case index) gives the same
 * case on every machine, so a failure is reproduced from two numbers.
 */

import { Rng } from '../../src/core/onnx/builder.js';

export class Chooser {
  readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.rng.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError('pick from an empty list');
    return list[this.int(list.length)];
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(list: readonly (readonly [number, T])[]): T {
    const total = list.reduce((s, [w]) => s + w, 0);
    let r = this.rng.next() * total;
    for (const [w, v] of list) {
      r -= w;
      if (r < 0) return v;
    }
    return list[list.length - 1][1];
  }

  bytes(n: number): Uint8Array {
    return this.rng.bytes(n);
  }

  /** Mostly small, sometimes larger: 1 + a geometric-ish count up to `max`. */
  small(max: number): number {
    let n = 1;
    while (n < max && this.chance(0.4)) n++;
    return n;
  }
}

/** A 32-bit seed for case `index` of a run with seed `seed` (a mixing of both, so nearby cases differ). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Sizes and counts that break code: zero, negative, 32-bit edges, 2^40, 2^53 edges, and beyond. */
export const interestingNumbers: readonly number[] = [
  0,
  1,
  -1,
  2,
  -2,
  3,
  7,
  255,
  256,
  65535,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32 - 1,
  2 ** 32,
  2 ** 40,
  -(2 ** 40),
  2 ** 53 - 1,
  2 ** 53 + 2,
  2 ** 62,
  -(2 ** 62),
  1e5,
  1e9,
  1e12,
];

/** 64-bit integers for int attributes (exact, as bigint). */
export const interestingBigInts: readonly bigint[] = [
  0n,
  1n,
  -1n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 32n,
  2n ** 40n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
];
