/**
 * Every message between the extension host and the model webview. Both sides switch exhaustively over these
 * unions. The webview posts `ready` first; the host answers with the model summary (never tensor bytes).
 */
import type { ModelSummary } from './core/report/summary.js';

/** Host -> webview. */
export type HostMessage =
  /** The model was read: its summary and validation problems. */
  | { type: 'summary'; fileName: string; summary: ModelSummary }
  /** The model could not be read at all; `message` names the file and the problem. */
  | { type: 'error'; fileName: string; message: string };

/** Webview -> host. */
export type WebviewMessage =
  /** The webview's script is running and can receive messages. */
  { type: 'ready' };

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
