/**
 * Threads on Node run the worker runtime as a classic script compiled with V8's code cache
 * (src/backends/script-runtime.ts). Each program runs as a user runs it, plain `node main.mjs`
 * from a folder inside this package, so that `import 'spindle'` is this package's build (npm
 * test builds first), with its own cache folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

const TASKS = `import { defineTasks, TimeoutError } from 'spindle';
export const tasks = defineTasks(import.meta.url, {
  // What the thread's bootstrap lends the script (see thread-script.ts): absent on the ES path.
  how: () => typeof globalThis[Symbol.for('spindle.import')] === 'function' ? 'script' : 'modules',
  cube: (x) => x ** 3,
  timeoutKind: () => new TimeoutError('x').code,
});
`;
const MAIN = `import { Pool } from 'spindle';
import { tasks } from './tasks.mjs';
const pool = new Pool({ workers: 2 });
try {
  const [how, cubes, code, sep] = await Promise.all([
    pool.submit(tasks.how),
    pool.map(tasks.cube, [1, 2, 3, 4]),
    pool.submit(tasks.timeoutKind),
    // An inline task's own import(): code the script compiles has none unless it is lent one.
    pool.submit(async () => (await import('node:path')).sep),
  ]);
  console.log(JSON.stringify({ how, cubes, code, sep }));
} finally {
  await pool.close();
}
`;

async function runMain(env: Record<string, string>) {
  const { stdout } = await run(process.execPath, ['main.mjs'], {
    cwd: dir,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(out.cubes, [1, 8, 27, 64]);
  assert.equal(out.code, 'SPINDLE_TIMEOUT');
  assert.equal(out.sep, '/');
  return out.how as string;
}

const cacheFiles = (folder: string) => readdirSync(folder).filter((f) => f.endsWith('.v8'));

describe('the worker runtime as a script with a code cache (threads, Node)', () => {
  before(() => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(root, '.tmp', 'worker-script-'));
    writeFileSync(join(dir, 'tasks.mjs'), TASKS);
    writeFileSync(join(dir, 'main.mjs'), MAIN);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the first program writes the cache in a private folder, the next one uses it', async () => {
    const cache = join(dir, 'cache-a');
    assert.equal(await runMain({ SPINDLE_CACHE_DIR: cache }), 'script');
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    const [file] = cacheFiles(cache);
    assert.ok(file, 'a cache file was written');
    const first = statSync(join(cache, file));
    assert.equal(first.mode & 0o777, 0o600);
    assert.ok(first.size > 1000);
    // A cache V8 accepts is left as it is; one it rejected would have been replaced.
    assert.equal(await runMain({ SPINDLE_CACHE_DIR: cache }), 'script');
    assert.deepEqual(cacheFiles(cache), [file]);
    assert.equal(statSync(join(cache, file)).mtimeMs, first.mtimeMs);
    assert.deepEqual(
      readdirSync(cache).filter((f) => !f.endsWith('.v8')),
      [],
      'no temporary file is left behind',
    );
  });

  test('a cache V8 rejects is replaced, and the program runs as before', async () => {
    const cache = join(dir, 'cache-b');
    await runMain({ SPINDLE_CACHE_DIR: cache });
    const [file] = cacheFiles(cache);
    const path = join(cache, file);
    writeFileSync(path, Buffer.alloc(4096, 7), { mode: 0o600 });
    assert.equal(await runMain({ SPINDLE_CACHE_DIR: cache }), 'script');
    const replaced = readFileSync(path);
    assert.notEqual(replaced.length, 4096);
    assert.notDeepEqual(replaced.subarray(0, 64), Buffer.alloc(64, 7));
  });

  test('a folder keeps the 8 newest caches: older builds and Nodes make room for a new one', async () => {
    const cache = join(dir, 'cache-full');
    mkdirSync(cache, { mode: 0o700 });
    const day = 24 * 3600;
    const old = Array.from({ length: 9 }, (_, i) => `worker-old${i}-v0.0.0-x64-0.v8`);
    old.forEach((name, i) => {
      writeFileSync(join(cache, name), 'stale', { mode: 0o600 });
      const at = Date.now() / 1000 - (i + 1) * day;
      utimesSync(join(cache, name), at, at);
    });
    await runMain({ SPINDLE_CACHE_DIR: cache });
    const left = cacheFiles(cache);
    assert.equal(left.length, 8);
    assert.equal(left.filter((name) => !name.startsWith('worker-old')).length, 1, 'the new one');
    assert.deepEqual(left.filter((name) => name.startsWith('worker-old')).sort(), old.slice(0, 7));
  });

  test('a cache folder that others may write is not used', async () => {
    const cache = join(dir, 'cache-open');
    mkdirSync(cache);
    chmodSync(cache, 0o777);
    assert.equal(await runMain({ SPINDLE_CACHE_DIR: cache }), 'script');
    assert.deepEqual(cacheFiles(cache), []);
  });

  test('SPINDLE_CODE_CACHE=0 writes no cache; SPINDLE_WORKER_SCRIPT=0 starts from the ES modules', async () => {
    const cache = join(dir, 'cache-off');
    assert.equal(await runMain({ SPINDLE_CACHE_DIR: cache, SPINDLE_CODE_CACHE: '0' }), 'script');
    assert.equal(existsSync(cache), false);
    assert.equal(
      await runMain({ SPINDLE_CACHE_DIR: cache, SPINDLE_WORKER_SCRIPT: '0' }),
      'modules',
    );
  });
});
