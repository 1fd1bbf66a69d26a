import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PACK_ARG_MIN, packArg, unpackItems } from '../src/codec/pack.js';
import { type PrepareContext, prepareArgs } from '../src/codec/prepare.js';
import { slabsOf } from '../src/codec/slabs.js';
import { delayed, inline, Pool, parallel, spawn } from '../src/index.js';

/** What a task reports about an array it got: plain or not, holes, values with -0 spelt out. */
const describeArray = (a: unknown) => ({
  plainArray: Array.isArray(a) && Object.getPrototypeOf(a) === Array.prototype,
  length: (a as unknown[]).length,
  holes: (a as unknown[]).filter(() => true).length !== (a as unknown[]).length,
  values: (a as unknown[]).map((x) => (Object.is(x, -0) ? '-0' : x)),
});

const ints = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i * 3);
/** Doubles with every awkward value a number can be. */
const awkward = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    i === 7
      ? -0
      : i === 11
        ? Number.NaN
        : i === 13
          ? Number.NEGATIVE_INFINITY
          : i === 17
            ? 2 ** 53
            : i === 19
              ? -(2 ** 31) - 1
              : i / 8,
  );

describe('arrays of numbers in arguments, packed', () => {
  const ctx = (): PrepareContext => ({ maxNbytes: undefined, sharesMemory: true });

  test('a long number[] becomes one typed array; shorter ones and other arrays stay as they are', () => {
    const long = ints(PACK_ARG_MIN);
    const packed = packArg(long, ctx());
    assert.ok(packed);
    const values = Object.values(packed)[0];
    assert.ok(values instanceof Int32Array);
    assert.deepStrictEqual(unpackItems(values), long);
    assert.equal(packArg(ints(PACK_ARG_MIN - 1), ctx()), undefined);
    for (const other of [
      [...ints(PACK_ARG_MIN), 'x'],
      [...ints(PACK_ARG_MIN), 1n],
      [...ints(PACK_ARG_MIN), [1]],
      [...ints(PACK_ARG_MIN), true],
      ['x', ...ints(PACK_ARG_MIN)],
    ])
      assert.equal(packArg(other, ctx()), undefined);
    for (const missing of [null, undefined]) {
      const gap = Object.values(packArg([...ints(PACK_ARG_MIN), missing], ctx())!)[0];
      assert.ok('z' in gap, 'numbers with nulls as numbers and a mask');
    }
    const flags = Array.from({ length: PACK_ARG_MIN }, (_, i) => i % 2 === 0);
    const f = Object.values(packArg(flags, ctx())!)[0] as { f: Uint8Array };
    assert.ok(f.f instanceof Uint8Array);
    assert.deepStrictEqual(unpackItems(f), flags);
    assert.equal(packArg([...flags, 0], ctx()), undefined);
    const holey = ints(PACK_ARG_MIN + 10);
    delete holey[PACK_ARG_MIN];
    assert.equal(packArg(holey, ctx()), undefined, 'a hole is left to structured clone');
  });

  test('the same array twice in one call packs once', () => {
    const a = awkward(2000);
    const c = ctx();
    const out = prepareArgs([a, { again: a }], c) as [object, { again: object }];
    assert.equal(out[0], out[1].again);
  });
});

describe('arrays of numbers crossing to thread workers', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('a task sees plain arrays with the same values: integers, -0, NaN, infinities, big ones', async () => {
    for (const a of [ints(5000), ints(5000, -(2 ** 31) + 3), awkward(5000), ints(PACK_ARG_MIN)])
      assert.deepStrictEqual(await pool.apply(describeArray, a), describeArray(a));
  });

  test('rows and arrays of rows arrive as plain arrays, empty rows included', async () => {
    const rows = Array.from({ length: 300 }, (_, r) => (r % 50 === 0 ? [] : awkward((r % 9) + 4)));
    const matrices = Array.from({ length: 40 }, (_, m) =>
      Array.from({ length: 5 }, (_, r) => ints(8, m * 100 + r)),
    );
    const rowsSeen = (m: unknown[]) => m.map((row) => describeArray(row));
    assert.deepStrictEqual(
      await pool.apply(inline(rowsSeen, { describeArray }), rows),
      rowsSeen(rows),
    );
    assert.deepStrictEqual(await pool.apply((x: unknown) => x, matrices), matrices);
  });

  test('arrays nested in objects and argument lists arrive equal, and the rest as it was', async () => {
    const args = {
      label: 'run 1',
      data: { xs: awkward(3000), ys: ints(3000) },
      list: [ints(1500), 'not numbers', [1, 2, 3]],
      mixed: [...ints(2000), 'x'],
      when: new Date(0),
    };
    assert.deepStrictEqual(await pool.apply((x: unknown) => x, args), args);
    const [a, b] = await pool.apply((x: number[], y: number[]) => [x.length, y[0]], ints(2000), [
      -0,
      ...ints(2000),
    ]);
    assert.equal(a, 2000);
    assert.ok(Object.is(b, -0));
  });

  test('booleans arrive as a plain array of booleans, and come back so', async () => {
    const flags = Array.from({ length: 5000 }, (_, i) => i % 3 === 0);
    assert.deepStrictEqual(await pool.apply(describeArray, flags), describeArray(flags));
    const back = await pool.apply(
      (n: number) => Array.from({ length: n }, (_, i) => i % 2 === 0),
      3000,
    );
    assert.deepStrictEqual(
      back,
      Array.from({ length: 3000 }, (_, i) => i % 2 === 0),
    );
    for (const odd of [
      [...flags, 1],
      [...flags, null],
      [...flags, 'true'],
    ]) {
      assert.deepStrictEqual(await pool.apply(describeArray, odd), describeArray(odd));
    }
  });

  test('an array passed twice arrives as one array, as structured clone delivers it', async () => {
    const a = awkward(4000);
    const same = (x: number[], y: { again: number[] }) => x === y.again;
    assert.equal(await pool.apply(same, a, { again: a }), true);
  });

  test('arrays with holes or other values arrive as structured clone delivers them', async () => {
    const holey = ints(3000);
    delete holey[10];
    const sparse: number[] = [];
    sparse[0] = 1;
    sparse[5_000_000] = 2;
    for (const a of [holey, [...ints(3000), 'x'], [...ints(3000), null], sparse]) {
      assert.deepStrictEqual(await pool.apply(describeArray, a), describeArray(a));
    }
  });

  test('big arrays of numbers a task returns come back equal', async () => {
    const back = (n: number) =>
      Array.from({ length: n }, (_, i) => (i === 5 ? -0 : i === 9 ? Number.NaN : i / 4));
    const got = await pool.apply(back, 5000);
    assert.deepStrictEqual(describeArray(got), describeArray(back(5000)));
    const rows = await pool.apply(
      (n: number) => Array.from({ length: n }, (_, r) => [r, -r, r / 2]),
      2000,
    );
    assert.deepStrictEqual(
      rows,
      Array.from({ length: 2000 }, (_, r) => [r, -r, r / 2]),
    );
    const mapped = await pool.map(
      (n: number) => Array.from({ length: 600 }, (_, i) => n + i),
      [1, 2, 3],
    );
    assert.deepStrictEqual(
      mapped[2],
      Array.from({ length: 600 }, (_, i) => 3 + i),
    );
  });

  test('a caller that writes into the array between calls has the next call see it', async () => {
    const a = ints(10_000);
    const sum = (x: number[]) => x.reduce((s, v) => s + v, 0);
    const first = await pool.apply(sum, a);
    a[9999] = 0.5;
    a[0] = -7;
    const second = await pool.apply(sum, a);
    assert.equal(second, first - 3 * 9999 + 0.5 - 7);
    // A shorter array into memory an earlier, longer one used: no stale values past its end.
    assert.deepStrictEqual(await pool.apply(describeArray, ints(2000)), describeArray(ints(2000)));
  });

  test('a call’s shared memory goes back when it settles, and repeated calls reuse it', async () => {
    const slabs = slabsOf(pool._arena);
    const a = awkward(200_000);
    const len = (x: number[]) => x.length;
    await pool.apply(len, a);
    const allocated = slabs.allocations;
    const idle = slabs.idleBytes;
    assert.ok(idle >= a.length * 8, 'the call gave its memory back');
    for (let i = 0; i < 5; i++) assert.equal(await pool.apply(len, a), a.length);
    await Promise.all([pool.apply(len, a), pool.apply(len, a)]);
    assert.ok(slabs.allocations - allocated <= 1, 'later calls reuse it');
    assert.ok(slabs.idleBytes <= 2 * idle + 8 * 1024 * 1024, 'memory levels off');
  });

  test('a call whose array turned out not to pack gives back the memory it tried with', async () => {
    const slabs = slabsOf(pool._arena);
    // Rows of numbers with a string inside a late row: packing writes most of them before the
    // string refuses the array, which then crosses by structured clone.
    const rows = Array.from({ length: 1000 }, (_, r) =>
      Array.from({ length: 500 }, (_, i) => (r === 700 && i === 7 ? 'x' : r + i * 0.5)),
    );
    const count = (xs: unknown[][]) => xs.reduce((n, row) => n + row.length, 0);
    assert.equal(await pool.apply(count, rows), 500_000);
    const allocated = slabs.allocations;
    for (let i = 0; i < 5; i++) assert.equal(await pool.apply(count, rows), 500_000);
    assert.ok(
      slabs.allocations - allocated <= 1,
      `later calls reuse the memory (${slabs.allocations - allocated} new slabs in 5 calls)`,
    );
  });

  test('a task that fails leaves its memory to no later call, and the next call is right', async () => {
    const slabs = slabsOf(pool._arena);
    const idle = slabs.idleBytes;
    await assert.rejects(
      pool.apply((x: number[]) => {
        throw new Error(`saw ${x.length}`);
      }, ints(100_000)),
      /saw 100000/,
    );
    assert.ok(slabs.idleBytes <= idle, 'the failed call’s memory was not given back for reuse');
    assert.deepStrictEqual(await pool.apply(describeArray, ints(3000)), describeArray(ints(3000)));
  });

  test('map items, parallel and graph calls carrying arrays of numbers see them whole', async () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ id: i, xs: ints(1500, i) }));
    const total = (o: { id: number; xs: number[] }) => o.xs.reduce((s, v) => s + v, o.id);
    assert.deepStrictEqual(await pool.map(total, items), items.map(total));
    const sum = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
    const xs = awkward(3000).map((x) => (Number.isFinite(x) ? x : 1));
    const [viaParallel] = await parallel({ pool })([delayed(sum)(xs)]);
    assert.equal(viaParallel, sum(xs));
    assert.equal(await pool.compute(delayed(sum)(xs)), sum(xs));
  });
});

test('spawn hands its task arrays of numbers and records whole, and takes its result back', async () => {
  const xs = awkward(3000);
  const rows = Array.from({ length: 100 }, (_, i) => ({ i, half: i / 2 }));
  for (const backend of ['threads', 'processes'] as const) {
    const worker = spawn(
      inline((a: number[], r: { i: number }[]) => [describeArray(a), r.length, a], {
        describeArray,
      }),
      [xs, rows],
      { backend },
    );
    const [seen, n, back] = (await worker.join({ timeout: 60_000 })) as [unknown, number, number[]];
    assert.deepStrictEqual(seen, describeArray(xs), backend);
    assert.equal(n, 100);
    assert.deepStrictEqual(describeArray(back), describeArray(xs));
  }
});

test('the processes backend delivers arrays of numbers and their results exactly', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    for (const a of [ints(4000), awkward(4000)])
      assert.deepStrictEqual(await pool.apply(describeArray, a), describeArray(a));
    const rows = Array.from({ length: 500 }, (_, r) => [r, -0, r / 3]);
    assert.deepStrictEqual(await pool.apply((x: unknown) => x, { rows }), { rows });
    const back = await pool.apply((n: number) => Array.from({ length: n }, (_, i) => i / 2), 3000);
    assert.deepStrictEqual(
      back,
      Array.from({ length: 3000 }, (_, i) => i / 2),
    );
  } finally {
    await pool.close();
  }
});

test('the inline backend hands the task the caller’s own array, and its result back as it is', async () => {
  const pool = new Pool({ backend: 'inline', workers: 1 });
  try {
    const a = ints(5000);
    const seen: unknown[] = [];
    const result = await pool.apply(
      inline(
        (x: number[]) => {
          seen.push(x);
          return x;
        },
        { seen },
      ),
      a,
    );
    assert.equal(seen[0], a);
    assert.equal(result, a);
  } finally {
    await pool.close();
  }
});

describe('arrays of views crossing to thread workers', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  const seenViews = (vs: ArrayLike<number>[]) => ({
    tags: [...new Set(Array.from(vs, (v) => Object.prototype.toString.call(v)))],
    oneBuffer: new Set(Array.from(vs, (v) => (v as Float64Array).buffer)).size === 1,
    values: Array.from(vs, (v) => Array.from(v, (x) => (Object.is(x, -0) ? '-0' : x))),
  });

  test('rows as views of one buffer arrive as views of one type over one copy, values equal', async () => {
    const matrix = new Float64Array(3000).map((_, i) => (i === 5 ? -0 : i / 3));
    const rows = Array.from({ length: 300 }, (_, r) => matrix.subarray(r * 10, r * 10 + 10));
    const seen = await pool.apply(inline(seenViews, {}), rows);
    assert.deepStrictEqual(seen, seenViews(rows));
    assert.deepStrictEqual(seen.tags, ['[object Float64Array]']);
    const ints = new Int16Array(999).map((_, i) => i - 500);
    const odd = Array.from({ length: 333 }, (_, r) => ints.subarray(r * 3, r * 3 + 3));
    assert.deepStrictEqual(await pool.apply(inline(seenViews, {}), odd), seenViews(odd));
  });

  test('views of several buffers or types, or a DataView among them, still arrive exactly', async () => {
    const a = new Float32Array(400).map((_, i) => i);
    const b = new Float32Array(400).map((_, i) => -i);
    const mixed = [a.subarray(0, 100), b.subarray(0, 100), a.subarray(100, 200)];
    assert.deepStrictEqual(await pool.apply(inline(seenViews, {}), mixed), seenViews(mixed));
    // Views of one buffer but two types go one by one, each its own copy (README).
    const types = [new Int32Array(a.buffer, 0, 10), new Uint8Array(a.buffer, 40, 10)];
    const seen = await pool.apply(inline(seenViews, {}), types);
    assert.deepStrictEqual(
      [seen.tags, seen.values],
      [seenViews(types).tags, seenViews(types).values],
    );
    const withDataView = [new DataView(a.buffer, 0, 8), a.subarray(10, 12)];
    const tags = await pool.apply(
      (vs: unknown[]) => vs.map((v) => Object.prototype.toString.call(v)),
      withDataView,
    );
    assert.deepStrictEqual(tags, ['[object DataView]', '[object Float32Array]']);
  });

  test('a row the caller changes between calls is seen changed', async () => {
    const matrix = new Int32Array(2000).map((_, i) => i);
    const rows = Array.from({ length: 200 }, (_, r) => matrix.subarray(r * 10, r * 10 + 10));
    const sums = (vs: Int32Array[]) => vs.map((v) => v.reduce((s, x) => s + x, 0));
    const first = await pool.apply(sums, rows);
    matrix[1995] = 0;
    const second = await pool.apply(sums, rows);
    assert.equal(second[199], first[199] - 1995);
    assert.deepStrictEqual(second.slice(0, 199), first.slice(0, 199));
  });
});
