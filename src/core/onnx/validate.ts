/**
 * Structural validation of a model. Problems are returned as a list (never thrown) so that a partly broken model
 * still opens; every message names the node or value at fault and, inside a subgraph, the path to it.
 */

import { dataTypeInfo } from './dtype.js';
import { checkExternalLocation, type ExternalDataError } from './externalData.js';
import type { FunctionDef, Graph, Model, Node, Tensor } from './ir.js';
import { normalizeDomain } from './ir.js';
import { elementCount, tensorByteSize, tensorStoredBytes } from './tensor.js';

export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Stable identifier of the kind of problem, e.g. `dangling-input`. */
  code: string;
  message: string;
  /** Node name (or `OpType#index` when unnamed) the problem is about. */
  node?: string;
  /** Path of the subgraph or function, '' for the main graph. */
  where: string;
}

/** Operators whose graph attributes are required, by op type (standard domain). */
const requiredGraphAttributes: Record<string, string[]> = {
  If: ['then_branch', 'else_branch'],
  Loop: ['body'],
  Scan: ['body'],
  SequenceMap: ['body'],
};

/** Domains every ONNX runtime understands without an opset_import mistake being likely. */
const wellKnownDomains = new Set(['', 'ai.onnx.ml', 'ai.onnx.training', 'ai.onnx.preview.training', 'com.microsoft']);

class Scope {
  private readonly names = new Set<string>();
  /**
   * `enclosing`: the values the nodes of the enclosing graph produce, which a subgraph sees as its own (a node of
   * the subgraph redefining one is a duplicate). Referenced rather than copied: copying them into every subgraph's
   * scope cost the size of the enclosing graph per subgraph.
   */
  constructor(
    private readonly parent?: Scope,
    private readonly enclosing?: ReadonlyMap<string, unknown>,
  ) {}
  add(name: string): void {
    this.names.add(name);
  }
  hasLocal(name: string): boolean {
    return this.names.has(name) || (this.enclosing?.has(name) ?? false);
  }
  has(name: string): boolean {
    return this.hasLocal(name) || (this.parent?.has(name) ?? false);
  }
}

export function nodeLabel(node: Node, index: number): string {
  return node.name ? node.name : `${node.opType || '?'}#${index}`;
}

export function validateModel(model: Model): Problem[] {
  const problems: Problem[] = [];
  const add = (severity: Severity, code: string, message: string, where: string, node?: string) =>
    problems.push({ severity, code, message, where, ...(node !== undefined ? { node } : {}) });

  if (!model.irVersion) add('error', 'ir-version', 'ir_version is missing (0)', '');
  const imported = new Map<string, number>();
  for (const o of model.opsetImports) {
    const d = normalizeDomain(o.domain);
    if (imported.has(d)) add('error', 'duplicate-opset', `opset_import lists domain '${o.domain}' twice`, '');
    imported.set(d, o.version);
    if (!Number.isSafeInteger(o.version) || o.version < 1) {
      add(
        'error',
        'opset-version',
        `opset_import of domain '${o.domain || 'ai.onnx'}' has invalid version ${o.version}`,
        '',
      );
    }
  }
  const functionKeys = new Set(model.functions.map((f) => `${f.domain}\u0000${f.name}\u0000${f.overload ?? ''}`));
  const functionDomains = new Set(model.functions.map((f) => normalizeDomain(f.domain)));

  const checkNodeDomain = (node: Node, label: string, where: string, opsets: Map<string, number>) => {
    const d = normalizeDomain(node.domain);
    if (!node.opType) add('error', 'missing-op-type', `node '${label}' has no op_type`, where, label);
    if (functionKeys.size && functionKeys.has(`${node.domain}\u0000${node.opType}\u0000${node.overload ?? ''}`)) {
      return;
    }
    if (!opsets.has(d)) {
      const hint = wellKnownDomains.has(d) || functionDomains.has(d) ? '' : ' (unknown domain)';
      add(
        'error',
        'unknown-domain',
        `node '${label}' (${node.opType}): domain '${node.domain || 'ai.onnx'}' is not in the model's opset_import${hint}`,
        where,
        label,
      );
    }
  };

  const checkTensor = (t: Tensor, where: string, what: string) => {
    if (!dataTypeInfo(t.dataType)) {
      add('error', 'tensor-type', `${what} '${t.name}' has unknown element type ${t.dataType}`, where);
      return;
    }
    const n = elementCount(t.dims);
    if (Number.isNaN(n)) {
      add('error', 'tensor-dims', `${what} '${t.name}' has invalid dims [${t.dims.join(', ')}]`, where);
      return;
    }
    if (t.data.kind === 'external') {
      try {
        checkExternalLocation(t.data.location);
      } catch (err) {
        add('error', 'external-location', `${what} '${t.name}': ${(err as ExternalDataError).message}`, where);
      }
      if (!Number.isSafeInteger(t.data.offset) || t.data.offset < 0) {
        add('error', 'external-range', `${what} '${t.name}': external data offset is not a valid number`, where);
      }
      if (t.data.length !== undefined && (!Number.isSafeInteger(t.data.length) || t.data.length < 0)) {
        add('error', 'external-range', `${what} '${t.name}': external data length is not a valid number`, where);
      } else if (t.data.length !== undefined && t.data.length !== tensorByteSize(t)) {
        add(
          'error',
          'tensor-size',
          `${what} '${t.name}': external length ${t.data.length} does not match shape [${t.dims.join(', ')}] (${tensorByteSize(t)} bytes)`,
          where,
        );
      }
      return;
    }
    if (t.data.kind === 'raw' || t.data.kind === 'empty') {
      const expected = tensorByteSize(t);
      const stored = tensorStoredBytes(t);
      if (t.dataType !== 8 && stored !== expected) {
        add(
          'error',
          'tensor-size',
          `${what} '${t.name}': ${stored} bytes of data for shape [${t.dims.join(', ')}] (${expected} bytes expected)`,
          where,
        );
      }
    }
  };

  const checkBody = (
    nodes: Node[],
    scope: Scope,
    where: string,
    opsets: Map<string, number>,
    declaredOutputs: string[],
  ) => {
    // Producers of every value defined in this graph.
    const producer = new Map<string, number>();
    for (let i = 0; i < nodes.length; i++) {
      for (const out of nodes[i].outputs) {
        if (out === '') continue;
        const before = producer.size;
        producer.set(out, i);
        if (producer.size === before || scope.hasLocal(out)) {
          const label = nodeLabel(nodes[i], i);
          add(
            'error',
            'duplicate-value',
            `value '${out}' is defined more than once (again by node '${label}')`,
            where,
            label,
          );
        }
      }
    }

    // Dangling inputs; whether every input comes from an earlier node (then there is no cycle either).
    let unsortedAt = -1;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const label = nodeLabel(node, i);
      checkNodeDomain(node, label, where, opsets);
      for (const input of node.inputs) {
        if (input === '') continue;
        const p = producer.get(input);
        if (p !== undefined) {
          if (p >= i && unsortedAt < 0) unsortedAt = i;
        } else if (!scope.has(input)) {
          add(
            'error',
            'dangling-input',
            `node '${label}' (${node.opType}): input '${input}' is not produced by any node, graph input or initializer`,
            where,
            label,
          );
        }
      }
      // Subgraphs see every name of this graph (ONNX's scoping rule), including values produced later.
      const required = normalizeDomain(node.domain) === '' ? requiredGraphAttributes[node.opType] : undefined;
      for (const attrName of required ?? []) {
        const attr = node.attributes.find((a) => a.name === attrName);
        if (attr?.type !== 'graph') {
          add(
            'error',
            'missing-subgraph',
            `node '${label}' (${node.opType}): required graph attribute '${attrName}' is ${attr ? `of type ${attr.type}` : 'missing'}`,
            where,
            label,
          );
        }
      }
      for (const attr of node.attributes) {
        if (attr.type === 'graph' || attr.type === 'graphs') {
          const sub = attr.type === 'graph' ? [attr.value] : attr.value;
          sub.forEach((g, k) => {
            const inner = new Scope(scope, producer);
            checkGraph(
              g,
              inner,
              `${where}${label}/${attr.name}${attr.type === 'graphs' ? `[${k}]` : ''}/`,
              opsets,
              false,
            );
          });
        } else if (attr.type === 'tensor') {
          checkTensor(attr.value, where, `attribute '${attr.name}' of node '${label}'`);
        }
      }
    }

    for (const out of declaredOutputs) {
      if (out && !producer.has(out) && !scope.has(out)) {
        add(
          'error',
          'dangling-output',
          `graph output '${out}' is not produced by any node, input or initializer`,
          where,
        );
      }
    }

    // Every edge going from an earlier node to a later one rules out a cycle: the dependency lists are only
    // built (and searched) for a graph that is not in order.
    const cycle = unsortedAt < 0 ? undefined : findCycle(dependencies(nodes, producer));
    if (cycle) {
      const names = cycle.map((i) => `'${nodeLabel(nodes[i], i)}'`);
      add(
        'error',
        'cycle',
        `the graph has a cycle through nodes ${names.slice(0, 8).join(' -> ')}${names.length > 8 ? ' -> …' : ''}`,
        where,
        nodeLabel(nodes[cycle[0]], cycle[0]),
      );
    } else if (unsortedAt >= 0) {
      add(
        'warning',
        'not-sorted',
        `nodes are not in topological order (node '${nodeLabel(nodes[unsortedAt], unsortedAt)}' uses a value produced after it)`,
        where,
      );
    }
  };

  const checkGraph = (g: Graph, scope: Scope, where: string, opsets: Map<string, number>, top: boolean) => {
    const seenInputs = new Set<string>();
    for (const v of g.inputs) {
      if (seenInputs.has(v.name)) add('error', 'duplicate-value', `graph input '${v.name}' is declared twice`, where);
      seenInputs.add(v.name);
      scope.add(v.name);
      if (top && !v.type) add('warning', 'missing-type', `graph input '${v.name}' has no type`, where);
    }
    const seenInit = new Set<string>();
    for (const t of g.initializers) {
      const before = seenInit.size;
      seenInit.add(t.name);
      if (seenInit.size === before) add('error', 'duplicate-value', `initializer '${t.name}' is defined twice`, where);
      scope.add(t.name);
      checkTensor(t, where, 'initializer');
    }
    for (const s of g.sparseInitializers) {
      const name = s.values.name;
      if (seenInit.has(name)) add('error', 'duplicate-value', `sparse initializer '${name}' is defined twice`, where);
      seenInit.add(name);
      scope.add(name);
      checkTensor(s.values, where, 'sparse initializer values');
      checkTensor(s.indices, where, 'sparse initializer indices');
    }
    checkBody(
      g.nodes,
      scope,
      where,
      opsets,
      g.outputs.map((o) => o.name),
    );
  };

  const checkFunction = (f: FunctionDef) => {
    const where = `function ${f.domain}.${f.name}${f.overload ? `:${f.overload}` : ''}/`;
    const opsets = new Map(imported);
    for (const o of f.opsetImports) opsets.set(normalizeDomain(o.domain), o.version);
    const scope = new Scope();
    for (const i of f.inputs) if (i) scope.add(i);
    checkBody(f.nodes, scope, where, opsets, f.outputs);
  };

  checkGraph(model.graph, new Scope(), '', imported, true);
  model.functions.forEach(checkFunction);
  model.trainingInfo.forEach((ti, i) => {
    if (ti.initialization)
      checkGraph(ti.initialization, new Scope(), `training_info[${i}].initialization/`, imported, false);
    if (ti.algorithm) {
      // The algorithm graph may use the inference graph's initializers (global mutable variables).
      const scope = new Scope();
      for (const t of model.graph.initializers) scope.add(t.name);
      checkGraph(ti.algorithm, scope, `training_info[${i}].algorithm/`, imported, false);
    }
  });
  return problems;
}

/** deps[i]: the nodes node i reads from (by the producers of its inputs). */
function dependencies(nodes: Node[], producer: Map<string, number>): number[][] {
  return nodes.map((node) => {
    const deps: number[] = [];
    for (const input of node.inputs) {
      if (input === '') continue;
      const p = producer.get(input);
      if (p !== undefined) deps.push(p);
    }
    return deps;
  });
}

/** A cycle in a dependency list (deps[i] = nodes i reads from), as node indices in order, or undefined. */
function findCycle(deps: number[][]): number[] | undefined {
  const state = new Uint8Array(deps.length); // 0 new, 1 on stack, 2 done
  const parent = new Int32Array(deps.length).fill(-1);
  for (let start = 0; start < deps.length; start++) {
    if (state[start]) continue;
    // Iterative DFS: a model with 50k nodes in a chain must not exhaust the call stack.
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [v, k] = top;
      if (k < deps[v].length) {
        top[1]++;
        const w = deps[v][k];
        if (state[w] === 0) {
          state[w] = 1;
          parent[w] = v;
          stack.push([w, 0]);
        } else if (state[w] === 1) {
          const cycle = [w];
          for (let u = v; u !== w && u >= 0; u = parent[u]) cycle.push(u);
          return cycle.reverse();
        }
      } else {
        state[v] = 2;
        stack.pop();
      }
    }
  }
  return undefined;
}
