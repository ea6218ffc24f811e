/**
 * Our shape inference against ONNX's (onnx.shape_inference.infer_shapes, Debian's python3-onnx) on real models:
 * libonnx-testdata's pytorch-converted/, pytorch-operator/ and simple/ models always, and every
 * /work/shared/models/**.onnx when that folder exists (a development folder; absent on a user's machine and in CI).
 *
 * Both sides infer from the graph inputs and initializers alone: ours runs with useDeclared: false (the model is
 * read as is), and test/crosscheck/onnx_infer_shapes.py clears the model's value_info and graph output shapes before
 * ONNX infers. For every value ONNX reports a type for:
 *   - element types must be equal (when both are known);
 *   - ranks must be equal (when both are known);
 *   - per dimension: both numbers -> equal; ONNX symbolic ('unk__N' or a named dim_param) -> ours may be any
 *     symbol or null, a number only where ONNX has an 'unk__N' (ours "more precise") — a named dim_param comes from
 *     a graph input, and since we substitute no dims here a number in its place would be wrong; ONNX a number but
 *     ours null/a symbol/unknown rank -> "less precise"; ours a different number -> mismatch.
 * Values ONNX lists nothing for but we know completely also count as "more precise". The test asserts zero
 * mismatches (shape, rank, element type, kind). "Less precise" is allowed only where the value's producing
 * operator — or, for a value that inherits the imprecision, an operator upstream of it — has no shape rule yet, and
 * every such operator must be listed in PENDING_RULES below, which shrinks as rules land; a rule known to be less
 * precise than ONNX's is listed, with the reason, in KNOWN_IMPRECISE.
 * Skipped (with a diagnostic) when ONNX_PYTHON cannot import onnx. SHAPE_CROSSCHECK_VERBOSE=1 lists every value
 * that is not equal (more precise ones included).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { Dim, ValueFacts } from '../../src/core/analysis/facts.js';
import { inferShapes } from '../../src/core/analysis/infer.js';
import { knownOperators } from '../../src/core/analysis/registry.js';
import { decodeModel, type Model, normalizeDomain, walkGraphs } from '../../src/core/onnx/index.js';
import { findOnnxFiles, listTestCases, ONNX_PYTHON, requireTestData, runPythonJson } from '../helpers/onnxTestData.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const inferScript = join(repoRoot, 'test', 'crosscheck', 'onnx_infer_shapes.py');
/** Real-world models for development; optional (absent on a user's machine and in CI). */
const sharedModels = process.env.SHARED_MODELS_DIR ?? '/work/shared/models';
const TESTDATA_FOLDERS = ['pytorch-converted', 'pytorch-operator', 'simple'];

/**
 * Operators (`domain.op`, plain `op` for the standard domain) that have no shape rule yet and that the models above
 * use where ONNX infers a shape. Values they produce, and values downstream that inherit the imprecision, may be
 * "less precise" than ONNX's. An entry whose operator has a rule now fails the test: delete it when its rule lands.
 */
const PENDING_RULES: ReadonlySet<string> = new Set<string>([
  // QONNX's Quant, which its exporter stores in the standard domain (unusual/qonnx_kws_w3a3.onnx); not an ONNX
  // operator: ONNX infers nothing for it either, only for a MatMul downstream (element type from the other input).
  'Quant',
]);

/**
 * Operators that have a rule which is, on some of these models, less precise than ONNX's: operator -> why. Each
 * entry must still account for at least one value (a stale entry fails the test).
 */
const KNOWN_IMPRECISE: ReadonlyMap<string, string> = new Map<string, string>([]);

type PyDim = number | string | null;
type PyType =
  | { kind: 'tensor' | 'sparse_tensor'; elem_type: number; shape: PyDim[] | null }
  | { kind: 'sequence' | 'optional'; elem: PyType | null }
  | { kind: 'map'; key_type: number; value: PyType | null }
  | { kind: 'opaque' | 'none' };
interface PyModel {
  path: string;
  error?: string;
  graphs?: Record<string, Record<string, PyType>>;
}

type Verdict = 'equal' | 'less' | 'more' | 'mismatch';

interface Comparison {
  verdict: Verdict;
  /** What differs, for messages. */
  note?: string;
  dtypeMismatch?: boolean;
}

const rank: Record<Verdict, number> = { equal: 0, more: 1, less: 2, mismatch: 3 };
const worse = (a: Verdict, b: Verdict): Verdict => (rank[a] >= rank[b] ? a : b);

const showDims = (s: readonly (Dim | PyDim)[] | null | undefined) =>
  s ? `[${s.map((d) => (d === null ? '?' : typeof d === 'string' ? `'${d}'` : d)).join(',')}]` : '(unknown rank)';

function describeOurs(f: ValueFacts | undefined): string {
  if (!f || f.kind === 'unknown') return 'nothing';
  if (f.kind !== 'tensor') return f.kind;
  return `dtype ${f.dtype ?? '?'} ${showDims(f.shape)}`;
}

/** Compares one dimension; `named` holds the model's own dim_params (those of its graph inputs). */
function compareDim(py: PyDim, ours: Dim, named: ReadonlySet<string>): Verdict {
  if (typeof py === 'number') return typeof ours === 'number' ? (ours === py ? 'equal' : 'mismatch') : 'less';
  if (typeof ours !== 'number') return 'equal';
  // ONNX knows nothing (null) or made a symbol up ('unk__N'): ours is more precise. A named dim_param of a graph
  // input is one ONNX kept; we substitute no dims in this test, so a number in its place is wrong.
  return py === null || !named.has(py) ? 'more' : 'mismatch';
}

/** ONNX's type of a value against our facts. */
function compareType(py: PyType, ours: ValueFacts | undefined, named: ReadonlySet<string>): Comparison {
  const known = ours !== undefined && ours.kind !== 'unknown';
  if (py.kind === 'tensor' || py.kind === 'sparse_tensor') {
    if (!known) return { verdict: py.elem_type || py.shape ? 'less' : 'equal', note: 'ours: nothing' };
    if (ours.kind !== 'tensor') return { verdict: 'mismatch', note: `ours is a ${ours.kind}, ONNX a tensor` };
    let verdict: Verdict = 'equal';
    let dtypeMismatch = false;
    if (py.elem_type && ours.dtype === undefined) verdict = 'less';
    else if (py.elem_type && ours.dtype !== py.elem_type) {
      verdict = 'mismatch';
      dtypeMismatch = true;
    }
    if (py.shape === null) {
      if (ours.shape?.every((d) => typeof d === 'number')) verdict = worse(verdict, 'more');
    } else if (ours.shape === undefined) {
      verdict = worse(verdict, 'less');
    } else if (ours.shape.length !== py.shape.length) {
      verdict = 'mismatch';
    } else {
      for (let i = 0; i < py.shape.length; i++) verdict = worse(verdict, compareDim(py.shape[i], ours.shape[i], named));
    }
    const note =
      verdict === 'equal'
        ? undefined
        : `ONNX dtype ${py.elem_type} ${showDims(py.shape)}, ours ${describeOurs(ours)}${dtypeMismatch ? ' (element type differs)' : ''}`;
    return { verdict, note, dtypeMismatch };
  }
  if (py.kind === 'sequence' || py.kind === 'optional') {
    if (!known) return { verdict: 'less', note: `ONNX: ${py.kind}, ours: nothing` };
    if (ours.kind !== py.kind) return { verdict: 'mismatch', note: `ONNX: ${py.kind}, ours: ${ours.kind}` };
    if (!py.elem) return { verdict: 'equal' };
    const inner = compareType(py.elem, ours.elem, named);
    return { ...inner, note: inner.note && `${py.kind} element: ${inner.note}` };
  }
  if (py.kind === 'map') {
    if (!known) return { verdict: 'less', note: 'ONNX: map, ours: nothing' };
    if (ours.kind !== 'map') return { verdict: 'mismatch', note: `ONNX: map, ours: ${ours.kind}` };
    return { verdict: 'equal' };
  }
  return { verdict: 'equal' };
}

const opKey = (domain: string, opType: string) => {
  const d = normalizeDomain(domain);
  return d ? `${d}.${opType}` : opType;
};

interface Finding {
  where: string;
  value: string;
  op: string;
  note: string;
}

/**
 * Our facts as this engine computed them: a value filled in from the model's own value_info or graph outputs
 * (origin 'declared') counts as unknown, in case useDeclared: false lets some through.
 */
function computed(f: ValueFacts | undefined): ValueFacts | undefined {
  return f?.origin === 'declared' ? undefined : f;
}

function onnxAvailable(): { ok: true; version: string } | { ok: false; why: string } {
  const r = spawnSync(ONNX_PYTHON, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return { ok: true, version: r.stdout.trim() };
  return { ok: false, why: r.error ? r.error.message : ((r.stderr || '').trim().split('\n').pop() ?? '') };
}

test('inferShapes agrees with onnx.shape_inference.infer_shapes on real models', (t) => {
  const onnx = onnxAvailable();
  if (!onnx.ok) {
    t.diagnostic(`${ONNX_PYTHON} cannot import onnx (${onnx.why}); install python3-onnx to run this cross-check`);
    t.skip('python3-onnx is not installed');
    return;
  }
  const root = requireTestData();
  const shared = findOnnxFiles(sharedModels);
  if (!existsSync(sharedModels)) t.diagnostic(`${sharedModels} does not exist: only libonnx-testdata models compared`);
  const paths = [...listTestCases(root, TESTDATA_FOLDERS).map((c) => c.modelPath), ...shared];
  const label = (p: string) => (p.startsWith(root) ? relative(root, p) : relative(sharedModels, p));

  const dir = mkdtempSync(join(tmpdir(), 'emp-shape-crosscheck-'));
  let reported: { onnx_version: string; models: PyModel[] };
  try {
    const list = join(dir, 'models.txt');
    assert.ok(
      paths.every((p) => !p.includes('\n')),
      'a model path contains a newline',
    );
    writeFileSync(list, `${paths.join('\n')}\n`);
    reported = runPythonJson(inferScript, [list], 600_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(reported.models.length, paths.length, 'onnx_infer_shapes.py reported on fewer models than it was given');

  const withRules = new Set(knownOperators().map((o) => opKey(o.domain, o.opType)));
  const tally = {
    models: 0,
    values: 0,
    equal: 0,
    less: 0,
    more: 0,
    mismatch: 0,
    dtypeMismatch: 0,
    inherited: 0,
    unlisted: 0,
  };
  const onnxFailed: string[] = [];
  const mismatches: Finding[] = [];
  /** Operators without a rule behind less precise values: values they produce, values downstream of them. */
  const lessByOp = new Map<string, { direct: number; inherited: number }>();
  const blame = (op: string, how: 'direct' | 'inherited') => {
    const e = lessByOp.get(op) ?? { direct: 0, inherited: 0 };
    e[how]++;
    lessByOp.set(op, e);
  };
  /** Less precise values whose producer and every operator upstream have a rule: an imprecise rule. */
  const imprecise: Finding[] = [];
  const morePrecise: Finding[] = [];
  /** Less precise values explained by an operator without a rule (for SHAPE_CROSSCHECK_VERBOSE). */
  const pending: Finding[] = [];
  const unsupportedSeen = new Set<string>();

  for (let m = 0; m < paths.length; m++) {
    const py = reported.models[m];
    assert.equal(py.path, paths[m], 'onnx_infer_shapes.py reported models out of order');
    if (py.error || !py.graphs) {
      onnxFailed.push(`${label(paths[m])}: ${py.error}`);
      continue;
    }
    let model: Model;
    try {
      model = decodeModel(readFileSync(paths[m]), { fileName: paths[m] });
    } catch (err) {
      assert.fail(`${label(paths[m])}: ONNX infers it but we cannot read it: ${(err as Error).message}`);
    }
    const result = inferShapes(model, { useDeclared: false });
    for (const k of Object.keys(result.unsupported)) unsupportedSeen.add(k);
    tally.models++;
    const named = new Set<string>();
    for (const { graph } of walkGraphs(model.graph)) {
      for (const v of graph.inputs) {
        if (v.type?.kind === 'tensor' || v.type?.kind === 'sparse_tensor') {
          for (const d of v.type.shape ?? []) if (typeof d === 'string') named.add(d);
        }
      }
    }

    for (const { graph, path: gpath } of walkGraphs(model.graph)) {
      const pyValues = py.graphs[gpath] ?? {};
      const ours = result.graphs.get(graph);
      const where = `${label(paths[m])}${gpath ? ` ${gpath}` : ''}`;
      const producers = new Map<string, number>();
      graph.nodes.forEach((n, i) => {
        for (const o of n.outputs) if (o) producers.set(o, i);
      });
      /** Operators without a rule upstream of a node (in this graph), nearest first. */
      const missingUpstream = (start: number): string[] => {
        const found: string[] = [];
        const seen = new Set<number>([start]);
        const queue = [start];
        for (let q = 0; q < queue.length; q++) {
          for (const input of graph.nodes[queue[q]].inputs) {
            const p = producers.get(input);
            if (p === undefined || seen.has(p)) continue;
            seen.add(p);
            const n = graph.nodes[p];
            const k = opKey(n.domain, n.opType);
            if (!withRules.has(k) && !model.functions.some((f) => f.name === n.opType)) found.push(k);
            queue.push(p);
          }
        }
        return [...new Set(found)];
      };
      const producerOp = (name: string) => {
        const i = producers.get(name);
        return i === undefined ? '(graph input)' : opKey(graph.nodes[i].domain, graph.nodes[i].opType);
      };

      for (const [name, pyType] of Object.entries(pyValues)) {
        const c = compareType(pyType, computed(ours?.get(name)), named);
        tally.values++;
        const op = producerOp(name);
        const finding = { where, value: name, op, note: c.note ?? '' };
        if (c.verdict === 'equal') tally.equal++;
        else if (c.verdict === 'more') {
          tally.more++;
          morePrecise.push(finding);
        } else if (c.verdict === 'mismatch') {
          tally.mismatch++;
          if (c.dtypeMismatch) tally.dtypeMismatch++;
          mismatches.push(finding);
        } else {
          tally.less++;
          const i = producers.get(name);
          if (!withRules.has(op) && i !== undefined) {
            blame(op, 'direct');
            pending.push(finding);
          } else {
            const upstream = i === undefined ? [] : missingUpstream(i);
            if (upstream.length) {
              tally.inherited++;
              for (const u of upstream) blame(u, 'inherited');
              pending.push({ ...finding, note: `${finding.note} (downstream of ${upstream.join(', ')})` });
            } else {
              imprecise.push(finding);
            }
          }
        }
      }
      // Values ONNX lists nothing for but we know completely.
      for (const node of graph.nodes) {
        for (const name of node.outputs) {
          if (!name || name in pyValues) continue;
          const f = computed(ours?.get(name));
          if (f?.kind === 'tensor' && f.dtype !== undefined && f.shape?.every((d) => typeof d === 'number')) {
            tally.more++;
            tally.unlisted++;
            morePrecise.push({
              where,
              value: name,
              op: producerOp(name),
              note: `ONNX: nothing, ours ${describeOurs(f)}`,
            });
          }
        }
      }
    }
  }

  const fmt = (f: Finding) => `${f.where}: '${f.value}' (${f.op}): ${f.note}`;
  const byOp = (fs: Finding[]) => {
    const counts = new Map<string, number>();
    for (const f of fs) counts.set(f.op, (counts.get(f.op) ?? 0) + 1);
    return [...counts].map(([op, n]) => `${op} ${n}`).join(', ');
  };
  const lessOps = [...lessByOp].sort((a, b) => b[1].direct - a[1].direct || b[1].inherited - a[1].inherited);
  const knownImprecise = imprecise.filter((f) => KNOWN_IMPRECISE.has(f.op));
  const unexplained = imprecise.filter((f) => !KNOWN_IMPRECISE.has(f.op));
  t.diagnostic(
    `shape crosscheck (onnx ${reported.onnx_version}): ${tally.models} models compared (${paths.length - shared.length} libonnx-testdata, ${shared.length} from ${sharedModels}); ` +
      `${tally.values} values compared: ${tally.equal} equal, ${tally.less} less precise (${tally.inherited} of them inherited from upstream), ` +
      `${tally.more} more precise (${tally.unlisted} of them values ONNX lists nothing for), ${tally.mismatch} mismatches (${tally.dtypeMismatch} element type)`,
  );
  if (onnxFailed.length) t.diagnostic(`ONNX could not infer ${onnxFailed.length} models: ${onnxFailed.join('; ')}`);
  if (lessOps.length) {
    t.diagnostic(
      `less precise for lack of a rule (op: values it produces / values downstream): ${lessOps.map(([op, n]) => `${op} ${n.direct}/${n.inherited}`).join(', ')}`,
    );
  }
  if (morePrecise.length) t.diagnostic(`more precise by producer: ${byOp(morePrecise)}`);
  if (knownImprecise.length) t.diagnostic(`less precise, known imprecise rules: ${byOp(knownImprecise)}`);
  if (unexplained.length) {
    t.diagnostic(`less precise although every operator has a rule, by producer: ${byOp(unexplained)}`);
  }
  if (unsupportedSeen.size)
    t.diagnostic(`operators without a rule in these models: ${[...unsupportedSeen].sort().join(', ')}`);

  if (process.env.SHAPE_CROSSCHECK_VERBOSE) {
    for (const f of [...mismatches, ...imprecise, ...pending, ...morePrecise]) t.diagnostic(fmt(f));
  }
  const list = (what: string, fs: Finding[]) =>
    `${fs.length} ${what}:\n  ${fs.slice(0, 40).map(fmt).join('\n  ')}${fs.length > 40 ? `\n  … and ${fs.length - 40} more` : ''}`;
  assert.ok(tally.models >= 100, `only ${tally.models} models compared`);
  assert.equal(
    tally.dtypeMismatch,
    0,
    list(
      'element type mismatches',
      mismatches.filter((f) => f.note.includes('element type')),
    ),
  );
  assert.equal(mismatches.length, 0, list('values where our shape contradicts ONNX', mismatches));
  assert.equal(
    unexplained.length,
    0,
    list('values less precise than ONNX although every operator has a rule (not in KNOWN_IMPRECISE)', unexplained),
  );
  const staleKnown = [...KNOWN_IMPRECISE.keys()].filter((op) => !knownImprecise.some((f) => f.op === op));
  assert.deepEqual(
    staleKnown,
    [],
    `these rules are no longer less precise than ONNX; delete them from KNOWN_IMPRECISE: ${staleKnown.join(', ')}`,
  );
  const unlisted = lessOps.map(([op]) => op).filter((op) => !PENDING_RULES.has(op));
  assert.deepEqual(
    unlisted,
    [],
    `operators without a rule cause less precise values; add them to PENDING_RULES: ${unlisted.join(', ')}`,
  );
  const stale = [...PENDING_RULES].filter((op) => withRules.has(op));
  assert.deepEqual(stale, [], `these operators have a rule now; delete them from PENDING_RULES: ${stale.join(', ')}`);
});
