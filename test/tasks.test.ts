import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defineTasks, InlineCaptureError, InlineSourceError, inline, Pool } from '../src/index.js';
import { tasks } from './fixtures/tasks.js';

/** Supplied to an inline task by `inline(..., { counts })`; never defined in this module. */
declare const counts: (n: number) => Iterable<number>;

const pool = new Pool({ workers: 2 });
after(() => pool.close());

describe('module tasks', () => {
  test('defineTasks returns the same functions, still callable here', () => {
    assert.equal(tasks.cube(3), 27);
  });

  test('a module task runs in a worker thread, not the caller', async () => {
    const { threadId } = await import('node:worker_threads');
    const remote = await pool.apply(tasks.threadId);
    assert.notEqual(remote, threadId);
  });

  test('defineTasks without a module URL is a TypeError that shows the call', () => {
    assert.throws(() => defineTasks('cube' as any, {}), /import\.meta\.url/);
  });

  test('a non-function task in defineTasks is refused', () => {
    assert.throws(() => defineTasks(import.meta.url, { x: 1 as any }), /'x' is .* not a function/);
  });

  test('a task that is neither a function nor a task handle is a TypeError', () => {
    assert.throws(
      () => pool.submit(42 as any),
      (e: Error) => e instanceof TypeError && /defineTasks/.test(e.message),
    );
  });
});

describe('inline tasks', () => {
  test('a self-contained arrow function runs from its source', async () => {
    assert.deepEqual(await pool.map((x: number) => x * 2, [1, 2, 3]), [2, 4, 6]);
  });

  test('inline() supplies captured values', async () => {
    const k = 7;
    const offset = { by: 1 };
    assert.deepEqual(
      await pool.map(
        inline((x: number) => x * k + offset.by, { k, offset }),
        [1, 2],
      ),
      [8, 15],
    );
  });

  test('a captured function travels as an inline task of its own', async () => {
    const square = (x: number) => x * x;
    assert.deepEqual(
      await pool.map(
        inline((x: number) => square(x) + 1, { square }),
        [2, 3],
      ),
      [5, 10],
    );
  });

  test('a captured module task travels by reference', async () => {
    const cube = tasks.cube;
    assert.equal(
      await pool.apply(
        inline((x: number) => cube(x) - 1, { cube }),
        3,
      ),
      26,
    );
  });

  test('a free variable is refused at submit, naming it and showing the fix', () => {
    const factor = 3;
    assert.throws(
      () => pool.submit((x: number) => x * factor, 1),
      (e: unknown) =>
        e instanceof InlineCaptureError &&
        e.code === 'SPINDLE_INLINE_CAPTURE' &&
        e.variables.includes('factor') &&
        /inline\(fn, \{ factor \}\)/.test(e.message),
    );
  });

  test('globals (Math, JSON, setTimeout, structuredClone) need no capture', async () => {
    const r = await pool.apply(async (x: number) => {
      await new Promise((res) => setTimeout(res, 1));
      return JSON.stringify(structuredClone({ v: Math.max(x, 2) }));
    }, 1);
    assert.equal(r, '{"v":2}');
  });

  test('require is refused with a hint to use import()', () => {
    assert.throws(
      () => pool.submit(() => (globalThis as any).x ?? require('node:fs')),
      /CommonJS-only/,
    );
  });

  test('dynamic import works inside an inline task', async () => {
    const r = await pool.apply(async () => (await import('node:path')).join('a', 'b'));
    assert.equal(r, 'a/b');
  });

  test('methods, async methods and generators defined with shorthand work', async () => {
    const o = {
      twice(x: number) {
        return x * 2;
      },
      async later(x: number) {
        return x + 1;
      },
      *counts(n: number) {
        for (let i = 0; i < n; i++) yield i;
      },
    };
    assert.equal(await pool.apply(o.twice, 4), 8);
    assert.equal(await pool.apply(o.later, 4), 5);
    assert.equal(
      await pool
        .apply(
          inline((n: number) => [...counts(n)], { counts: o.counts }),
          3,
        )
        .then(String),
      '0,1,2',
    );
  });

  test('functions compiled by tsx (named inner functions, classes with fields) work', async () => {
    const r = await pool.apply((x: number) => {
      function inner(y: number) {
        return y + 1;
      }
      class Box {
        value = 10;
        get() {
          return this.value;
        }
      }
      return inner(x) + new Box().get();
    }, 1);
    assert.equal(r, 12);
  });

  test('TypeScript helpers for older targets (__awaiter) are provided', async () => {
    // What tsc emits for an async arrow with target ES2015.
    const compiled = new Function(
      'return (x) => __awaiter(void 0, void 0, void 0, function* () { const y = yield Promise.resolve(x); return y * 3; })',
    )();
    assert.equal(await pool.apply(compiled, 5), 15);
  });

  test('a native or bound function is refused with SPINDLE_INLINE_SOURCE', () => {
    assert.throws(
      () => pool.submit(Math.max, 1, 2),
      (e: unknown) => e instanceof InlineSourceError && e.code === 'SPINDLE_INLINE_SOURCE',
    );
    const bound = ((x: number) => x).bind(null);
    assert.throws(() => pool.submit(bound, 1), InlineSourceError);
  });

  test('a task module URL that names no file fails with SPINDLE_TASK_MODULE and the bundling hint', async () => {
    // What a bundler that rewrites import.meta.url to the source path leaves once the sources are gone.
    const missing = new URL('./fixtures/no-such-tasks.mjs', import.meta.url).href;
    const gone = defineTasks(missing, { f: (x: number) => x });
    await assert.rejects(
      pool.submit(gone.f, 1),
      (e: any) =>
        e.code === 'SPINDLE_TASK_MODULE' &&
        e.message.includes(missing) &&
        /there is no file at that URL/.test(e.message) &&
        /importMeta/.test(e.message),
    );
    // The pool goes on serving tasks from modules that exist.
    assert.equal(await pool.submit(tasks.cube, 2), 8);
  });

  test('a compiled function is cached per worker, so the same source runs many times', async () => {
    const f = (x: number) => x + 1;
    for (let i = 0; i < 3; i++) assert.equal(await pool.apply(f, i), i + 1);
  });
});

describe('tasks defined in the program entry file', () => {
  const script = (name: string) =>
    fileURLToPath(new URL(`./fixtures/scripts/${name}`, import.meta.url));
  const runScript = (name: string, backend: string) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', script(name), backend], {
      timeout: 60_000,
    });

  for (const backend of ['threads', 'processes']) {
    test(`unguarded main code fails fast, naming the file and both fixes (${backend})`, async () => {
      const { stdout } = await runScript('entry-tasks-unguarded.ts', backend);
      assert.match(stdout, /^SPINDLE_TASK_MODULE: /);
      assert.match(stdout, /entry-tasks-unguarded\.ts/);
      assert.match(stdout, /a module of their own/);
      assert.match(stdout, /if \(!inWorker\(\)\)/);
    });

    test(`main code guarded with inWorker() runs the file's own tasks (${backend})`, async () => {
      const { stdout } = await runScript('entry-tasks-guarded.ts', backend);
      assert.equal(stdout.trim(), '[2,4,6]');
    });
  }
});
