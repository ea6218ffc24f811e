import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferShapes } from '../../src/core/analysis/infer.js';
import { GraphBuilder } from '../../src/core/onnx/builder.js';
import { DataType } from '../../src/core/onnx/dtype.js';
import {
  type ArenaBuffer,
  findOverlaps,
  type Placement,
  placeInOrder,
  planArena,
  summarize,
} from '../../src/core/targets/arena.js';
import { activationLifetimes } from '../../src/core/targets/lifetimes.js';

/** The best plan over every placement order (first fit each time): the reference for tiny cases. */
function bruteForce(buffers: ArenaBuffer[], alignment = 16): number {
  let best = Number.POSITIVE_INFINITY;
  const permute = (rest: ArenaBuffer[], order: ArenaBuffer[]) => {
    if (!rest.length) {
      best = Math.min(best, summarize(placeInOrder(order, alignment), alignment).peakBytes);
      return;
    }
    for (let i = 0; i < rest.length; i++) permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...order, rest[i]]);
  };
  permute(buffers, []);
  return best;
}

test('a chain reuses memory: each step holds its input and output only', () => {
  // x(100) -> a(200) -> b(50) -> c(300): at most two neighbours alive at once.
  const plan = planArena([
    { id: 'x', size: 96, firstStep: 0, lastStep: 0 },
    { id: 'a', size: 192, firstStep: 0, lastStep: 1 },
    { id: 'b', size: 48, firstStep: 1, lastStep: 2 },
    { id: 'c', size: 304, firstStep: 2, lastStep: 2 },
  ]);
  assert.equal(plan.lowerBoundBytes, 352, 'b + c alive at step 2');
  assert.equal(plan.peakBytes, 352, 'greedy reaches the lower bound here');
  assert.deepEqual(findOverlaps(plan.placements), []);
  assert.deepEqual(
    plan.timeline.map((t) => t.liveBytes),
    [288, 240, 352],
  );
});

test('alignment rounds each buffer up to 16 bytes', () => {
  const plan = planArena([
    { id: 'a', size: 1, firstStep: 0, lastStep: 1 },
    { id: 'b', size: 17, firstStep: 1, lastStep: 1 },
  ]);
  assert.equal(plan.peakBytes, 48, '16 + 32');
  assert.deepEqual(
    plan.placements.map((p) => [p.id, p.offset]),
    [
      ['b', 0],
      ['a', 32],
    ],
  );
});

test('a residual connection keeps the skip tensor alive across the branch', () => {
  // s is produced at 0 and read at 3; branch tensors t1 (1) and t2 (2) come and go in between.
  const plan = planArena([
    { id: 's', size: 1024, firstStep: 0, lastStep: 3 },
    { id: 't1', size: 512, firstStep: 1, lastStep: 2 },
    { id: 't2', size: 512, firstStep: 2, lastStep: 3 },
    { id: 'y', size: 1024, firstStep: 3, lastStep: 3 },
  ]);
  assert.equal(plan.lowerBoundBytes, 2560, 's + t2 + y at step 3');
  assert.equal(plan.peakBytes, bruteForce([...plan.placements]), 'greedy equals brute force');
  assert.deepEqual(findOverlaps(plan.placements), []);
});

test('greedy is never below the lower bound, never clashes, and stays close to brute force on random tiny cases', () => {
  let s = 12345;
  const rand = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  let equal = 0;
  let worst = 1;
  const cases = 300;
  for (let c = 0; c < cases; c++) {
    const n = 2 + rand(5);
    const buffers: ArenaBuffer[] = [];
    for (let i = 0; i < n; i++) {
      const a = rand(6);
      buffers.push({ id: `b${i}`, size: 16 * (1 + rand(16)), firstStep: a, lastStep: a + rand(4) });
    }
    const plan = planArena(buffers);
    const best = bruteForce(buffers);
    assert.deepEqual(findOverlaps(plan.placements), [], `case ${c} clashes`);
    assert.ok(plan.peakBytes >= plan.lowerBoundBytes, `case ${c}: below the lower bound`);
    assert.ok(best >= plan.lowerBoundBytes, `case ${c}: brute force below the lower bound`);
    assert.ok(plan.peakBytes >= best, `case ${c}: greedy beat brute force, so brute force is wrong`);
    if (plan.peakBytes === best) equal++;
    worst = Math.max(worst, plan.peakBytes / best);
  }
  console.log(`arena: greedy optimal in ${equal}/${cases} random cases, worst ratio ${worst.toFixed(3)}`);
  assert.ok(equal / cases >= 0.8, `greedy optimal in only ${equal}/${cases}`);
  assert.ok(worst <= 1.5, `worst greedy/optimal ratio ${worst}`);
});

test('bad buffers are refused with the buffer named', () => {
  assert.throws(() => planArena([{ id: 'neg', size: -1, firstStep: 0, lastStep: 0 }]), /'neg'.*size/);
  assert.throws(() => planArena([{ id: 'back', size: 4, firstStep: 3, lastStep: 1 }]), /'back'.*before/);
});

test('lifetimes of a small CNN: weights excluded, sizes from inferred shapes, plan below the naive sum', () => {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 1, 8, 8]);
  const a = b.node('Relu', [x], {}, { name: 'relu1' });
  const c = b.node('Neg', [a], {}, { name: 'neg' });
  const d = b.node('Add', [a, c], {}, { name: 'add' });
  const e = b.node('Relu', [d], {}, { name: 'relu2' });
  b.output(e, DataType.FLOAT, [1, 1, 8, 8]);
  const model = b.build();
  const facts = inferShapes(model).values;
  const life = activationLifetimes(model.graph, facts);
  assert.deepEqual(life.unsized, []);
  const byId = Object.fromEntries(life.buffers.map((x) => [x.id, x]));
  assert.equal(byId[a].lastStep, 2, 'relu1 output is read by add at step 2');
  assert.equal(byId[e].lastStep, 3, 'graph output lives to the end');
  const plan = planArena(life.buffers);
  const naive = life.buffers.reduce((s, x) => s + x.size, 0);
  assert.equal(plan.lowerBoundBytes, 3 * 256, 'a, c and d alive at step 2');
  assert.equal(plan.peakBytes, plan.lowerBoundBytes, 'greedy reaches the bound on this chain');
  assert.ok(plan.peakBytes < naive, `plan ${plan.peakBytes} not below naive ${naive}`);
});

/** Deterministic integers in [0, n): a linear congruential generator from `seed`. */
function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

/** First fit in the given order by comparing each buffer with every earlier one: the plainest reading of the rule. */
function firstFitReference(buffers: ArenaBuffer[], alignment: number): number[] {
  const up = (n: number) => Math.ceil(n / alignment) * alignment;
  const placed: { offset: number; size: number; first: number; last: number }[] = [];
  for (const b of buffers) {
    const size = up(Math.max(0, b.size));
    const clashing = placed
      .filter((p) => p.size > 0 && Math.max(0, p.first, b.firstStep) <= Math.min(p.last, b.lastStep))
      .sort((x, y) => x.offset - y.offset);
    let offset = 0;
    for (const p of clashing) {
      if (offset + size <= p.offset) break;
      offset = Math.max(offset, up(p.offset + p.size));
    }
    placed.push({ offset, size, first: b.firstStep, last: b.lastStep });
  }
  return placed.map((p) => p.offset);
}

/** placeInOrder's placements (16-byte alignment), checked against the reference and for clashes. */
function placedAsFirstFit(order: ArenaBuffer[]): Placement[] {
  const placements = placeInOrder(order, 16);
  assert.deepEqual(
    placements.map((p) => p.offset),
    firstFitReference(order, 16),
    'the same offsets as comparing with every placed buffer',
  );
  assert.deepEqual(findOverlaps(placements), [], 'no two buffers alive at once share bytes');
  return placements;
}

test('long-lived buffers (many values alive to the end) are placed as first fit says, and the timeline is right', () => {
  // Short and long lifetimes mixed, past the point where placing switches from the step index to the offset walk.
  const rand = seededRandom(7);
  const steps = 600;
  const buffers: ArenaBuffer[] = Array.from({ length: 900 }, (_, i) => {
    const first = rand(steps);
    const long = rand(3) === 0;
    const last = Math.min(steps - 1, first + (long ? 100 + rand(steps) : rand(8)));
    return { id: `t${i}`, size: rand(5) === 0 ? 0 : 16 * (1 + rand(20)), firstStep: first, lastStep: last };
  });
  const placements = placedAsFirstFit([...buffers].sort((a, b) => b.size - a.size || a.firstStep - b.firstStep));
  const plan = summarize(placements, 16);
  for (const t of plan.timeline) {
    const alive = placements.filter((p) => Math.max(0, p.firstStep) <= t.step && t.step <= p.lastStep);
    assert.equal(
      t.liveBytes,
      alive.reduce((s, p) => s + p.size, 0),
      `bytes alive at step ${t.step}`,
    );
    assert.equal(t.highWater, Math.max(0, ...alive.map((p) => p.offset + p.size)), `high water at step ${t.step}`);
  }
});

test('many values alive at once, placed in an order that leaves gaps, get the offsets first fit gives', () => {
  // A wide fan-out: every buffer alive until the last step, sizes varied and in no particular order, some ending
  // early so that gaps open below the top; thousands of them, so that whole blocks are crossed at once.
  const rand = seededRandom(11);
  const steps = 3000;
  const buffers: ArenaBuffer[] = Array.from({ length: 3000 }, (_, i) => ({
    id: `f${i}`,
    size: rand(10) === 0 ? 0 : 16 * (1 + rand(40)),
    firstStep: rand(4) === 0 ? i : 0,
    lastStep: rand(6) === 0 ? Math.min(steps - 1, i + 80 + rand(200)) : steps - 1,
  }));
  placedAsFirstFit(buffers);
});

test('a graph whose every value is an output (10,000 values alive to the end) is planned, not hung on', () => {
  const n = 10_000;
  const buffers: ArenaBuffer[] = Array.from({ length: n }, (_, i) => ({
    id: `v${i}`,
    size: 64,
    firstStep: i,
    lastStep: n - 1,
  }));
  const plan = planArena(buffers);
  assert.equal(plan.peakBytes, 64 * n, 'nothing can share: every value stays alive');
  assert.equal(plan.lowerBoundBytes, 64 * n);
  assert.equal(plan.timeline[n - 1].liveBytes, 64 * n, 'all alive at the last step');
  assert.equal(plan.timeline[0].liveBytes, 64, 'only the first at step 0');
});
