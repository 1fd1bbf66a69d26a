import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { asCompleted, Pool } from '../src/index.js';

/** Busy for `ms` in the worker (a CPU-bound call: its event loop reads no message meanwhile). */
const spinFor = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
  return ms;
};

/**
 * Work sent ahead to a worker must not wait behind a call that runs far longer than the
 * calls before it, while another worker is free. Everything here is judged by order and by
 * side-by-side times, never by a wall-clock bound.
 */
describe('scheduling never parks work behind a long call', () => {
  test('fast calls queued behind a long one on a busy worker finish long before it', async () => {
    const pool = new Pool({ workers: 2 });
    try {
      // warm both workers and teach the scheduler that spin(1) is cheap, so it sends ahead
      await pool.map(
        spinFor,
        Array.from({ length: 20 }, () => 1),
        { chunksize: 1 },
      );
      const started = performance.now();
      const finished: number[] = [];
      const long = pool.submit(spinFor, 1_500);
      const fast = Array.from({ length: 9 }, () =>
        pool.submit(spinFor, 1).then(() => finished.push(performance.now() - started)),
      );
      await Promise.all(fast);
      await long;
      const longTook = performance.now() - started;
      const slowestFast = Math.max(...finished);
      assert.ok(
        slowestFast < longTook / 2,
        `the fast calls finished after ${slowestFast.toFixed(0)} ms, the long one after ${longTook.toFixed(0)} ms`,
      );
    } finally {
      await pool.close();
    }
  });

  test('imapUnordered delivers the fast calls before a long one sent ahead of them', async () => {
    const pool = new Pool({ workers: 2 });
    try {
      await pool.map(
        spinFor,
        Array.from({ length: 20 }, () => 1),
        { chunksize: 1 },
      );
      const order: number[] = [];
      for await (const ms of pool.imapUnordered(spinFor, [1_000, 1, 1, 1, 1, 1, 1], {
        chunksize: 1,
      })) {
        order.push(ms);
      }
      assert.equal(order.at(-1), 1_000, `order was ${order.join(', ')}`);
    } finally {
      await pool.close();
    }
  });

  test('asCompleted yields the fast futures first', async () => {
    const pool = new Pool({ workers: 2 });
    try {
      await pool.map(
        spinFor,
        Array.from({ length: 20 }, () => 1),
        { chunksize: 1 },
      );
      const futures = [1_000, 1, 1, 1, 1, 1].map((ms) => pool.submit(spinFor, ms));
      const order: number[] = [];
      for await (const f of asCompleted(futures)) order.push(await f.result());
      assert.equal(order.at(-1), 1_000, `order was ${order.join(', ')}`);
    } finally {
      await pool.close();
    }
  });

  test('with nothing learned yet, a call sent ahead behind a long one is taken back by the free worker', async () => {
    const pool = new Pool({ workers: 2 });
    try {
      const id = (x: number) => x;
      await Promise.all([pool.submit(id, 1), pool.submit(id, 2)]); // both workers up, spinFor untimed
      const started = performance.now();
      const long = pool.submit(spinFor, 1_500);
      const finished: number[] = [];
      const fast = [1, 1, 1].map((ms) =>
        pool.submit(spinFor, ms).then(() => finished.push(performance.now() - started)),
      );
      await Promise.all(fast);
      await long;
      const longTook = performance.now() - started;
      assert.ok(
        Math.max(...finished) < longTook / 2,
        `the fast calls finished after ${Math.max(...finished).toFixed(0)} ms, the long one after ${longTook.toFixed(0)} ms`,
      );
    } finally {
      await pool.close();
    }
  });
});

describe('a worker never waits for the caller between long calls', () => {
  test("the next call waits in the worker's port, so it starts while the caller's thread is blocked", async () => {
    const pool = new Pool({ workers: 1 });
    try {
      await pool.submit(spinFor, 1); // the worker is up
      /** Busy for `ms`, then the time it started, by the shared wall clock. */
      const spinFrom = (ms: number) => {
        const at = Date.now();
        const end = at + ms;
        while (Date.now() < end) {
          // spin
        }
        return at;
      };
      const first = pool.submit(spinFrom, 100);
      const second = pool.submit(spinFrom, 100);
      await new Promise((resolve) => setTimeout(resolve, 20)); // both have been dispatched
      // The caller's thread is blocked well past the first call's end: the second can start
      // meanwhile only if it was already in the worker's port.
      const blockedUntil = Date.now() + 1_000;
      while (Date.now() < blockedUntil) {
        // spin
      }
      const [a, b] = await Promise.all([first, second]);
      assert.ok(a < b, 'the calls ran in the order they were submitted');
      assert.ok(
        b < blockedUntil,
        `the second call started ${b - blockedUntil} ms after the caller's thread was free`,
      );
    } finally {
      await pool.close();
    }
  });
});

test('two calls of one tick with long strings go to two idle workers, not one after the other', async () => {
  const pool = new Pool({ workers: 2 });
  try {
    const whose = async (_text: string) => (await import('node:worker_threads')).threadId;
    await Promise.all([pool.submit(whose, ''), pool.submit(whose, '')]);
    // Teach the scheduler the task is cheap: only its argument is not.
    for (let i = 0; i < 20; i++) await pool.submit(whose, '');
    const text = 'abcdefghij'.repeat(1_000_000);
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([pool.submit(whose, text), pool.submit(whose, text)]);
      assert.notEqual(a, b, `round ${round}: both on thread ${a}`);
    }
  } finally {
    await pool.close();
  }
});

test('calls with heavy arguments wait deeper in a busy worker than light ones, so their copying overlaps its work', async () => {
  const spinWith = (ms: number, _data: unknown) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // spin
    }
    return ms;
  };
  const pool = new Pool({ workers: 1 });
  try {
    // the worker up, and the scheduler taught that a call costs ~50 ms (more than it pipelines)
    await pool.starmap(spinWith, [[50, 0]]);
    const held = async (data: unknown) => {
      const calls = [pool.apply(spinWith, 300, data)];
      for (let i = 0; i < 5; i++) calls.push(pool.apply(spinWith, 50, data));
      await new Promise((resolve) => setImmediate(resolve));
      const { inFlight, queued } = pool.stats();
      await Promise.all(calls);
      return { inFlight, queued };
    };
    assert.deepEqual(
      await held('light'),
      { inFlight: 2, queued: 4 },
      'one waits behind the running call',
    );
    const heavy = Array.from({ length: 5000 }, (_, i) => `row ${i}`);
    assert.deepEqual(await held(heavy), { inFlight: 4, queued: 2 }, 'three wait behind it');
    // Long strings cost as much to copy: one of 100 KB, or a few of them in a short array.
    const text = 'x'.repeat(100_000);
    assert.deepEqual(await held(text), { inFlight: 4, queued: 2 }, 'a long string');
    assert.deepEqual(await held({ text }), { inFlight: 4, queued: 2 }, 'in an object');
    assert.deepEqual(await held(['a', text, text]), { inFlight: 4, queued: 2 }, 'in an array');
    assert.deepEqual(await held(['a', 'b', 'c']), { inFlight: 2, queued: 4 }, 'short ones');
    // Many short arrays are as heavy as one long one: rows of numbers (packed) or of strings.
    const rows = Array.from({ length: 100 }, (_, r) =>
      Array.from({ length: 100 }, (_, i) => r + i),
    );
    assert.deepEqual(await held(rows), { inFlight: 4, queued: 2 }, 'rows of numbers');
    const cells = rows.map((row) => row.map(String));
    assert.deepEqual(await held({ cells }), { inFlight: 4, queued: 2 }, 'rows of strings');
    assert.deepEqual(await held([[1, 2], [3]]), { inFlight: 2, queued: 4 }, 'a few short rows');
  } finally {
    await pool.close();
  }
});
