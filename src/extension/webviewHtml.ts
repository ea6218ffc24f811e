/**
 * The model webview's page: a strict Content-Security-Policy (nothing by default; scripts only with this render's
 * nonce; styles and images only from the extension's assets; workers only from blob: URLs, which is how VS Code
 * webviews can start a Web Worker) and the two built assets. No model data is ever put in the page: it arrives by
 * postMessage. Free of `vscode` so that the browser tests serve exactly this page.
 */

export interface WebviewPage {
  /** The webview's `cspSource` (where its local resources are served from). */
  cspSource: string;
  /** A fresh random value per render. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function webviewCsp(page: Pick<WebviewPage, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `style-src ${page.cspSource}`,
    `script-src 'nonce-${page.nonce}'`,
    `img-src ${page.cspSource} data:`,
    `font-src ${page.cspSource}`,
    'worker-src blob:',
  ].join('; ');
}

export function webviewHtml(page: WebviewPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${webviewCsp(page)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${page.styleUri}">
<title>Edge Model Profiler</title>
</head>
<body>
<main id="app" aria-live="polite"><p>Loading model…</p></main>
<script nonce="${page.nonce}" src="${page.scriptUri}"></script>
</body>
</html>`;
}
