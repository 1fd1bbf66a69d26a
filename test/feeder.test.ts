/**
 * The feeder without workers: a scripted scheduler settles tasks when the test says, so the
 * feeder's own rules (order, look-ahead, queue room, fail-fast, abort, input errors, settle
 * mode) show with a precise failure and in milliseconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextChunkSize } from '../src/engine/batching.js';
import type { TaskSink } from '../src/engine/future.js';
import type { Scheduler } from '../src/engine/scheduler.js';
import type { FeedPlan } from '../src/faces/feed-plan.js';
import { Feeder } from '../src/faces/feeder.js';
import { itemSource } from '../src/faces/source.js';
import type { TaskSpec } from '../src/tasks/types.js';

interface FakeTask {
  args: unknown[];
  sink: TaskSink;
  state: 'queued' | 'running' | 'done' | 'withdrawn';
  cancelQueued(): boolean;
}

/** A scheduler that only records: tasks settle when the test calls `finish` or `fail`. */
function fakeScheduler(maxQueue = 1000) {
  const tasks: FakeTask[] = [];
  const roomWaiters: (() => void)[] = [];
  const cancelled: unknown[] = [];
  const queued = () => tasks.filter((t) => t.state === 'queued').length;
  const scheduler = {
    options: { maxQueue, concurrency: 1 },
    maxWorkers: 2,
    get queued() {
      return queued();
    },
    estimatePerUnit: () => undefined,
    flush() {},
    whenQueueHasRoom: () =>
      queued() < maxQueue ? Promise.resolve() : new Promise<void>((r) => roomWaiters.push(r)),
    submit(_spec: TaskSpec, args: unknown[], sink: TaskSink) {
      if (queued() >= maxQueue) throw new Error('queue full: the feeder should have waited');
      const task: FakeTask = {
        args,
        sink,
        state: 'queued',
        cancelQueued() {
          if (task.state !== 'queued') return false;
          task.state = 'withdrawn';
          return true;
        },
      };
      tasks.push(task);
      return task;
    },
    cancel(task: FakeTask, reason: unknown) {
      if (task.state === 'done' || task.state === 'withdrawn') return;
      task.state = 'done';
      cancelled.push(reason);
      task.sink.onError(reason, true);
    },
  };
  const settle = (i: number) => {
    const task = tasks[i];
    assert.ok(task.state === 'queued' || task.state === 'running', `task ${i} is ${task.state}`);
    task.state = 'done';
    for (const waiter of roomWaiters.splice(0)) waiter();
    return task;
  };
  return {
    scheduler: scheduler as unknown as Scheduler,
    tasks,
    cancelled,
    /** Task i returns its units doubled. */
    finish(i: number) {
      const task = settle(i);
      task.sink.onResult((task.args[0] as number[]).map((x) => x * 2));
    },
    fail(i: number, error: unknown) {
      settle(i).sink.onError(error, false);
    },
  };
}

const spec = { label: 'double', def: { t: 'm' } } as unknown as TaskSpec;
const tick = () => new Promise((r) => setImmediate(r));

function feeder(
  fake: ReturnType<typeof fakeScheduler>,
  items: unknown,
  plan: Partial<FeedPlan> = {},
): Feeder<number> {
  return new Feeder<number>({
    scheduler: fake.scheduler,
    what: 'the test run',
    source: itemSource(items),
    chunkSize: 2,
    specOf: () => spec,
    order: (units) => ({ spec, args: [units] }),
    delivery: 'input',
    maxInFlight: () => 3,
    maxUnread: () => 3,
    ...plan,
  });
}

describe('the feeder', () => {
  test('input delivery hands results out in input order when tasks finish out of order', async () => {
    const fake = fakeScheduler();
    const run = feeder(fake, [1, 2, 3, 4, 5, 6]);
    const all = run.all();
    fake.finish(2);
    fake.finish(0);
    fake.finish(1);
    assert.deepEqual(await all, [2, 4, 6, 8, 10, 12]);
  });

  test('completion delivery hands out what finished first, and all() still puts it in order', async () => {
    const fake = fakeScheduler();
    const run = feeder(fake, [1, 2, 3, 4], { delivery: 'completion' });
    fake.finish(1);
    assert.deepEqual((await run.nextChunk())?.results, [6, 8]);
    const again = feeder(fakeScheduler(), []);
    assert.deepEqual(await again.all(), []);
    const fake2 = fakeScheduler();
    const run2 = feeder(fake2, [1, 2, 3, 4], { delivery: 'completion' });
    const all = run2.all();
    fake2.finish(1);
    fake2.finish(0);
    assert.deepEqual(await all, [2, 4, 6, 8]);
  });

  test('a lazy input is pulled only as far as the look-ahead', async () => {
    const fake = fakeScheduler();
    let pulled = 0;
    function* endless() {
      for (;;) yield ++pulled;
    }
    const run = feeder(fake, endless());
    await tick();
    assert.equal(fake.tasks.length, 3, 'three tasks in flight at most');
    assert.equal(pulled, 6);
    fake.finish(0);
    assert.equal((await run.next()).value, 2);
    assert.equal((await run.next()).value, 4);
    await tick();
    assert.equal(fake.tasks.length, 3, 'results handed out but not all read still count');
    const third = run.next();
    await tick();
    assert.equal(fake.tasks.length, 4, 'one more once a task was read to its end');
    fake.finish(1);
    assert.equal((await third).value, 6);
    await run.return();
    assert.deepEqual(
      fake.tasks.map((t) => t.state),
      ['done', 'done', 'withdrawn', 'withdrawn'],
    );
  });

  test('a full queue makes the feeder wait for room instead of throwing', async () => {
    const fake = fakeScheduler(1);
    const all = feeder(fake, [1, 2, 3, 4, 5, 6]).all();
    assert.equal(fake.tasks.length, 1);
    for (let i = 0; i < 3; i++) {
      fake.finish(i);
      await tick();
    }
    assert.deepEqual(await all, [2, 4, 6, 8, 10, 12]);
  });

  test('a failure withdraws the tasks after it; in input order the results before it come first', async () => {
    const fake = fakeScheduler();
    let closed = false;
    function* items() {
      try {
        for (let i = 1; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const run = feeder(fake, items());
    await tick();
    const boom = new Error('boom');
    fake.fail(1, boom);
    assert.equal(fake.tasks[2].state, 'withdrawn');
    assert.ok(closed, 'the input was closed');
    fake.finish(0);
    assert.equal((await run.next()).value, 2);
    assert.equal((await run.next()).value, 4);
    await assert.rejects(run.next(), boom);
    assert.equal(fake.tasks.length, 3, 'nothing was submitted after the failure');
  });

  test('an abort withdraws queued tasks and stops running ones with the abort error', async () => {
    const fake = fakeScheduler();
    const controller = new AbortController();
    const all = feeder(fake, [1, 2, 3, 4, 5, 6, 7, 8], { signal: controller.signal }).all();
    fake.tasks[0].state = 'running';
    controller.abort();
    await assert.rejects(all, { code: 'SPINDLE_CANCELLED' });
    assert.equal(fake.tasks[0].state, 'done');
    assert.equal(fake.cancelled.length, 1, 'the running task was stopped');
    assert.deepEqual(
      fake.tasks.slice(1).map((t) => t.state),
      ['withdrawn', 'withdrawn'],
    );
  });

  test('an input that throws yields the results of the items read before it, then its error', async () => {
    const fake = fakeScheduler();
    const broken = new Error('the input broke');
    function* items() {
      yield 1;
      yield 2;
      yield 3;
      throw broken;
    }
    const run = feeder(fake, items());
    await tick();
    fake.finish(0);
    fake.finish(1);
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const x of run) seen.push(x);
    }, broken);
    assert.deepEqual(seen, [2, 4, 6]);
  });

  test('a progress callback that throws fails the call with its error', async () => {
    const fake = fakeScheduler();
    const oops = new Error('progress broke');
    const all = feeder(fake, [1, 2], {
      reporter: {
        update() {
          throw oops;
        },
        finish() {},
      },
    }).all();
    fake.finish(0);
    await assert.rejects(all, oops);
  });

  test('in settle mode a task that failed whole runs again unit by unit, and only the unit at fault fails', async () => {
    const fake = fakeScheduler();
    const run = feeder(fake, [1, 2, 3], {
      chunkSize: 3,
      settle: true,
      results: (value) => (value as number[]).map((x) => [true, x]),
    });
    await tick();
    fake.fail(0, new Error('worker crashed'));
    assert.equal(fake.tasks.length, 4, 'three one-unit tasks');
    const byUnit = (n: number) =>
      fake.tasks.findIndex((t, i) => i > 0 && (t.args[0] as number[])[0] === n);
    fake.finish(byUnit(1));
    fake.fail(byUnit(2), new Error('unit 2'));
    fake.finish(byUnit(3));
    const out = [];
    for await (const item of run as unknown as AsyncIterable<{ ok: boolean }>) out.push(item.ok);
    assert.deepEqual(out, [true, false, true]);
  });

  test('a task the pool has measured gets its first chunk sized by that measure, not one item', () => {
    const fake = fakeScheduler();
    const estimate = () => 0.01;
    (fake.scheduler as unknown as { estimatePerUnit: () => number }).estimatePerUnit = estimate;
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    feeder(fake, items, { chunkSize: undefined });
    const expected = nextChunkSize({ length: items.length, workers: 2, estimate }, 0);
    assert.ok(expected > 1);
    assert.equal((fake.tasks[0].args[0] as number[]).length, expected);
    assert.deepEqual(fake.tasks[0].args[0], items.slice(0, expected));
  });

  test('a task never measured goes first as one item, so the pool learns its cost', () => {
    const fake = fakeScheduler();
    feeder(fake, [1, 2, 3, 4], { chunkSize: undefined });
    assert.deepEqual(fake.tasks[0].args[0], [1]);
  });

  test('all() and nextChunk() give results a worker packed into a typed array as plain arrays', async () => {
    for (const take of ['all', 'nextChunk'] as const) {
      const fake = fakeScheduler();
      const run = feeder(fake, [1, 2, 3, 4], { delivery: 'completion' });
      fake.tasks[1].sink.onResult(new Int32Array([30, 40]));
      fake.tasks[0].sink.onResult(new Float64Array([-0, 0.5]));
      if (take === 'all') assert.deepStrictEqual(await run.all(), [-0, 0.5, 30, 40]);
      else {
        assert.deepStrictEqual((await run.nextChunk())?.results, [30, 40]);
        assert.deepStrictEqual((await run.nextChunk())?.results, [-0, 0.5]);
      }
    }
  });
});
