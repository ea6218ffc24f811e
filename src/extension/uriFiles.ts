/**
 * File access by URI for the extension, through workspace.fs so that remote and virtual workspaces work: external
 * data next to a model (local files: ranges read with node:fs and confined to the model's folder; other schemes:
 * the file read once through workspace.fs and sliced), and atomic writes (a temporary file in the same folder,
 * then a rename over the target).
 */

import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { checkExternalLocation, type ExternalDataSource } from '../core/onnx/externalData.js';
import { FolderDataSource } from '../node/files.js';

/** The external data files of the model at `model`. */
export function externalDataSource(model: vscode.Uri): ExternalDataSource {
  if (model.scheme === 'file') return new FolderDataSource(dirname(model.fsPath));
  const folder = vscode.Uri.joinPath(model, '..');
  let cached: { location: string; bytes: Uint8Array } | undefined;
  const fileOf = (location: string) => vscode.Uri.joinPath(folder, ...checkExternalLocation(location).split('/'));
  return {
    size: async (location) => (await vscode.workspace.fs.stat(fileOf(location))).size,
    read: async (location, offset, length) => {
      if (cached?.location !== location)
        cached = { location, bytes: await vscode.workspace.fs.readFile(fileOf(location)) };
      if (offset + length > cached.bytes.length) {
        throw new Error(
          `external data file '${location}' ends at byte ${cached.bytes.length}, before ${offset + length}`,
        );
      }
      return cached.bytes.slice(offset, offset + length);
    },
  };
}

/** Writes `bytes` to `target` through a temporary sibling and a rename (the caller has confirmed overwriting). */
export async function writeUriAtomic(target: vscode.Uri, bytes: Uint8Array): Promise<void> {
  const name = target.path.split('/').pop() ?? 'file';
  const tmp = vscode.Uri.joinPath(target, '..', `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await vscode.workspace.fs.writeFile(tmp, bytes);
  try {
    await vscode.workspace.fs.rename(tmp, target, { overwrite: true });
  } catch (err) {
    await vscode.workspace.fs.delete(tmp).then(undefined, () => undefined);
    throw err;
  }
}
