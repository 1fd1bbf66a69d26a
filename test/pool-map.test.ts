import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Pool } from '../src/index.js';
import { more, tasks } from './fixtures/tasks.js';

const pool = new Pool({ workers: 2 });
after(() => pool.close());

describe('Pool.map family', () => {
  test('map returns results in input order', async () => {
    const xs = Array.from({ length: 8 }, (_, i) => i);
    assert.deepEqual(await pool.map(tasks.cube, xs), [0, 1, 8, 27, 64, 125, 216, 343]);
  });

  test('map of an empty input resolves to an empty array', async () => {
    assert.deepEqual(await pool.map(tasks.cube, []), []);
  });

  test('map keeps order across many adaptive chunks', async () => {
    const xs = Array.from({ length: 50_000 }, (_, i) => i);
    const out = await pool.map(tasks.identity, xs);
    assert.equal(out.length, xs.length);
    assert.ok(out.every((v, i) => v === i));
  });

  test('an explicit chunksize is honoured and results stay ordered', async () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    assert.deepEqual(
      await pool.map(tasks.cube, xs, { chunksize: 7 }),
      xs.map((x) => x ** 3),
    );
  });

  test('a bad chunksize is a RangeError that says what to pass', async () => {
    await assert.rejects(
      pool.map(tasks.cube, [1], { chunksize: 0 }),
      (e: Error) => e instanceof RangeError && /chunksize/.test(e.message),
    );
  });

  test('map accepts a lazy iterable', async () => {
    function* gen() {
      for (let i = 0; i < 100; i++) yield i;
    }
    assert.deepEqual(
      await pool.map(tasks.cube, gen()),
      Array.from({ length: 100 }, (_, i) => i ** 3),
    );
  });

  test('map accepts an async iterable', async () => {
    async function* gen() {
      for (let i = 0; i < 50; i++) {
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
        yield i;
      }
    }
    assert.deepEqual(
      await pool.map(tasks.cube, gen()),
      Array.from({ length: 50 }, (_, i) => i ** 3),
    );
  });

  test('map of a non-iterable is a TypeError naming what to pass', async () => {
    await assert.rejects(
      pool.map(tasks.cube, 42 as any),
      (e: Error) => e instanceof TypeError && /iterable/.test(e.message),
    );
  });

  test('starmap spreads each tuple into the arguments', async () => {
    assert.deepEqual(
      await pool.starmap(tasks.add, [
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      [3, 7, 11],
    );
  });

  test('apply and submit run one call', async () => {
    assert.equal(await pool.apply(tasks.add, 2, 3), 5);
    assert.equal(await pool.submit(tasks.cube, 5), 125);
  });

  test('imap yields in input order even when later items finish first', async () => {
    const delays = [60, 10, 30, 0, 20];
    const out: number[] = [];
    for await (const v of pool.imap(tasks.sleep, delays, { chunksize: 1 })) out.push(v);
    assert.deepEqual(out, delays);
  });

  test('map puts packed results in input order when a later chunk finishes first', async () => {
    // Two chunks of 100 numbers, each sent back as one typed array; the first is the slow one.
    const delays = Array.from({ length: 200 }, (_, i) => (i === 0 ? 150 : 0));
    const seen: number[] = [];
    const listener = (e: { items: number; durationMs: number }) => seen.push(e.items);
    pool.on('taskEnd', listener);
    try {
      assert.deepEqual(await pool.map(tasks.sleep, delays, { chunksize: 100 }), delays);
    } finally {
      pool.off('taskEnd', listener);
    }
    assert.deepEqual(seen, [100, 100]);
  });

  test('map over an array cut short while it runs returns the results of the items it read', async () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const running = pool.map(tasks.sleep, xs, { chunksize: 1 });
    // The first chunks are taken at the call; the rest is read from the array as it is now.
    xs.length = 8;
    assert.deepEqual(await running, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('map over an array grown while it runs returns the results of the added items too', async () => {
    const xs = Array.from({ length: 10 }, (_, i) => i);
    const running = pool.map(tasks.sleep, xs, { chunksize: 1 });
    xs.push(10, 11, 12);
    assert.deepEqual(await running, [...xs]);
  });

  test('imapUnordered yields every result, fast ones first', async () => {
    const out: number[] = [];
    for await (const v of pool.imapUnordered(tasks.sleep, [300, 0, 0, 0], { chunksize: 1 }))
      out.push(v);
    assert.deepEqual(
      [...out].sort((a, b) => a - b),
      [0, 0, 0, 300],
    );
    assert.equal(out[out.length - 1], 300);
  });

  test('breaking out of imap over a huge generator pulls only a bounded look-ahead', async () => {
    let pulled = 0;
    function* huge() {
      for (let i = 0; i < 10_000_000; i++) {
        pulled++;
        yield i;
      }
    }
    const out: number[] = [];
    for await (const v of pool.imap(tasks.cube, huge(), { chunksize: 10 })) {
      out.push(v);
      if (out.length === 20) break;
    }
    assert.deepEqual(
      out,
      Array.from({ length: 20 }, (_, i) => i ** 3),
    );
    assert.ok(pulled <= 400, `pulled ${pulled} items for 20 results`);
  });

  test('a lazy input is pulled with bounded look-ahead while the consumer is slow', async () => {
    let pulled = 0;
    function* gen() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield i;
      }
    }
    const it = pool.imap(tasks.identity, gen(), { chunksize: 5 });
    await it.next();
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(pulled < 200, `pulled ${pulled} while the consumer held one result`);
    await it.return!();
  });

  test('an error in one item rejects map with that error', async () => {
    await assert.rejects(pool.map(more.failAt, [1, 2, 3, 4], { chunksize: 1 }), /item 3 failed/);
  });

  test('imap yields the results before a failing item, then throws', async () => {
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const v of pool.imap(more.failAt, [1, 2, 3, 4], { chunksize: 1 })) seen.push(v);
    }, /item 3 failed/);
    assert.deepEqual(seen, [1, 2]);
  });

  test('imapSettled keeps going past failures and reports each item', async () => {
    const out = [];
    for await (const r of pool.imapSettled(more.failAt, [1, 2, 3, 4])) out.push(r);
    assert.deepEqual(
      out.map((r) => r.ok),
      [true, true, false, true],
    );
    const bad = out[2];
    assert.ok(!bad.ok && bad.error instanceof Error && /item 3 failed/.test(bad.error.message));
  });

  test('imapSettled settles every item on its own when a worker crashes mid-chunk', async () => {
    const crashAt5 = (x: number) => {
      if (x === 5) process.exit(3);
      return x * 2;
    };
    const out: string[] = [];
    for await (const r of pool.imapSettled(crashAt5, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], {
      chunksize: 3,
    })) {
      out.push(r.ok ? String(r.value) : (r.error as { code: string }).code);
    }
    assert.deepEqual(out, [
      '2',
      '4',
      '6',
      '8',
      'SPINDLE_WORKER_CRASHED',
      '12',
      '14',
      '16',
      '18',
      '20',
    ]);
  });

  test('imapSettled settles every item on its own when one times out', async () => {
    const slowAt3 = async (x: number) => {
      await new Promise((r) => setTimeout(r, x === 3 ? 10_000 : 1));
      return x;
    };
    const out: string[] = [];
    for await (const r of pool.imapSettled(slowAt3, [1, 2, 3, 4, 5], { timeout: 1_000 })) {
      out.push(r.ok ? String(r.value) : (r.error as { code: string }).code);
    }
    assert.deepEqual(out, ['1', '2', 'SPINDLE_TIMEOUT', '4', '5']);
  });

  test('imapSettled fails only the item that cannot cross to a worker', async () => {
    const items: unknown[] = [1, 2, () => 3, 4];
    const out: string[] = [];
    for await (const r of pool.imapSettled((x: number) => x * 10, items as number[], {
      chunksize: 4,
    })) {
      out.push(r.ok ? String(r.value) : (r.error as { code: string }).code);
    }
    assert.deepEqual(out, ['10', '20', 'SPINDLE_CLONE', '40']);
  });

  function* breaksAt(n: number) {
    for (let i = 0; i < 10; i++) {
      if (i === n) throw new Error(`input broke at ${n}`);
      yield i;
    }
  }

  test('imap yields the results of the items read before its input threw, then raises', async () => {
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const v of pool.imap((x: number) => x, breaksAt(7))) seen.push(v);
    }, /input broke at 7/);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
  });

  test('imapUnordered yields the results of the items read before its input threw, then raises', async () => {
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const v of pool.imapUnordered((x: number) => x, breaksAt(4), { chunksize: 1 }))
        seen.push(v);
    }, /input broke at 4/);
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      [0, 1, 2, 3],
    );
  });

  test('an async input that throws is handled the same way', async () => {
    async function* source() {
      yield* breaksAt(3);
    }
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const v of pool.imap((x: number) => x, source())) seen.push(v);
    }, /input broke at 3/);
    assert.deepEqual(seen, [0, 1, 2]);
    await assert.rejects(
      pool.map((x: number) => x, breaksAt(2)),
      /input broke at 2/,
    );
  });

  test('the pool goes on after a task fails', async () => {
    await assert.rejects(pool.apply(tasks.fail, 'x'));
    assert.equal(await pool.apply(tasks.cube, 2), 8);
  });
});

describe('closing an imap iterator', () => {
  test('a next() already waiting ends when the iterator is closed', async () => {
    const it = pool.imap(tasks.sleep, [2_000, 2_000], { chunksize: 1 });
    const waiting = it.next();
    await it.return!();
    assert.deepEqual(await waiting, { done: true, value: undefined });
  });
});

describe('numbers cross packed, values unchanged', () => {
  test('integers, -0, NaN, big and fractional numbers come back exactly', async () => {
    const special = [
      -0,
      Number.NaN,
      2 ** 40,
      1.5,
      -(2 ** 31),
      2 ** 31,
      Number.MAX_SAFE_INTEGER,
      Infinity,
    ];
    const ints = Array.from({ length: 200 }, (_, i) => i - 100);
    for (const input of [ints, [...ints, ...special], special.concat(ints.map((x) => x / 4))]) {
      assert.deepStrictEqual(await pool.map(tasks.identity, input), input);
    }
  });
});

describe('what a running task sees when it is stopped', () => {
  test("a timeout aborts the task's signal with a SPINDLE_TIMEOUT reason", async () => {
    const out = new Int32Array(new SharedArrayBuffer(4));
    await assert.rejects(pool.submitWith({ timeout: 100 }, more.recordAbortReason, out), {
      code: 'SPINDLE_TIMEOUT',
    });
    for (let i = 0; i < 100 && Atomics.load(out, 0) === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(Atomics.load(out, 0), 1);
  });

  test("an abort aborts the task's signal with a SPINDLE_CANCELLED reason", async () => {
    const out = new Int32Array(new SharedArrayBuffer(4));
    const controller = new AbortController();
    const running = pool.submitWith({ signal: controller.signal }, more.recordAbortReason, out);
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(running, { code: 'SPINDLE_CANCELLED' });
    for (let i = 0; i < 100 && Atomics.load(out, 0) === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(Atomics.load(out, 0), 2);
  });
});

describe('starmap input', () => {
  test('an item that is not an argument list is a TypeError naming it', async () => {
    await assert.rejects(
      pool.starmap(tasks.add, [[1, 2], 3 as any]),
      (e: Error) =>
        e instanceof TypeError &&
        /item 1 is number 3/.test(e.message) &&
        /\[\[a, b\], \[c, d\]\]/.test(e.message),
    );
  });
});
