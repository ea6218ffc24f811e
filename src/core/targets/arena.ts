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
  /**
   * Per step: bytes alive, and the arena high-water mark of the buffers alive at that step. Which buffers those are
   * is in `placements` (first and last step): listing them per step would be quadratic in the worst case.
   */
  timeline: { step: number; liveBytes: number; highWater: number }[];
  alignment: number;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function overlapsInTime(a: { firstStep: number; lastStep: number }, b: { firstStep: number; lastStep: number }) {
  return a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
}

/** Buffers living more steps than this are not indexed by step (see placeInOrder). */
const SHORT_LIVED_STEPS = 64;

/**
 * Whether p was a clash for b under the step index: both alive at some step ≥ 0 (steps before 0 are not indexed), p
 * not empty.
 */
function clashes(p: Placement, b: ArenaBuffer): boolean {
  return p.size > 0 && Math.max(0, p.firstStep, b.firstStep) <= Math.min(p.lastStep, b.lastStep);
}

/** Placements per block of the offset order (see OffsetOrder); a block twice this size is split. */
const BLOCK = 128;

/** A run of placements in offset order, with what a first-fit walk needs to cross it or skip it whole. */
interface Block {
  items: Placement[];
  /** Over the non-empty items (the only ones that can clash): */
  sized: number;
  /** max and min of max(0, firstStep), of lastStep; whether every one is alive at some step ≥ 0. */
  maxFrom: number;
  minFrom: number;
  maxLast: number;
  minLast: number;
  allAlive: boolean;
  /** Offset of the first, highest aligned end, and the widest gap between one and the ends below it. */
  firstOffset: number;
  maxEnd: number;
  maxGap: number;
}

/**
 * Every placement in offset order (ties in placing order), in blocks. A first-fit walk crosses a block whose every
 * placement clashes with the buffer in one step when no gap in it is wide enough, and skips a block none of whose
 * placements can clash: many values alive at once (a wide fan-out) cost a walk over the blocks, not the placements.
 */
class OffsetOrder {
  private readonly blocks: Block[] = [];

  constructor(
    placements: Placement[],
    private readonly alignment: number,
  ) {
    const sorted = [...placements].sort((x, y) => x.offset - y.offset);
    for (let i = 0; i < sorted.length; i += BLOCK) this.blocks.push(this.block(sorted.slice(i, i + BLOCK)));
  }

  private block(items: Placement[]): Block {
    const b: Block = {
      items,
      sized: 0,
      maxFrom: Number.NEGATIVE_INFINITY,
      minFrom: Number.POSITIVE_INFINITY,
      maxLast: Number.NEGATIVE_INFINITY,
      minLast: Number.POSITIVE_INFINITY,
      allAlive: true,
      firstOffset: 0,
      maxEnd: 0,
      maxGap: Number.NEGATIVE_INFINITY,
    };
    for (const p of items) {
      if (p.size === 0) continue;
      const from = Math.max(0, p.firstStep);
      const end = alignUp(p.offset + p.size, this.alignment);
      if (b.sized++ === 0) b.firstOffset = p.offset;
      else b.maxGap = Math.max(b.maxGap, p.offset - b.maxEnd);
      b.maxEnd = Math.max(b.maxEnd, end);
      b.maxFrom = Math.max(b.maxFrom, from);
      b.minFrom = Math.min(b.minFrom, from);
      b.maxLast = Math.max(b.maxLast, p.lastStep);
      b.minLast = Math.min(b.minLast, p.lastStep);
      if (p.lastStep < from) b.allAlive = false;
    }
    return b;
  }

  /** The first-fit offset of `buffer` (`size` already aligned) among the placements. */
  firstFit(buffer: ArenaBuffer, size: number): number {
    const from = Math.max(0, buffer.firstStep);
    const last = buffer.lastStep;
    let offset = 0;
    if (last < from) return offset;
    for (const b of this.blocks) {
      if (b.sized === 0 || b.maxLast < from || b.minFrom > last) continue;
      if (b.allAlive && b.maxFrom <= last && b.minLast >= from && b.maxGap < size) {
        // Every non-empty placement here clashes and no gap between them fits: first fit passes them all.
        if (offset + size <= b.firstOffset) return offset;
        offset = Math.max(offset, b.maxEnd);
        continue;
      }
      for (const p of b.items) {
        if (!clashes(p, buffer)) continue;
        if (offset + size <= p.offset) return offset;
        offset = Math.max(offset, alignUp(p.offset + p.size, this.alignment));
      }
    }
    return offset;
  }

  /** Adds a placement after every one at the same offset or below. */
  insert(p: Placement): void {
    let k = this.blocks.findIndex((b) => b.items[b.items.length - 1].offset > p.offset);
    if (k < 0) k = this.blocks.length - 1;
    if (k < 0) {
      this.blocks.push(this.block([p]));
      return;
    }
    const items = this.blocks[k].items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid].offset <= p.offset) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, p);
    if (items.length < 2 * BLOCK) this.blocks[k] = this.block(items);
    else this.blocks.splice(k, 1, this.block(items.slice(0, BLOCK)), this.block(items.slice(BLOCK)));
  }
}

/**
 * Places buffers in the given order, each at the lowest aligned offset that clashes with no earlier placement
 * alive at the same time ("first fit" over time-overlapping neighbours).
 *
 * A short-lived buffer finds its neighbours in time through an index of the placements alive at each step (comparing
 * it with every placed buffer is quadratic in the number of tensors). Long-lived buffers are kept out of that index
 * (indexing every step of every lifetime is quadratic too: a model whose every value is a graph output lives to
 * the end), and once more than a few of them are placed, or for a long-lived buffer itself, first fit walks the
 * placements in offset order instead, as TFLite Micro does, a block at a time where it can (OffsetOrder).
 */
export function placeInOrder(buffers: readonly ArenaBuffer[], alignment = 16): Placement[] {
  const placed: Placement[] = [];
  const aliveAt: Placement[][] = [];
  const longLived: Placement[] = [];
  /** Made when first needed and kept up to date from then on. */
  let byOffset: OffsetOrder | undefined;
  for (const b of buffers) {
    const size = alignUp(Math.max(0, b.size), alignment);
    const from = Math.max(0, b.firstStep);
    const short = b.lastStep - from < SHORT_LIVED_STEPS;
    let offset = 0;
    if (short && longLived.length <= SHORT_LIVED_STEPS) {
      const near = new Set<Placement>();
      for (let s = from; s <= b.lastStep && s < aliveAt.length; s++) {
        for (const p of aliveAt[s] ?? []) near.add(p);
      }
      for (const p of longLived) near.add(p);
      const found = [...near].filter((p) => clashes(p, b)).sort((x, y) => x.offset - y.offset);
      for (const p of found) {
        if (offset + size <= p.offset) break;
        offset = Math.max(offset, alignUp(p.offset + p.size, alignment));
      }
    } else {
      byOffset ??= new OffsetOrder(placed, alignment);
      offset = byOffset.firstFit(b, size);
    }
    const placement = { id: b.id, offset, size, firstStep: b.firstStep, lastStep: b.lastStep };
    placed.push(placement);
    byOffset?.insert(placement);
    if (!short) {
      longLived.push(placement);
      continue;
    }
    for (let s = from; s <= b.lastStep; s++) {
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
  // One sweep over the steps, not over every step of every lifetime (quadratic when many values live long): bytes
  // alive from the changes at each step; the high-water mark from a max-heap of the placements alive (by their end
  // offset), those that ended dropped when they reach the top.
  const delta = new Float64Array(steps + 1);
  const starting: Placement[][] = Array.from({ length: steps }, () => []);
  for (const p of placements) {
    const from = Math.max(0, p.firstStep);
    if (p.lastStep < from) continue;
    delta[from] += p.size;
    delta[p.lastStep + 1] -= p.size;
    starting[from].push(p);
  }
  const heap: Placement[] = [];
  const end = (p: Placement) => p.offset + p.size;
  const push = (p: Placement) => {
    let i = heap.push(p) - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (end(heap[up]) >= end(heap[i])) break;
      [heap[up], heap[i]] = [heap[i], heap[up]];
      i = up;
    }
  };
  const pop = () => {
    const last = heap.pop() as Placement;
    if (!heap.length) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && end(heap[l]) > end(heap[top])) top = l;
      if (r < heap.length && end(heap[r]) > end(heap[top])) top = r;
      if (top === i) break;
      [heap[top], heap[i]] = [heap[i], heap[top]];
      i = top;
    }
  };
  const timeline: ArenaPlan['timeline'] = new Array(steps);
  let liveBytes = 0;
  for (let step = 0; step < steps; step++) {
    liveBytes += delta[step];
    for (const p of starting[step]) push(p);
    while (heap.length && heap[0].lastStep < step) pop();
    timeline[step] = { step, liveBytes, highWater: heap.length ? end(heap[0]) : 0 };
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
