import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool, Semaphore } from '../src/index.js';
import { tasks } from './fixtures/sync-tasks.js';

async function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

test('Semaphore(2) lets at most two of six concurrent tasks hold a permit at once', async () => {
  const pool = new Pool({ workers: 2, concurrency: 3 });
  try {
    const sem = new Semaphore(2);
    const gauge = new Int32Array(new SharedArrayBuffer(8));
    await Promise.all(
      Array.from({ length: 6 }, () => pool.apply(tasks.withPermit, sem, gauge, 40)),
    );
    assert.ok(gauge[1] >= 1 && gauge[1] <= 2, `at most two at once, saw ${gauge[1]}`);
    assert.equal(gauge[0], 0);
    assert.equal(sem.value, 2);
  } finally {
    await pool.terminate();
  }
});

test('acquire waits for a release on the caller thread', async () => {
  const sem = new Semaphore(1);
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.tryAcquire(), false);
  let got = false;
  const waiting = sem.acquire({ timeout: 5000 }).then(() => {
    got = true;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(got, false);
  sem.release();
  await waiting;
  assert.equal(got, true);
  assert.equal(sem.value, 0);
});

test('acquire rejects with SPINDLE_TIMEOUT or SPINDLE_CANCELLED and takes no permit', async () => {
  const sem = new Semaphore(0);
  assert.equal((await rejection(sem.acquire({ timeout: 20 }))).code, 'SPINDLE_TIMEOUT');
  const controller = new AbortController();
  const aborted = sem.acquire({ signal: controller.signal });
  controller.abort();
  assert.equal((await rejection(aborted)).code, 'SPINDLE_CANCELLED');
  sem.release(2);
  assert.equal(sem.value, 2);
});

test('withPermit gives the permit back when its function throws', async () => {
  const sem = new Semaphore(1);
  await assert.rejects(
    sem.withPermit(() => Promise.reject(new Error('inside'))),
    /inside/,
  );
  assert.equal(sem.value, 1);
});

test('a permit count that is not a whole number ≥ 0 is a RangeError with an example', () => {
  assert.throws(
    () => new Semaphore(-1),
    (e: Error) => e instanceof RangeError && /new Semaphore\(4\)/.test(e.message),
  );
  assert.throws(() => new Semaphore(1.5), RangeError);
});
