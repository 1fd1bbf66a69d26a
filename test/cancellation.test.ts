import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, Pool, SpindleError, taskSignal } from '../src/index.js';
import { counter, ft } from './fixtures/futures-tasks.js';

const isCancelled = (e: unknown) =>
  e instanceof CancelledError &&
  e instanceof SpindleError &&
  e.code === 'SPINDLE_CANCELLED' &&
  e.name === 'AbortError';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One worker held by a gate task; `open()` releases it. */
function heldPool(options: { workers?: number } = {}) {
  const pool = new Pool({ workers: options.workers ?? 1 });
  const gate = counter(1);
  const marks = counter();
  const holder = pool.submit(ft.gate, gate, marks, 0, 'held');
  return {
    pool,
    marks,
    holder,
    started: () => until(() => marks[0] === 1),
    open() {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    },
  };
}

describe('cancellation with AbortSignal', () => {
  test('aborting a queued submitWith task rejects it at once and it never runs', async () => {
    const { pool, marks, started, open } = heldPool();
    await started();
    const controller = new AbortController();
    const f = pool.submitWith({ signal: controller.signal }, ft.mark, marks, 1);
    controller.abort();
    await assert.rejects(f.result(), isCancelled);
    assert.equal(f.cancelled(), true);
    open();
    await pool.close();
    assert.equal(marks[1], 0);
  });

  test('an already-aborted signal rejects without running anything', async () => {
    const pool = new Pool({ workers: 1 });
    const marks = counter();
    const f = pool.submitWith({ signal: AbortSignal.abort() }, ft.mark, marks, 1);
    assert.equal(f.cancelled(), true);
    await assert.rejects(f.result(), isCancelled);
    await assert.rejects(pool.map(ft.square, [1, 2], { signal: AbortSignal.abort() }), isCancelled);
    await pool.close();
    assert.equal(marks[1], 0);
    assert.equal(pool.stats().completed, 0);
  });

  test('the abort reason is kept as the cause', async () => {
    const pool = new Pool({ workers: 1 });
    const reason = new Error('user pressed stop');
    const f = pool.submitWith({ signal: AbortSignal.abort(reason) }, ft.square, 2);
    const error = (await f.exception().catch((e) => e)) as CancelledError;
    assert.ok(isCancelled(error));
    assert.equal(error.cause, reason);
    await pool.close();
  });

  test('a running task sees the abort through taskSignal() and stops; its worker stays', async () => {
    const pool = new Pool({ workers: 1 });
    const marks = counter();
    const before = await pool.apply(ft.threadId);
    const controller = new AbortController();
    const f = pool.submitWith({ signal: controller.signal }, ft.cooperative, marks, 0, 30_000);
    await until(() => marks[0] === 1);
    assert.equal(f.running(), true);
    controller.abort();
    await assert.rejects(f.result(), isCancelled);
    await until(() => marks[1] === 1);
    assert.equal(await pool.apply(ft.threadId), before, 'the same worker serves the next task');
    assert.equal(pool.stats().crashes, 0);
    await pool.close();
  });

  test('taskSignal() outside a task is a signal that never fires', () => {
    const signal = taskSignal();
    assert.equal(signal.aborted, false);
  });

  test('a running task that ignores the abort is stopped with its worker, which is replaced', async () => {
    const pool = new Pool({ workers: 1 });
    const before = await pool.apply(ft.threadId);
    const controller = new AbortController();
    const f = pool.submitWith({ signal: controller.signal }, ft.spinForever);
    await until(() => f.running());
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await assert.rejects(f.result(), isCancelled);
    const after = await pool.apply(ft.threadId);
    assert.notEqual(after, before, 'a new worker answers');
    assert.equal(pool.stats().workers, 1);
    await pool.close();
  });

  test('close() after an abort of a stuck task still finishes', async () => {
    const pool = new Pool({ workers: 1 });
    await pool.apply(ft.square, 1);
    const controller = new AbortController();
    const f = pool.submitWith({ signal: controller.signal }, ft.spinForever);
    await until(() => f.running());
    controller.abort();
    await assert.rejects(f.result(), isCancelled);
    await pool.close();
    assert.equal(pool.stats().workers, 0);
  });

  test('aborting a map drops its queued items and rejects with SPINDLE_CANCELLED', async () => {
    const { pool, marks, started, open } = heldPool();
    await started();
    const controller = new AbortController();
    const result = pool.map((i: number) => i, [1, 2, 3], {
      signal: controller.signal,
      chunksize: 1,
    });
    const marked = pool.map(ft.mark, [marks], { signal: controller.signal });
    controller.abort();
    await assert.rejects(result, isCancelled);
    await assert.rejects(marked, isCancelled);
    open();
    await pool.close();
    assert.equal(marks[0], 1, 'only the holder ran');
  });

  test('imap, imapUnordered and starmap take a signal too', async () => {
    const pool = new Pool({ workers: 2 });
    const controller = new AbortController();
    const drain = async (it: AsyncIterable<unknown>) => {
      for await (const _ of it) controller.abort();
    };
    await assert.rejects(
      drain(
        pool.imap(
          ft.sleep,
          [10, 2000, 2000, 2000].map((ms) => ms),
          { signal: controller.signal, chunksize: 1 },
        ),
      ),
      isCancelled,
    );
    const c2 = new AbortController();
    const unordered = pool.imapUnordered(ft.square, [1, 2, 3], { signal: c2.signal });
    c2.abort();
    await assert.rejects(unordered.next(), isCancelled);
    const c3 = new AbortController();
    const star = pool.starmap(
      ft.sleep,
      [
        [1_000, 1],
        [1_000, 2],
        [1_000, 3],
      ],
      { signal: c3.signal },
    );
    setTimeout(() => c3.abort(), 50);
    await assert.rejects(star, isCancelled);
    await pool.terminate();
  });

  test('other tasks are not disturbed by an abort', async () => {
    const pool = new Pool({ workers: 2 });
    await Promise.all([pool.apply(ft.square, 1), pool.apply(ft.square, 2)]);
    const survivor = pool.submit(ft.sleep, 600, 'still here');
    const controller = new AbortController();
    const doomed = pool.submitWith({ signal: controller.signal }, ft.spinForever);
    await until(() => doomed.running());
    controller.abort();
    await assert.rejects(doomed.result(), isCancelled);
    assert.equal(await survivor, 'still here');
    await pool.close();
  });
  test('aborting a task waiting behind another on its worker neither stops nor re-runs the one ahead', async () => {
    const pool = new Pool({ workers: 1 });
    const marks = counter();
    const busy = (ms: number, c: Int32Array, i: number) => {
      Atomics.add(c, i, 1);
      const end = Date.now() + ms;
      while (Date.now() < end);
      return i;
    };
    // Learn that this task is fast, so the next call is sent to the worker behind the first.
    for (let i = 0; i < 20; i++) await pool.apply(busy, 0, marks, 7);
    const ahead = pool.submit(busy, 1_500, marks, 0);
    const controller = new AbortController();
    const behind = pool.submitWith({ signal: controller.signal }, busy, 0, marks, 1);
    await until(() => marks[0] === 1);
    controller.abort();
    await assert.rejects(behind.result(), isCancelled);
    assert.equal(await ahead, 0);
    assert.equal(marks[0], 1, 'the task ahead ran once');
    assert.equal(pool.stats().crashes, 0);
    await pool.close();
  });
});

describe('an abort means the same on every face: queued work is withdrawn, running work stopped', () => {
  const waitForAbort = ft.waitForAbort;

  const faces: Array<
    [string, (pool: Pool, flags: Int32Array, signal: AbortSignal) => Promise<unknown>]
  > = [
    ['map', (pool, flags, signal) => pool.map(waitForAbort, [flags], { signal })],
    [
      'parallel',
      async (pool, flags, signal) => {
        const { delayed, parallel } = await import('../src/index.js');
        return parallel({ pool, signal })([delayed(waitForAbort)(flags)]);
      },
    ],
    [
      'compute',
      async (pool, flags, signal) => {
        const { compute, delayed } = await import('../src/index.js');
        return compute(delayed(waitForAbort)(flags), { pool, signal });
      },
    ],
    [
      'parallelFor',
      async (pool, flags, signal) => {
        const { parallelFor } = await import('../src/index.js');
        return parallelFor(0, 1, ft.waitForAbortRange, {
          pool,
          signal,
          args: [flags],
        });
      },
    ],
  ];

  for (const [face, call] of faces) {
    test(`${face}: an abort stops the running task through its taskSignal`, async () => {
      const pool = new Pool({ workers: 1 });
      try {
        const flags = counter(2);
        const controller = new AbortController();
        const run = call(pool, flags, controller.signal);
        await until(() => flags[0] === 1);
        controller.abort();
        await assert.rejects(run, isCancelled);
        await until(() => flags[1] === 1);
      } finally {
        await pool.terminate();
      }
    });
  }

  test('a map with many chunks in flight adds one abort listener, not one per chunk', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const pool = new Pool({ backend: 'inline', workers: 16 });
    try {
      const controller = new AbortController();
      const xs = Array.from({ length: 200 }, (_, i) => i);
      await pool.map(async (x: number) => x, xs, { signal: controller.signal, chunksize: 1 });
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w === 'MaxListenersExceededWarning'),
        [],
      );
    } finally {
      process.off('warning', onWarning);
      await pool.close();
    }
  });

  test('parallelFor waits for room in a bounded queue instead of throwing SPINDLE_QUEUE_FULL', async () => {
    const { parallelFor } = await import('../src/index.js');
    const pool = new Pool({ workers: 1, maxQueue: 2 });
    try {
      const sums = await parallelFor(0, 40, (lo: number, hi: number) => hi - lo, {
        pool,
        chunk: 1,
      });
      assert.equal(sums.length, 40);
      assert.equal(
        sums.reduce((a, b) => a + b, 0),
        40,
      );
    } finally {
      await pool.close();
    }
  });
});
