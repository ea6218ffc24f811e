/**
 * The commands that run or transform a model: Profile on This Machine (measured), Quantize Model to INT8…,
 * Convert Model to FP16…, Prune Model…, and Compare with Another Model…. Handlers do the UI (quick picks,
 * progress with cancel, confirmations) and hand the work to src/core through the ONNX Runtime child process
 * (src/node/ortProcess.ts): a model that crashes or hangs ONNX Runtime ends that child, never the extension host.
 * Anything that executes a model needs a trusted workspace; comparing two models is static and never asks.
 *
 * Each command takes an optional model URI (from the editor's buttons and fixes); without it, the model of the
 * active Edge Profiler editor; without one, an open dialog.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { HardwareProfile } from '../core/targets/profile.js';
import {
  type MeasureJob,
  type OrtJob,
  type OrtOutcome,
  OrtProcessError,
  removeStrayTempFiles,
  runOrtJob,
  type TransformSpec,
} from '../node/ortProcess.js';
import type { HostMessage } from '../protocol.js';
import { AnalysisClient, CancelledError } from './analysisClient.js';
import type { WorkerResult } from './analysisProtocol.js';
import {
  describeTransform,
  MEASURED_LATENCY,
  measureSummary,
  notificationText,
  outputPathFor,
  parseSparsity,
  type QuantizeChoices,
  quantizeSpec,
  transformCompareData,
  transformJob,
  transformSummary,
} from './commandOptions.js';
import { showCompareView } from './compareView.js';
import { COMMANDS, currentTargetId, postToModel } from './shared.js';
import { requireTrust } from './trust.js';

const EDITOR_VIEW_TYPE = 'edgeModelProfiler.model';
const ONNX_FILTER = { 'ONNX models': ['onnx'] };

/** The last measured column per model, so that an editor opened (or reloaded) later can show it again. */
const measured = new Map<string, HostMessage>();

/** Messages to send to a model's editor after its graph (measured latency from an earlier run); empty if none. */
export function measuredMetricsFor(uri: vscode.Uri): HostMessage[] {
  const m = measured.get(uri.toString());
  return m ? [m] : [];
}

interface Deps {
  context: vscode.ExtensionContext;
  output: vscode.OutputChannel;
  /** The current target's profile (built-in or the user's), when it resolves. */
  currentProfile: () => HardwareProfile | undefined;
}

export function registerModelCommands(
  context: vscode.ExtensionContext,
  currentProfile: () => HardwareProfile | undefined = () => undefined,
): vscode.Disposable[] {
  const output = vscode.window.createOutputChannel('Edge Profiler');
  const deps: Deps = { context, output, currentProfile };
  const command = (id: string, body: (arg: unknown, ...rest: unknown[]) => Promise<void>) =>
    vscode.commands.registerCommand(id, async (arg?: unknown, ...rest: unknown[]) => {
      try {
        await body(arg, ...rest);
      } catch (err) {
        reportError(deps, err);
      }
    });
  return [
    output,
    command(COMMANDS.measure, (arg) => measureCommand(deps, arg)),
    command(COMMANDS.quantizeInt8, (arg) => quantizeCommand(deps, arg)),
    command(COMMANDS.convertFp16, (arg) => fp16Command(deps, arg)),
    command(COMMANDS.prune, (arg) => pruneCommand(deps, arg)),
    command(COMMANDS.compare, (arg, other) => compareCommand(deps, arg, other)),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Which model

/** The command's model: its argument, else the active Edge Profiler editor's, else one the user picks. */
async function resolveModel(arg: unknown, openLabel: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.viewType === EDITOR_VIEW_TYPE) return input.uri;
  if (input instanceof vscode.TabInputText && input.uri.path.toLowerCase().endsWith('.onnx')) return input.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: ONNX_FILTER, openLabel });
  return picked?.[0];
}

/** ONNX Runtime reads the model from disk in a child process: only files on this machine qualify. */
function localPath(uri: vscode.Uri, action: string): string | undefined {
  if (uri.scheme === 'file') return uri.fsPath;
  void vscode.window.showErrorMessage(
    `Edge Profiler: ${action} works on model files on this machine only (this one is ${uri.scheme}:).`,
  );
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a job in the child

function runnerScript(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.extensionUri, 'dist', 'ortRunner.js').fsPath;
}

function timeoutMs(): number {
  const s = vscode.workspace.getConfiguration('edgeProfiler').get<number>('runTimeoutSeconds', 120);
  return Math.max(1, Number.isFinite(s) ? s : 120) * 1000;
}

/** Runs `job` in the ONNX Runtime child with a cancellable progress notification. */
function runWithProgress<J extends OrtJob>(deps: Deps, job: J, title: string, what: string): Promise<OrtOutcome<J>> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Edge Profiler: ${title}`, cancellable: true },
      (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        let done = 0;
        return runOrtJob(job, {
          script: runnerScript(deps.context),
          what,
          timeoutMs: timeoutMs(),
          signal: ac.signal,
          // VS Code's extension host is Electron: its child must run as plain Node.
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
          onProgress: (p) => {
            const at = p.fraction === undefined ? done : Math.round(Math.min(1, p.fraction) * 100);
            progress.report({ message: p.message, increment: Math.max(0, at - done) });
            done = Math.max(done, at);
          },
        });
      },
    ),
  );
}

function reportError(deps: Deps, err: unknown): void {
  if (err instanceof OrtProcessError && err.code === 'cancelled') {
    void vscode.window.showInformationMessage(notificationText(`Edge Profiler: ${err.message}.`));
    return;
  }
  const text = err instanceof Error ? err.message : String(err);
  deps.output.appendLine(`error: ${text}`);
  const first = text.split('\n')[0];
  void vscode.window.showErrorMessage(notificationText(`Edge Profiler: ${first}`), 'Show Output').then((c) => {
    if (c) deps.output.show(true);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Profile on This Machine (measured)

async function measureCommand(deps: Deps, arg: unknown): Promise<void> {
  const uri = await resolveModel(arg, 'Profile');
  if (!uri) return;
  const path = localPath(uri, 'Measured profiling');
  if (!path || !requireTrust('Profiling on this machine')) return;
  const name = basename(path);
  const job: MeasureJob = { kind: 'measure', modelPath: path, runs: 10, warmup: 2 };
  const r = await runWithProgress(deps, job, `profiling ${name} on this machine`, `profiling ${name}`);
  const msg: HostMessage = { type: 'metrics', graph: 0, metric: MEASURED_LATENCY, values: r.column };
  measured.set(uri.toString(), msg);
  if (!postToModel(uri, msg)) {
    await vscode.commands.executeCommand('vscode.openWith', uri, EDITOR_VIEW_TYPE);
    // The editor registers its webview as it opens; it shows the column once its graph is drawn.
    for (let waited = 0; waited < 10_000 && !postToModel(uri, msg); waited += 250) {
      await new Promise((res) => setTimeout(res, 250));
    }
  }
  const summary = measureSummary(name, r);
  for (const line of summary.lines) deps.output.appendLine(line);
  void vscode.window
    .showInformationMessage(notificationText(`Edge Profiler: ${summary.short}`), 'Show Details')
    .then((c) => {
      if (c) deps.output.show(true);
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Transforms

interface PickItem<T> extends vscode.QuickPickItem {
  value: T;
}

/** One step of a multi-step quick pick; `steps` may be a range while an earlier answer decides it. */
async function pick<T>(
  items: PickItem<T>[],
  title: string,
  step: number,
  steps: number | string,
): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, {
    title: `${title} (${step}/${steps})`,
    ignoreFocusOut: true,
  });
  return chosen?.value;
}

async function quantizeCommand(deps: Deps, arg: unknown): Promise<void> {
  const uri = await resolveModel(arg, 'Quantize');
  if (!uri) return;
  const path = localPath(uri, 'Quantization');
  if (!path || !requireTrust('Quantizing (calibration and validation)')) return;
  const title = `Quantize ${basename(path)} to INT8`;
  const mode = await pick<'dynamic' | 'static'>(
    [
      {
        label: 'Dynamic',
        description: 'INT8 weights; activations quantized at run time',
        detail: 'No calibration data needed. Good for MatMul/LSTM-heavy models on CPUs.',
        value: 'dynamic',
      },
      {
        label: 'Static (QDQ)',
        description: 'INT8 weights and activations, calibrated on data',
        detail: 'What MCUs and NPUs run. Needs representative inputs for good accuracy.',
        value: 'static',
      },
    ],
    title,
    1,
    '3–4',
  );
  if (!mode) return;
  const steps = mode === 'dynamic' ? 3 : 4;
  const perChannel = await pick<boolean>(
    [
      { label: 'Per channel', description: 'one scale per output channel (more accurate)', value: true },
      { label: 'Per tensor', description: 'one scale per weight tensor (what some targets require)', value: false },
    ],
    title,
    2,
    steps,
  );
  if (perChannel === undefined) return;
  const form = await pick<'qdq' | 'operator'>(
    mode === 'dynamic'
      ? [
          { label: 'QDQ form', description: 'DequantizeLinear on the weights', value: 'qdq' },
          {
            label: 'Operator form',
            description: 'MatMulInteger / ConvInteger with DynamicQuantizeLinear',
            value: 'operator',
          },
        ]
      : [
          {
            label: 'QDQ form',
            description: 'QuantizeLinear / DequantizeLinear around float operators',
            detail: 'What most converters and NPU toolchains read.',
            value: 'qdq',
          },
          {
            label: 'Operator form',
            description: 'QLinearConv / QLinearMatMul',
            detail: 'A smaller file (no Q/DQ pairs between quantized layers); ONNX Runtime runs both alike.',
            value: 'operator',
          },
        ],
    title,
    3,
    steps,
  );
  if (!form) return;
  let choices: QuantizeChoices;
  if (mode === 'dynamic') {
    choices = { mode, perChannel, form };
  } else {
    const source = await pick<'folder' | 'generated'>(
      [
        {
          label: 'Folder of samples…',
          description:
            '.pb or .npy tensors (one file or sub-folder per sample), or PNG/JPEG images resized to the input',
          value: 'folder',
        },
        {
          label: 'Generated inputs',
          description: 'a rough approximation',
          detail: 'Uniform random inputs, not real data: activation ranges and accuracy on real inputs may be poor.',
          value: 'generated',
        },
      ],
      title,
      4,
      steps,
    );
    if (!source) return;
    let calibration: { folder: string } | { generated: number } = { generated: 8 };
    if (source === 'folder') {
      const folder = await vscode.window.showOpenDialog({
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
        defaultUri: vscode.Uri.file(dirname(path)),
        openLabel: 'Use as Calibration Data',
      });
      if (!folder?.[0]) return;
      const folderPath = localPath(folder[0], 'Calibration');
      if (!folderPath) return;
      calibration = { folder: folderPath };
    }
    choices = { mode, perChannel, form, method: 'minmax', calibration };
  }
  await runTransform(deps, uri, path, quantizeSpec(choices));
}

async function fp16Command(deps: Deps, arg: unknown): Promise<void> {
  const uri = await resolveModel(arg, 'Convert');
  if (!uri) return;
  const path = localPath(uri, 'FP16 conversion');
  if (!path || !requireTrust('Converting to FP16 (validation)')) return;
  const keepIoTypes = await pick<boolean>(
    [
      {
        label: 'Keep float32 inputs and outputs',
        description: 'Cast nodes inside the model (callers need no change)',
        value: true,
      },
      { label: 'Float16 inputs and outputs', description: 'callers must pass float16 data', value: false },
    ],
    `Convert ${basename(path)} to FP16`,
    1,
    1,
  );
  if (keepIoTypes === undefined) return;
  await runTransform(deps, uri, path, { kind: 'fp16', keepIoTypes });
}

async function pruneCommand(deps: Deps, arg: unknown): Promise<void> {
  const uri = await resolveModel(arg, 'Prune');
  if (!uri) return;
  const path = localPath(uri, 'Pruning');
  if (!path || !requireTrust('Pruning (validation)')) return;
  const title = `Prune ${basename(path)}`;
  const text = await vscode.window.showInputBox({
    title: `${title} (1/2)`,
    prompt: 'Sparsity: the fraction of weights (or of each layer’s channels) to remove, 0 to 0.95',
    value: '0.5',
    ignoreFocusOut: true,
    validateInput: (t) => {
      const r = parseSparsity(t);
      return 'error' in r ? r.error : undefined;
    },
  });
  if (text === undefined) return;
  const parsed = parseSparsity(text);
  if ('error' in parsed) return;
  const structured = await pick<boolean>(
    [
      {
        label: 'Unstructured',
        description: 'zero the smallest weights',
        detail: 'Same size and speed on dense runtimes; smaller only where weights are stored sparse or compressed.',
        value: false,
      },
      {
        label: 'Structured (channels)',
        description: 'remove whole output channels of Conv/Gemm',
        detail: 'MACs and weights really drop; consumers are rewritten. Accuracy needs fine-tuning afterwards.',
        value: true,
      },
    ],
    title,
    2,
    2,
  );
  if (structured === undefined) return;
  await runTransform(deps, uri, path, { kind: 'prune', sparsity: parsed.value, structured });
}

/** Writes the transformed model next to the original (asking before replacing), validates it, opens it and the comparison. */
async function runTransform(deps: Deps, uri: vscode.Uri, path: string, spec: TransformSpec): Promise<void> {
  const outputPath = outputPathFor(path, spec);
  const outName = basename(outputPath);
  const exists = await fs.stat(outputPath).then(
    () => true,
    () => false,
  );
  if (exists) {
    const replace = 'Replace';
    const choice = await vscode.window.showWarningMessage(
      notificationText(`${outName} already exists. Replace it?`),
      { modal: true, detail: `The original model ${basename(path)} is never changed.` },
      replace,
    );
    if (choice !== replace) return;
  }
  const job = transformJob(path, spec, { overwrite: exists, targetId: currentTargetId(), outputPath });
  const what = describeTransform(spec, basename(path));
  let r: OrtOutcome<typeof job>;
  try {
    r = await runWithProgress(deps, job, what, what);
  } catch (err) {
    // A killed child may have left the atomic writer's temporary file behind; the output itself is never partial.
    if (err instanceof OrtProcessError && err.code !== 'failed') await removeStrayTempFiles(outputPath);
    throw err;
  }
  deps.output.appendLine(`${what}:`);
  deps.output.appendLine(r.text);
  deps.output.appendLine('');
  const newUri = vscode.Uri.file(r.outputPath);
  const column = vscode.window.tabGroups.activeTabGroup.viewColumn;
  // The comparison first, beside; then, once its page has loaded, the new model where the original is (two
  // webviews loading at once can stall one of them).
  const compared = transformCompareData(r, { a: basename(path), b: outName });
  try {
    const built = await inWorker(deps, 'Edge Profiler: building both graphs', uri, newUri, { graphsOnly: true });
    if ('graphs' in built) compared.graphs = built.graphs;
  } catch (err) {
    // The new model is written and validated: the view opens without graphs rather than not at all.
    const omitted =
      err instanceof CancelledError
        ? 'Cancelled: the graphs were not built.'
        : `The graphs could not be built: ${err instanceof Error ? err.message : String(err)}`;
    compared.graphs = { a: { omitted }, b: { omitted } };
  }
  await showCompareView(deps.context, compared, {
    a: uri,
    b: newUri,
    inputOffsets: r.inputOffsets,
  });
  await vscode.commands.executeCommand('vscode.openWith', newUri, EDITOR_VIEW_TYPE, { viewColumn: column });
  const summary = transformSummary(r, outName);
  const show = (m: string, ...items: string[]) =>
    summary.ok ? vscode.window.showInformationMessage(m, ...items) : vscode.window.showWarningMessage(m, ...items);
  void show(notificationText(`Edge Profiler: ${summary.text}`), 'Show Report').then((c) => {
    if (c) deps.output.show(true);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Compare with Another Model… (static: no trust needed)

/** A file's bytes in a buffer of their own, so that they can be transferred to a worker without a copy. */
async function ownedBytes(uri: vscode.Uri): Promise<Uint8Array> {
  const bytes = await vscode.workspace.fs.readFile(uri);
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes
    : bytes.slice();
}

/**
 * A compare request run in an analysis worker of its own (decoding and analysing two big models would freeze the
 * extension host), with a cancellable progress notification; cancel ends the worker (CancelledError).
 */
async function inWorker(
  deps: Deps,
  title: string,
  a: vscode.Uri,
  b: vscode.Uri,
  options: { target?: HardwareProfile; graphsOnly?: boolean },
): Promise<Extract<WorkerResult, { type: 'compare' }>> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const [ba, bb] = [await ownedBytes(a), await ownedBytes(b)];
      const noExternalData = async (): Promise<never> => {
        throw new Error('external data is not read to compare models');
      };
      const client = new AnalysisClient(
        vscode.Uri.joinPath(deps.context.extensionUri, 'dist', 'analysisWorker.js').fsPath,
        { size: noExternalData, read: noExternalData },
      );
      const cancelled = token.onCancellationRequested(() => client.cancel('comparison cancelled'));
      try {
        return await client.request(
          'compare',
          {
            a: { bytes: ba, fileName: basename(a.path) },
            b: { bytes: bb, fileName: basename(b.path) },
            ...options,
          },
          {
            progress: (stage) => progress.report({ message: stage }),
            transfer:
              ba.buffer === bb.buffer
                ? [ba.buffer as ArrayBuffer]
                : [ba.buffer as ArrayBuffer, bb.buffer as ArrayBuffer],
          },
        );
      } finally {
        cancelled.dispose();
        client.dispose();
      }
    },
  );
}

async function compareCommand(deps: Deps, arg: unknown, other: unknown): Promise<void> {
  const a = await resolveModel(arg, 'Compare');
  if (!a) return;
  let b = other instanceof vscode.Uri ? other : undefined;
  if (!b) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: ONNX_FILTER,
      defaultUri: vscode.Uri.joinPath(a, '..'),
      openLabel: 'Compare',
      title: `Compare ${basename(a.path)} with…`,
    });
    b = picked?.[0];
  }
  if (!b) return;
  const second = b;
  let result: Extract<WorkerResult, { type: 'compare' }>;
  try {
    result = await inWorker(deps, 'Edge Profiler: comparing models', a, second, { target: deps.currentProfile() });
  } catch (err) {
    if (err instanceof CancelledError) return;
    throw err;
  }
  if (!('data' in result)) return;
  const data = { data: result.data, offsets: result.offsets };
  deps.output.appendLine(`compared ${data.data.a.label} with ${data.data.b.label}`);
  await showCompareView(deps.context, data.data, { a, b: second, inputOffsets: data.offsets });
}
