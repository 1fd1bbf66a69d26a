import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from '../src/index.js';

const MB = 1024 * 1024;

/** What a task saw of its argument. */
const look = (a: any) => ({
  tag: Object.prototype.toString.call(a),
  length: a.length ?? a.byteLength,
  byteLength: a.byteLength,
  byteOffset: a.byteOffset,
  bufferBytes: a.buffer.byteLength,
  shared: a.buffer instanceof SharedArrayBuffer,
  first: a instanceof DataView ? a.getUint8(0) : a[0],
  last: a instanceof DataView ? a.getUint8(a.byteLength - 1) : a[a.length - 1],
});

const sum = (a: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

const filled = (n: number, f: (i: number) => number) => {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
};

describe('the warm arena behind auto-sharing', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('a big array arrives as a shared view of the same type, offset and length', async () => {
    const buffer = new ArrayBuffer(4 * MB);
    const ints = new Int32Array(buffer, 8, (3 * MB) / 4);
    ints[0] = 7;
    ints[ints.length - 1] = -9;
    assert.deepEqual(await pool.submit(look, ints), {
      tag: '[object Int32Array]',
      length: ints.length,
      byteLength: 3 * MB,
      byteOffset: 8,
      bufferBytes: 4 * MB,
      shared: true,
      first: 7,
      last: -9,
    });
    // a view that is a small part of its buffer: only its bytes are copied, from offset 0
    const part = new Float32Array(new ArrayBuffer(16 * MB), 4 * MB, (2 * MB) / 4);
    part[0] = 1.5;
    part[part.length - 1] = -0.25;
    const seen = await pool.submit(look, part);
    assert.equal(seen.tag, '[object Float32Array]');
    assert.equal(seen.length, part.length);
    assert.equal(seen.byteOffset, 0);
    assert.equal(seen.bufferBytes, 2 * MB);
    assert.deepEqual([seen.first, seen.last, seen.shared], [1.5, -0.25, true]);
    const bytes = new Uint8Array(2 * MB);
    bytes[bytes.length - 1] = 200;
    const view = new DataView(bytes.buffer);
    const dv = await pool.submit(look, view);
    assert.equal(dv.tag, '[object DataView]');
    assert.deepEqual([dv.byteLength, dv.last, dv.shared], [2 * MB, 200, true]);
  });

  test('a caller writing into the array between two calls sees the new values used', async () => {
    const a = filled(MB / 2, () => 1); // 4 MB
    assert.equal(await pool.submit(sum, a), MB / 2);
    a[a.length - 1] = 1001; // the last byte, where a partial check would not look
    assert.equal(await pool.submit(sum, a), MB / 2 + 1000);
    a[0] = 0;
    assert.deepEqual(await pool.map(sum, [a, a]), [MB / 2 + 999, MB / 2 + 999]);
    a.fill(2);
    assert.deepEqual(await pool.starmap(sum, [[a]]), [MB]);
  });

  test('two submits of the two halves of one array share one copy', async () => {
    const n = MB; // 8 MB
    const a = filled(n, (i) => i % 10);
    const before = pool._arena.stats();
    const halves = [a.subarray(0, n / 2), a.subarray(n / 2)];
    const sums = await Promise.all(halves.map((h) => pool.submit(sum, h)));
    const after = pool._arena.stats();
    assert.deepEqual(sums, [sum(halves[0]), sum(halves[1])]);
    assert.ok(after.reuses > before.reuses, 'the second submit found the first one copy');
    assert.ok(
      after.allocations + after.warmCopies - before.allocations - before.warmCopies <= 1,
      'the array was copied once',
    );
  });

  test('each half is checked on its own: a write into one half between calls is always seen', async () => {
    const n = MB; // 8 MB
    const a = filled(n, () => 1);
    const halves = [a.subarray(0, n / 2), a.subarray(n / 2)];
    const both = () => Promise.all(halves.map((h) => pool.submit(sum, h)));
    assert.deepEqual(await both(), [n / 2, n / 2]);
    a[n - 1] = 11; // the last element of the second half
    assert.deepEqual(await both(), [n / 2, n / 2 + 10]);
    a[0] = 21;
    a[n / 2] = 31; // the first element of the second half, next to the first half's end
    assert.deepEqual(await both(), [n / 2 + 20, n / 2 + 40]);
    const counts = pool._arena.stats();
    assert.deepEqual(await both(), [n / 2 + 20, n / 2 + 40]);
    assert.ok(pool._arena.stats().reuses >= counts.reuses + 2, 'unchanged halves reuse the copy');
  });

  test('a write while a call still holds the copy reaches the next call, and not the running one', async () => {
    const n = MB;
    const a = filled(n, () => 1);
    const slowSum = async (v: Float64Array, ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i];
      return s;
    };
    const first = a.subarray(0, n / 2);
    const second = a.subarray(n / 2);
    const running = pool.submit(slowSum, first, 300); // holds the one copy of `a`
    await new Promise((resolve) => setTimeout(resolve, 50));
    second[0] = 201; // after `running` was submitted, outside its view
    // One call whose two views are checked separately against the held copy: the first half
    // still matches it, the second does not, and the held copy cannot be rewritten.
    const [s1, s2] = await pool.map(sum, [a.subarray(0, n / 2), a.subarray(n / 2)]);
    assert.equal(s1, n / 2);
    assert.equal(s2, n / 2 + 200);
    first[0] = 101;
    assert.equal(await pool.submit(sum, first), n / 2 + 100);
    assert.equal(await running, n / 2, 'the running call kept the values it was given');
    assert.equal(pool._arena.stats().heldBytes, 0);
  });

  test('memory is held while a call runs and released when its tasks settle', async () => {
    const busy = (a: Float64Array, ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end);
      return a.length;
    };
    const a = filled(MB, () => 3);
    const running = pool.submit(busy, a, 100);
    assert.ok(pool._arena.stats().heldBytes >= 8 * MB);
    assert.equal(await running, MB);
    assert.equal(pool._arena.stats().heldBytes, 0);
    const mapped = pool.map((x: Float64Array) => x.length, [a, a, a]);
    assert.ok(pool._arena.stats().heldBytes >= 8 * MB);
    assert.deepEqual(await mapped, [MB, MB, MB]);
    assert.equal(pool._arena.stats().heldBytes, 0);
    // a failing call releases as well
    const fail = (_a: Float64Array) => {
      throw new Error('no');
    };
    await assert.rejects(pool.submit(fail, a), /no/);
    await assert.rejects(pool.map(fail, [a]), /no/);
    assert.equal(pool._arena.stats().heldBytes, 0);
  });

  test('successive calls of one size reuse the same warm memory', async () => {
    const start = pool._arena.stats();
    for (let i = 0; i < 10; i++) {
      const a = filled(MB / 2, () => i);
      assert.equal(await pool.submit(sum, a), i * (MB / 2));
    }
    const end = pool._arena.stats();
    assert.ok(end.allocations - start.allocations <= 1, 'at most one new block for ten calls');
    assert.equal(end.heldBytes, 0);
  });

  test('a result that returns its argument keeps its values after later calls', async () => {
    const echo = (a: Float64Array) => a;
    const a = filled(MB / 2, () => 5);
    const back = await pool.submit(echo, a);
    const [mapped] = await pool.map(echo, [filled(MB / 2, () => 6)]);
    for (let i = 0; i < 5; i++)
      await pool.submit(
        sum,
        filled(MB / 2, () => 9),
      );
    assert.equal(back[0], 5);
    assert.equal(back[back.length - 1], 5);
    assert.equal(mapped[0], 6);
  });

  test('rows as views of one buffer arrive as views of the same type, length and values', async () => {
    const rows = 512;
    const width = 256; // 1 KB a row, 512 KB in all: each row alone is small
    const matrix = new Int32Array(rows * width);
    for (let i = 0; i < matrix.length; i++) matrix[i] = i - 1000;
    const views = Array.from({ length: rows }, (_, r) =>
      matrix.subarray(r * width, (r + 1) * width),
    );
    const seen = await pool.map(look, views, { chunksize: 128 });
    for (let r = 0; r < rows; r++) {
      assert.equal(seen[r].tag, '[object Int32Array]');
      assert.equal(seen[r].length, width);
      assert.equal(seen[r].first, r * width - 1000);
      assert.equal(seen[r].last, (r + 1) * width - 1 - 1000);
    }
    assert.ok(
      seen.every((s) => s.shared),
      'they travel in one shared copy',
    );
    assert.equal(pool._arena.stats().heldBytes, 0, 'released when the call settled');
    // a write between calls is seen
    matrix[width] = 42;
    const [again] = await pool.map((v: Int32Array) => v[0], [views[1], views[2]], { chunksize: 2 });
    assert.equal(again, 42);
  });

  test('views of mixed types in one buffer keep their alignment and values', async () => {
    const buffer = new ArrayBuffer(256 * 1024);
    const f = new Float64Array(buffer);
    for (let i = 0; i < f.length; i++) f[i] = i + 0.5;
    const items = [
      new Int32Array(buffer, 4, 20_000), // starts off an 8-byte boundary
      new Float64Array(buffer, 96 * 1024, 8_000),
      new Uint8Array(buffer, 3, 5),
      new DataView(buffer, 200 * 1024, 1024),
    ];
    const seen = await pool.map(look, items, { chunksize: 4 });
    assert.deepEqual(
      seen.map((s) => [s.tag, s.length]),
      items.map((v) => [Object.prototype.toString.call(v), (v as any).length ?? v.byteLength]),
    );
    assert.equal(seen[0].first, new Int32Array(buffer, 4, 1)[0]);
    assert.equal(seen[1].first, f[(96 * 1024) / 8]);
    assert.equal(seen[1].last, f[(96 * 1024) / 8 + 7_999]);
    assert.equal(seen[2].last, new Uint8Array(buffer)[7]);
    assert.equal(seen[3].first, new Uint8Array(buffer)[200 * 1024]);
  });

  test('views scattered thinly over a buffer still send only their own bytes', async () => {
    const big = new Float64Array(2_000_000); // 16 MB
    big[100] = 1;
    big[1_900_000] = 2;
    const views = [big.subarray(100, 10_100), big.subarray(1_900_000, 1_910_000)];
    const seen = await pool.map(look, views, { chunksize: 2 });
    assert.deepEqual(
      seen.map((s) => [s.bufferBytes, s.shared, s.first]),
      [
        [80_000, false, 1],
        [80_000, false, 2],
      ],
    );
  });

  test('a withdrawn task gives its memory back', async () => {
    const one = new Pool({ workers: 1 });
    try {
      const blocker = one.submit((ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end);
      }, 200);
      const queued = one.submit(
        sum,
        filled(MB, () => 1),
      );
      assert.ok(one._arena.stats().heldBytes > 0);
      assert.equal(queued.cancel(), true);
      assert.equal(one._arena.stats().heldBytes, 0);
      await blocker;
    } finally {
      await one.close();
    }
  });

  test('the processes backend copies as before and uses no arena', async () => {
    const proc = new Pool({ workers: 1, backend: 'processes' });
    try {
      const a = filled(MB, (i) => i);
      const seen = await proc.submit(look, a);
      assert.deepEqual([seen.length, seen.last, seen.shared], [MB, MB - 1, false]);
      assert.equal(proc._arena.stats().allocations, 0);
    } finally {
      await proc.close();
    }
  });
});
