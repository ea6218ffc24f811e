/**
 * Activation: the custom editor, the target service and its status bar item, the Problems panel entries of the
 * estimates, and the commands of the "Edge Profiler" category that this part of the extension implements (open,
 * select target, show layer, export). Measured profiling, compare and the transforms register their own commands.
 */

import * as vscode from 'vscode';
import type { ImageFormat, ReportFormat } from '../protocol.js';
import { fixAction, layerPicks, type ProblemItem } from './diagnosticsView.js';
import { imageBytes } from './imageData.js';
import { registerModelCommands } from './modelCommands.js';
import { type ModelDocument, ModelEditorProvider } from './modelEditor.js';
import { COMMANDS, setCurrentTarget } from './shared.js';
import { TargetService } from './targets.js';
import { writeUriAtomic } from './uriFiles.js';

/** The sample model the walkthrough opens (shipped in the .vsix). */
const SAMPLE = ['samples', 'vww_96_float.onnx'];

const REPORT_FORMATS: { format: ReportFormat | ImageFormat; label: string; ext: string; filter: string }[] = [
  { format: 'html', label: 'HTML report (self-contained, with charts)', ext: 'html', filter: 'HTML' },
  { format: 'md', label: 'Markdown report', ext: 'md', filter: 'Markdown' },
  { format: 'csv', label: 'CSV (one row per layer)', ext: 'csv', filter: 'CSV' },
  { format: 'json', label: 'JSON (the whole profile and estimate)', ext: 'json', filter: 'JSON' },
  { format: 'svg', label: 'Graph as SVG', ext: 'svg', filter: 'SVG image' },
  { format: 'png', label: 'Graph as PNG', ext: 'png', filter: 'PNG image' },
];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const targets = new TargetService(context);
  await targets.reload();
  const diagnostics = vscode.languages.createDiagnosticCollection('edgeProfiler');
  /** Error notifications already shown, by model URI and target, so a re-render does not repeat them. */
  const notified = new Set<string>();
  let nextImageRequest = 1;

  const updateStatus = () => {
    const doc = provider.activeDocument;
    if (!doc) {
      targets.status.hide();
      return;
    }
    targets.status.text = provider.statusFor(doc);
    targets.status.tooltip = `Edge Profiler target: ${targets.currentId} (click to change)`;
    targets.status.show();
  };

  const showDiagnostics = (doc: ModelDocument) => {
    const items = provider.problems(doc);
    diagnostics.set(
      doc.uri,
      items.map((item) => {
        const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), diagnosticText(item), severityOf(item));
        d.source = `Edge Profiler (${targets.currentId})`;
        const node = item.nodes[0];
        // The code links to "Show Layer" for the first layer involved; the Problems panel opens it as a command.
        d.code =
          node === undefined
            ? item.code
            : {
                value: item.code,
                target: vscode.Uri.parse(
                  `command:${COMMANDS.showLayer}?${encodeURIComponent(JSON.stringify([doc.uri.toString(), node]))}`,
                ),
              };
        return d;
      }),
    );
    const errors = items.filter((i) => i.severity === 'error');
    const key = `${doc.uri.toString()}|${targets.currentId}`;
    if (errors.length && !notified.has(key)) {
      notified.add(key);
      void notifyErrors(doc, errors);
    }
  };

  const notifyErrors = async (doc: ModelDocument, errors: ProblemItem[]) => {
    const first = errors[0];
    const fixes = [...new Set(errors.flatMap((e) => e.fixes))].map(fixAction).filter((f) => f.run !== null);
    const buttons = [...fixes.map((f) => f.title), ...(first.nodes.length ? ['Show Layer'] : [])];
    const more = errors.length > 1 ? ` (+${errors.length - 1} more in the Problems panel)` : '';
    const choice = await vscode.window.showErrorMessage(
      `${doc.fileName} on ${targets.currentId}: ${first.message}${more}`,
      ...buttons,
    );
    const fix = fixes.find((f) => f.title === choice);
    if (fix?.run && 'command' in fix.run) await vscode.commands.executeCommand(COMMANDS[fix.run.command], doc.uri);
    else if (fix?.run && 'setting' in fix.run) {
      await vscode.commands.executeCommand('workbench.action.openSettings', fix.run.setting);
    } else if (choice === 'Show Layer') reveal(doc, first.nodes[0]);
  };

  const reveal = (doc: ModelDocument, node: number) => {
    const panel = [...doc.panels][0];
    if (panel && !panel.active) panel.reveal();
    doc.post({ type: 'reveal', graph: 0, node });
  };

  const exportReport = async (doc: ModelDocument, format?: ReportFormat | ImageFormat) => {
    let chosen = REPORT_FORMATS.find((f) => f.format === format);
    if (!chosen) {
      const pick = await vscode.window.showQuickPick(
        REPORT_FORMATS.map((f) => ({ label: f.label, f })),
        { title: `Export ${doc.fileName}` },
      );
      if (!pick) return;
      chosen = pick.f;
    }
    const base = doc.fileName.replace(/\.onnx$/i, '');
    try {
      let bytes: Uint8Array;
      if (chosen.format === 'svg' || chosen.format === 'png') {
        const image = await requestImage(doc, chosen.format);
        bytes = imageBytes(chosen.format, image);
      } else {
        if (!doc.client?.alive || !doc.graph) {
          throw new Error(
            `${doc.fileName} has not been analyzed (${doc.loadError ?? doc.graphError ?? 'still loading'})`,
          );
        }
        const r = await doc.client.request('report', { format: chosen.format });
        bytes = new TextEncoder().encode(r.text);
      }
      const suffix = chosen.format === 'svg' || chosen.format === 'png' ? 'graph' : `${targets.currentId}.report`;
      await save(doc, `${base}.${suffix}.${chosen.ext}`, chosen, bytes);
    } catch (err) {
      void vscode.window.showErrorMessage(`Edge Profiler: export failed: ${err instanceof Error ? err.message : err}`);
    }
  };

  const save = async (doc: ModelDocument, name: string, kind: { filter: string; ext: string }, bytes: Uint8Array) => {
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(doc.uri, '..', name),
      filters: { [kind.filter]: [kind.ext] },
      title: `Save ${name}`,
    });
    if (!target) return;
    await writeUriAtomic(target, bytes);
    const open = await vscode.window.showInformationMessage(`Saved ${target.path.split('/').pop()}`, 'Open');
    if (open) await vscode.commands.executeCommand('vscode.open', target);
  };

  const requestImage = (doc: ModelDocument, format: ImageFormat): Promise<string> => {
    if (!doc.panels.size) return Promise.reject(new Error(`${doc.fileName} is not open in an editor`));
    const requestId = nextImageRequest++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        doc.imageRequests.delete(requestId);
        reject(new Error('the graph view did not send the image within 30 s'));
      }, 30_000);
      doc.imageRequests.set(requestId, (image) => {
        clearTimeout(timer);
        if (image.format !== format) reject(new Error(`the graph view sent ${image.format}, not ${format}`));
        else resolve(image.data);
      });
      doc.post({ type: 'exportGraph', requestId, format });
    });
  };

  const { provider, disposable } = ModelEditorProvider.register(context, targets, {
    onEstimate: (doc) => {
      showDiagnostics(doc);
      if (provider.activeDocument === doc) updateStatus();
    },
    onClose: (doc) => {
      diagnostics.delete(doc.uri);
      for (const k of [...notified]) if (k.startsWith(`${doc.uri.toString()}|`)) notified.delete(k);
      updateStatus();
    },
    exportReport: (doc, format) => void exportReport(doc, format),
    saveImage: (doc, format, data) => {
      try {
        const bytes = imageBytes(format, data);
        void save(
          doc,
          `${doc.fileName.replace(/\.onnx$/i, '')}.graph.${format}`,
          {
            filter: format === 'svg' ? 'SVG image' : 'PNG image',
            ext: format,
          },
          bytes,
        ).catch((err) => vscode.window.showErrorMessage(`Edge Profiler: saving failed: ${err.message}`));
      } catch (err) {
        void vscode.window.showErrorMessage(`Edge Profiler: ${(err as Error).message}`);
      }
    },
  });

  /** The model a command is about: the URI it was given (explorer, editor title), else the active editor's. */
  const docFor = (arg: unknown): ModelDocument | undefined => {
    const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : undefined;
    const doc = provider.documentFor(uri) ?? provider.activeDocument;
    if (!doc) void vscode.window.showInformationMessage('Edge Profiler: open an .onnx model first.');
    return doc;
  };

  setCurrentTarget(() => targets.currentId);
  context.subscriptions.push(
    ...registerModelCommands(context, () => {
      const current = targets.current();
      return current.ok ? current.profile : undefined;
    }),
  );
  context.subscriptions.push(
    targets,
    diagnostics,
    disposable,
    provider.onDidChangeActive(updateStatus),
    targets.onDidChange(({ analysis }) => {
      provider.refreshAll(analysis);
      updateStatus();
    }),
    vscode.commands.registerCommand(COMMANDS.open, async (uri?: vscode.Uri) => {
      let target = uri instanceof vscode.Uri ? uri : undefined;
      if (!target) {
        const picked = await vscode.window.showOpenDialog({
          canSelectMany: false,
          filters: { 'ONNX models': ['onnx'] },
          title: 'Open with Edge Profiler',
        });
        target = picked?.[0];
      }
      if (target) await vscode.commands.executeCommand('vscode.openWith', target, ModelEditorProvider.viewType);
    }),
    vscode.commands.registerCommand(COMMANDS.openSample, () =>
      vscode.commands.executeCommand(
        'vscode.openWith',
        vscode.Uri.joinPath(context.extensionUri, ...SAMPLE),
        ModelEditorProvider.viewType,
      ),
    ),
    vscode.commands.registerCommand(COMMANDS.selectTarget, () => targets.pick()),
    vscode.commands.registerCommand(COMMANDS.showLayer, async (arg?: unknown, node?: unknown) => {
      const doc = docFor(arg);
      if (!doc) return;
      if (typeof node === 'number') {
        reveal(doc, node);
        return;
      }
      if (!doc.graph) {
        void vscode.window.showInformationMessage(`Edge Profiler: ${doc.fileName} is not analyzed yet.`);
        return;
      }
      const pick = await vscode.window.showQuickPick(layerPicks(doc.graph, doc.estimate), {
        title: `Show Layer in ${doc.fileName}`,
        placeHolder: doc.estimate
          ? `Layers by estimated latency on ${doc.estimate.target.id}`
          : 'Layers in graph order',
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (pick) reveal(doc, pick.node);
    }),
    vscode.commands.registerCommand(COMMANDS.exportReport, (arg?: unknown, format?: ReportFormat | ImageFormat) => {
      const doc = docFor(arg);
      if (doc) return exportReport(doc, format);
    }),
  );
}

function severityOf(item: ProblemItem): vscode.DiagnosticSeverity {
  if (item.severity === 'error') return vscode.DiagnosticSeverity.Error;
  if (item.severity === 'warning') return vscode.DiagnosticSeverity.Warning;
  return vscode.DiagnosticSeverity.Information;
}

function diagnosticText(item: ProblemItem): string {
  const fixes = item.fixes.map((f) => fixAction(f).title.replace(/…$/, ''));
  return fixes.length ? `${item.message} — fix: ${fixes.join(', ')} (buttons in the editor)` : item.message;
}

export function deactivate(): void {}
