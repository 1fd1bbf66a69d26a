import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { packItems, unpackItems } from '../src/codec/pack.js';
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
      [long, [1, null]],
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

test('the processes backend delivers packed rows with the same values', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const rows = awkwardRows(2000);
    assert.deepStrictEqual(await pool.map(describeRow, rows), expectedOf(rows));
    const items = Array.from({ length: 100 }, (_, i) => [[i], [-0, i / 2]]);
    assert.deepStrictEqual(await pool.map((m: number[][]) => m, items), items);
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
