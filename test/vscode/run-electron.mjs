// Runs test/vscode/suite in a VS Code downloaded by @vscode/test-electron (needs access to update.code.visualstudio.com).
// On machines without that access, the code-server suite (npm run test:e2e) drives a real VS Code instead.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'test/vscode/suite/index.cjs'),
    launchArgs: [join(root, 'samples'), '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (err) {
  console.error(`VS Code tests failed: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
}
