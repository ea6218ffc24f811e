import type * as vscode from 'vscode';
import { registerModelCommands } from './modelCommands.js';
import { ModelEditorProvider } from './modelEditor.js';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(ModelEditorProvider.register(context));
  context.subscriptions.push(...registerModelCommands(context));
}

export function deactivate(): void {}
