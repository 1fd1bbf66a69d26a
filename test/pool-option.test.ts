import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compute, delayed, Pool, parallel } from '../src/index.js';

const double = (x: number) => 2 * x;

describe('the pool option of parallel and compute', () => {
  test('a value that is not a Pool is a TypeError saying what to pass', async () => {
    await assert.rejects(
      async () => parallel({ pool: {} as any })([delayed(double)(1)]),
      (e: Error) =>
        e instanceof TypeError && /parallel's pool option must be a Pool/.test(e.message),
    );
    await assert.rejects(
      compute(delayed(double)(1), { pool: 'mine' as any }),
      (e: Error) =>
        e instanceof TypeError && /compute's pool option must be a Pool/.test(e.message),
    );
  });

  test('a pool together with options that size a pool is refused, naming them', async () => {
    const pool = new Pool({ workers: 1, backend: 'inline' });
    try {
      await assert.rejects(
        async () => parallel({ pool, nJobs: 2 })([delayed(double)(1)]),
        /parallel got a pool and also nJobs; set workers and backend on the Pool you pass/,
      );
      await assert.rejects(
        compute(delayed(double)(1), { pool, workers: 2, backend: 'threads' }),
        /compute got a pool and also backend and workers/,
      );
      assert.equal(await compute(delayed(double)(21), { pool }), 42);
    } finally {
      await pool.close();
    }
  });
});
