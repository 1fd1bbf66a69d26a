import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadId } from 'node:worker_threads';
import { inline, Pool } from '../src/index.js';
import { faults, nesting } from './fixtures/fault-tasks.js';

test('the inline backend runs tasks in the calling thread', async () => {
  const pool = new Pool({ backend: 'inline', workers: 2 });
  try {
    const where = await pool.apply(faults.where);
    assert.equal(where.pid, process.pid);
    assert.equal(where.threadId, threadId);
    assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2, 3]), [2, 3, 4]);
  } finally {
    await pool.close();
  }
});

test('the inline backend keeps `workers` async tasks in flight', async () => {
  const pool = new Pool({ backend: 'inline', workers: 4 });
  try {
    const started = performance.now();
    await pool.map(faults.sleep, [200, 200, 200, 200], { chunksize: 1 });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 700, `four 200 ms sleeps took ${elapsed.toFixed(0)} ms`);
  } finally {
    await pool.close();
  }
});

test('the inline backend passes objects by reference and rebuilds task errors', async () => {
  const pool = new Pool({ backend: 'inline', workers: 1 });
  try {
    const seen: unknown[] = [];
    const push = inline((x: number) => seen.push(x), { seen });
    await pool.map(push, [1, 2]);
    assert.deepEqual(seen, [1, 2]);
    await assert.rejects(pool.apply(faults.fail, 'nope'), { name: 'RangeError', message: 'nope' });
  } finally {
    await pool.close();
  }
});

for (const backend of ['threads', 'processes'] as const) {
  test(`a pool made inside a task (${backend}) defaults to inline and works`, async () => {
    const pool = new Pool({ backend, workers: 1 });
    try {
      const out = await pool.apply(nesting.nested, [1, 2, 3]);
      assert.deepEqual(out, { backend: 'inline', results: [10, 20, 30] });
    } finally {
      await pool.close();
    }
  });
}
