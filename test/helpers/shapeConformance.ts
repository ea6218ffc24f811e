/**
 * Shape-inference conformance against ONNX's node tests: for each case, infer the model's outputs from its inputs
 * alone (declared output shapes ignored) and compare element type and shape with the expected output_*.pb.
 */
import { readFileSync } from 'node:fs';
import type { ValueFacts } from '../../src/core/analysis/facts.js';
import { inferShapes } from '../../src/core/analysis/infer.js';
import { decodeModel, decodeTestValue, type Model, type TestValue, walkGraphs } from '../../src/core/onnx/index.js';
import { listTestCases, type TestCase } from './onnxTestData.js';

export interface CaseResult {
  id: string;
  /** Operator of the case (the main graph's op types, joined). */
  ops: string;
  status: 'agree' | 'disagree' | 'unsupported' | 'no-data';
  details?: string;
}

function expectedOf(v: TestValue): { dtype?: number; shape?: number[]; kind: string } {
  if (v.kind === 'tensor') return { kind: 'tensor', dtype: v.tensor.dataType, shape: v.tensor.dims };
  if (v.kind === 'optional') return v.element ? expectedOf(v.element) : { kind: 'optional-empty' };
  return { kind: v.kind };
}

function describe(f: ValueFacts | undefined): string {
  if (!f) return 'nothing';
  if (f.kind !== 'tensor') return f.kind;
  return `dtype ${f.dtype ?? '?'} shape ${f.shape ? `[${f.shape.map((d) => (d === null ? '?' : d)).join(',')}]` : '(unknown rank)'}`;
}

/** Checks one case; `unsupported` when some operator of the model has no rule. */
export function checkCase(c: TestCase): CaseResult {
  const model: Model = decodeModel(readFileSync(c.modelPath), { fileName: c.id });
  const ops = [...new Set(model.graph.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)))].join('+');
  const set = c.dataSets[0];
  if (!set) return { id: c.id, ops, status: 'no-data' };
  const result = inferShapes(model, { useDeclared: false });
  const unsupported = Object.keys(result.unsupported);
  if (unsupported.length) return { id: c.id, ops, status: 'unsupported', details: unsupported.join(', ') };
  const problems: string[] = [];
  model.graph.outputs.forEach((out, i) => {
    const file = set.outputs[i];
    if (!file) return;
    const expected = expectedOf(decodeTestValue(readFileSync(file), out.type, { fileName: file }));
    const got = result.values.get(out.name);
    if (expected.kind === 'tensor') {
      const ok =
        got?.kind === 'tensor' &&
        got.dtype === expected.dtype &&
        got.shape !== undefined &&
        got.shape.length === expected.shape?.length &&
        got.shape.every((d, k) => d === expected.shape?.[k]);
      if (!ok) {
        problems.push(
          `output '${out.name}': expected dtype ${expected.dtype} shape [${expected.shape?.join(',')}], inferred ${describe(got)}`,
        );
      }
    } else if (expected.kind === 'sequence' && got?.kind !== 'sequence') {
      problems.push(`output '${out.name}': expected a sequence, inferred ${describe(got)}`);
    }
  });
  const warnings = result.warnings.filter((w) => w.code === 'rule-failed').map((w) => w.message);
  if (problems.length) return { id: c.id, ops, status: 'disagree', details: [...problems, ...warnings].join('; ') };
  return { id: c.id, ops, status: 'agree' };
}

export function runShapeConformance(folders: readonly string[] = ['node']): CaseResult[] {
  return listTestCases(undefined, folders).map((c) => {
    try {
      return checkCase(c);
    } catch (err) {
      return {
        id: c.id,
        ops: '?',
        status: 'disagree' as const,
        details: `threw: ${err instanceof Error ? err.stack : err}`,
      };
    }
  });
}

/** Operators the models of a case use, across subgraphs (for the unsupported tally). */
export function caseOperators(model: Model): string[] {
  const ops = new Set<string>();
  for (const { graph } of walkGraphs(model.graph)) for (const n of graph.nodes) ops.add(n.opType);
  return [...ops];
}
