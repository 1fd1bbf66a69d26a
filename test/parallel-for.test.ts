import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool, parallelFor, shared } from '../src/index.js';
import { jt } from './fixtures/joblib-tasks.js';

describe('parallelFor', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('calls task(lo, hi, ...args) over ranges that cover [start, end) exactly once', async () => {
    const ranges = await parallelFor(3, 103, jt.range, { pool, chunk: 7 });
    assert.equal(ranges[0][0], 3);
    assert.equal(ranges[ranges.length - 1][1], 103);
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i][0], ranges[i - 1][1]);
    assert.ok(ranges.every(([lo, hi]) => hi - lo <= 7 && hi > lo));
  });

  test('workers write their slices of a shared array in place', async () => {
    const a = shared.float64(100_000);
    const counts = await parallelFor(0, a.length, jt.fill, { pool, args: [a, 2] });
    assert.equal(
      counts.reduce((s, x) => s + x, 0),
      a.length,
    );
    assert.equal(a[0], 0);
    assert.equal(a[99_999], 2 * 99_999);
    assert.equal(a[54_321], 2 * 54_321);
  });

  test("schedule 'static' gives each worker one contiguous range", async () => {
    const ranges = await parallelFor(0, 1000, jt.range, { pool, schedule: 'static' });
    assert.deepEqual(ranges, [
      [0, 500],
      [500, 1000],
    ]);
  });

  test("schedule 'dynamic' hands out smaller ranges to whichever worker is free", async () => {
    const parts = await parallelFor(0, 160, jt.rangeOnThread, {
      pool,
      schedule: 'dynamic',
      args: [20],
    });
    assert.equal(parts.length, 16);
    assert.equal(new Set(parts.map((p) => p.threadId)).size, 2);
  });

  test('partial results reduce to the serial answer', async () => {
    const a = shared.from(Float64Array.from({ length: 10_001 }, (_, i) => i % 13));
    const parts = await parallelFor(0, a.length, jt.sumSquares, { pool, args: [a] });
    let serial = 0;
    for (const x of a) serial += x * x;
    assert.equal(
      parts.reduce((s, x) => s + x, 0),
      serial,
    );
  });

  test('an empty range runs nothing; bad bounds and options are refused', async () => {
    assert.deepEqual(await parallelFor(5, 5, jt.range, { pool }), []);
    await assert.rejects(parallelFor(0, 1.5, jt.range, { pool }), TypeError);
    await assert.rejects(parallelFor(0, 10, jt.range, { pool, chunk: 0 }), RangeError);
    await assert.rejects(
      parallelFor(0, 10, jt.range, { pool, schedule: 'guided' as never }),
      TypeError,
    );
  });

  test("a failing range rejects the loop with that range's error", async () => {
    const boom = (lo: number, _hi: number) => {
      if (lo >= 50) throw new RangeError(`range at ${lo}`);
      return lo;
    };
    await assert.rejects(parallelFor(0, 100, boom, { pool, chunk: 10 }), /range at \d+/);
  });

  test('without a pool it makes one for the loop and closes it', async () => {
    assert.deepEqual(await parallelFor(0, 4, jt.range, { workers: 2 }), [
      [0, 2],
      [2, 4],
    ]);
  });
});
