/**
 * Shape-inference conformance against ONNX's node tests: for each case, infer the model's outputs from its inputs
 * alone (declared output shapes ignored) and compare element type and shape with the expected output_*.pb.
 */
import { readFileSync } from 'node:fs';
import type { Dim, ValueFacts } from '../../src/core/analysis/facts.js';
import { inferShapes } from '../../src/core/analysis/infer.js';
import {
  decodeModel,
  decodeTestValue,
  type Model,
  type TestValue,
  type TypeInfo,
  walkGraphs,
} from '../../src/core/onnx/index.js';
import { listTestCases, type TestCase } from './onnxTestData.js';

export interface CaseResult {
  id: string;
  /** Operator of the case (the main graph's op types, joined). */
  ops: string;
  /**
   * agree: every output's element type and shape inferred exactly. partial: nothing contradicts the expected
   * outputs, but some dims (or a rank) are left unknown, as they must be when they depend on input data (a Loop's
   * trip count, a window's size from an input). disagree: something inferred is wrong or missing.
   */
  status: 'agree' | 'disagree' | 'partial' | 'unsupported' | 'no-data';
  details?: string;
}

function describe(f: ValueFacts | undefined): string {
  if (!f) return 'nothing';
  if (f.kind === 'unknown') return 'unknown';
  if (f.kind !== 'tensor') return `${f.kind}<${describe(f.elem)}>`;
  return `dtype ${f.dtype ?? '?'} shape ${describeShape(f.shape)}`;
}

function describeShape(shape: readonly Dim[] | undefined): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : d)).join(',')}]` : '(unknown rank)';
}

/** Outcome of comparing one value: problems (wrong) and gaps (left unknown where the data knows). */
interface Comparison {
  problems: string[];
  gaps: string[];
}

/** Expected facts of a tensor (or of what every element of a sequence has in common). */
interface ExpectedTensor {
  dtype?: number;
  /** undefined: the elements' ranks differ. */
  shape?: Dim[];
}

function compareTensor(where: string, expected: ExpectedTensor, got: ValueFacts | undefined, out: Comparison): void {
  const want = `dtype ${expected.dtype ?? '?'} shape ${describeShape(expected.shape)}`;
  if (got?.kind !== 'tensor' || got.dtype === undefined || got.dtype !== expected.dtype) {
    if (got?.kind === 'tensor' && got.dtype === undefined && expected.dtype === undefined) return;
    out.problems.push(`${where}: expected ${want}, inferred ${describe(got)}`);
    return;
  }
  if (!got.shape) {
    if (expected.shape) out.gaps.push(`${where}: rank unknown, expected ${want}`);
    return;
  }
  const gotShape = got.shape;
  const wrong =
    !expected.shape ||
    gotShape.length !== expected.shape.length ||
    gotShape.some((d, k) => typeof d === 'number' && d !== expected.shape?.[k]);
  if (wrong) {
    out.problems.push(`${where}: expected ${want}, inferred ${describe(got)}`);
    return;
  }
  if (gotShape.some((d, k) => d !== expected.shape?.[k])) {
    out.gaps.push(`${where}: inferred ${describe(got)}, expected ${want}`);
  }
}

/** What all tensor elements of a sequence share: equal dims kept, differing dims null, differing ranks undefined. */
function commonOf(elements: TestValue[]): ExpectedTensor | undefined {
  const tensors = elements.flatMap((e) => (e.kind === 'tensor' ? [e.tensor] : []));
  if (tensors.length === 0 || tensors.length !== elements.length) return undefined;
  let shape: Dim[] | undefined = [...tensors[0].dims];
  for (const t of tensors.slice(1)) {
    if (!shape || shape.length !== t.dims.length) shape = undefined;
    else shape = shape.map((d, k) => (d === t.dims[k] ? d : null));
  }
  return { dtype: tensors[0].dataType, shape };
}

/** Compares a test value with inferred facts, structurally through sequences and optionals. */
function compareValue(
  where: string,
  expected: TestValue,
  declared: TypeInfo | undefined,
  got: ValueFacts | undefined,
  out: Comparison,
): void {
  if (expected.kind === 'tensor') {
    // ONNX 1.12's test data stores bfloat16 outputs as uint16 tensors (numpy has no bfloat16); the model declares them.
    const dtype =
      expected.tensor.dataType === 4 && declared?.kind === 'tensor' && declared.elemType === 16
        ? 16
        : expected.tensor.dataType;
    compareTensor(where, { dtype, shape: [...expected.tensor.dims] }, got, out);
    return;
  }
  if (got?.kind !== expected.kind) {
    out.problems.push(`${where}: expected a ${expected.kind}, inferred ${describe(got)}`);
    return;
  }
  const inner = declared && declared.kind !== 'map' && 'elem' in declared ? declared.elem : undefined;
  if (expected.kind === 'optional') {
    if (expected.element) {
      if (!got.elem) out.gaps.push(`${where}: the optional's element type is unknown`);
      else compareValue(`${where} (element)`, expected.element, inner, got.elem, out);
    }
    return;
  }
  if (expected.kind === 'sequence') {
    if (got.length !== undefined && got.length !== expected.elements.length) {
      out.problems.push(`${where}: expected ${expected.elements.length} elements, inferred ${got.length}`);
    }
    if (got.elements && got.elements.length === expected.elements.length) {
      // Elements inferred one by one are compared one by one.
      const inner0 = inner;
      got.elements.forEach((g, k) => {
        compareValue(`${where} (element ${k})`, expected.elements[k], inner0, g, out);
      });
    }
    const common = commonOf(expected.elements);
    const declaredDtype = inner?.kind === 'tensor' ? inner.elemType : undefined;
    if (common) {
      if (!got.elem) out.gaps.push(`${where}: the sequence's element type is unknown`);
      else compareTensor(`${where} (elements)`, common, got.elem, out);
    } else if (expected.elements.length === 0 && declaredDtype && got.elem) {
      // An empty sequence: only its element type can be checked, against the declared type.
      if (got.elem.kind !== 'tensor' || got.elem.dtype !== declaredDtype) {
        out.problems.push(`${where}: expected elements of dtype ${declaredDtype}, inferred ${describe(got.elem)}`);
      }
    }
  }
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
  const cmp: Comparison = { problems: [], gaps: [] };
  model.graph.outputs.forEach((out, i) => {
    const file = set.outputs[i];
    if (!file) return;
    const expected = decodeTestValue(readFileSync(file), out.type, { fileName: file });
    compareValue(`output '${out.name}'`, expected, out.type, result.values.get(out.name), cmp);
  });
  const warnings = result.warnings.filter((w) => w.code === 'rule-failed').map((w) => w.message);
  if (cmp.problems.length) {
    return { id: c.id, ops, status: 'disagree', details: [...cmp.problems, ...cmp.gaps, ...warnings].join('; ') };
  }
  if (cmp.gaps.length) return { id: c.id, ops, status: 'partial', details: [...cmp.gaps, ...warnings].join('; ') };
  return { id: c.id, ops, status: 'agree' };
}

export interface ConformanceTally {
  cases: number;
  /** Cases whose every operator has a rule and whose outputs are fully inferred: agree + disagree. */
  checked: number;
  agree: number;
  disagree: number;
  partial: number;
  unsupported: number;
  noData: number;
  /** Operators without a rule -> number of cases they keep unsupported, most first. */
  unsupportedOps: [string, number][];
}

export function tallyResults(results: readonly CaseResult[]): ConformanceTally {
  const t: ConformanceTally = {
    cases: results.length,
    checked: 0,
    agree: 0,
    disagree: 0,
    partial: 0,
    unsupported: 0,
    noData: 0,
    unsupportedOps: [],
  };
  const ops = new Map<string, number>();
  for (const r of results) {
    if (r.status === 'no-data') t.noData++;
    else t[r.status]++;
    if (r.status === 'unsupported') for (const o of (r.details ?? '').split(', ')) ops.set(o, (ops.get(o) ?? 0) + 1);
  }
  t.checked = t.agree + t.disagree;
  t.unsupportedOps = [...ops.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return t;
}

/** `shape conformance: N cases, checked C, agree A, unsupported U, …` */
export function tallyLine(t: ConformanceTally): string {
  return (
    `shape conformance: ${t.cases} cases, checked ${t.checked}, agree ${t.agree}, unsupported ${t.unsupported}, ` +
    `disagree ${t.disagree}, partial ${t.partial}, no data ${t.noData}`
  );
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
