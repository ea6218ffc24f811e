// One build for every bundle: the extension host (CommonJS, `vscode` external) and its analysis worker, the CLI, the
// webview, and the webview's layout worker. The layout worker is built first, in memory, and reaches the webview
// bundle as the text of the module `emp:layout-worker`: a VS Code webview can only start workers from blob: (or data:) URLs.
import { chmod } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** onnxruntime-node loads a native binding relative to its own files, so it stays an external package. */
const nodeExternals = ['vscode', 'onnxruntime-node'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: nodeExternals,
  logLevel: 'info',
};

const browser = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  minify: production,
  legalComments: 'eof',
};

/** Provides `emp:layout-worker`: the worker bundle as a string, rebuilt (and watched) with the webview. */
const layoutWorkerPlugin = {
  name: 'layout-worker',
  setup(build) {
    build.onResolve({ filter: /^emp:layout-worker$/ }, (args) => ({ path: args.path, namespace: 'layout-worker' }));
    build.onLoad({ filter: /.*/, namespace: 'layout-worker' }, async () => {
      const out = await esbuild.build({
        ...browser,
        entryPoints: ['webview/graph/layoutWorker.ts'],
        write: false,
        metafile: true,
        // Not even in development: an inline map of elkjs would triple the webview bundle.
        sourcemap: false,
        // elkjs' own notice is a plain comment that minification drops; this one stays.
        banner: {
          js: '/*! Contains elkjs (Eclipse Layout Kernel for JavaScript), EPL-2.0, https://github.com/kieler/elkjs; see media/THIRD-PARTY-NOTICES.md */',
        },
        logLevel: 'warning',
      });
      return {
        contents: `export default ${JSON.stringify(out.outputFiles[0].text)};`,
        loader: 'js',
        watchFiles: Object.keys(out.metafile.inputs),
      };
    });
  },
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  // Decoding and analysis of the open models, in a worker thread off the extension host's main thread.
  { ...common, entryPoints: ['src/extension/analysisWorker.ts'], outfile: 'dist/analysisWorker.js' },
  // The CLI, and the `edge-profile` command that runs it with V8's code cache (src/cli/bin.ts).
  // No import() in the CLI bundle: bin.ts compiles it with vm.Script, whose code cannot load modules dynamically
  // (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING); esbuild turns each import() into a require() in a promise.
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cliMain.js', supported: { 'dynamic-import': false } },
  { ...common, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The child process every ONNX Runtime run happens in (src/node/ortProcess.ts), and the compare view's script.
  { ...common, entryPoints: ['src/node/ortRunner.ts'], outfile: 'dist/ortRunner.js' },
  // The compare view draws both models' graphs with the same layout worker as the model editor.
  {
    ...browser,
    sourcemap: !production,
    entryPoints: ['webview/compare/main.ts'],
    outfile: 'dist/compare.js',
    plugins: [layoutWorkerPlugin],
  },
  {
    ...browser,
    sourcemap: !production,
    logLevel: 'info',
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    plugins: [layoutWorkerPlugin],
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  // The CLI is the package's `bin`: npm marks bin targets executable only when it links them, which in a fresh
  // clone (`npm ci`, then the build) happens before dist/cli.js exists.
  await chmod('dist/cli.js', 0o755);
}
