/**
 * The read-only custom editor for `.onnx` files. It reads the file through workspace.fs (local, remote and
 * virtual files alike), lets the engine parse and validate it once per document, and sends the webview a summary.
 */
import * as vscode from 'vscode';
import { decodeModel, validateModel } from '../core/onnx/index.js';
import { type ModelSummary, summarizeModel } from '../core/report/summary.js';
import { assertNever, type HostMessage, type WebviewMessage } from '../protocol.js';

type Loaded = { ok: true; summary: ModelSummary } | { ok: false; message: string };

class ModelDocument implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    readonly loaded: Loaded,
  ) {}
  dispose(): void {}
}

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  static readonly viewType = 'edgeModelProfiler.model';

  static register(context: vscode.ExtensionContext): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(ModelEditorProvider.viewType, new ModelEditorProvider(context), {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    });
  }

  constructor(private readonly context: vscode.ExtensionContext) {}

  async openCustomDocument(uri: vscode.Uri): Promise<ModelDocument> {
    const name = uri.path.split('/').pop() ?? uri.toString();
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      const model = decodeModel(bytes, { fileName: name });
      const summary = summarizeModel(model, validateModel(model), { path: name, bytes: bytes.length });
      return new ModelDocument(uri, { ok: true, summary });
    } catch (err) {
      return new ModelDocument(uri, { ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    panel.webview.html = this.html(panel.webview, dist, media);
    const fileName = document.uri.path.split('/').pop() ?? '';
    panel.webview.onDidReceiveMessage((msg: WebviewMessage) => {
      switch (msg.type) {
        case 'ready': {
          const reply: HostMessage = document.loaded.ok
            ? { type: 'summary', fileName, summary: document.loaded.summary }
            : { type: 'error', fileName, message: document.loaded.message };
          void panel.webview.postMessage(reply);
          break;
        }
        default:
          assertNever(msg.type);
      }
    });
  }

  private html(webview: vscode.Webview, dist: vscode.Uri, media: vscode.Uri): string {
    const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'webview.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Edge Model Profiler</title>
</head>
<body>
<main id="app" aria-live="polite"><p>Loading model…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}
