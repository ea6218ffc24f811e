/**
 * Serves the built webview to a browser the way VS Code does — the page from src/extension/webviewHtml.ts with
 * its Content-Security-Policy and a fresh nonce, dist/webview.js and media/webview.css — plus a stub of VS Code's
 * side: `acquireVsCodeApi()` whose postMessage answers `ready` with the host messages of a test case (built by the
 * real graphModel.ts and, for a target, the real estimator), answers `selectTarget` with that target's estimate
 * (or an `estimateError` for a target it has none for) and `requestWeightStats` with the weight's statistics, and
 * whose getState/setState keep state in sessionStorage, so that a reload stands for the tab being hidden and shown
 * again. The stub records what the webview posts and any CSP violation.
 *
 *   /view?case=NAME[&theme=light|dark|hc][&csp=0]
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { webviewHtml } from '../../src/extension/webviewHtml.js';
import { hostScript } from './models.js';

const root = join(import.meta.dirname, '..', '..');

/** A few of VS Code's theme variables (values of its default themes), for the canvas and the panels. */
const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-editor-background': '#ffffff',
      '--vscode-editor-foreground': '#3b3b3b',
      '--vscode-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-editorWidget-border': '#c8c8c8',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-border': '#0000001a',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-panelTitle-activeForeground': '#3b3b3b',
      '--vscode-panelTitle-activeBorder': '#005fb8',
      '--vscode-panelTitle-inactiveForeground': '#3b3b3b',
      '--vscode-settings-headerBorder': '#e5e5e5',
      '--vscode-panel-background': '#f8f8f8',
      '--vscode-settings-dropdownBackground': '#ffffff',
      '--vscode-settings-dropdownBorder': '#cecece',
      '--vscode-settings-dropdownForeground': '#3b3b3b',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
      '--vscode-errorForeground': '#f85149',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editor-foreground': '#cccccc',
      '--vscode-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-editorWidget-border': '#454545',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-panelTitle-activeForeground': '#cccccc',
      '--vscode-panelTitle-activeBorder': '#0078d4',
      '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
      '--vscode-list-activeSelectionBackground': '#04395e',
      '--vscode-list-inactiveSelectionBackground': '#37373d',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-errorForeground': '#f85149',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      '--vscode-editor-background': '#000000',
      '--vscode-editor-foreground': '#ffffff',
      '--vscode-foreground': '#ffffff',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-focusBorder': '#f38518',
      '--vscode-editorWidget-background': '#0c141f',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-border': '#6fc3df',
      '--vscode-badge-background': '#000000',
      '--vscode-badge-foreground': '#ffffff',
      '--vscode-panelTitle-activeForeground': '#ffffff',
      '--vscode-panelTitle-activeBorder': '#6fc3df',
      '--vscode-panelTitle-inactiveForeground': '#ffffff',
      '--vscode-list-focusOutline': '#f38518',
      '--vscode-errorForeground': '#f48771',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
    },
  },
};

const STUB = `
window.__empTest = true;
window.__empSent = [];
window.__empViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__empViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
window.acquireVsCodeApi = () => ({
  postMessage(message) {
    window.__empSent.push(message);
    if (message.type === 'ready') {
      // ?delay=MS stands for the time the host spends analysing the model before the graph is sent.
      const delay = Number(new URLSearchParams(location.search).get('delay') ?? 0);
      setTimeout(() => {
        for (const m of window.__empHostMessages) window.postMessage(m, '*');
      }, delay);
    } else if (message.type === 'selectTarget') {
      const answer = window.__empEstimates[message.targetId];
      setTimeout(() => {
        window.postMessage({ type: 'progress', stage: 'Estimating', fraction: null }, '*');
        if (answer) for (const m of answer) window.postMessage(m, '*');
        else window.postMessage({ type: 'estimateError', targetId: message.targetId, message: 'the stub host has no estimate for this target', staleMetrics: ['latency', 'bound'] }, '*');
        window.postMessage({ type: 'progress', stage: 'Estimating', fraction: 1, done: true }, '*');
      }, 20);
    } else if (message.type === 'requestWeightStats') {
      const key = message.graph + ':' + message.tensor;
      const stats = window.__empWeightStats[key] ?? null;
      setTimeout(() => {
        window.postMessage({ type: 'weightStats', graph: message.graph, tensor: message.tensor, stats, ...(stats ? {} : { error: 'no such weight' }) }, '*');
      }, 20);
    }
  },
  getState() {
    const s = sessionStorage.getItem('emp-state');
    return s ? JSON.parse(s) : undefined;
  },
  setState(state) {
    sessionStorage.setItem('emp-state', JSON.stringify(state));
  },
});
`;

export interface Harness {
  url(caseName: string, options?: { theme?: string; csp?: boolean; delayMs?: number }): string;
  close(): Promise<void>;
  /** Milliseconds spent building each case's host messages (in Node, like the extension host). */
  buildMs: Record<string, number>;
}

export async function startHarness(): Promise<Harness> {
  const script = join(root, 'dist', 'webview.js');
  if (!existsSync(script)) throw new Error('dist/webview.js is missing: run `npm run build` first');
  const data = new Map<string, string>();
  const buildMs: Record<string, number> = {};
  const dataScript = async (name: string): Promise<string> => {
    let js = data.get(name);
    if (!js) {
      const t = performance.now();
      const script = await hostScript(name);
      buildMs[name] = performance.now() - t;
      // String literals parsed by JSON.parse: quick for big data, and no model string is ever code.
      const literal = (x: unknown) => `JSON.parse(${JSON.stringify(JSON.stringify(x))})`;
      js =
        `window.__empHostMessages = ${literal(script.messages)};\n` +
        `window.__empEstimates = ${literal(script.estimates)};\n` +
        `window.__empWeightStats = ${literal(script.weightStats)};\n`;
      data.set(name, js);
    }
    return js;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      if (url.pathname === '/view') {
        const name = url.searchParams.get('case') ?? 'vww';
        const theme = THEMES[url.searchParams.get('theme') ?? 'light'] ?? THEMES.light;
        const origin = `http://${req.headers.host}`;
        const nonce = randomBytes(16).toString('base64');
        let html = webviewHtml({
          cspSource: origin,
          nonce,
          scriptUri: `${origin}/dist/webview.js`,
          styleUri: `${origin}/media/webview.css`,
        });
        if (url.searchParams.get('csp') === '0')
          html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n/, '');
        html = html
          .replace(
            '<link rel="stylesheet"',
            `<link rel="stylesheet" href="${origin}/theme.css?name=${url.searchParams.get('theme') ?? 'light'}">\n<link rel="stylesheet"`,
          )
          .replace('<body>', `<body class="${theme.bodyClass}">`)
          .replace(
            `<script nonce="${nonce}" src="${origin}/dist/webview.js">`,
            `<script nonce="${nonce}" src="${origin}/stub.js"></script>\n<script nonce="${nonce}" src="${origin}/data.js?case=${encodeURIComponent(name)}"></script>\n<script nonce="${nonce}" src="${origin}/dist/webview.js">`,
          );
        return send(200, 'text/html; charset=utf-8', html);
      }
      if (url.pathname === '/stub.js') return send(200, 'text/javascript', STUB);
      if (url.pathname === '/data.js')
        return send(200, 'text/javascript', await dataScript(url.searchParams.get('case') ?? 'vww'));
      if (url.pathname === '/theme.css') {
        const t = THEMES[url.searchParams.get('name') ?? 'light'] ?? THEMES.light;
        const vars = Object.entries(t.vars)
          .map(([k, v]) => `  ${k}: ${v};`)
          .join('\n');
        return send(200, 'text/css', `html {\n${vars}\n}\n`);
      }
      if (url.pathname === '/dist/webview.js') return send(200, 'text/javascript', readFileSync(script));
      if (url.pathname === '/media/webview.css')
        return send(200, 'text/css', readFileSync(join(root, 'media', 'webview.css')));
      return send(404, 'text/plain', 'not found');
    } catch (err) {
      return send(500, 'text/plain', String(err instanceof Error ? err.stack : err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    buildMs,
    url(caseName, options = {}) {
      const q = new URLSearchParams({ case: caseName, theme: options.theme ?? 'light' });
      if (options.csp === false) q.set('csp', '0');
      if (options.delayMs) q.set('delay', String(options.delayMs));
      return `http://127.0.0.1:${port}/view?${q}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The flags the e2e suite uses: Chromium must not try hosts this machine cannot reach. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
