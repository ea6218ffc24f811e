/**
 * The compare view: a webview panel with two models' totals side by side (and, after a transform, its validation
 * in ONNX Runtime and the estimate on the current target) and the per-layer diff of src/core/transforms/compare.ts,
 * changed layers highlighted, and both models' graphs with those layers filled (see compareGraph.ts). Clicking a
 * layer's name reveals it in that model's editor (opened when it is not).
 * The page has its own strict CSP with a fresh nonce; the data arrives by postMessage after the webview's `ready`.
 */
import * as vscode from 'vscode';
import type { CompareData, CompareHostMessage, CompareWebviewMessage } from '../../webview/compare/protocol.js';
import { compareHtml } from './compareHtml.js';
import { postToModel } from './shared.js';

export interface CompareModels {
  a: vscode.Uri;
  b: vscode.Uri;
  /** Graph inputs that are not initializers, per model (see `inputOffset`). */
  inputOffsets: { a: number; b: number };
}

const VIEW_TYPE = 'edgeProfiler.compare';
const EDITOR_VIEW_TYPE = 'edgeModelProfiler.model';

/**
 * Opens a compare panel beside the active editor. Resolves once its page has loaded (its first `ready`) or after
 * 5 s: opening another webview (the new model's editor) while this one loads can stall either page's loading.
 */
export function showCompareView(
  context: vscode.ExtensionContext,
  data: CompareData,
  models: CompareModels,
): Promise<void> {
  let loaded: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    loaded = resolve;
    setTimeout(resolve, 5000);
  });
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
  const media = vscode.Uri.joinPath(context.extensionUri, 'media');
  const panel = vscode.window.createWebviewPanel(
    VIEW_TYPE,
    `Compare: ${data.a.label} ↔ ${data.b.label}`,
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
    { enableScripts: true, localResourceRoots: [dist, media], retainContextWhenHidden: false },
  );
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  panel.webview.html = compareHtml({
    cspSource: panel.webview.cspSource,
    nonce,
    scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'compare.js')).toString(),
    styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'compare.css')).toString(),
  });
  const sub = panel.webview.onDidReceiveMessage((msg: CompareWebviewMessage) => {
    switch (msg.type) {
      case 'ready': {
        const reply: CompareHostMessage = { type: 'compare', data };
        void panel.webview.postMessage(reply);
        loaded();
        break;
      }
      case 'reveal': {
        if (!Number.isInteger(msg.node) || msg.node < 0) break;
        const uri = msg.side === 'a' ? models.a : models.b;
        const offset = msg.side === 'a' ? models.inputOffsets.a : models.inputOffsets.b;
        void revealInEditor(uri, offset + msg.node);
        break;
      }
      default: {
        const never: never = msg;
        throw new Error(`unhandled compare message ${JSON.stringify(never)}`);
      }
    }
  });
  panel.onDidDispose(() => {
    sub.dispose();
    loaded();
  });
  return ready;
}

/**
 * Reveals node `node` of the main graph in the model's editor; opens the editor first when none shows the model
 * and retries while it loads (up to 10 s).
 */
async function revealInEditor(uri: vscode.Uri, node: number): Promise<void> {
  const msg = { type: 'reveal', graph: 0, node } as const;
  if (postToModel(uri, msg)) return;
  await vscode.commands.executeCommand('vscode.openWith', uri, EDITOR_VIEW_TYPE, {
    viewColumn: vscode.ViewColumn.One,
    preserveFocus: true,
  });
  for (let waited = 0; waited < 10_000; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    // A freshly opened editor draws its graph first; give it a moment after it registers.
    if (postToModel(uri, msg)) {
      setTimeout(() => postToModel(uri, msg), 1500);
      return;
    }
  }
}
