import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CancelledError, Future, Pool, SpindleError, TimeoutError } from '../src/index.js';
import { counter, ft } from './fixtures/futures-tasks.js';

const run = promisify(execFile);

/** Resolves once `cond()` holds; fails the test after `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A pool of one worker held busy by a gate task until `open()` is called. */
function heldPool() {
  const pool = new Pool({ workers: 1 });
  const gate = counter(1);
  const marks = counter();
  const holder = pool.submit(ft.gate, gate, marks, 0, 'held');
  const open = () => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  };
  return { pool, gate, marks, holder, open, started: () => until(() => marks[0] === 1) };
}

describe('Future', () => {
  test('a future goes pending, then running, then finished, and is awaitable', async () => {
    const { pool, holder, open, started } = heldPool();
    const queued = pool.submit(ft.square, 7);
    assert.equal(holder.done(), false);
    await started();
    assert.equal(holder.running(), true);
    assert.equal(queued.running(), false);
    assert.equal(queued.done(), false);
    open();
    assert.equal(await holder, 'held');
    assert.equal(await queued, 49);
    assert.equal(queued.done(), true);
    assert.equal(queued.running(), false);
    assert.equal(queued.cancelled(), false);
    await pool.close();
  });

  test('cancel() withdraws a queued task, so its side effect never happens', async () => {
    const { pool, marks, open, started } = heldPool();
    const queued = pool.submit(ft.mark, marks, 1);
    await started();
    assert.equal(queued.cancel(), true);
    assert.equal(queued.cancelled(), true);
    assert.equal(queued.done(), true);
    assert.equal(queued.cancel(), true, 'cancelling again still reports cancelled');
    open();
    await pool.close();
    assert.equal(marks[1], 0, 'the cancelled task never ran');
  });

  test('cancel() returns false once the task is running or finished', async () => {
    const { pool, holder, open, started } = heldPool();
    await started();
    assert.equal(holder.cancel(), false);
    assert.equal(holder.cancelled(), false);
    open();
    assert.equal(await holder, 'held');
    assert.equal(holder.cancel(), false);
    await pool.close();
  });

  test("a cancelled future's result() and exception() reject with SPINDLE_CANCELLED", async () => {
    const { pool, marks, open, started } = heldPool();
    const queued = pool.submit(ft.mark, marks, 1);
    await started();
    queued.cancel();
    const isCancelled = (e: unknown) =>
      e instanceof CancelledError && e instanceof SpindleError && e.code === 'SPINDLE_CANCELLED';
    await assert.rejects(queued.result(), isCancelled);
    await assert.rejects(queued.exception(), isCancelled);
    await assert.rejects(Promise.resolve(queued), isCancelled);
    open();
    await pool.close();
  });

  test('exception() resolves undefined for a success and the error for a failure', async () => {
    const pool = new Pool({ workers: 1 });
    const ok = pool.submit(ft.square, 3);
    const bad = pool.submit(ft.failAfter, 1, 'nope');
    assert.equal(await ok.exception(), undefined);
    const error = await bad.exception();
    assert.ok(error instanceof RangeError);
    assert.equal((error as Error).message, 'nope');
    await assert.rejects(bad.result(), RangeError);
    await pool.close();
  });

  test('result({ timeout }) rejects with SPINDLE_TIMEOUT and does not cancel the task', async () => {
    const pool = new Pool({ workers: 1 });
    const f = pool.submit(ft.sleep, 400, 'late');
    await assert.rejects(
      f.result({ timeout: 20 }),
      (e: unknown) => e instanceof TimeoutError && e.code === 'SPINDLE_TIMEOUT',
    );
    await assert.rejects(f.exception({ timeout: 20 }), TimeoutError);
    assert.equal(f.cancelled(), false);
    assert.equal(await f.result({ timeout: 10_000 }), 'late');
    assert.equal(await f.result({ timeout: 0 }), 'late', 'timeout 0 checks a done future');
    await pool.close();
  });

  test('result() rejects a bad timeout with a RangeError that says what to pass', async () => {
    const f = new Future<number>();
    await assert.rejects(
      f.result({ timeout: -1 }),
      (e: Error) => e instanceof RangeError && /timeout/.test(e.message),
    );
  });

  test('addDoneCallback runs once when the future finishes, and at once if it already has', async () => {
    const pool = new Pool({ workers: 1 });
    const f = pool.submit(ft.sleep, 30, 'x');
    const seen: string[] = [];
    f.addDoneCallback((g) => seen.push(`first:${g === f}:${g.done()}`));
    assert.equal(seen.length, 0);
    await f;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, ['first:true:true']);
    f.addDoneCallback(() => seen.push('late'));
    assert.deepEqual(
      seen,
      ['first:true:true', 'late'],
      'a callback on a done future runs synchronously',
    );
    await pool.close();
  });

  test('an error thrown by a done-callback is reported as a warning, and later callbacks still run', async () => {
    const pool = new Pool({ workers: 1 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const f = pool.submit(ft.square, 2);
      let after = false;
      f.addDoneCallback(() => {
        throw new Error('callback broke');
      });
      f.addDoneCallback(() => {
        after = true;
      });
      assert.equal(await f, 4, 'the future itself is unaffected');
      await until(() => warnings.length > 0);
      assert.equal(after, true);
      assert.match(warnings[0].message, /callback broke/);
      assert.equal((warnings[0].cause as Error).message, 'callback broke');
      assert.equal(warnings[0].name, 'SpindleCallbackError');
    } finally {
      process.off('warning', onWarning);
      await pool.close();
    }
  });

  test('a future works with Promise.all and async/await like a promise', async () => {
    const pool = new Pool({ workers: 2 });
    const futures = [1, 2, 3].map((x) => pool.submit(ft.square, x));
    assert.deepEqual(await Promise.all(futures), [1, 4, 9]);
    assert.equal(await pool.submit(ft.add, 1, 2).then((v) => v * 10), 30);
    assert.equal(await pool.submit(ft.failOn, 1, 1).catch(() => 'caught'), 'caught');
    await pool.close();
  });

  test('an unobserved failed future causes no unhandled rejection', async () => {
    const pool = new Pool({ workers: 1 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const f = pool.submit(ft.failOn, 5, 5);
      await until(() => f.done());
      // unhandled rejections are reported after the microtask queue drains
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await pool.close();
    }
  });

  test('a process that leaves a failed future unobserved exits cleanly', async () => {
    const script = fileURLToPath(new URL('./fixtures/futures-unobserved.ts', import.meta.url));
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script], {
      timeout: 60_000,
    });
    assert.match(stdout, /failed: true/);
    assert.doesNotMatch(stderr, /Unhandled|ERR_UNHANDLED_REJECTION/i);
  });
});
