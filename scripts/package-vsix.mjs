// `npm run package`: a production .vsix for one platform (VS Code's convention for extensions with native
// modules: `vsce package --target linux-x64` etc.).
//
//   node scripts/package-vsix.mjs [--target linux-x64] [--out FILE.vsix]
//
// The target defaults to this machine's. The bundles are built with --production, then a staging folder gets only
// what runs: the manifest, README, LICENSE, the dist/ bundles (not the CLI), media/, the walkthrough's sample model,
// and onnxruntime-node (its JS and that one platform's native binary) with onnxruntime-common, its only run-time
// dependency. vsce packages that folder, so nothing else of the working tree (or node_modules) can slip in.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { target: { type: 'string' }, out: { type: 'string' } } });

/** VS Code target -> onnxruntime-node's binary folder (bin/napi-v6/<platform>/<arch>). */
const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-x64': 'darwin/x64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};
const target = values.target ?? `${process.platform}-${process.arch}`;
if (!(target in TARGETS)) {
  console.error(`package: unsupported target '${target}'; targets: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = resolve(values.out ?? join(root, `${manifest.name}-${target}-${manifest.version}.vsix`));
const ortDir = join(root, 'node_modules', 'onnxruntime-node');
const ortManifest = JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8'));
const ortBin = join(ortDir, 'bin', 'napi-v6', TARGETS[target]);
if (!existsSync(ortBin)) {
  console.error(`package: onnxruntime-node ${ortManifest.version} has no native binary for ${target} (${ortBin})`);
  process.exit(1);
}

execFileSync(process.execPath, [join(root, 'esbuild.mjs'), '--production'], { cwd: root, stdio: 'inherit' });

// Under .cache/ (git-ignored), so a failed run leaves nothing to commit.
const stage = join(root, '.cache', 'package', target);
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const copy = (from, to = from) => cpSync(join(root, from), join(stage, to), { recursive: true });

// The manifest without what only development needs; vsce must not rebuild (no vscode:prepublish here).
const { scripts: _s, devDependencies: _d, bin: _b, allowScripts: _a, dependencies: _deps, ...rest } = manifest;
writeFileSync(
  join(stage, 'package.json'),
  `${JSON.stringify({ ...rest, dependencies: { 'onnxruntime-node': ortManifest.version } }, null, 2)}\n`,
);
for (const f of ['README.md', 'LICENSE', 'media']) copy(f);
mkdirSync(join(stage, 'dist'));
for (const f of readdirSync(join(root, 'dist'))) {
  if (f.endsWith('.js') && f !== 'cli.js' && f !== 'cliMain.js') copy(join('dist', f));
}
mkdirSync(join(stage, 'samples'));
for (const f of ['vww_96_float.onnx', 'PROVENANCE.md']) copy(join('samples', f));

// onnxruntime-node: its JS, and the binary of this target only. Its other dependencies (adm-zip, global-agent)
// serve its install script, which never runs in VS Code, so the staged manifest lists only onnxruntime-common.
const stagedOrt = join(stage, 'node_modules', 'onnxruntime-node');
mkdirSync(stagedOrt, { recursive: true });
const { scripts: _os, devDependencies: _od, dependencies: _odeps, ...ortRest } = ortManifest;
const commonVersion = ortManifest.dependencies['onnxruntime-common'];
writeFileSync(
  join(stagedOrt, 'package.json'),
  `${JSON.stringify({ ...ortRest, dependencies: { 'onnxruntime-common': commonVersion } }, null, 2)}\n`,
);
for (const f of readdirSync(join(ortDir, 'dist'))) {
  if (f.endsWith('.js')) cpSync(join(ortDir, 'dist', f), join(stagedOrt, 'dist', f));
}
for (const f of ['LICENSE', 'README.md']) if (existsSync(join(ortDir, f))) cpSync(join(ortDir, f), join(stagedOrt, f));
cpSync(ortBin, join(stagedOrt, 'bin', 'napi-v6', TARGETS[target]), { recursive: true });
const commonDir = join(root, 'node_modules', 'onnxruntime-common');
const stagedCommon = join(stage, 'node_modules', 'onnxruntime-common');
mkdirSync(stagedCommon, { recursive: true });
const commonManifest = JSON.parse(readFileSync(join(commonDir, 'package.json'), 'utf8'));
const { scripts: _cs, devDependencies: _cd, ...commonRest } = commonManifest;
writeFileSync(join(stagedCommon, 'package.json'), `${JSON.stringify(commonRest, null, 2)}\n`);
cpSync(join(commonDir, 'dist', 'cjs'), join(stagedCommon, 'dist', 'cjs'), {
  recursive: true,
  filter: (f) => !f.endsWith('.map'),
});
// The ESM half is never loaded (the bundles are CommonJS) but `exports` names it: keep the entry points only.
if (existsSync(join(commonDir, 'LICENSE'))) cpSync(join(commonDir, 'LICENSE'), join(stagedCommon, 'LICENSE'));
writeFileSync(join(stage, '.vscodeignore'), '**/*.map\n**/*.d.ts\n');

const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
execFileSync(process.execPath, [vsce, 'package', '--target', target, '--allow-missing-repository', '--out', out], {
  cwd: stage,
  stdio: 'inherit',
});
rmSync(stage, { recursive: true, force: true });
console.log(`package: ${out} (${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB, ${target})`);
