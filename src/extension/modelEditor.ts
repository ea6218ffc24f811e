/**
 * The read-only custom editor for `.onnx` files. It reads the file through workspace.fs (local, remote and
 * virtual files alike), lets the engine parse and validate it once per document, and sends the webview a summary,
 * then the graph with per-node costs (built once per document, when a webview first asks).
 */
import * as vscode from 'vscode';
import { analyzeModel } from '../core/analysis/cost.js';
import { decodeModel, validateModel } from '../core/onnx/index.js';
import type { Model } from '../core/onnx/ir.js';
import { buildGraphModel, type GraphModel } from '../core/report/graphModel.js';
import { type ModelSummary, summarizeModel } from '../core/report/summary.js';
import { assertNever, type HostMessage, type WebviewMessage } from '../protocol.js';
import { webviewHtml } from './webviewHtml.js';

type Loaded = { ok: true; summary: ModelSummary } | { ok: false; message: string };
type Built = { ok: true; graph: GraphModel } | { ok: false; message: string };

class ModelDocument implements vscode.CustomDocument {
  private graph: Built | undefined;
  constructor(
    readonly uri: vscode.Uri,
    readonly loaded: Loaded,
    /** Kept (with the file bytes its tensors view) only until the graph model is built. */
    private model: Model | undefined,
  ) {}

  /** The graph model, built on first use and kept: shape inference and costs run once per document. */
  graphModel(): Built {
    if (!this.graph) {
      if (!this.model) return { ok: false, message: this.loaded.ok ? 'the model is gone' : this.loaded.message };
      try {
        this.graph = { ok: true, graph: buildGraphModel(this.model, analyzeModel(this.model)) };
      } catch (err) {
        this.graph = { ok: false, message: err instanceof Error ? err.message : String(err) };
      }
      this.model = undefined;
    }
    return this.graph;
  }
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
      return new ModelDocument(uri, { ok: true, summary }, model);
    } catch (err) {
      return new ModelDocument(
        uri,
        { ok: false, message: err instanceof Error ? err.message : String(err) },
        undefined,
      );
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
          if (!document.loaded.ok) break;
          // After the summary is on its way: the analysis can take a while on big models.
          setImmediate(() => {
            const built = document.graphModel();
            const next: HostMessage = built.ok
              ? { type: 'graph', fileName, graph: built.graph }
              : { type: 'graphError', fileName, message: built.message };
            void panel.webview.postMessage(next);
          });
          break;
        }
        case 'rendered':
        case 'selectTarget':
        case 'requestWeightStats':
        case 'applyFix':
        case 'exportReport':
        case 'graphImage':
        case 'runCommand':
        case 'cancel':
        case 'selected':
          break;
        default:
          assertNever(msg);
      }
    });
  }

  private html(webview: vscode.Webview, dist: vscode.Uri, media: vscode.Uri): string {
    return webviewHtml({
      cspSource: webview.cspSource,
      nonce: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'webview.css')).toString(),
    });
  }
}
