/** The model's summary (identity, interface, operator mix, weights, problems), as it was before the graph view. */
import { formatBytes, formatShape, type ModelSummary } from '../src/core/report/summary.js';
import { el, table } from './dom.js';

export function renderSummary(into: HTMLElement, fileName: string, s: ModelSummary): void {
  into.replaceChildren();
  into.appendChild(el('h1', fileName));
  const facts: [string, string][] = [
    ['IR version', String(s.irVersion)],
    ['Producer', `${s.producer.name} ${s.producer.version}`.trim() || '(none)'],
    ['Opsets', s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')],
    ['Nodes', String(s.nodeCount + s.subgraphNodeCount)],
    ['Weights', `${s.initializers.count} tensors, ${formatBytes(s.initializers.bytes)}`],
  ];
  into.appendChild(table(['', ''], facts));
  into.appendChild(el('h2', 'Inputs'));
  into.appendChild(
    table(
      ['name', 'type', 'shape'],
      s.inputs.map((v) => [v.name, v.type, formatShape(v.shape)]),
    ),
  );
  into.appendChild(el('h2', 'Outputs'));
  into.appendChild(
    table(
      ['name', 'type', 'shape'],
      s.outputs.map((v) => [v.name, v.type, formatShape(v.shape)]),
    ),
  );
  into.appendChild(el('h2', 'Operators'));
  const ops = Object.entries(s.opCounts).sort((a, b) => b[1] - a[1]);
  into.appendChild(
    table(
      ['op', 'count'],
      ops.map(([op, n]) => [op, String(n)]),
    ),
  );
  if (s.problems.length) {
    into.appendChild(el('h2', 'Problems'));
    into.appendChild(
      table(
        ['severity', 'problem'],
        s.problems.map((p) => [p.severity, `${p.where}${p.message}`]),
      ),
    );
  }
}
