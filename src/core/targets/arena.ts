/**
 * Activation memory planning: where each tensor lives in one arena over the steps (operators) of a schedule.
 *
 * The planner is the greedy one TFLite Micro uses (tflite-micro greedy_memory_planner.cc, as summarised in
 * shared/reference/published-measurements.md): buffers sorted largest first, each placed at the lowest offset where
 * it does not overlap, in address and in time, any buffer already placed; offsets aligned (16 bytes by default).
 * The result carries the liveness lower bound (the most bytes alive at one step), so the quality of a plan is
 * visible: peak / lower bound = 1.0 means no arena layout can do better.
 */

export interface ArenaBuffer {
  /** Value name (or any label) for reports. */
  id: string;
  size: number;
  /** First step at which the buffer must exist (its producer's step; 0 for graph inputs). */
  firstStep: number;
  /** Last step that reads it (inclusive). */
  lastStep: number;
}

export interface Placement {
  id: string;
  offset: number;
  size: number;
  firstStep: number;
  lastStep: number;
}

export interface ArenaPlan {
  placements: Placement[];
  /** Arena size the plan needs: max over buffers of offset + aligned size. */
  peakBytes: number;
  /** Max over steps of the sum of the sizes alive at that step: no layout can need less than this. */
  lowerBoundBytes: number;
  /** Per step: bytes alive, and the arena high-water mark of the buffers alive at that step. */
  timeline: { step: number; liveBytes: number; highWater: number; live: string[] }[];
  alignment: number;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function overlapsInTime(a: { firstStep: number; lastStep: number }, b: { firstStep: number; lastStep: number }) {
  return a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
}

/**
 * Places buffers in the given order, each at the lowest aligned offset that clashes with no earlier placement
 * alive at the same time ("first fit" over time-overlapping neighbours).
 */
export function placeInOrder(buffers: readonly ArenaBuffer[], alignment = 16): Placement[] {
  const placed: Placement[] = [];
  // Placements alive at each step, so that a buffer is compared with its neighbours in time only (comparing it with
  // every placed buffer is quadratic in the number of tensors).
  const aliveAt: Placement[][] = [];
  for (const b of buffers) {
    const size = alignUp(Math.max(0, b.size), alignment);
    const near = new Set<Placement>();
    for (let s = Math.max(0, b.firstStep); s <= b.lastStep && s < aliveAt.length; s++) {
      for (const p of aliveAt[s] ?? []) near.add(p);
    }
    const clashes = [...near].filter((p) => overlapsInTime(p, b) && p.size > 0).sort((x, y) => x.offset - y.offset);
    let offset = 0;
    for (const p of clashes) {
      if (offset + size <= p.offset) break;
      offset = Math.max(offset, alignUp(p.offset + p.size, alignment));
    }
    const placement = { id: b.id, offset, size, firstStep: b.firstStep, lastStep: b.lastStep };
    placed.push(placement);
    for (let s = Math.max(0, b.firstStep); s <= b.lastStep; s++) {
      const list = aliveAt[s];
      if (list) list.push(placement);
      else aliveAt[s] = [placement];
    }
  }
  return placed;
}

/** TFLite Micro's greedy plan: largest buffers first (ties: earlier first use, then id for determinism). */
export function planArena(buffers: readonly ArenaBuffer[], alignment = 16): ArenaPlan {
  for (const b of buffers) {
    if (!Number.isFinite(b.size) || b.size < 0) throw new Error(`buffer '${b.id}': size ${b.size} is not a byte count`);
    if (b.lastStep < b.firstStep)
      throw new Error(`buffer '${b.id}': last step ${b.lastStep} is before first step ${b.firstStep}`);
  }
  const order = [...buffers].sort(
    (a, b) => b.size - a.size || a.firstStep - b.firstStep || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return summarize(placeInOrder(order, alignment), alignment);
}

export function summarize(placements: Placement[], alignment: number): ArenaPlan {
  const steps = placements.reduce((m, p) => Math.max(m, p.lastStep), -1) + 1;
  // Each placement is added to the steps it lives in: linear in the size of the timeline, not steps × placements.
  const timeline: ArenaPlan['timeline'] = Array.from({ length: steps }, (_, step) => ({
    step,
    liveBytes: 0,
    highWater: 0,
    live: [],
  }));
  for (const p of placements) {
    for (let step = Math.max(0, p.firstStep); step <= p.lastStep; step++) {
      const t = timeline[step];
      t.liveBytes += p.size;
      t.highWater = Math.max(t.highWater, p.offset + p.size);
      t.live.push(p.id);
    }
  }
  let lowerBound = 0;
  for (const t of timeline) lowerBound = Math.max(lowerBound, t.liveBytes);
  const peakBytes = placements.reduce((m, p) => Math.max(m, p.offset + p.size), 0);
  return { placements, peakBytes, lowerBoundBytes: lowerBound, timeline, alignment };
}

/** Checks a plan: no two buffers alive at the same step share bytes. Returns the clashing pairs. */
export function findOverlaps(placements: readonly Placement[]): [string, string][] {
  const clashes: [string, string][] = [];
  for (let i = 0; i < placements.length; i++) {
    for (let j = i + 1; j < placements.length; j++) {
      const a = placements[i];
      const b = placements[j];
      if (a.size === 0 || b.size === 0 || !overlapsInTime(a, b)) continue;
      if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) clashes.push([a.id, b.id]);
    }
  }
  return clashes;
}
