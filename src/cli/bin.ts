/**
 * The `edge-profile` command (bundled to dist/cli.js): runs the CLI (dist/cliMain.js, built from main.ts) with V8's
 * code cache, so that a run does not parse and compile the 1.2 MB bundle again. That compilation was about a sixth
 * of profiling a 100 MB ResNet-50 (the rest is reading the file and the per-node work).
 *
 * Node 22.1+ has a built-in compile cache (module.enableCompileCache); on older Node the bundle is compiled through
 * vm.Script with `cachedData`. The cache lives in `$XDG_CACHE_HOME/edge-model-profiler/code-cache/` (or
 * `~/.cache/…`), keyed by a hash of the bundle's text, the Node version and the architecture; it is written when the
 * process exits (then it holds every function the run compiled), atomically, and only when it was missing or
 * rejected (replacing the caches of earlier builds). Any failure to read or write it only costs the compilation. EDGE_PROFILER_NO_CODE_CACHE=1 turns it off.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

declare const __dirname: string;

const mainFile = join(__dirname, 'cliMain.js');

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'edge-model-profiler', 'code-cache');
}

/** Runs a CommonJS file as `require` would, compiled with (and then feeding) a code cache. */
function runWithCodeCache(file: string): void {
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256')
    .update(source)
    .update(`\0${process.version}\0${process.arch}`)
    .digest('hex')
    .slice(0, 32);
  const cacheFile = join(cacheDir(), `cli-${key}.bin`);
  let cached: Buffer | undefined;
  try {
    cached = readFileSync(cacheFile);
  } catch {
    // No cache yet (or unreadable): compiled from source, cached at exit.
  }
  const script = new Script(Module.wrap(source), { filename: file, cachedData: cached });
  if (!cached || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        mkdirSync(dirname(cacheFile), { recursive: true });
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        // The caches of earlier builds are of no further use.
        for (const f of readdirSync(dirname(cacheFile))) {
          if (/^cli-[0-9a-f]{32}\.bin$/.test(f) && f !== basename(cacheFile))
            rmSync(join(dirname(cacheFile), f), { force: true });
        }
      } catch {
        rmSync(tmp, { force: true });
      }
    });
  }
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

const enableCompileCache = (Module as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
if (process.env.EDGE_PROFILER_NO_CODE_CACHE === '1') {
  require(mainFile);
} else if (enableCompileCache) {
  try {
    enableCompileCache(cacheDir());
  } catch {
    // Compiled without a cache.
  }
  require(mainFile);
} else {
  runWithCodeCache(mainFile);
}
