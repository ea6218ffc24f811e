/**
 * Data safety of everything that writes files (issue 7): transforms and exports go through writeFileAtomic and
 * writeModelFiles (src/node/files.ts). Failures are injected through their file-system interface (a disk that
 * fills up after N bytes, renames and links that throw) and by killing a real child process between its write and
 * its rename. Each time: no partial file at the destination, an existing file byte-identical, the original model's
 * external data byte-identical and never opened for writing, temporary files removed (or, after a kill, removed by
 * the next write).
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type ExternalDataSource,
  encodeModel,
  externalTensors,
  relocateToDataFile,
} from '../../src/core/onnx/index.js';
import { mobileNetLike } from '../../src/core/onnx/syntheticModels.js';
import { planOutput, writeTransformedModel } from '../../src/core/transforms/outputPath.js';
import { pruneModel } from '../../src/core/transforms/prune.js';
import {
  loadModelFile,
  nodeWriterFs,
  removeStaleTempFiles,
  WriteError,
  type WriterFs,
  type WriterHandle,
  writeFileAtomic,
  writeModelFiles,
} from '../../src/node/files.js';

const root = mkdtempSync(join(tmpdir(), 'emp-datasafety-'));
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
const freshFolder = () => {
  const d = join(root, `case-${folders++}`);
  mkdirSync(d);
  return d;
};
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const tempFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
const bytesOf = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** node:fs, except that the disk is full after `budget` bytes (counted over every file written through it). */
function diskFullAfter(budget: number): WriterFs & { written: () => number } {
  let written = 0;
  return {
    ...nodeWriterFs,
    written: () => written,
    async open(path, flags) {
      const h = await nodeWriterFs.open(path, flags);
      const limited: WriterHandle = {
        async write(data, offset, length) {
          const room = budget - written;
          if (room <= 0) throw enospc();
          const n = Math.min(room, length);
          const r = await h.write(data, offset, n);
          written += r.bytesWritten;
          return r;
        },
        sync: () => h.sync(),
        close: () => h.close(),
      };
      return limited;
    },
  };
}

/** node:fs, except that renames and links whose destination satisfies `failsFor` throw EIO. */
function failingCommit(failsFor: (dest: string) => boolean): WriterFs {
  const eio = (dest: string) => Object.assign(new Error(`EIO: i/o error, rename -> ${dest}`), { code: 'EIO' });
  return {
    ...nodeWriterFs,
    rename: async (from, to) => {
      if (failsFor(to)) throw eio(to);
      return nodeWriterFs.rename(from, to);
    },
    link: async (from, to) => {
      if (failsFor(to)) throw eio(to);
      return nodeWriterFs.link(from, to);
    },
  };
}

describe('writeFileAtomic', () => {
  test('refuses an existing destination unless overwrite is passed, before writing anything', async () => {
    const dir = freshFolder();
    const dest = join(dir, 'out.onnx');
    writeFileSync(dest, bytesOf(1000, 1));
    const before = sha(dest);
    let chunksPulled = 0;
    const chunks = function* () {
      chunksPulled++;
      yield bytesOf(10, 2);
    };
    await assert.rejects(
      writeFileAtomic(dest, chunks()),
      (err: unknown) =>
        err instanceof WriteError && err.code === 'exists' && /already exists.*overwrite/.test(err.message),
      'refused with a clear error',
    );
    assert.equal(chunksPulled, 0, 'nothing was generated or written');
    assert.equal(sha(dest), before, 'the existing file is byte-identical');
    assert.deepEqual(tempFiles(dir), [], 'no temporary file');
    await writeFileAtomic(dest, [bytesOf(10, 2)], { overwrite: true });
    assert.deepEqual(readFileSync(dest), Buffer.from(bytesOf(10, 2)), 'replaced when overwrite is passed');
    assert.deepEqual(tempFiles(dir), [], 'no temporary file after a replacement');
  });

  test('a destination that appears while writing is not replaced (link, not check-then-rename)', async () => {
    const dir = freshFolder();
    const dest = join(dir, 'race.bin');
    const chunks = async function* () {
      yield bytesOf(100, 1);
      writeFileSync(dest, 'written by someone else meanwhile');
      yield bytesOf(100, 2);
    };
    await assert.rejects(
      writeFileAtomic(dest, chunks()),
      (err: unknown) => err instanceof WriteError && err.code === 'exists',
      'the late file is detected at commit time',
    );
    assert.equal(readFileSync(dest, 'utf8'), 'written by someone else meanwhile', 'the other file is kept');
    assert.deepEqual(tempFiles(dir), [], 'the temporary file was removed');
  });

  for (const budget of [0, 1, 4096, 65_536 + 7]) {
    test(`disk full after ${budget} bytes: no file at the destination, no temporary file`, async () => {
      const dir = freshFolder();
      const dest = join(dir, 'new.onnx');
      const fsi = diskFullAfter(budget);
      const chunks = Array.from({ length: 40 }, (_, i) => bytesOf(4096, i));
      await assert.rejects(
        writeFileAtomic(dest, chunks, { fs: fsi }),
        (err: unknown) =>
          err instanceof WriteError &&
          err.code === 'failed' &&
          /no space left on the device/.test(err.message) &&
          err.message.includes(`after ${budget} bytes`),
        'the error says the disk is full and how far it got',
      );
      assert.equal(fsi.written(), budget, 'the writer really wrote up to the budget');
      assert.ok(!existsSync(dest), 'no partial file at the destination');
      assert.deepEqual(readdirSync(dir), [], 'the folder is as before');
    });
  }

  test('disk full while replacing an existing file (overwrite): the original stays byte-identical', async () => {
    const dir = freshFolder();
    const dest = join(dir, 'model.onnx');
    writeFileSync(dest, encodeModel(mobileNetLike({ width: 8, blocks: 1 })));
    const before = sha(dest);
    const mtime = statSync(dest).mtimeMs;
    await assert.rejects(
      writeFileAtomic(dest, [bytesOf(50_000, 9)], { overwrite: true, fs: diskFullAfter(20_000) }),
      WriteError,
    );
    assert.equal(sha(dest), before, 'byte-identical');
    assert.equal(statSync(dest).mtimeMs, mtime, 'not even touched');
    assert.deepEqual(readdirSync(dir), ['model.onnx'], 'no temporary file');
  });

  test('an error from the data itself (the generator throws) leaves nothing behind', async () => {
    const dir = freshFolder();
    const dest = join(dir, 'gen.bin');
    const chunks = async function* () {
      yield bytesOf(1000, 1);
      throw new Error('source tensor could not be read');
    };
    await assert.rejects(writeFileAtomic(dest, chunks()), /source tensor could not be read/);
    assert.deepEqual(readdirSync(dir), [], 'no file, no temporary file');
  });

  for (const overwrite of [false, true]) {
    test(`the rename/link into place fails (overwrite ${overwrite}): old file kept, temporary file removed`, async () => {
      const dir = freshFolder();
      const dest = join(dir, 'x.onnx');
      if (overwrite) writeFileSync(dest, 'old contents');
      const fsi = failingCommit((to) => to === resolve(dest));
      await assert.rejects(
        writeFileAtomic(dest, [bytesOf(5000, 3)], { overwrite, fs: fsi }),
        (err: unknown) => err instanceof WriteError && /could not put the new file in place/.test(err.message),
        'a clear error',
      );
      if (overwrite) assert.equal(readFileSync(dest, 'utf8'), 'old contents', 'old file byte-identical');
      else assert.ok(!existsSync(dest), 'no file at the destination');
      assert.deepEqual(tempFiles(dir), [], 'no temporary file');
    });
  }
});

describe('writeModelFiles (model + its own data file)', () => {
  const model = mobileNetLike({ width: 16, blocks: 3, seed: 4 });

  async function planned(location: string) {
    return relocateToDataFile(model, { location, minBytes: 512, align: 64 });
  }

  test('disk full at every stage: neither file exists, no temporary files', async () => {
    const { model: ext, dataFile } = await planned('m.onnx.data');
    const modelBytes = encodeModel(ext).length;
    for (const budget of [0, 100, Math.floor(dataFile.size / 2), dataFile.size, dataFile.size + modelBytes - 1]) {
      const dir = freshFolder();
      const dest = join(dir, 'm.onnx');
      await assert.rejects(
        writeModelFiles(dest, ext, dataFile, { fs: diskFullAfter(budget) }),
        (err: unknown) => err instanceof WriteError && /no space left/.test(err.message),
        `budget ${budget}`,
      );
      assert.deepEqual(readdirSync(dir), [], `budget ${budget}: the folder is as before`);
    }
  });

  test('refuses when either the model or its data file exists, before writing anything', async () => {
    const { model: ext, dataFile } = await planned('m.onnx.data');
    const dir = freshFolder();
    const dest = join(dir, 'm.onnx');
    writeFileSync(join(dir, 'm.onnx.data'), 'somebody else’s data');
    await assert.rejects(
      writeModelFiles(dest, ext, dataFile),
      (err: unknown) => err instanceof WriteError && err.code === 'exists' && err.message.includes('m.onnx.data'),
      'the existing data file is named',
    );
    assert.deepEqual(readdirSync(dir), ['m.onnx.data'], 'nothing written');
    assert.equal(readFileSync(join(dir, 'm.onnx.data'), 'utf8'), 'somebody else’s data');
  });

  test('putting the model in place fails after the data file: the data file is taken back', async () => {
    const { model: ext, dataFile } = await planned('m.onnx.data');
    // New files: the data file this call created is removed again.
    const dir = freshFolder();
    const dest = join(dir, 'm.onnx');
    await assert.rejects(writeModelFiles(dest, ext, dataFile, { fs: failingCommit((to) => to === dest) }), WriteError);
    assert.deepEqual(readdirSync(dir), [], 'no model, no orphaned data file, no temporary file');

    // Replacing (overwrite): both old files come back byte-identical.
    const dir2 = freshFolder();
    const dest2 = join(dir2, 'm.onnx');
    const old = await planned('m.onnx.data');
    await writeModelFiles(dest2, old.model, old.dataFile);
    const smaller = await relocateToDataFile(mobileNetLike({ width: 8, blocks: 1, seed: 5 }), {
      location: 'm.onnx.data',
      minBytes: 64,
    });
    const [modelHash, dataHash] = [sha(dest2), sha(join(dir2, 'm.onnx.data'))];
    await assert.rejects(
      writeModelFiles(dest2, smaller.model, smaller.dataFile, {
        overwrite: true,
        fs: failingCommit((to) => to === dest2),
      }),
      WriteError,
    );
    assert.equal(sha(dest2), modelHash, 'old model byte-identical');
    assert.equal(sha(join(dir2, 'm.onnx.data')), dataHash, 'old data file restored byte-identical');
    assert.deepEqual(readdirSync(dir2).sort(), ['m.onnx', 'm.onnx.data'], 'no temporary or backup file');
    const reloaded = await loadModelFile(dest2);
    assert.deepEqual(reloaded.problems, [], 'the old pair still loads');
  });

  test("a transform of a model with external data never writes the original's data file", async () => {
    const dir = freshFolder();
    const origPath = join(dir, 'orig.onnx');
    const orig = await planned('orig.onnx.data');
    await writeModelFiles(origPath, orig.model, orig.dataFile);
    const origData = join(dir, 'orig.onnx.data');
    const [origHash, origDataHash, origDataMtime] = [sha(origPath), sha(origData), statSync(origData).mtimeMs];
    const loaded = await loadModelFile(origPath);
    assert.ok(externalTensors(loaded.model).length >= 3, 'the original keeps its weights in a data file');
    const pruned = await pruneModel(loaded.model, { sparsity: 0.5 }, loaded.externalData);

    // A "large" output (threshold lowered) gets a data file of its own, with unchanged tensors copied over.
    const out = join(dir, 'orig.pruned.onnx');
    const plan = await planOutput(out, pruned.model, { source: loaded.externalData, maxInlineBytes: 1024 });
    assert.ok(plan.dataFile, 'the output has its own data file');
    assert.equal(plan.dataFile.location, 'orig.pruned.onnx.data');

    // Disk full half-way through the new data file, then half-way through the model: nothing appears.
    for (const budget of [Math.floor(plan.dataFile.size / 2), plan.dataFile.size + 10]) {
      await assert.rejects(writeModelFiles(out, plan.model, plan.dataFile, { fs: diskFullAfter(budget) }), WriteError);
      assert.deepEqual(readdirSync(dir).sort(), ['orig.onnx', 'orig.onnx.data'], `budget ${budget}: nothing new`);
    }
    // The original's data file fails to read half-way: nothing appears either. (An unchanged copy of the original
    // is the output here, so that every weight is copied from the original's data file.)
    let reads = 0;
    const flaky: ExternalDataSource = {
      size: (l) => loaded.externalData.size(l),
      read: async (l, o, n) => {
        if (++reads > 2) throw new Error('EIO: the USB stick was pulled');
        return loaded.externalData.read(l, o, n);
      },
    };
    const flakyPlan = await planOutput(out, loaded.model, { source: flaky, maxInlineBytes: 1024 });
    assert.ok(flakyPlan.dataFile, 'planned');
    await assert.rejects(writeModelFiles(out, flakyPlan.model, flakyPlan.dataFile), /USB stick was pulled/);
    assert.ok(reads > 2, `the copy read the original's data (${reads} reads)`);
    assert.deepEqual(readdirSync(dir).sort(), ['orig.onnx', 'orig.onnx.data'], 'nothing new after a read failure');

    // Writing over the original or its data file is refused even with overwrite.
    await assert.rejects(
      writeTransformedModel(origPath, pruned.model, {
        source: loaded.externalData,
        originalPath: origPath,
        originalModel: loaded.model,
        overwrite: true,
      }),
      /original model or one of its data files/,
    );
    // The real thing succeeds and writes two new files.
    const written = await writeTransformedModel(out, pruned.model, {
      source: loaded.externalData,
      originalPath: origPath,
      originalModel: loaded.model,
      maxInlineBytes: 1024,
    });
    assert.equal(written.dataPath, join(dir, 'orig.pruned.onnx.data'));
    assert.equal(sha(origPath), origHash, 'the original model is byte-identical');
    assert.equal(sha(origData), origDataHash, "the original's data file is byte-identical");
    assert.equal(statSync(origData).mtimeMs, origDataMtime, "the original's data file was not written");
    assert.deepEqual((await loadModelFile(out)).problems, [], 'the output loads cleanly');
    assert.deepEqual(tempFiles(dir), [], 'no temporary files');
  });
});

describe('a writer killed with SIGKILL', () => {
  const filesModule = resolve(__dirname, '..', '..', 'src', 'node', 'files.ts');

  /**
   * Starts a child that writes `dest` (replacing its old contents) and stops at `where`: 'rename' (the temporary
   * file is complete and flushed; the rename is about to happen) or 'write' (half of the chunks are written).
   * Resolves with the temporary file's path once the child reports it is there; the caller kills it.
   */
  function startWriter(dir: string, dest: string, where: 'rename' | 'write') {
    const script = join(dir, `writer-${where}.ts`);
    writeFileSync(
      script,
      `import * as files from ${JSON.stringify(filesModule)};
const hang = () => new Promise<never>(() => setInterval(() => undefined, 1 << 30));
let tmp = '';
const fs: files.WriterFs = {
  ...files.nodeWriterFs,
  open: async (p, flags) => { if (flags === 'wx') tmp = p; return files.nodeWriterFs.open(p, flags); },
  rename: async () => { console.log('AT-RENAME ' + tmp); return hang(); },
};
async function* chunks() {
  for (let i = 0; i < 8; i++) {
    yield new Uint8Array(64 * 1024).fill(i + 1);
    if (${where === 'write'} && i === 3) { console.log('MID-WRITE ' + tmp); await hang(); }
  }
}
files.writeFileAtomic(${JSON.stringify(dest)}, chunks(), { overwrite: true, fs });
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const tmp = new Promise<string>((res, rej) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(?:AT-RENAME|MID-WRITE) (\S+)/.exec(out);
        if (m) res(m[1]);
      });
      child.on('exit', (code) => rej(new Error(`writer exited early (${code}): ${err}`)));
    });
    const killed = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, s) => res(s)));
    return { child, tmp, killed };
  }

  for (const where of ['rename', 'write'] as const) {
    test(`killed ${where === 'rename' ? 'between write and rename' : 'in the middle of the write'}`, async () => {
      const dir = freshFolder();
      const dest = join(dir, 'victim.onnx');
      const original = encodeModel(mobileNetLike({ width: 8, blocks: 1 }));
      writeFileSync(dest, original);
      const { child, tmp, killed } = startWriter(dir, dest, where);
      const tmpPath = await tmp;
      assert.ok(child.pid !== undefined && child.kill('SIGKILL'), 'the writer was killed');
      assert.equal(await killed, 'SIGKILL');

      assert.deepEqual(readFileSync(dest), Buffer.from(original), 'the destination is byte-identical');
      const left = tempFiles(dir);
      assert.deepEqual(left, [tmpPath.slice(dir.length + 1)], 'exactly one temporary file is left');
      assert.match(left[0], new RegExp(`^\\.victim\\.onnx\\.[0-9a-f]{6}-${child.pid}-[0-9a-f]{12}\\.tmp$`));
      assert.equal(
        statSync(tmpPath).size,
        where === 'rename' ? 8 * 64 * 1024 : 4 * 64 * 1024,
        'it holds what the writer had written',
      );

      // A live process's temporary file is not touched; a dead one's is removed by the next write to the path.
      const liveTmp = join(dir, left[0].replace(`-${child.pid}-`, `-${process.pid}-`));
      writeFileSync(liveTmp, 'in progress');
      await writeFileAtomic(dest, [bytesOf(10, 7)], { overwrite: true });
      assert.deepEqual(tempFiles(dir), [liveTmp.slice(dir.length + 1)], "the dead writer's file is gone");
      assert.deepEqual(readFileSync(dest), Buffer.from(bytesOf(10, 7)), 'the new write went through');
      assert.deepEqual(await removeStaleTempFiles(dest), [], 'nothing stale is left');
      rmSync(liveTmp);
    });
  }
});
