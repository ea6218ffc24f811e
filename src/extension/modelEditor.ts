/**
 * The read-only custom editor for `.onnx` files. The provider reads the file through workspace.fs (local, remote
 * and virtual files alike) and hands the bytes to an analysis worker (one per document): decoding, validation,
 * shapes, costs, the graph model and estimates never run on the extension host's main thread. Loading shows
 * progress (notification and webview) and can be cancelled, which ends the worker. A model over the size
 * threshold asks first whether to load its weights; the graph opens either way.
 *
 * What the webviews of a document were sent is kept on the document and replayed to a webview that (re)loads:
 * summary, graph, targets, estimate and its metric columns, or the error that stopped any of them.
 */

import * as vscode from 'vscode';
import type { EstimateView } from '../core/report/estimateView.js';
import type { GraphModel } from '../core/report/graphModel.js';
import type { ModelSummary } from '../core/report/summary.js';
import { assertNever, type HostMessage, type ImageFormat, type WebviewMessage } from '../protocol.js';
import { AnalysisClient, CancelledError } from './analysisClient.js';
import {
  BOUND_METRIC,
  estimateColumns,
  fixAction,
  LATENCY_METRIC,
  problemItems,
  statusText,
} from './diagnosticsView.js';
import { measuredMetricsFor } from './modelCommands.js';
import { COMMANDS, postToModel, registerModelWebview } from './shared.js';
import type { TargetService } from './targets.js';
import { externalDataSource } from './uriFiles.js';
import { webviewHtml } from './webviewHtml.js';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const MB = 1024 * 1024;
const megabytes = (n: number) => `${(n / MB).toFixed(n < 10 * MB ? 1 : 0)} MB`;

export class ModelDocument implements vscode.CustomDocument {
  readonly fileName: string;
  client: AnalysisClient | undefined;
  summary: ModelSummary | undefined;
  loadError: string | undefined;
  graph: GraphModel | undefined;
  graphError: string | undefined;
  estimate: EstimateView | undefined;
  estimateError: { targetId: string; message: string } | undefined;
  progress: { stage: string; fraction: number | null } | undefined;
  /** The webview's current selection (graph 0 node, -1: none). */
  selected = { graph: -1, node: -1 };
  readonly panels = new Set<vscode.WebviewPanel>();
  /** Runs one pipeline step after another (a target change waits for the analysis). */
  private queue: Promise<void> = Promise.resolve();
  private cancelled = false;
  /** Answers to `exportGraph`, by request id. */
  readonly imageRequests = new Map<number, (image: { format: ImageFormat; data: string }) => void>();
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;

  constructor(
    readonly uri: vscode.Uri,
    readonly loadWeights: boolean,
  ) {
    this.fileName = uri.path.split('/').pop() ?? uri.toString();
  }

  post(msg: HostMessage): void {
    postToModel(this.uri, msg);
  }

  /** Runs `step` after the steps before it; failures are handled by the step itself. */
  enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step, step);
    return this.queue;
  }

  /** Ends the worker: what is running stops, and the webview says so. */
  cancel(): void {
    if (this.cancelled || (this.client && !this.client.alive)) return;
    this.cancelled = true;
    this.client?.cancel(`${this.fileName}: cancelled; reopen the file to analyze it again`);
  }

  get wasCancelled(): boolean {
    return this.cancelled;
  }

  /** What a webview that just became ready is sent, in protocol order. */
  replay(webview: vscode.Webview, targets: HostMessage | undefined): void {
    const send = (m: HostMessage) => void webview.postMessage(m);
    if (this.loadError !== undefined) {
      send({ type: 'error', fileName: this.fileName, message: this.loadError });
      return;
    }
    if (this.summary) send({ type: 'summary', fileName: this.fileName, summary: this.summary });
    if (this.graph) {
      send({ type: 'graph', fileName: this.fileName, graph: this.graph });
      for (const m of measuredMetricsFor(this.uri)) send(m);
    } else if (this.graphError !== undefined)
      send({ type: 'graphError', fileName: this.fileName, message: this.graphError });
    if (targets) send(targets);
    if (this.estimate) for (const m of estimateMessages(this.graph, this.estimate)) send(m);
    else if (this.estimateError)
      send({ type: 'estimateError', ...this.estimateError, staleMetrics: ESTIMATE_METRIC_KEYS });
    if (this.progress) send({ type: 'progress', ...this.progress });
  }

  dispose(): void {
    this.client?.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}

/** The metrics an estimate adds to the graph (dropped again when the next estimate fails). */
const ESTIMATE_METRIC_KEYS = [LATENCY_METRIC.key, BOUND_METRIC.key];

/** The `estimate` message and its two metric columns for the graph's overlays. */
export function estimateMessages(graph: GraphModel | undefined, estimate: EstimateView): HostMessage[] {
  const out: HostMessage[] = [{ type: 'estimate', estimate }];
  if (graph) {
    const cols = estimateColumns(graph, estimate);
    out.push({ type: 'metrics', graph: 0, metric: LATENCY_METRIC, values: cols.latency });
    out.push({ type: 'metrics', graph: 0, metric: BOUND_METRIC, values: cols.bound });
  }
  return out;
}

export interface EditorHooks {
  /** A document's estimate changed (or was cleared): diagnostics and the status bar follow. */
  onEstimate(doc: ModelDocument): void;
  /** A document was closed. */
  onClose(doc: ModelDocument): void;
  /** Export from the webview. */
  exportReport(doc: ModelDocument, format: 'md' | 'html' | 'csv' | 'json'): void;
  saveImage(doc: ModelDocument, format: ImageFormat, data: string): void;
}

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  static readonly viewType = 'edgeModelProfiler.model';
  private readonly documents = new Map<string, ModelDocument>();
  private active: { doc: ModelDocument; panel: vscode.WebviewPanel } | undefined;
  private readonly activeChanged = new vscode.EventEmitter<ModelDocument | undefined>();
  readonly onDidChangeActive = this.activeChanged.event;

  static register(
    context: vscode.ExtensionContext,
    targets: TargetService,
    hooks: EditorHooks,
  ): { provider: ModelEditorProvider; disposable: vscode.Disposable } {
    const provider = new ModelEditorProvider(context, targets, hooks);
    const disposable = vscode.window.registerCustomEditorProvider(ModelEditorProvider.viewType, provider, {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    });
    return { provider, disposable: vscode.Disposable.from(disposable, provider.activeChanged) };
  }

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly targets: TargetService,
    private readonly hooks: EditorHooks,
  ) {}

  /** The document of the Edge Profiler editor in front, if one is. */
  get activeDocument(): ModelDocument | undefined {
    return this.active?.doc;
  }

  /** An open document (by URI), else the active one. */
  documentFor(uri?: vscode.Uri): ModelDocument | undefined {
    if (uri) return this.documents.get(uri.toString());
    return this.active?.doc;
  }

  allDocuments(): ModelDocument[] {
    return [...this.documents.values()];
  }

  targetsMessage(): HostMessage {
    return { type: 'targets', targets: this.targets.choices(), current: this.targets.currentId };
  }

  async openCustomDocument(uri: vscode.Uri): Promise<ModelDocument> {
    let loadWeights = true;
    const threshold = this.targets.settings.sizeThresholdBytes;
    const size = await vscode.workspace.fs.stat(uri).then(
      (s) => s.size,
      () => undefined,
    );
    if (size !== undefined && size > threshold) {
      const name = uri.path.split('/').pop();
      const choice = await vscode.window.showWarningMessage(
        `${name} is ${megabytes(size)}, over the ${megabytes(threshold)} of edgeProfiler.sizeThresholdMB. Load its weights too?`,
        {
          modal: true,
          detail:
            'The graph, costs and estimates open either way. Without the weights the file is still read to find the graph, but the weight bytes are dropped right away: less memory, and no weight statistics.',
        },
        'Load Weights',
        'Graph Only',
      );
      loadWeights = choice === 'Load Weights';
    }
    const doc = new ModelDocument(uri, loadWeights);
    this.documents.set(uri.toString(), doc);
    doc.onDidDispose(() => {
      this.documents.delete(uri.toString());
      this.hooks.onClose(doc);
    });
    void doc.enqueue(() => this.load(doc));
    return doc;
  }

  /** Read, decode, analyze, estimate: with progress in a notification and in the webview, cancellable. */
  private async load(doc: ModelDocument): Promise<void> {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Edge Profiler: ${doc.fileName}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => doc.cancel());
        const step = (stage: string, fraction: number | null = null) => {
          doc.progress = { stage, fraction };
          progress.report({ message: stage });
          doc.post({ type: 'progress', stage, fraction });
        };
        try {
          step('Reading the file', 0);
          let bytes: Uint8Array;
          try {
            bytes = await vscode.workspace.fs.readFile(doc.uri);
          } catch (err) {
            throw new Error(`${doc.fileName}: cannot read the file: ${message(err)}`);
          }
          if (doc.wasCancelled) throw new CancelledError(`${doc.fileName}: cancelled; reopen the file to load it`);
          // The worker gets the bytes without a copy when they own their buffer.
          const owned =
            bytes.byteOffset === 0 &&
            bytes.byteLength === bytes.buffer.byteLength &&
            bytes.buffer instanceof ArrayBuffer
              ? bytes
              : bytes.slice();
          const client = new AnalysisClient(
            vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'analysisWorker.js').fsPath,
            externalDataSource(doc.uri),
          );
          doc.client = client;
          const loaded = await client.request(
            'load',
            { bytes: owned, fileName: doc.fileName, loadWeights: doc.loadWeights },
            { progress: (s) => step(s, 0.2), transfer: [owned.buffer as ArrayBuffer] },
          );
          doc.summary = loaded.summary;
          doc.post({ type: 'summary', fileName: doc.fileName, summary: loaded.summary });
        } catch (err) {
          doc.loadError = message(err);
          doc.progress = undefined;
          doc.post({ type: 'progress', stage: doc.wasCancelled ? 'Cancelled' : 'Failed', fraction: null, done: true });
          doc.post({ type: 'error', fileName: doc.fileName, message: doc.loadError });
          return;
        }
        await this.analyzeAndEstimate(doc, step);
        doc.progress = undefined;
        doc.post({ type: 'progress', stage: 'Done', fraction: 1, done: true });
      },
    );
  }

  private async analyzeAndEstimate(
    doc: ModelDocument,
    step: (stage: string, fraction?: number | null) => void,
  ): Promise<void> {
    const client = doc.client;
    if (!client) return;
    try {
      step('Inferring shapes and costs', 0.4);
      const s = this.targets.settings;
      const analyzed = await client.request('analyze', { options: { inputShapes: s.inputShapes, dims: s.dims } });
      doc.graph = analyzed.graph;
      doc.graphError = undefined;
      doc.post({ type: 'graph', fileName: doc.fileName, graph: analyzed.graph });
      for (const m of measuredMetricsFor(doc.uri)) doc.post(m);
      if (analyzed.notes.length)
        void vscode.window.showInformationMessage(`${doc.fileName}: ${analyzed.notes.join('; ')}`);
    } catch (err) {
      doc.graph = undefined;
      doc.graphError = message(err);
      doc.post({ type: 'graphError', fileName: doc.fileName, message: doc.graphError });
      return;
    }
    doc.post(this.targetsMessage());
    await this.estimate(doc, step);
  }

  private async estimate(doc: ModelDocument, step: (stage: string, fraction?: number | null) => void): Promise<void> {
    const client = doc.client;
    if (!client || !doc.graph) return;
    const target = this.targets.current();
    if (!target.ok) {
      doc.estimate = undefined;
      doc.estimateError = { targetId: target.targetId, message: target.message };
      doc.post({ type: 'estimateError', ...doc.estimateError, staleMetrics: ESTIMATE_METRIC_KEYS });
      this.hooks.onEstimate(doc);
      return;
    }
    try {
      step(`Estimating on ${target.profile.id}`, 0.8);
      const r = await client.request('estimate', { profile: target.profile, profiles: this.targets.profiles() });
      doc.estimate = r.estimate;
      doc.estimateError = undefined;
      for (const m of estimateMessages(doc.graph, r.estimate)) doc.post(m);
    } catch (err) {
      doc.estimate = undefined;
      doc.estimateError = { targetId: target.profile.id, message: message(err) };
      doc.post({ type: 'estimateError', ...doc.estimateError, staleMetrics: ESTIMATE_METRIC_KEYS });
    }
    this.hooks.onEstimate(doc);
  }

  /** After a target or settings change: every open document re-estimates (and re-analyzes when shapes changed). */
  refreshAll(analysis: boolean): void {
    for (const doc of this.documents.values()) {
      if (!doc.client?.alive || !doc.summary) continue;
      void doc.enqueue(async () => {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `Edge Profiler: ${doc.fileName}` },
          async (progress) => {
            const step = (stage: string, fraction: number | null = null) => {
              progress.report({ message: stage });
              doc.post({ type: 'progress', stage, fraction });
            };
            if (analysis) await this.analyzeAndEstimate(doc, step);
            else {
              doc.post(this.targetsMessage());
              await this.estimate(doc, step);
            }
            doc.post({ type: 'progress', stage: 'Done', fraction: 1, done: true });
          },
        );
      });
    }
  }

  resolveCustomEditor(doc: ModelDocument, panel: vscode.WebviewPanel): void {
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    panel.webview.html = this.html(panel.webview, dist, media);
    doc.panels.add(panel);
    const unregister = registerModelWebview(doc.uri, panel.webview);
    const setActive = () => {
      if (panel.active) this.active = { doc, panel };
      else if (this.active?.panel === panel) this.active = undefined;
      this.activeChanged.fire(this.active?.doc);
    };
    setActive();
    const subs = [
      panel.onDidChangeViewState(setActive),
      panel.webview.onDidReceiveMessage((msg: WebviewMessage) => this.onMessage(doc, panel, msg)),
    ];
    panel.onDidDispose(() => {
      unregister();
      doc.panels.delete(panel);
      for (const s of subs) s.dispose();
      if (this.active?.panel === panel) {
        this.active = undefined;
        this.activeChanged.fire(undefined);
      }
    });
  }

  private onMessage(doc: ModelDocument, panel: vscode.WebviewPanel, msg: WebviewMessage): void {
    switch (msg.type) {
      case 'ready':
        doc.replay(panel.webview, doc.graph ? this.targetsMessage() : undefined);
        break;
      case 'rendered':
        break;
      case 'selectTarget':
        void this.targets.select(msg.targetId);
        break;
      case 'requestWeightStats': {
        const { graph, tensor } = msg;
        const reply = (m: HostMessage) => void panel.webview.postMessage(m);
        if (!doc.client?.alive) {
          reply({
            type: 'weightStats',
            graph,
            tensor,
            stats: null,
            error: 'the analysis is not running (cancelled or failed)',
          });
          break;
        }
        doc.client.request('weightStats', { graph, tensor }).then(
          (r) => reply({ type: 'weightStats', graph, tensor, stats: r.stats }),
          (err) => reply({ type: 'weightStats', graph, tensor, stats: null, error: message(err) }),
        );
        break;
      }
      case 'applyFix': {
        const action = fixAction(msg.fix);
        if (!action.run) {
          void vscode.window.showInformationMessage(
            `${action.title}: there is no automatic fix; change the model in the framework it came from.`,
          );
        } else if ('command' in action.run) {
          void vscode.commands.executeCommand(COMMANDS[action.run.command], doc.uri, { nodes: msg.nodes });
        } else void vscode.commands.executeCommand('workbench.action.openSettings', action.run.setting);
        break;
      }
      case 'exportReport':
        this.hooks.exportReport(doc, msg.format);
        break;
      case 'graphImage': {
        const waiting = msg.requestId === undefined ? undefined : doc.imageRequests.get(msg.requestId);
        if (waiting && msg.requestId !== undefined) {
          doc.imageRequests.delete(msg.requestId);
          waiting({ format: msg.format, data: msg.data });
        } else this.hooks.saveImage(doc, msg.format, msg.data);
        break;
      }
      case 'runCommand':
        void vscode.commands.executeCommand(COMMANDS[msg.command], doc.uri);
        break;
      case 'cancel':
        doc.cancel();
        break;
      case 'selected':
        doc.selected = { graph: msg.graph, node: msg.node };
        break;
      default:
        assertNever(msg);
    }
  }

  /** Status bar text for the active document. */
  statusFor(doc: ModelDocument): string {
    return statusText(this.targets.currentId, doc.estimate);
  }

  problems(doc: ModelDocument) {
    return doc.estimate && doc.graph ? problemItems(doc.estimate, doc.graph) : [];
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
