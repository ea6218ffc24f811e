/**
 * Tensor lifetimes over a schedule: which activation buffers a model needs, from which step to which, for the arena
 * planner. The schedule is the graph's node order (ONNX requires it to be topological, and runtimes such as
 * TFLite Micro execute in that order).
 */

import type { ValueFacts } from '../analysis/facts.js';
import { knownSize } from '../analysis/facts.js';
import { storageBytes } from '../onnx/dtype.js';
import type { Graph } from '../onnx/ir.js';
import { elementCount } from '../onnx/tensor.js';
import type { ArenaBuffer } from './arena.js';

export interface LifetimeOptions {
  /** Keep graph inputs alive from step 0 and graph outputs to the last step (default true). */
  includeIO?: boolean;
  /** Values that live outside the arena (e.g. weights in flash); initializers are always excluded. */
  exclude?: ReadonlySet<string>;
}

export interface Lifetimes {
  buffers: ArenaBuffer[];
  /** Values whose size is unknown (symbolic or unknown shape): not in the plan, so the plan is a lower bound. */
  unsized: string[];
  steps: number;
}

/** Bytes of a value from its facts, or undefined when the shape or type is not fully known. */
export function valueBytes(f: ValueFacts | undefined): number | undefined {
  if (f?.kind !== 'tensor' || f.dtype === undefined) return undefined;
  if (knownSize(f.shape) === undefined) return undefined;
  // A negative or overflowing dimension (a corrupt declaration) is not a size: the tensor counts as unsized.
  const n = elementCount(f.shape as number[]);
  return Number.isNaN(n) ? undefined : storageBytes(f.dtype, n);
}

export function activationLifetimes(
  graph: Graph,
  facts: ReadonlyMap<string, ValueFacts>,
  options: LifetimeOptions = {},
): Lifetimes {
  const includeIO = options.includeIO ?? true;
  const constant = new Set(graph.initializers.map((t) => t.name));
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const steps = graph.nodes.length;
  if (includeIO) {
    for (const v of graph.inputs) {
      if (!constant.has(v.name)) {
        first.set(v.name, 0);
        last.set(v.name, 0);
      }
    }
  }
  graph.nodes.forEach((node, step) => {
    for (const input of node.inputs) if (first.has(input)) last.set(input, Math.max(last.get(input) ?? step, step));
    for (const out of node.outputs) {
      if (!out || constant.has(out)) continue;
      first.set(out, step);
      last.set(out, step);
    }
    // A Constant's output is data, not an activation the arena must hold.
    if (node.opType === 'Constant' && !node.domain) for (const out of node.outputs) constant.add(out);
  });
  if (includeIO) for (const v of graph.outputs) if (first.has(v.name)) last.set(v.name, Math.max(0, steps - 1));
  const buffers: ArenaBuffer[] = [];
  const unsized: string[] = [];
  for (const [id, firstStep] of first) {
    if (constant.has(id) || options.exclude?.has(id)) continue;
    const size = valueBytes(facts.get(id));
    if (size === undefined) {
      unsized.push(id);
      continue;
    }
    buffers.push({ id, size, firstStep, lastStep: last.get(id) ?? firstStep });
  }
  return { buffers, unsized, steps };
}
