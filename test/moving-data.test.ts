import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { delayed, Lock, Pool, parallel, shared } from '../src/index.js';
import { jt } from './fixtures/joblib-tasks.js';

describe('moving data to workers', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('a view of a big buffer sends only its own bytes', async () => {
    const big = new Float64Array(2_000_000); // 16 MB
    const view = big.subarray(100, 110);
    assert.deepEqual(await pool.apply(jt.inspect, view), {
      byteLength: 80,
      bufferBytes: 80,
      shared: false,
    });
    const [viaParallel] = await parallel({ pool })([delayed(jt.inspect)(view)]);
    assert.equal(viaParallel.bufferBytes, 80);
    const [viaMap] = await pool.map(jt.inspect, [view]);
    assert.equal(viaMap.bufferBytes, 80);
  });

  test('a small whole array is copied as it is', async () => {
    const small = new Float64Array(16);
    assert.deepEqual(await pool.apply(jt.inspect, small), {
      byteLength: 128,
      bufferBytes: 128,
      shared: false,
    });
  });

  test('transfer hands an ArrayBuffer to the worker instead of copying it', async () => {
    const buffer = new ArrayBuffer(4 * 1024 * 1024);
    const size = await pool.submitWith({ transfer: [buffer] }, jt.bufferBytes, buffer);
    assert.equal(size, 4 * 1024 * 1024);
    assert.equal(buffer.byteLength, 0, 'the caller no longer owns the buffer');
  });

  test('a shared array crosses with no copy: what the worker writes, the caller sees', async () => {
    const a = shared.float64(1000);
    const seen = await pool.apply(jt.inspect, a);
    assert.equal(seen.shared, true);
    await pool.apply(jt.write, a, 3, 42);
    assert.equal(a[3], 42);
    await parallel({ pool })([delayed(jt.write)(a, 4, 43), delayed(jt.write)(a, 5, 44)]);
    assert.deepEqual([a[4], a[5]], [43, 44]);
  });

  test('a plain array above maxNbytes moves to shared memory once per call, shared by every task', async () => {
    const a = new Int32Array(512 * 1024); // 2 MB, over the 1 MB default
    const calls = Array.from({ length: 10 }, () => delayed(jt.bump)(a));
    const counts = await parallel({ pool, batchSize: 1 })(calls);
    assert.deepEqual(
      [...counts].sort((x, y) => x - y),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.equal(a[0], 0, "the caller's own array is left untouched");
    const [seen] = await parallel({ pool })([delayed(jt.inspect)(a)]);
    assert.equal(seen.shared, true);
    assert.equal((await pool.apply(jt.inspect, a)).shared, true);
  });

  test('maxNbytes: Infinity turns auto-sharing off: big arrays are cloned', async () => {
    const a = new Int32Array(512 * 1024);
    const [seen] = await parallel({ pool, maxNbytes: Number.POSITIVE_INFINITY })([
      delayed(jt.inspect)(a),
    ]);
    assert.deepEqual(seen, { byteLength: a.byteLength, bufferBytes: a.byteLength, shared: false });
  });
});

describe('a transfer list and argument preparation compose', () => {
  test('a Lock passed with a transfer list arrives as a working Lock, and the buffer moves', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const lock = new Lock();
      const data = new Float64Array([1, 2, 3]);
      const result = await pool.submitWith(
        { transfer: [data.buffer] },
        async (l: Lock, xs: Float64Array) => l.withLock(() => xs.reduce((a, b) => a + b, 0)),
        lock,
        data,
      );
      assert.equal(result, 6);
      assert.equal(data.byteLength, 0, 'the buffer was moved, not copied');
    } finally {
      await pool.close();
    }
  });
});

describe('sparse arrays', () => {
  test('a sparse array of the greatest length crosses in what its elements cost', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const sparse: number[] = [];
      sparse[2 ** 32 - 2] = 7;
      sparse[3] = { nested: new Float64Array(2) } as never;
      // Visiting every index would take minutes (units.test.ts compares the cost side by side).
      const seen = await pool.apply(
        (xs: unknown[]) => [xs.length, xs[2 ** 32 - 2], Object.keys(xs).length],
        sparse,
      );
      assert.deepEqual(seen, [2 ** 32 - 1, 7, 2]);
    } finally {
      await pool.close();
    }
  });
});
