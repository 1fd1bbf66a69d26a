import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Arena } from '../src/codec/arena.js';
import { packItems, packViews, unpackItems } from '../src/codec/pack.js';
import type { PrepareContext } from '../src/codec/prepare.js';
import { releaseSlabs, SlabLease, Slabs, slabLease, slabsOf } from '../src/codec/slabs.js';
import { inline, Pool } from '../src/index.js';

/** Rows as a user's `tolist()` gives them: plain arrays of numbers, some of each awkward kind. */
function awkwardRows(n: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < n; r++) {
    if (r % 17 === 0) rows.push([]);
    else if (r % 13 === 0) rows.push([-0, Number.NaN, Number.POSITIVE_INFINITY, -1.5, 2 ** 40]);
    else rows.push(Array.from({ length: (r % 7) + 1 }, (_, j) => r * 10 + j));
  }
  return rows;
}

/** What a task reports about the row it got: its kind of array and its values, -0 spelt out. */
const describeRow = (row: unknown) => ({
  plainArray: Array.isArray(row) && Object.getPrototypeOf(row) === Array.prototype,
  length: (row as unknown[]).length,
  holes: (row as unknown[]).filter(() => true).length !== (row as unknown[]).length,
  values: (row as unknown[]).map((x) => (Object.is(x, -0) ? '-0' : x)),
});

const expectedOf = (rows: unknown[][]) =>
  rows.map((row) => ({
    plainArray: true,
    length: row.length,
    holes: row.filter(() => true).length !== row.length,
    values: row.map((x) => (Object.is(x, -0) ? '-0' : x)),
  }));

describe('packing numbers into typed memory', () => {
  test('rows of integers pack as Int32 values with each row’s start, and unpack to equal rows', () => {
    const rows = [[1, 2, 3], [], [4], Array.from({ length: 70 }, (_, i) => i)];
    const packed = packItems(rows) as { v: Int32Array; o: Int32Array };
    assert.ok(packed.v instanceof Int32Array);
    assert.deepEqual([...packed.o], [0, 3, 3, 4, 74]);
    assert.deepEqual(unpackItems(packed), rows);
  });

  test('a -0, a fraction or a value past 32 bits makes the chunk Float64, exactly', () => {
    for (const odd of [-0, 0.5, 2 ** 31, Number.NaN, Number.NEGATIVE_INFINITY]) {
      const rows = [Array.from({ length: 64 }, (_, i) => i), [1, odd]];
      const packed = packItems(rows) as { v: Float64Array };
      assert.ok(packed.v instanceof Float64Array, `for ${odd}`);
      assert.deepStrictEqual(unpackItems(packed), rows);
      const late = [[1, 70_000], Array.from({ length: 64 }, (_, i) => -i), [odd, 3]];
      const both = packItems(late) as { v: Float64Array };
      assert.ok(both.v instanceof Float64Array, `for ${odd} in the last row`);
      assert.deepStrictEqual(unpackItems(both), late);
    }
  });

  test('items that are arrays of rows pack with one more level of offsets', () => {
    const items = [[[1, 2], [3]], [], [[]], [Array.from({ length: 64 }, (_, i) => i / 4)]];
    const packed = packItems(items) as { p: Int32Array };
    assert.deepEqual([...packed.p], [0, 2, 2, 3, 4]);
    assert.deepStrictEqual(unpackItems(packed), items);
  });

  test('anything but numbers, a hole, or too little to pay is left to structured clone', () => {
    const long = Array.from({ length: 64 }, (_, i) => i);
    const holey = [...long];
    delete holey[5];
    for (const items of [
      [long, [1, '2']],
      [long, ['2', 1]],
      [
        [70_000, ...long],
        [1, '2'],
      ],
      [
        [0.5, ...long],
        [1, '2'],
      ],
      [long, [1, null]],
      [long, [1, true]],
      [long, holey],
      [long, 3],
      [long, [[1]]],
      [[[1, 2]], long],
      [[1, 2], [3]],
      [1, 2, 3],
      [...long, 'x'],
    ]) {
      assert.equal(packItems(items as unknown[]), undefined, JSON.stringify(items).slice(0, 60));
    }
  });
});

describe('packing into a call’s shared slabs', () => {
  const callContext = (): PrepareContext => ({
    arena: new Arena(),
    maxNbytes: 1024 * 1024,
    sharesMemory: true,
  });

  test('rows pack into shared memory with room for their results, and unpack to equal rows', () => {
    const ctx = callContext();
    const rows = [[1, 2, 3], [], [-0, 0.5], Array.from({ length: 70 }, (_, i) => i)];
    const packed = packItems(rows, ctx) as { v: Float64Array; o: Int32Array; r: Float64Array };
    assert.ok(packed.v.buffer instanceof SharedArrayBuffer);
    assert.ok(packed.o.buffer instanceof SharedArrayBuffer);
    assert.equal(packed.r.length, rows.length);
    assert.deepStrictEqual(unpackItems(packed), rows);
    releaseSlabs(ctx, true);
  });

  test('memory reused from an earlier call holds no stale offsets or values', () => {
    const arena = new Arena();
    const first: PrepareContext = { arena, maxNbytes: undefined, sharesMemory: true };
    packItems(
      Array.from({ length: 50 }, () => Array.from({ length: 9 }, () => 7)),
      first,
    );
    releaseSlabs(first, true);
    const second: PrepareContext = { arena, maxNbytes: undefined, sharesMemory: true };
    const rows = [[], Array.from({ length: 64 }, (_, i) => -i), [], [3]];
    assert.deepStrictEqual(unpackItems(packItems(rows, second)), rows);
    const matrices = [[[1]], [], [[], [2, 3]], [Array.from({ length: 64 }, (_, i) => i)]];
    assert.deepStrictEqual(unpackItems(packItems(matrices, second)), matrices);
    assert.equal(slabsOf(arena).allocations, 1, 'the second call took the first one’s slab');
    releaseSlabs(second, true);
  });

  test('a chunk that turns out not to pack gives its slab space back', () => {
    const ctx = callContext();
    const lease = slabLease(ctx)!;
    const [, before] = lease.alloc(8);
    const rows = [Array.from({ length: 64 }, (_, i) => i), [1, 'two']];
    assert.equal(packItems(rows as unknown[], ctx), undefined);
    const views = [new Int32Array(64), new Float32Array(64)];
    assert.equal(packViews(views, ctx), undefined);
    const [, after] = lease.alloc(8);
    assert.equal(after, before + 8);
    releaseSlabs(ctx, true);
  });

  test('a failed call’s slabs are dropped, not handed to the next call', () => {
    const slabs = new Slabs();
    const failed = new SlabLease(slabs);
    const [sab] = failed.alloc(100);
    failed.release(false);
    assert.equal(slabs.idleBytes, 0);
    const ok = new SlabLease(slabs);
    const [fresh] = ok.alloc(100);
    assert.notEqual(fresh, sab);
    ok.release(true);
    assert.equal(slabs.idleBytes, fresh.byteLength);
    assert.equal(
      new SlabLease(slabs).alloc(100)[0],
      fresh,
      'a call that settled gives its slab back',
    );
  });
});

describe('rows crossing to thread workers', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('a task over number[] rows sees plain arrays with the same values, -0, NaN and empty rows included', async () => {
    const rows = awkwardRows(5000);
    assert.deepStrictEqual(await pool.map(describeRow, rows), expectedOf(rows));
    assert.deepStrictEqual(
      await pool.map(describeRow, rows, { chunksize: 1000 }),
      expectedOf(rows),
    );
  });

  test('rows whose values need 32 or 64 bits in some chunks arrive with the same values', async () => {
    const rows = Array.from({ length: 6000 }, (_, r) =>
      Array.from({ length: 20 }, (_, j) =>
        r === 2500 && j === 7 ? 2 ** 20 : r === 4500 && j === 3 ? -0.25 : r * 3 - j,
      ),
    );
    const sums = (row: number[]) => row.reduce((a, b) => a + b, 0);
    for (const chunksize of [500, 1000, undefined]) {
      assert.deepStrictEqual(
        await pool.map(describeRow, rows, chunksize ? { chunksize } : {}),
        expectedOf(rows),
        `chunksize ${chunksize}`,
      );
    }
    assert.deepStrictEqual(await pool.map(sums, rows), rows.map(sums));
  });

  test('rows returned by the task come back equal to what was sent', async () => {
    const rows = awkwardRows(3000);
    assert.deepStrictEqual(await pool.map((row: number[]) => row, rows), rows);
  });

  test('a row with a hole or a non-number arrives as structured clone delivers it', async () => {
    const rows = awkwardRows(400) as unknown[][];
    const holey: unknown[] = [1, 2, 3];
    delete holey[1];
    rows[150] = holey;
    rows[250] = [1, 'two', { three: 3 }, null, undefined];
    const got = await pool.map(describeRow, rows, { chunksize: 400 });
    assert.deepStrictEqual(got, expectedOf(rows));
    assert.equal(got[150].holes, true);
    // A BigInt, or an object whose valueOf a packing check would call, in an otherwise
    // integer chunk: refused by type, never converted.
    let valueOfCalls = 0;
    class Sneaky {
      valueOf() {
        return ++valueOfCalls;
      }
    }
    const sneaky = new Sneaky();
    for (const odd of [5n, sneaky]) {
      const ints = Array.from({ length: 400 }, (_, i) => [i, i + 1]) as unknown[][];
      ints[399] = [1, odd];
      const seen = await pool.map((row: unknown[]) => typeof row[1], ints, { chunksize: 400 });
      assert.equal(seen[399], typeof odd);
    }
    assert.equal(valueOfCalls, 0);
  });

  test('items that are arrays of rows arrive as arrays of plain arrays', async () => {
    const items = Array.from({ length: 300 }, (_, i) =>
      i % 50 === 0 ? [] : [[i, -0], [], [i / 3]],
    );
    const got = await pool.map((m: number[][]) => m.map((row) => row.map(String)), items);
    assert.deepStrictEqual(
      got,
      items.map((m) => m.map((row) => row.map(String))),
    );
  });

  test('starmap spreads packed argument lists into the task', async () => {
    const pairs = Array.from({ length: 2000 }, (_, i): [number, number] => [
      i,
      i % 2 === 0 ? 0.5 : -0,
    ]);
    const got = await pool.starmap((a: number, b: number) => `${a}:${Object.is(b, -0)}`, pairs);
    assert.deepEqual(
      got,
      pairs.map(([a, b]) => `${a}:${Object.is(b, -0)}`),
    );
  });

  test('imapSettled over packed rows settles every item on its own', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => [i, i + 1]);
    const out: unknown[] = [];
    for await (const r of pool.imapSettled((row: number[]) => {
      if (row[0] === 7) throw new Error('seven');
      return row[0] + row[1];
    }, rows)) {
      out.push(r.ok ? r.value : (r.error as Error).message);
    }
    assert.deepEqual(
      out,
      rows.map(([a, b]) => (a === 7 ? 'seven' : a + b)),
    );
  });

  test('numbers a task returns come back exactly: integers, -0, NaN, fractions, and non-numbers', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [i, i % 5]);
    const ints = await pool.map((row: number[]) => row[0] - 1500, rows);
    assert.deepStrictEqual(
      ints,
      rows.map((row) => row[0] - 1500),
    );
    const odd = (row: number[]) =>
      row[1] === 0 ? -0 : row[1] === 1 ? Number.NaN : row[1] === 2 ? row[0] / 3 : 2 ** 40;
    assert.deepStrictEqual(await pool.map(odd, rows), rows.map(odd));
    const someText = (row: number[]) => (row[0] === 2999 ? 'last' : row[0]);
    assert.deepStrictEqual(await pool.map(someText, rows), rows.map(someText));
  });

  test('repeated calls reuse the pool’s warm shared memory, and a call holds none once it settled', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [i, -i, i / 2]);
    const sum = (row: number[]) => row[0] + row[1] + row[2];
    const expected = rows.map(sum);
    assert.deepStrictEqual(await pool.map(sum, rows), expected);
    const slabs = slabsOf(pool._arena);
    const allocated = slabs.allocations;
    const idle = slabs.idleBytes;
    assert.ok(idle > 0, 'the call gave its slabs back');
    for (let i = 0; i < 5; i++) assert.deepStrictEqual(await pool.map(sum, rows), expected);
    assert.ok(slabs.allocations - allocated <= 1, 'later calls reuse them');
    assert.ok(slabs.idleBytes <= 2 * idle + 8 * 1024 * 1024, 'memory levels off');
  });

  test('imap over number[] rows takes no shared slabs, so a long input holds none', async () => {
    const slabs = slabsOf(pool._arena);
    const before = slabs.allocations;
    const idle = slabs.idleBytes;
    const rows = Array.from({ length: 5000 }, (_, i) => [i, 1]);
    let sum = 0;
    for await (const x of pool.imap((row: number[]) => row[0] + row[1], rows)) sum += x;
    assert.equal(
      sum,
      rows.reduce((a, [b, c]) => a + b + c, 0),
    );
    assert.equal(slabs.allocations, before);
    assert.equal(slabs.idleBytes, idle);
  });

  test('closing a pool lets go of its idle shared memory', async () => {
    const own = new Pool({ workers: 1 });
    const rows = Array.from({ length: 2000 }, (_, i) => [i, i]);
    await own.map((row: number[]) => row[0] + row[1], rows);
    const slabs = slabsOf(own._arena);
    assert.ok(slabs.idleBytes > 0);
    await own.close();
    assert.equal(slabs.idleBytes, 0);
  });

  test('a caller that changes a row between two calls has the second call see the change', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i, i]);
    const sum = (row: number[]) => row[0] + row[1];
    const first = await pool.map(sum, rows);
    rows[500][1] = -1;
    rows[999] = [0.25, 0.25];
    const second = await pool.map(sum, rows);
    assert.equal(first[500], 1000);
    assert.equal(second[500], 499);
    assert.equal(second[999], 0.5);
  });
});

/** What a task saw of a view: its type, length and values (its offset is the copy's own). */
const describeView = (v: any) => ({
  tag: Object.prototype.toString.call(v),
  length: v.length,
  values: Array.from(v as ArrayLike<number>, (x) => (Object.is(x, -0) ? '-0' : x)),
});

const viewsOf = <T extends { subarray(a: number, b: number): T }>(
  a: T,
  rows: number,
  width: number,
) => Array.from({ length: rows }, (_, r) => a.subarray(r * width, (r + 1) * width));

describe('rows as views of one buffer', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('each view arrives as a view of the same type, length and values', async () => {
    const f = new Float64Array(3000).map((_, i) =>
      i % 7 === 0 ? -0 : i % 11 === 0 ? Number.NaN : i / 8,
    );
    const rows = viewsOf(f, 300, 10);
    const expected = rows.map(describeView);
    assert.deepStrictEqual(await pool.map(describeView, rows), expected);
    // bytes at odd offsets, rows of different lengths, an empty one
    const bytes = new Uint8Array(5000).map((_, i) => i % 251);
    const ragged = [bytes.subarray(3, 40), bytes.subarray(40, 40), bytes.subarray(41, 4999)];
    assert.deepStrictEqual(
      await pool.map(describeView, ragged, { chunksize: 3 }),
      ragged.map(describeView),
    );
    assert.equal(pool._arena.stats().heldBytes, 0, 'released when the call settled');
  });

  test('views of different types or buffers in one chunk still arrive exactly', async () => {
    const buffer = new ArrayBuffer(64 * 1024);
    new Uint8Array(buffer).forEach((_, i, a) => {
      a[i] = i % 256;
    });
    const other = new Int32Array(4096).fill(-5);
    const items = [
      new Int32Array(buffer, 0, 1000),
      new Float32Array(buffer, 4000, 1000),
      new Int32Array(buffer, 8000, 1000),
      other.subarray(10, 20),
      Buffer.from(buffer, 100, 50),
    ];
    const seen = await pool.map(describeView, items, { chunksize: 5 });
    assert.deepStrictEqual(
      seen.map((x) => [x.length, x.values]),
      items.map((v) => [(v as unknown as Int8Array).length, describeView(v).values]),
    );
  });

  test('Node Buffers of one buffer arrive as Uint8Arrays, as structured clone delivers them', async () => {
    const bytes = Buffer.alloc(4096, 0);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
    const rows = Array.from({ length: 64 }, (_, r) => bytes.subarray(r * 64, (r + 1) * 64));
    const seen = await pool.map(describeView, rows, { chunksize: 32 });
    assert.deepStrictEqual(
      seen,
      rows.map((v) => ({ ...describeView(v), tag: '[object Uint8Array]' })),
    );
  });

  test('a chunk mixing views with other values arrives as structured clone delivers it', async () => {
    const m = new Float64Array(1000).map((_, i) => i);
    const items: unknown[] = viewsOf(m, 10, 100);
    items[5] = new DataView(m.buffer, 0, 16);
    items[7] = { not: 'a view' };
    const seen = await pool.map(
      (x: any) => Object.prototype.toString.call(x) + (x.length ?? x.byteLength ?? x.not),
      items,
      { chunksize: 10 },
    );
    assert.deepStrictEqual(
      seen,
      items.map(
        (x: any) => Object.prototype.toString.call(x) + (x.length ?? x.byteLength ?? x.not),
      ),
    );
  });

  test('a row the caller changes between calls is seen changed, and other rows reuse the copy', async () => {
    const m = new Int32Array(200 * 50).map((_, i) => i);
    const rows = viewsOf(m, 200, 50);
    const first = (v: Int32Array) => v[0];
    assert.deepEqual(
      await pool.map(first, rows),
      rows.map((v) => v[0]),
    );
    m[150 * 50] = -1;
    m[199 * 50] = -2;
    const again = await pool.map(first, rows);
    assert.equal(again[150], -1);
    assert.equal(again[199], -2);
    assert.equal(again[149], 149 * 50);
    const counts = pool._arena.stats();
    for (let i = 0; i < 5; i++) await pool.map(first, rows);
    const now = pool._arena.stats();
    assert.ok(now.allocations - counts.allocations <= 1, 'one warm copy');
    assert.ok(now.reuses >= counts.reuses + 5, 'reused by every call');
  });

  test('a write while a call still reads the rows reaches the next call, not the running one', async () => {
    const m = new Float64Array(100 * 100).fill(1);
    const rows = viewsOf(m, 100, 100);
    const slowFirst = async (v: Float64Array) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return v[0];
    };
    const running = pool.map(slowFirst, rows, { chunksize: 10 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    m[99 * 100] = 7; // the last row, which `running` may not have been sent yet
    const next = await pool.map((v: Float64Array) => v[0], rows);
    assert.equal(next[99], 7);
    const before = await running;
    assert.ok(before[99] === 1 || before[99] === 7, 'a chunk sent later reads the array then');
    assert.ok(before.slice(0, 99).every((x) => x === 1));
    assert.equal(pool._arena.stats().heldBytes, 0);
  });

  test('views a task returns keep their values after later calls change the rows', async () => {
    const m = new Int32Array(100 * 100).map((_, i) => i);
    const rows = viewsOf(m, 100, 100);
    const back = await pool.map((v: Int32Array) => v, rows);
    m.fill(-1);
    await pool.map((v: Int32Array) => v[0], rows);
    assert.deepEqual(
      back.map((v) => v[0]),
      rows.map((_, r) => r * 100),
    );
  });

  test('imap, without arena memory, delivers the same views', async () => {
    const m = new Int16Array(64 * 64).map((_, i) => i - 2000);
    const rows = viewsOf(m, 64, 64);
    const out: unknown[] = [];
    for await (const x of pool.imap(describeView, rows)) out.push(x);
    assert.deepStrictEqual(
      out.map((x: any) => [x.tag, x.values]),
      rows.map((v) => [describeView(v).tag, describeView(v).values]),
    );
  });
});

test('the processes backend delivers packed rows with the same values', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const rows = awkwardRows(2000);
    assert.deepStrictEqual(await pool.map(describeRow, rows), expectedOf(rows));
    const items = Array.from({ length: 100 }, (_, i) => [[i], [-0, i / 2]]);
    assert.deepStrictEqual(await pool.map((m: number[][]) => m, items), items);
    const small = Array.from({ length: 300 }, (_, i) => [i % 7, -i, i === 200 ? 40_000 : 3]);
    assert.deepStrictEqual(await pool.map(describeRow, small), expectedOf(small));
    const views = viewsOf(
      new Float64Array(4000).map((_, i) => i / 3),
      100,
      40,
    );
    const seen = await pool.map(describeView, views);
    assert.deepStrictEqual(
      seen.map((x) => [x.tag, x.values]),
      views.map((v) => [describeView(v).tag, describeView(v).values]),
    );
  } finally {
    await pool.close();
  }
});

test('the inline backend hands the task the caller’s own rows, not rebuilt copies', async () => {
  const pool = new Pool({ backend: 'inline', workers: 1 });
  try {
    const rows = Array.from({ length: 500 }, (_, i) => [i, i + 1]);
    const seen: unknown[] = [];
    await pool.map(
      inline((row: number[]) => seen.push(row), { seen }),
      rows,
    );
    assert.equal(seen.length, rows.length);
    assert.ok(seen.every((row, i) => row === rows[i]));
  } finally {
    await pool.close();
  }
});
