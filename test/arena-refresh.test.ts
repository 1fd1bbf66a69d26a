import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from '../src/index.js';

const MiB = 1024 * 1024;

/** What a task saw at some indices (as strings, so bigints, -0 and NaN compare exactly). */
const at = (a: any, indices: number[]) =>
  indices.map((i) => {
    const v = a instanceof DataView ? a.getUint8(i) : a[i];
    return Object.is(v, -0) ? '-0' : String(v);
  });

const sum = (a: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

const TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

describe('a copy kept across calls is brought up to date piece by piece', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('a write of one value between calls is seen, and only the piece around it is copied again', async () => {
    const a = new Float64Array(4 * MiB).fill(1); // 32 MB
    assert.equal(await pool.submit(sum, a), 4 * MiB);
    const before = pool._arena.stats();
    a[3_000_000] = 6;
    assert.equal(await pool.submit(sum, a), 4 * MiB + 5);
    const after = pool._arena.stats();
    assert.equal(after.allocations, before.allocations, 'the same warm block');
    const copied = after.copiedBytes - before.copiedBytes;
    assert.ok(copied > 0 && copied <= MiB, `copied ${copied} bytes for one changed value`);
    assert.equal(await pool.submit(sum, a), 4 * MiB + 5);
    assert.equal(pool._arena.stats().copiedBytes, after.copiedBytes, 'unchanged: nothing copied');
  });

  test('each call compares its array once, also when the half a running call holds was written', async () => {
    const n = 2 * MiB; // 16 MB
    const a = new Float64Array(n).fill(1);
    const bytes = n * 8;
    const call = () =>
      Promise.all([pool.submit(sum, a.subarray(0, n / 2)), pool.submit(sum, a.subarray(n / 2))]);
    const blocks = pool._arena.stats().blocks;
    await call();
    for (const at of [-1, 10, n - 10, -1, n - 20, n / 2 + 5, 20, -1]) {
      if (at >= 0) a[at] += 2;
      const before = pool._arena.stats();
      const [x, y] = await call();
      const after = pool._arena.stats();
      assert.equal(x + y, n + (at >= 0 ? 2 : 0), `a write at ${at}`);
      assert.equal(after.comparedBytes - before.comparedBytes, bytes, `compared, write at ${at}`);
      // A second block is made once (the first write into the half the running call holds);
      // otherwise a call copies at most two pieces: where this write is, where the last was undone.
      const fresh = after.allocations > before.allocations;
      const most = (fresh ? bytes : 0) + 2 * MiB;
      assert.ok(after.copiedBytes - before.copiedBytes <= most, `copied, write at ${at}`);
      if (at >= 0) a[at] -= 2;
    }
    assert.ok(pool._arena.stats().blocks <= blocks + 2, 'two blocks for this array at most');
  });

  test('writes on both sides of a piece boundary and at the last byte are all seen', async () => {
    const a = new Uint8Array(3 * MiB + 5);
    const spots = [0, MiB - 1, MiB, 2 * MiB + 1, a.length - 1];
    assert.deepEqual(await pool.submit(at, a, spots), ['0', '0', '0', '0', '0']);
    spots.forEach((i, k) => {
      a[i] = 10 + k;
    });
    assert.deepEqual(await pool.submit(at, a, spots), ['10', '11', '12', '13', '14']);
    a[MiB] = 99;
    assert.deepEqual(await pool.submit(at, a, spots), ['10', '11', '99', '13', '14']);
  });

  test('every element type: a write between calls is seen by the next call, views keep their offsets', async () => {
    for (const Ctor of TYPES) {
      const n = (2 * MiB) / Ctor.BYTES_PER_ELEMENT + 3;
      const big = Ctor === BigInt64Array || Ctor === BigUint64Array;
      const a = new (Ctor as any)(n);
      const v = (x: number) => (big ? BigInt(x) : x);
      const last = n - 1;
      const spots = [0, Math.floor(n / 2), last];
      const name = Ctor.name;
      assert.deepEqual(await pool.submit(at, a, spots), ['0', '0', '0'], name);
      a[0] = v(7);
      a[last] = v(9);
      assert.deepEqual(await pool.submit(at, a, spots), ['7', '0', '9'], name);
      // A view of the second part: only its own range is checked, at its own offset.
      const tail = a.subarray(Math.floor(n / 3));
      const t = [0, tail.length - 1];
      assert.deepEqual(await pool.submit(at, tail, t), ['0', '9'], name);
      tail[tail.length - 1] = v(5);
      assert.deepEqual(await pool.submit(at, tail, t), ['0', '5'], name);
      assert.deepEqual(await pool.submit(at, a, spots), ['7', '0', '5'], name);
    }
  });

  test('negative zero and NaN written over equal-looking values are seen', async () => {
    const f = new Float64Array(MiB); // 8 MB of +0
    assert.deepEqual(await pool.submit(at, f, [5, 6]), ['0', '0']);
    f[5] = -0;
    f[6] = Number.NaN;
    assert.deepEqual(await pool.submit(at, f, [5, 6]), ['-0', 'NaN']);
    f[5] = 0;
    assert.deepEqual(await pool.submit(at, f, [5, 6]), ['0', 'NaN']);
  });

  test('a DataView over a big buffer sees a write between calls', async () => {
    const dv = new DataView(new ArrayBuffer(2 * MiB));
    assert.deepEqual(await pool.submit(at, dv, [0, 2 * MiB - 1]), ['0', '0']);
    dv.setUint8(2 * MiB - 1, 200);
    assert.deepEqual(await pool.submit(at, dv, [0, 2 * MiB - 1]), ['0', '200']);
  });

  test('a caller writing before each of ten calls on two halves sees every write', async () => {
    const n = 2 * MiB; // 16 MB
    const a = new Float64Array(n).fill(1);
    let want = n;
    for (let c = 0; c < 10; c++) {
      const i = c % 2 ? n - 1 - c : c * 1000; // alternately in the second and the first half
      want += 3;
      a[i] += 3;
      const [x, y] = await Promise.all([
        pool.submit(sum, a.subarray(0, n / 2)),
        pool.submit(sum, a.subarray(n / 2)),
      ]);
      assert.equal(x + y, want, `call ${c}`);
    }
    assert.equal(pool._arena.stats().heldBytes, 0);
  });
});

test('the processes backend sees a write between calls', async () => {
  const proc = new Pool({ workers: 1, backend: 'processes' });
  try {
    const a = new Float64Array(MiB).fill(1);
    assert.equal(await proc.submit(sum, a), MiB);
    a[MiB - 1] = 4;
    assert.equal(await proc.submit(sum, a), MiB + 3);
    const ints = new BigInt64Array(MiB / 4);
    ints[7] = -5n;
    assert.deepEqual(await proc.submit(at, ints, [6, 7]), ['0', '-5']);
  } finally {
    await proc.close();
  }
});
