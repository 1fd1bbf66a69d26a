import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pool, SpindleError, TimeoutError } from '../src/index.js';
import { ft } from './fixtures/futures-tasks.js';

const isTimeout = (e: unknown) =>
  e instanceof TimeoutError && e instanceof SpindleError && e.code === 'SPINDLE_TIMEOUT';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('timeouts', () => {
  test('taskTimeout stops an infinite loop within a couple of seconds, and the pool still answers', async () => {
    // 1 s leaves room for a loaded machine; the module's import in the replacement worker is
    // not counted (see 'a timeout counts from the task's start').
    const pool = new Pool({ workers: 1, taskTimeout: 1_000 });
    await pool.apply(ft.square, 1); // the worker is up and the module loaded
    const started = Date.now();
    await assert.rejects(pool.apply(ft.spinForever), isTimeout);
    assert.ok(Date.now() - started < 5_000, 'rejected soon after the timeout');
    // The stuck worker is stopped after a short grace period and replaced.
    assert.equal(await pool.apply(ft.square, 12), 144);
    assert.ok(Date.now() - started < 20_000);
    await pool.close();
  });

  test('the timeout error names the task and the limit', async () => {
    const pool = new Pool({ workers: 1, taskTimeout: 200 });
    const error = (await pool.apply(ft.sleep, 5_000, 0).catch((e) => e)) as Error;
    assert.ok(isTimeout(error));
    assert.match(error.message, /sleep/);
    assert.match(error.message, /200 ms/);
    await pool.terminate();
  });

  test('a per-call timeout on submitWith rejects with SPINDLE_TIMEOUT', async () => {
    const pool = new Pool({ workers: 1 });
    const f = pool.submitWith({ timeout: 200 }, ft.sleep, 5_000, 'late');
    await assert.rejects(f.result(), isTimeout);
    assert.equal(f.done(), true);
    assert.equal(f.cancelled(), false, 'a timeout is a failure, not a cancellation');
    assert.equal(await pool.apply(ft.square, 3), 9);
    await pool.close();
  });

  test('the timeout is measured from the start of the task, not from when it was queued', async () => {
    const pool = new Pool({ workers: 1 });
    await pool.apply(ft.square, 1);
    const first = pool.submit(ft.sleep, 800, 'first');
    const second = pool.submitWith({ timeout: 500 }, ft.sleep, 20, 'second');
    assert.equal(await first, 'first');
    assert.equal(await second, 'second', 'queued 800 ms behind the first, yet in time');
    await pool.close();
  });

  test('a per-call timeout on map fails the call with SPINDLE_TIMEOUT', async () => {
    const pool = new Pool({ workers: 2 });
    await assert.rejects(
      pool.map(
        ft.sleep,
        [[10], [5_000]].map(([ms]) => ms),
        { timeout: 300 },
      ),
      isTimeout,
    );
    await pool.terminate();
  });

  test('other tasks on other workers are not disturbed by a timed-out loop', async () => {
    const pool = new Pool({ workers: 2 });
    await Promise.all([pool.apply(ft.sleep, 50, 0), pool.apply(ft.sleep, 50, 0)]);
    const survivor = pool.submit(ft.sleep, 1_200, 'survivor');
    const doomed = pool.submitWith({ timeout: 200 }, ft.spinForever);
    await assert.rejects(doomed.result(), isTimeout);
    assert.equal(await survivor, 'survivor');
    assert.equal(pool.stats().crashes, 0, 'replacing a stuck worker is not a crash');
    await pool.close();
  });

  test('a task that finishes in time is unaffected by its timeout', async () => {
    const pool = new Pool({ workers: 1, taskTimeout: 5_000 });
    assert.deepEqual(await pool.map(ft.square, [1, 2, 3]), [1, 4, 9]);
    assert.equal(await pool.submitWith({ timeout: 5_000 }, ft.add, 2, 2), 4);
    await pool.close();
  });

  test('a timed-out task sees the abort through taskSignal()', async () => {
    const { counter } = await import('./fixtures/futures-tasks.js');
    const marks = counter();
    const pool = new Pool({ workers: 1 });
    const f = pool.submitWith({ timeout: 300 }, ft.cooperative, marks, 0, 30_000);
    await assert.rejects(f.result(), isTimeout);
    await until(() => marks[1] === 1);
    await pool.close();
  });

  test("a timeout counts from the task's start, not from the import of its module", async () => {
    const { slowImport } = await import('./fixtures/slow-import-tasks.js');
    for (const backend of ['threads', 'processes'] as const) {
      // The module's import in the worker takes 1.5 s, three times the task's timeout.
      const pool = new Pool({ backend, workers: 1 });
      assert.equal(await pool.submitWith({ timeout: 500 }, slowImport.quick, 1).result(), 2);
      await pool.close();
    }
  });

  test('the process backend stops a stuck task on timeout and serves the next one', async () => {
    const pool = new Pool({ backend: 'processes', workers: 1, taskTimeout: 400 });
    const before = await pool.apply(ft.pid);
    await assert.rejects(pool.apply(ft.spinForever), isTimeout);
    const after = await pool.apply(ft.pid);
    assert.notEqual(after, before, 'a new process took over');
    await pool.close();
  });

  test('close() waits for a timed-out stuck task to be stopped, then finishes', async () => {
    const pool = new Pool({ workers: 1, taskTimeout: 200 });
    const f = pool.submit(ft.spinForever);
    const closing = pool.close();
    await assert.rejects(f.result(), isTimeout);
    await closing;
    assert.equal(pool.stats().workers, 0);
  });
});
