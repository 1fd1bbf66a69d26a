import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asCompleted, Future, Pool, TimeoutError } from '../src/index.js';
import { ft } from './fixtures/futures-tasks.js';

const pool = new Pool({ workers: 2 });
before(() => Promise.all([pool.apply(ft.sleep, 100, 0), pool.apply(ft.sleep, 100, 0)]));
after(() => pool.close());

describe('asCompleted', () => {
  test('yields the futures themselves, in the order they finish', async () => {
    const slow = pool.submit(ft.sleep, 1_500, 'slow');
    const fast = pool.submit(ft.sleep, 10, 'fast');
    const order: string[] = [];
    for await (const f of asCompleted([slow, fast])) {
      assert.ok(f instanceof Future, 'a Future, not its value');
      assert.equal(f.done(), true);
      order.push(await f.result());
    }
    assert.deepEqual(order, ['fast', 'slow']);
  });

  test('futures already done are yielded first, in input order', async () => {
    const a = pool.submit(ft.square, 2);
    const b = pool.submit(ft.square, 3);
    await Promise.all([a, b]);
    const pending = pool.submit(ft.sleep, 50, 0);
    const seen: unknown[] = [];
    for await (const f of asCompleted([b, pending, a])) seen.push(f);
    assert.deepEqual(seen, [b, a, pending]);
  });

  test('a future given twice is yielded once', async () => {
    const f = pool.submit(ft.square, 4);
    const g = pool.submit(ft.square, 5);
    const seen: unknown[] = [];
    for await (const x of asCompleted([f, g, f, f])) seen.push(x);
    assert.equal(seen.length, 2);
    assert.deepEqual(new Set(seen), new Set([f, g]));
  });

  test('a failed future is yielded like any other; the loop goes on', async () => {
    const bad = pool.submit(ft.failOn, 1, 1);
    const good = pool.submit(ft.sleep, 50, 'ok');
    const outcomes: string[] = [];
    for await (const f of asCompleted([bad, good])) {
      const error = await f.exception();
      outcomes.push(error ? `error:${(error as Error).message}` : `value:${await f}`);
    }
    assert.deepEqual(outcomes.sort(), ['error:item 1 is bad', 'value:ok']);
  });

  test('on timeout it throws SPINDLE_TIMEOUT with "k (of n) futures unfinished"', async () => {
    const fast = pool.submit(ft.sleep, 5, 'fast');
    const slow1 = pool.submit(ft.sleep, 2_000, 'slow');
    const slow2 = pool.submit(ft.sleep, 2_000, 'slow');
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const f of asCompleted([fast, slow1, slow2], { timeout: 300 })) seen.push(f);
      })(),
      (e: unknown) =>
        e instanceof TimeoutError &&
        e.code === 'SPINDLE_TIMEOUT' &&
        e.message === '2 (of 3) futures unfinished',
    );
    assert.deepEqual(seen, [fast]);
    assert.equal(slow1.cancelled(), false, 'the timeout does not cancel the futures');
    await Promise.all([slow1, slow2]);
  });

  test('the timeout is counted from the call, not from each wait', async () => {
    const a = pool.submit(ft.square, 3);
    await a;
    const b = pool.submit(ft.sleep, 2_500, 9);
    const it = asCompleted([a, b], { timeout: 1_000 });
    await new Promise((r) => setTimeout(r, 900));
    assert.equal((await it.next()).value, a);
    const waited = Date.now();
    await assert.rejects(it.next(), TimeoutError);
    // counted per wait, this second wait would last the full 1000 ms
    assert.ok(Date.now() - waited < 800, 'the deadline was kept from the call');
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    await b;
  });

  test('breaking out of the loop leaves the futures running', async () => {
    const a = pool.submit(ft.sleep, 5, 'a');
    const b = pool.submit(ft.sleep, 200, 'b');
    for await (const f of asCompleted([a, b])) {
      assert.equal(f, a);
      break;
    }
    assert.equal(await b, 'b');
    assert.equal(b.cancelled(), false);
  });

  test('an empty input finishes at once', async () => {
    const it = asCompleted([]);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });

  test('concurrent next() calls each get a different future', async () => {
    const futures = [30, 10, 20].map((ms) => pool.submit(ft.sleep, ms, ms));
    const it = asCompleted(futures);
    const steps = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
    assert.deepEqual(new Set(steps.slice(0, 3).map((s) => s.value)), new Set(futures));
    assert.equal(steps[3].done, true);
  });

  test('anything but futures is a TypeError that says what to pass', () => {
    assert.throws(
      () => asCompleted([Promise.resolve(1)] as never),
      (e: Error) => e instanceof TypeError && /Future/.test(e.message),
    );
    assert.throws(() => asCompleted(42 as never), TypeError);
    assert.throws(() => asCompleted([], { timeout: -5 }), RangeError);
  });
});
