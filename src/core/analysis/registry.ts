/**
 * Shape rules by operator: a table keyed by domain and op type, each entry valid from an opset version on (the
 * rule for a node is the one with the highest `since` not above the node's opset). Rule families live in
 * ./ops/*.ts and register themselves through `defineRules`.
 */

import type { Attribute, Graph, Node } from '../onnx/ir.js';
import { normalizeDomain } from '../onnx/ir.js';
import type { ConstValue, Dim, TensorFacts, ValueFacts } from './facts.js';

export interface InferContext {
  readonly node: Node;
  /** The opset version the model imports for the node's domain (0 when it imports none). */
  readonly opset: number;
  /** Facts per input; undefined for an omitted optional input ('') or a value nothing is known about. */
  readonly inputs: readonly (ValueFacts | undefined)[];
  /** The input's facts when it is a tensor. */
  tensor(i: number): TensorFacts | undefined;
  shape(i: number): Dim[] | undefined;
  dtype(i: number): number | undefined;
  /** The input's constant value when it is known (initializer, Constant, or folded shape arithmetic). */
  value(i: number): ConstValue | undefined;
  /** True when the input is present (not omitted). */
  has(i: number): boolean;
  attr(name: string): Attribute | undefined;
  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  ints(name: string): number[] | undefined;
  float(name: string, fallback: number): number;
  floats(name: string): number[] | undefined;
  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  graph(name: string): Graph | undefined;
  /** Infers a subgraph (If/Loop/Scan body) whose formal inputs get `inputs`; returns its outputs' facts. */
  inferGraph(graph: Graph, inputs: (ValueFacts | undefined)[]): ValueFacts[];
  warn(message: string): void;
}

/** Returns facts per output (undefined: unknown). Throwing is allowed: the caller turns it into a warning. */
export type ShapeRule = (ctx: InferContext) => (ValueFacts | undefined)[];

export interface RuleEntry {
  domain: string;
  opType: string;
  since: number;
  infer: ShapeRule;
}

/** Rules by normalized domain, then op type; each list sorted by `since`, highest first. */
const rules = new Map<string, Map<string, RuleEntry[]>>();

/**
 * Registers rules. `opTypes` may list several operators sharing one rule; `since` defaults to 1.
 * Domain '' is the standard ONNX domain.
 */
export function defineRules(
  entries: { domain?: string; ops: string | string[]; since?: number; infer: ShapeRule }[],
): void {
  for (const e of entries) {
    for (const opType of Array.isArray(e.ops) ? e.ops : [e.ops]) {
      const d = normalizeDomain(e.domain ?? '');
      let byOp = rules.get(d);
      if (!byOp) {
        byOp = new Map();
        rules.set(d, byOp);
      }
      const list = byOp.get(opType) ?? [];
      list.push({ domain: e.domain ?? '', opType, since: e.since ?? 1, infer: e.infer });
      list.sort((a, b) => b.since - a.since);
      byOp.set(opType, list);
    }
  }
}

/** The rule for an operator at an opset version, or undefined when none is known. */
export function findRule(domain: string, opType: string, opset: number): RuleEntry | undefined {
  const list = rules.get(normalizeDomain(domain))?.get(opType);
  if (!list) return undefined;
  for (const r of list) if (r.since <= opset) return r;
  return list[list.length - 1];
}

/** Every (domain, opType) with a rule, for reports of coverage. */
export function knownOperators(): { domain: string; opType: string }[] {
  return [...rules.values()].flatMap((byOp) =>
    [...byOp.values()].map((l) => ({ domain: l[0].domain, opType: l[0].opType })),
  );
}
