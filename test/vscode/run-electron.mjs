// Runs test/vscode/suite in a VS Code downloaded by @vscode/test-electron (needs access to update.code.visualstudio.com).
// Where VS Code cannot be downloaded (no network, or only package registries reachable) the suite is skipped with a
// message saying so and the exit code is 0; the code-server suite (npm run test:e2e) drives a real VS Code there.
// The extension must be built first (npm run build): VS Code loads dist/extension.js.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NETWORK =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up|status code 4\d\d|status code 5\d\d/i;

if (!existsSync(join(root, 'dist', 'extension.js')) || !existsSync(join(root, 'dist', 'analysisWorker.js'))) {
  console.error('VS Code tests: build the extension first (npm run build)');
  process.exit(1);
}

let vscodeExecutablePath;
try {
  vscodeExecutablePath = await downloadAndUnzipVSCode();
} catch (err) {
  const text = err instanceof Error ? `${err.message} ${err.cause ?? ''}` : String(err);
  if (NETWORK.test(text)) {
    console.log(
      `# SKIPPED: the @vscode/test-electron suite needs to download VS Code, which failed here: ${text.trim()}`,
    );
    console.log(
      '# The end-to-end suite in code-server (npm run test:e2e) runs the extension in a real VS Code instead.',
    );
    process.exit(0);
  }
  console.error(`VS Code tests: downloading VS Code failed: ${text}`);
  process.exit(1);
}
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'test/vscode/suite/index.cjs'),
    launchArgs: [join(root, 'samples'), '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (err) {
  console.error(`VS Code tests failed: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
}
