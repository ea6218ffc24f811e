/**
 * The model webview. Every string that comes from a model is set with textContent, never parsed as HTML.
 */
import { formatBytes, formatShape, type ModelSummary } from '../src/core/report/summary.js';
import type { HostMessage, WebviewMessage } from '../src/protocol.js';

declare function acquireVsCodeApi(): { postMessage(msg: WebviewMessage): void };

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function table(header: string[], rows: string[][]): HTMLTableElement {
  const t = el('table');
  const head = t.createTHead().insertRow();
  for (const h of header) head.appendChild(el('th', h));
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
  return t;
}

function renderSummary(fileName: string, s: ModelSummary): void {
  app.replaceChildren();
  app.appendChild(el('h1', fileName));
  const facts: [string, string][] = [
    ['IR version', String(s.irVersion)],
    ['Producer', `${s.producer.name} ${s.producer.version}`.trim() || '(none)'],
    ['Opsets', s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')],
    ['Nodes', String(s.nodeCount + s.subgraphNodeCount)],
    ['Weights', `${s.initializers.count} tensors, ${formatBytes(s.initializers.bytes)}`],
  ];
  app.appendChild(table(['', ''], facts));
  app.appendChild(el('h2', 'Inputs'));
  app.appendChild(
    table(
      ['name', 'type', 'shape'],
      s.inputs.map((v) => [v.name, v.type, formatShape(v.shape)]),
    ),
  );
  app.appendChild(el('h2', 'Outputs'));
  app.appendChild(
    table(
      ['name', 'type', 'shape'],
      s.outputs.map((v) => [v.name, v.type, formatShape(v.shape)]),
    ),
  );
  app.appendChild(el('h2', 'Operators'));
  const ops = Object.entries(s.opCounts).sort((a, b) => b[1] - a[1]);
  app.appendChild(
    table(
      ['op', 'count'],
      ops.map(([op, n]) => [op, String(n)]),
    ),
  );
  if (s.problems.length) {
    app.appendChild(el('h2', 'Problems'));
    app.appendChild(
      table(
        ['severity', 'problem'],
        s.problems.map((p) => [p.severity, `${p.where}${p.message}`]),
      ),
    );
  }
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'summary':
      renderSummary(msg.fileName, msg.summary);
      break;
    case 'error':
      app.replaceChildren(el('h1', msg.fileName), el('p', msg.message, 'error'));
      break;
  }
});

vscode.postMessage({ type: 'ready' });
