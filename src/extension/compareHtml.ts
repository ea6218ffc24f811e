/**
 * The compare view's page (see compareView.ts), free of `vscode` so that the browser tests serve exactly this
 * page. No model data is ever put in it: the data arrives by postMessage.
 */

/**
 * The compare page: nothing allowed by default, the script by this render's nonce, styles from the assets, and
 * the layout worker from a blob: URL.
 */
export function compareHtml(page: { cspSource: string; nonce: string; scriptUri: string; styleUri: string }): string {
  const csp = [
    "default-src 'none'",
    `style-src ${page.cspSource}`,
    `script-src 'nonce-${page.nonce}'`,
    `font-src ${page.cspSource}`,
    // The graphs' layout worker starts from a blob: URL, as in the model editor's page.
    'worker-src blob:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${page.styleUri}">
<title>Compare models</title>
</head>
<body>
<main id="app" aria-live="polite"><p>Comparing…</p></main>
<script nonce="${page.nonce}" src="${page.scriptUri}"></script>
</body>
</html>`;
}
