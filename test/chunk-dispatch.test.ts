import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from '../src/index.js';

/**
 * When a map's chunks leave for the workers: a packed chunk as soon as it is prepared (not after
 * the whole look-ahead window), and one chunk ahead of the running one, so a worker does not
 * wait for a round trip through a busy caller between chunks.
 */

const busy = async (ms: number) => {
  const { threadId } = await import('node:worker_threads');
  const end = Date.now() + ms;
  while (Date.now() < end);
  return threadId;
};

test('a chunk of views leaves for a worker before the next chunks are read', async () => {
  const pool = new Pool({ workers: 2 });
  try {
    const m = new Int32Array(400 * 16).map((_, i) => i);
    const rows = Array.from({ length: 400 }, (_, r) => m.subarray(r * 16, (r + 1) * 16));
    const log: Array<number | 'start'> = [];
    // Reads of the input array's items, in order, between the pool's task starts.
    const input = new Proxy(rows, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) log.push(Number(key));
        return Reflect.get(target, key, receiver);
      },
    });
    pool.on('taskStart', () => log.push('start'));
    const out = await pool.map((v: Int32Array) => v[0], input, { chunksize: 50 });
    assert.deepEqual(
      out,
      rows.map((v) => v[0]),
    );
    const firstStart = log.indexOf('start');
    const readBefore = log.slice(0, firstStart).filter((x) => x !== 'start') as number[];
    assert.ok(
      Math.max(...readBefore) < 100,
      `items read before the first chunk left: up to ${Math.max(...readBefore)}`,
    );
  } finally {
    await pool.close();
  }
});

test('a map sends a chunk to each worker before it reads the rest of its look-ahead', async () => {
  const pool = new Pool({ workers: 2 });
  try {
    await pool.map((x: number) => x, [1, 2, 3, 4], { chunksize: 2 }); // both workers up
    const items = Array.from({ length: 600 }, (_, i) => i);
    const log: Array<number | 'start'> = [];
    const input = new Proxy(items, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) log.push(Number(key));
        return Reflect.get(target, key, receiver);
      },
    });
    pool.on('taskStart', () => log.push('start'));
    const out = await pool.map((x: number) => x * 2, input, { chunksize: 50 });
    assert.deepEqual(
      out,
      items.map((x) => x * 2),
    );
    const readBefore = log.slice(0, log.indexOf('start')) as number[];
    assert.ok(
      Math.max(...readBefore) < 100,
      `items read before the first chunks left: up to ${Math.max(...readBefore)}`,
    );
  } finally {
    await pool.close();
  }
});

test('a worker holds the next chunk while it runs one', async () => {
  const pool = new Pool({ workers: 1 });
  try {
    const events: string[] = [];
    pool.on('taskStart', (e) => events.push(`start ${e.taskId}`));
    pool.on('taskEnd', (e) => events.push(`end ${e.taskId}`));
    await pool.map(busy, new Array(20).fill(3), { chunksize: 5 });
    const starts = events.filter((e) => e.startsWith('start'));
    const firstEnd = events.findIndex((e) => e.startsWith('end'));
    assert.equal(starts.length, 4);
    assert.ok(
      events.indexOf(starts[1]) < firstEnd,
      `the second chunk is sent before the first ends: ${events.join(', ')}`,
    );
  } finally {
    await pool.close();
  }
});

test('a chunk waiting behind a long one is run by the worker that becomes idle', async () => {
  const pool = new Pool({ workers: 2 });
  try {
    await pool.map(busy, [1, 1, 1, 1], { chunksize: 2 }); // both workers up
    const threads = await pool.map(busy, [250, 250, 1, 1, 1, 1, 1, 1], { chunksize: 2 });
    const long = threads[0];
    assert.equal(threads[1], long);
    assert.ok(
      threads.slice(2).every((t) => t !== long),
      `no short chunk waits for the long one: ${threads.join(', ')}`,
    );
  } finally {
    await pool.close();
  }
});

test('the processes backend still runs every chunk of a map', async () => {
  const pool = new Pool({ workers: 2, backend: 'processes' });
  try {
    const out = await pool.map(
      (x: number) => x * 2,
      Array.from({ length: 300 }, (_, i) => i),
      {
        chunksize: 20,
      },
    );
    assert.deepEqual(
      out,
      Array.from({ length: 300 }, (_, i) => i * 2),
    );
  } finally {
    await pool.close();
  }
});
