import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  CancelledError,
  Future,
  PoolClosedError,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  TimeoutError,
} from '../src/index.js';
import { counter, ft } from './fixtures/futures-tasks.js';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const isClosed = (e: unknown) => e instanceof PoolClosedError && e.code === 'SPINDLE_POOL_CLOSED';

describe('ThreadPoolExecutor', () => {
  test('submit returns a Future of the result', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const f = executor.submit(ft.add, 2, 3);
    assert.ok(f instanceof Future);
    assert.equal(await f.result(), 5);
  });

  test('maxWorkers bounds the workers', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    assert.equal(executor.maxWorkers, 2);
    const ids = await Promise.all(
      Array.from({ length: 6 }, () =>
        executor.submit(ft.sleep, 50, 0).then(() => executor.submit(ft.threadId)),
      ),
    );
    assert.ok(new Set(ids).size <= 2);
  });

  test('map yields lazily in input order over zipped iterables, stopping at the shortest', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const it = executor.map(ft.add, [1, 2, 3, 4], [10, 20, 30]);
    assert.equal(typeof it.next, 'function');
    assert.deepEqual(await collect(it), [11, 22, 33]);
    assert.deepEqual(await collect(executor.map(ft.square, [3, 1, 2])), [9, 1, 4]);
  });

  test('map keeps input order when later calls finish first', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
    const out = await collect(
      executor.map(ft.sleep, [300, 10, 100], ['a', 'b', 'c'], { chunksize: 1 }),
    );
    assert.deepEqual(out, ['a', 'b', 'c']);
  });

  test('map streams an endless generator and closes it when the loop breaks', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    let pulled = 0;
    let closed = false;
    function* naturals() {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const out: number[] = [];
    for await (const x of executor.map(ft.square, naturals())) {
      out.push(x);
      if (out.length === 5) break;
    }
    assert.deepEqual(out, [0, 1, 4, 9, 16]);
    assert.ok(pulled < 100_000, `bounded look-ahead (pulled ${pulled})`);
    await until(() => closed);
  });

  test('map accepts async iterables alongside plain ones', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    async function* xs() {
      for (const x of [1, 2, 3]) {
        await new Promise((r) => setTimeout(r, 5));
        yield x;
      }
    }
    assert.deepEqual(
      await collect(executor.map(ft.add, xs(), [100, 200, 300, 400])),
      [101, 202, 303],
    );
  });

  test('a failing call is thrown at its position, after the results before it', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const x of executor.map(ft.failOn, [0, 1, 2, 3, 4], [2, 2, 2, 2, 2], {
          chunksize: 5,
        }))
          got.push(x);
      })(),
      /item 2 is bad/,
    );
    assert.deepEqual(
      got,
      [0, 1],
      'results before the failure were yielded, even from the same chunk',
    );
  });

  test('an error in map cancels what is still queued', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const marks = counter(64);
    const items = Array.from({ length: 40 }, (_, i) => i);
    // item 0 fails fast; the rest would each mark its slot
    const task = (i: number, c: Int32Array) => {
      if (i === 0) throw new Error('first fails');
      Atomics.add(c, i, 1);
      const end = Date.now() + 20;
      while (Date.now() < end);
      return i;
    };
    await assert.rejects(
      collect(
        executor.map(
          task,
          items,
          items.map(() => marks),
          { chunksize: 1 },
        ),
      ),
      /first fails/,
    );
    await executor.shutdown();
    const ran = Array.from(marks).filter((m) => m > 0).length;
    assert.ok(ran < 39, `queued calls were cancelled (${ran} of 39 ran)`);
  });

  test("map's timeout counts from the call and cancels queued work", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const marks = counter(8);
    // Sleeps ms, or until c[6] is set: the 10 s call outlasts the deadline by far, and the
    // test releases it once the deadline has been seen, instead of waiting it out in shutdown.
    const task = async (ms: number, i: number, c: Int32Array) => {
      Atomics.add(c, i, 1);
      const end = Date.now() + ms;
      while (Date.now() < end && Atomics.load(c, 6) === 0) {
        await new Promise((r) => setTimeout(r, Math.min(10, ms)));
      }
      return i;
    };
    // A started worker, so the deadline measures the calls and not a (loaded) worker start.
    await executor.submit(task, 0, 7, marks);
    const it = executor.map(task, [100, 10_000, 100], [0, 1, 2], [marks, marks, marks], {
      timeout: 2_000,
      chunksize: 1,
    });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await it.next()).value, 0);
    const waited = Date.now();
    await assert.rejects(
      it.next(),
      (e: unknown) => e instanceof TimeoutError && e.code === 'SPINDLE_TIMEOUT',
    );
    assert.ok(Date.now() - waited < 5_000, 'the deadline is from the call, not from this wait');
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    const closed = executor.shutdown({ cancelFutures: true });
    Atomics.store(marks, 6, 1);
    await closed;
    assert.deepEqual([marks[0], marks[1], marks[2]], [1, 1, 0], 'the queued call was cancelled');
  });

  test('breaking out of map cancels what is still queued', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const marks = counter(16);
    const items = Array.from({ length: 10 }, (_, i) => i);
    const task = (i: number, c: Int32Array) => {
      Atomics.add(c, i, 1);
      const end = Date.now() + 30;
      while (Date.now() < end);
      return i;
    };
    for await (const x of executor.map(
      task,
      items,
      items.map(() => marks),
      { chunksize: 1 },
    )) {
      assert.equal(x, 0);
      break;
    }
    await executor.shutdown();
    assert.ok(marks[9] === 0, 'the last call never ran');
  });

  test('submit and map after shutdown throw SPINDLE_POOL_CLOSED', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    await executor.shutdown();
    assert.throws(() => executor.submit(ft.square, 2), isClosed);
    assert.throws(() => executor.map(ft.square, [1]), isClosed);
    await executor.shutdown(); // a second call is harmless
  });

  test('shutdown({ cancelFutures: true }) lets the running task finish and cancels the rest', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const marks = counter();
    const running = executor.submit(ft.cooperative, marks, 0, 300);
    await until(() => marks[0] === 1);
    const queued = [1, 2, 3].map(() => executor.submit(ft.mark, marks, 4));
    await executor.shutdown({ cancelFutures: true });
    assert.equal(await running, 'finished');
    assert.equal(running.cancelled(), false);
    for (const f of queued) {
      assert.equal(f.cancelled(), true);
      await assert.rejects(f.result(), CancelledError);
    }
    assert.equal(marks[4], 0, 'no cancelled task ran');
  });

  test('shutdown() waits for queued work by default', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const futures = [30, 30, 30].map((ms, i) => executor.submit(ft.sleep, ms, i));
    await executor.shutdown();
    assert.ok(futures.every((f) => f.done() && !f.cancelled()));
    assert.deepEqual(await Promise.all(futures), [0, 1, 2]);
  });

  test('shutdown({ wait: false }) returns at once and the work still completes', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const f = executor.submit(ft.sleep, 200, 'done later');
    await executor.shutdown({ wait: false });
    assert.equal(f.done(), false);
    assert.equal(await f, 'done later');
  });

  test('shutdown({ cancelFutures: true }) also cancels queued map calls', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const it = executor.map(ft.sleep, [200, 200, 200, 200], [1, 2, 3, 4], { chunksize: 1 });
    await new Promise((r) => setTimeout(r, 50));
    await executor.shutdown({ cancelFutures: true });
    await assert.rejects(it.next(), CancelledError);
  });

  test('a map waiting for a result when shutdown({ cancelFutures: true }) comes throws SPINDLE_CANCELLED', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const it = executor.map(ft.sleep, [400, 400, 400], [1, 2, 3], { chunksize: 1 });
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 50));
    await executor.shutdown({ cancelFutures: true });
    await assert.rejects(pending, CancelledError);
  });

  test('return() ends a map whose next() is still waiting', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const it = executor.map(ft.sleep, [300, 300], [1, 2], { chunksize: 1 });
    const pending = it.next();
    await it.return?.();
    assert.deepEqual(await pending, { done: true, value: undefined });
  });

  test('options are checked, with Python names suggested', () => {
    assert.throws(
      () => new ThreadPoolExecutor({ maxWorkers: 0 }),
      (e: Error) => e instanceof RangeError && /maxWorkers/.test(e.message),
    );
    assert.throws(
      () => new ThreadPoolExecutor({ workers: 2 } as never),
      (e: Error) => e instanceof TypeError && /maxWorkers/.test(e.message),
    );
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    assert.throws(() => (executor.map as (task: unknown) => unknown)(ft.square), TypeError);
    assert.throws(
      () => executor.map(ft.square, 5 as never),
      (e: Error) => e instanceof TypeError && /iterable/.test(e.message),
    );
    assert.throws(() => executor.map(ft.square, [1], { timeout: -1 }), RangeError);
    return executor.shutdown();
  });
});

describe('ProcessPoolExecutor', () => {
  test('runs tasks in child processes', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const pid = await executor.submit(ft.pid);
    assert.equal(typeof pid, 'number');
    assert.notEqual(pid, process.pid);
    assert.deepEqual(await collect(executor.map(ft.add, [1, 2, 3], [4, 5, 6])), [5, 7, 9]);
  });

  test('shutdown({ cancelFutures: true }) lets the running task finish and cancels the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spindle-executor-'));
    const log = join(dir, 'log.txt');
    try {
      const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
      await executor.submit(ft.touch, log, 'warm');
      const running = executor.submit(ft.sleepThenTouch, 400, log, 'running');
      await until(() => running.running());
      const queued = ['q1', 'q2'].map((line) => executor.submit(ft.touch, log, line));
      await executor.shutdown({ cancelFutures: true });
      assert.equal(await running, 'running');
      assert.ok(queued.every((f) => f.cancelled()));
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['warm', 'running']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
