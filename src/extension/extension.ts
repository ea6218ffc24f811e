import type * as vscode from 'vscode';
import { ModelEditorProvider } from './modelEditor.js';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(ModelEditorProvider.register(context));
}

export function deactivate(): void {}
