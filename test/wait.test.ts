import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIRST_COMPLETED, FIRST_EXCEPTION, Pool, wait } from '../src/index.js';
import { counter, ft } from './fixtures/futures-tasks.js';

const pool = new Pool({ workers: 2 });
before(() => Promise.all([pool.apply(ft.sleep, 100, 0), pool.apply(ft.sleep, 100, 0)]));
after(() => pool.close());

describe('wait', () => {
  test('by default it waits for every future and returns them all as done', async () => {
    const futures = [10, 60, 30].map((ms) => pool.submit(ft.sleep, ms, ms));
    const { done, notDone } = await wait(futures);
    assert.ok(done instanceof Set && notDone instanceof Set);
    assert.deepEqual(done, new Set(futures));
    assert.equal(notDone.size, 0);
  });

  test('FIRST_COMPLETED returns as soon as one future is done', async () => {
    const fast = pool.submit(ft.sleep, 10, 'fast');
    const slow = pool.submit(ft.sleep, 1_500, 'slow');
    const { done, notDone } = await wait([slow, fast], { returnWhen: FIRST_COMPLETED });
    assert.deepEqual(done, new Set([fast]));
    assert.deepEqual(notDone, new Set([slow]));
    await slow;
  });

  test('FIRST_EXCEPTION returns when a future fails', async () => {
    const bad = pool.submit(ft.failAfter, 20, 'broken');
    const slow = pool.submit(ft.sleep, 1_500, 'slow');
    const { done, notDone } = await wait([slow, bad], { returnWhen: 'FIRST_EXCEPTION' });
    assert.deepEqual(done, new Set([bad]));
    assert.deepEqual(notDone, new Set([slow]));
    await slow;
  });

  test('FIRST_EXCEPTION waits for all when none fails', async () => {
    const futures = [10, 40].map((ms) => pool.submit(ft.sleep, ms, ms));
    const { done, notDone } = await wait(futures, { returnWhen: FIRST_EXCEPTION });
    assert.equal(done.size, 2);
    assert.equal(notDone.size, 0);
  });

  test('FIRST_EXCEPTION does not count a cancelled future as a failure', async () => {
    const solo = new Pool({ workers: 1 });
    const gate = counter(1);
    const marks = counter();
    const holder = solo.submit(ft.gate, gate, marks, 0, 'held');
    const queued = solo.submit(ft.square, 3);
    queued.cancel();
    const waiting = wait([holder, queued], { returnWhen: FIRST_EXCEPTION });
    let returned = false;
    void waiting.then(() => {
      returned = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(returned, false, 'still waiting for the holder');
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    const { done } = await waiting;
    assert.deepEqual(done, new Set([holder, queued]));
    await solo.close();
  });

  test('FIRST_EXCEPTION returns at once if a failed future is already done', async () => {
    const bad = pool.submit(ft.failOn, 2, 2);
    await bad.exception();
    const slow = pool.submit(ft.sleep, 1_000, 'slow');
    const { done, notDone } = await wait([bad, slow], { returnWhen: FIRST_EXCEPTION });
    assert.deepEqual(done, new Set([bad]));
    assert.deepEqual(notDone, new Set([slow]));
    await slow;
  });

  test('on timeout it resolves with what is done so far, without throwing', async () => {
    const fast = pool.submit(ft.sleep, 10, 'fast');
    const slow = pool.submit(ft.sleep, 1_500, 'slow');
    const { done, notDone } = await wait([fast, slow], { timeout: 300 });
    assert.deepEqual(done, new Set([fast]));
    assert.deepEqual(notDone, new Set([slow]));
    assert.equal(slow.cancelled(), false);
    await slow;
  });

  test('timeout 0 only looks', async () => {
    const slow = pool.submit(ft.sleep, 300, 'slow');
    const { done, notDone } = await wait([slow], { timeout: 0 });
    assert.equal(done.size, 0);
    assert.deepEqual(notDone, new Set([slow]));
    await slow;
  });

  test('duplicates count once', async () => {
    const f = pool.submit(ft.square, 6);
    const { done } = await wait([f, f, f]);
    assert.equal(done.size, 1);
  });

  test('a failed future makes wait resolve, not reject', async () => {
    const bad = pool.submit(ft.failOn, 9, 9);
    const { done } = await wait([bad]);
    assert.deepEqual(done, new Set([bad]));
    assert.match(String(await bad.exception()), /item 9 is bad/);
  });

  test('a bad returnWhen is a RangeError that names the choices', async () => {
    await assert.rejects(
      wait([], { returnWhen: 'FIRST' as never }),
      (e: Error) => e instanceof RangeError && /FIRST_COMPLETED/.test(e.message),
    );
    await assert.rejects(wait([1] as never), TypeError);
  });
});
