import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Barrier, Lock, Pool, type PoolOptions } from '../src/index.js';
import { tasks } from './fixtures/sync-tasks.js';

async function withPool<T>(options: PoolOptions, body: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool(options);
  try {
    return await body(pool);
  } finally {
    await pool.terminate();
  }
}

function sharedInts(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

/** Resolves once a worker sets `flag[0]`, without blocking this thread. */
async function until(flag: Int32Array): Promise<void> {
  while (Atomics.load(flag, 0) === 0) await new Promise((r) => setTimeout(r, 5));
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

test('two workers adding 1 to a shared counter 10,000 times each inside withLock reach exactly 20,000', async () => {
  await withPool({ workers: 2 }, async (pool) => {
    const lock = new Lock();
    const start = new Barrier(2);
    const counter = sharedInts(1);
    const kinds = await Promise.all([
      pool.apply(tasks.addLocked, start, lock, counter, 10_000),
      pool.apply(tasks.addLocked, start, lock, counter, 10_000),
    ]);
    assert.deepEqual(kinds, ['Lock', 'Lock']);
    assert.equal(counter[0], 20_000);
    assert.equal(lock.locked, false);
  });
});

test('without the lock the same read-modify-write loses updates', async (t) => {
  await withPool({ workers: 2 }, async (pool) => {
    const start = new Barrier(2);
    const counter = sharedInts(1);
    await Promise.all([
      pool.apply(tasks.addUnlocked, start, counter, 10_000),
      pool.apply(tasks.addUnlocked, start, counter, 10_000),
    ]);
    t.diagnostic(`unlocked total: ${counter[0]} of 20000`);
    // Both loops run at once (the barrier) and yield between read and write, so one worker's
    // stale write undoes the other's progress: fewer than 20,000, and possibly fewer than
    // 10,000 when a write lands after many of the other worker's increments.
    assert.ok(counter[0] > 0 && counter[0] < 20_000, `unlocked total ${counter[0]}`);
  });
});

test('acquireSync serialises a CPU loop across workers', async () => {
  await withPool({ workers: 2 }, async (pool) => {
    const lock = new Lock();
    const start = new Barrier(2);
    const counter = sharedInts(2);
    await Promise.all([
      pool.apply(tasks.addLockedSync, start, lock, counter, 10_000),
      pool.apply(tasks.addLockedSync, start, lock, counter, 10_000),
    ]);
    assert.equal(counter[0], 20_000);
  });
});

test('the caller awaits a lock a worker holds without blocking its own timers', async () => {
  await withPool({ workers: 1 }, async (pool) => {
    const lock = new Lock();
    const flag = sharedInts(1);
    const held = pool.apply(tasks.holdLock, lock, flag, 300);
    await until(flag);
    assert.equal(lock.tryAcquire(), false);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      await lock.acquire({ timeout: 20_000 });
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 3, `timers ran only ${ticks} times while the caller waited`);
    await held;
    assert.equal(lock.wasAbandoned, false);
    lock.release();
  });
});

test('a worker killed while holding a lock does not hang the next acquire, which sees it abandoned', async () => {
  await withPool({ workers: 2 }, async (pool) => {
    const lock = new Lock();
    const flag = sharedInts(1);
    const dying = pool.apply(tasks.dieHoldingLock, lock, flag);
    await until(flag);
    // A second worker is already waiting for the lock when the first one dies.
    const waiting = pool.apply(tasks.takeLock, lock);
    const crash = await rejection(dying);
    assert.equal(crash.code, 'SPINDLE_WORKER_CRASHED');
    assert.equal(await waiting, true);
    await lock.acquire({ timeout: 10_000 });
    assert.equal(lock.wasAbandoned, false);
    lock.release();
  });
});

test('the caller acquiring after the holder died sees wasAbandoned', async () => {
  await withPool({ workers: 1 }, async (pool) => {
    const lock = new Lock();
    const flag = sharedInts(1);
    const acquired = (async () => {
      await until(flag);
      await lock.acquire({ timeout: 20_000 });
      return lock.wasAbandoned;
    })();
    await rejection(pool.apply(tasks.dieHoldingLock, lock, flag));
    assert.equal(await acquired, true);
    lock.release();
  });
});

test('acquire rejects with SPINDLE_TIMEOUT while the lock stays held, and the lock still works after', async () => {
  const lock = new Lock();
  assert.equal(lock.tryAcquire(), true);
  const error = await rejection(lock.acquire({ timeout: 30 }));
  assert.equal(error.code, 'SPINDLE_TIMEOUT');
  lock.release();
  await lock.acquire({ timeout: 1000 });
  lock.release();
});

test('an aborted acquire rejects with SPINDLE_CANCELLED, and the release after it still wakes a waiter', async () => {
  const lock = new Lock();
  await lock.acquire();
  const controller = new AbortController();
  const aborted = lock.acquire({ signal: controller.signal });
  const next = lock.acquire({ timeout: 5000 });
  controller.abort();
  const error = await rejection(aborted);
  assert.equal(error.code, 'SPINDLE_CANCELLED');
  lock.release();
  await next;
  assert.equal(lock.locked, true);
  lock.release();
  const early = await rejection(lock.acquire({ signal: AbortSignal.abort() }));
  assert.equal(early.code, 'SPINDLE_CANCELLED');
});

test('withLock releases the lock when its function throws', async () => {
  const lock = new Lock();
  await assert.rejects(
    lock.withLock(() => {
      throw new Error('inside');
    }),
    /inside/,
  );
  assert.equal(lock.locked, false);
  assert.equal(await lock.withLock(async () => 42), 42);
});

test('releasing a lock that is not held is a TypeError that says what to do', () => {
  const lock = new Lock();
  assert.throws(
    () => lock.release(),
    (e: Error) => e instanceof TypeError && /withLock/.test(e.message),
  );
});

test('acquireSync is refused in the main thread, whose event loop must not block', () => {
  const lock = new Lock();
  assert.throws(() => lock.acquireSync(), { code: 'SPINDLE_UNSUPPORTED' });
  assert.equal(lock.tryAcquire(), true);
  assert.throws(() => lock.acquireSync(), { code: 'SPINDLE_UNSUPPORTED' });
  lock.release();
});

test('the inline backend shares the very same Lock between tasks', async () => {
  await withPool({ backend: 'inline', workers: 2 }, async (pool) => {
    const lock = new Lock();
    const start = new Barrier(2);
    const counter = sharedInts(1);
    await Promise.all([
      pool.apply(tasks.addLocked, start, lock, counter, 500),
      pool.apply(tasks.addLocked, start, lock, counter, 500),
    ]);
    assert.equal(counter[0], 1000);
  });
});

test('a process pool refuses a Lock at submit with SPINDLE_UNSUPPORTED, naming the threads backend', async () => {
  await withPool({ backend: 'processes', workers: 1 }, async (pool) => {
    const lock = new Lock();
    assert.throws(
      () => pool.submit(tasks.takeLock, lock),
      (e: any) => e.code === 'SPINDLE_UNSUPPORTED' && /backend: 'threads'/.test(e.message),
    );
    const inMap = await rejection(pool.map(tasks.takeLock, [lock]));
    assert.equal(inMap.code, 'SPINDLE_UNSUPPORTED');
  });
});
