import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { delayed, Pool, parallel } from '../src/index.js';
import { jt } from './fixtures/joblib-tasks.js';

const expected = (n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += i ** 3;
  return s;
};

describe('nesting', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('a pool, parallel() and parallelFor() made inside a worker run inline there', async () => {
    const out = await pool.apply(jt.nested, 10);
    assert.equal(out.inWorker, true);
    assert.equal(out.backend, 'inline');
    assert.equal(out.sum, expected(10));
    assert.deepEqual(out.ranges, [
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
      [8, 10],
    ]);
  });

  test('parallel calls that each run parallel() inside finish without deadlock', {
    timeout: 30_000,
  }, async () => {
    const outer = await parallel({ nJobs: 2, batchSize: 1 })(
      Array.from({ length: 6 }, (_, i) => delayed(jt.nested)(20 + i)),
    );
    assert.deepEqual(
      outer.map((r) => r.sum),
      Array.from({ length: 6 }, (_, i) => expected(20 + i)),
    );
    assert.ok(outer.every((r) => r.backend === 'inline'));
  });
});
