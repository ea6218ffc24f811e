/** The side panel's account of the selected node, input/output or scope. */
import type { GraphModel, GraphTensor, GraphView } from '../src/core/report/graphModel.js';
import { formatShape } from '../src/core/report/summary.js';
import { button, el, table } from './dom.js';
import { formatCount, type Hierarchy } from './graph/hierarchy.js';
import { formatMetric, itemValues } from './graph/overlay.js';

export interface DetailsActions {
  openGraph(graph: number): void;
  toggle(item: number): void;
}

function tensorRows(graph: GraphView, ids: number[]): string[][] {
  return ids
    .filter((t) => t >= 0)
    .map((t) => {
      const x: GraphTensor = graph.tensors[t];
      const what = x.kind === 'initializer' ? 'weight' : x.kind === 'outer' ? 'outer scope' : (x.origin ?? 'unknown');
      return [x.name, x.dtype ?? '?', x.shape ? formatShape(x.shape) : '(unknown rank)', what];
    });
}

function metricRows(model: GraphModel, values: (i: number) => number): string[][] {
  return model.metrics.map((m, i) => {
    const v = values(i);
    if (m.kind === 'category') return [m.label, Number.isNaN(v) ? 'n/a' : (m.categories[v] ?? '?')];
    return [m.label, Number.isNaN(v) ? 'n/a' : formatMetric(v, m.unit)];
  });
}

export function renderDetails(
  into: HTMLElement,
  model: GraphModel,
  hier: Hierarchy,
  item: number,
  expanded: boolean,
  actions: DetailsActions,
): void {
  into.replaceChildren();
  if (item < 0) return;
  const graph = hier.graph;
  if (hier.isContainer(item)) {
    const kind = hier.kind[item] === 'range' ? 'Range of a scope' : 'Scope';
    into.append(el('h2', hier.title[item]), el('p', kind, 'muted'));
    const facts: string[][] = [];
    if (hier.path[item]) facts.push(['Path', hier.path[item]]);
    facts.push(['Nodes', formatCount(hier.opCount[item])]);
    into.append(table(['', ''], facts));
    const columns = model.metrics.map((m, i) =>
      itemValues(
        hier,
        graph.nodes.map((n) => n.metrics[i] ?? null),
        m,
      ),
    );
    into.append(
      el('h3', 'Totals'),
      table(
        ['', ''],
        metricRows(model, (i) => columns[i][item]),
      ),
    );
    into.append(button(expanded ? 'Collapse' : 'Expand', () => actions.toggle(item)));
    return;
  }
  const node = graph.nodes[item];
  into.append(el('h2', node.name));
  if (node.kind !== 'op') {
    into.append(el('p', node.kind === 'input' ? 'Graph input' : 'Graph output', 'muted'));
    const t = node.kind === 'input' ? node.outputs : node.inputs;
    into.append(table(['name', 'type', 'shape', 'shape from'], tensorRows(graph, t), 'Value'));
    return;
  }
  const facts: string[][] = [['Op type', node.domain ? `${node.domain}.${node.opType}` : node.opType]];
  const scope = hier.path[graph.nodes.length + node.scope];
  if (scope) facts.push(['Scope', scope]);
  if (node.folded) facts.push(['Run time', 'folded (computed from constants)']);
  into.append(table(['', ''], facts));
  into.append(el('h3', 'Inputs'), table(['name', 'type', 'shape', 'shape from'], tensorRows(graph, node.inputs)));
  into.append(el('h3', 'Outputs'), table(['name', 'type', 'shape', 'shape from'], tensorRows(graph, node.outputs)));
  into.append(
    el('h3', 'Cost'),
    table(
      ['', ''],
      metricRows(model, (i) => node.metrics[i] ?? Number.NaN),
    ),
  );
  if (node.unknownReason) into.append(el('p', `Cost n/a: ${node.unknownReason}`, 'muted'));
  if (node.subgraphs?.length) {
    into.append(el('h3', 'Subgraphs'));
    const list = el('ul', undefined, 'subgraphs');
    for (const s of node.subgraphs) {
      const li = el('li');
      const g = model.graphs[s.graph];
      li.append(
        button(`Open ${s.attribute}`, () => actions.openGraph(s.graph), {
          ariaLabel: `Open subgraph ${s.attribute} (${g.nodes.filter((n) => n.kind === 'op').length} nodes)`,
        }),
      );
      list.append(li);
    }
    into.append(list);
  }
}
