import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PACK_ARG_MIN, packResult, unpackItems } from '../src/codec/pack.js';
import { packRecords, RECORDS_MIN, unpackRecords } from '../src/codec/pack-records.js';
import { Pool } from '../src/index.js';

const dates = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    i === 3 ? new Date(Number.NaN) : new Date(i % 2 ? 1.7e12 + i * 1000 : -8.64e15 + i),
  );

/** Dates as deepStrictEqual can compare them: it finds an invalid Date unequal to itself. */
const times = (xs: unknown[]) =>
  xs.map((d) =>
    d instanceof Date ? `${Object.getPrototypeOf(d) === Date.prototype}:${d.getTime()}` : d,
  );

/** Numbers with gaps: null and undefined, -0, NaN, Infinity, integers or not. */
const gappy = (n: number, ints = false) =>
  Array.from({ length: n }, (_, i) =>
    i % 10 === 0
      ? null
      : i % 17 === 0
        ? undefined
        : ints
          ? i * 3
          : i === 5
            ? -0
            : i === 7
              ? Number.NaN
              : i === 9
                ? Number.POSITIVE_INFINITY
                : i * 0.5,
  );

/** What deepStrictEqual cannot tell apart: -0 and NaN spelt out, undefined kept. */
const spelt = (xs: unknown[]) =>
  xs.map((x) =>
    Object.is(x, -0) ? '-0' : x === undefined ? 'undef' : Number.isNaN(x) ? 'NaN' : x,
  );

/** Unpacks, and checks the caller's array was not touched on the way. */
const roundTrip = (xs: unknown[]) => {
  const before = times(spelt(xs));
  const packed = packResult(xs);
  assert.ok(packed, 'packed');
  assert.deepStrictEqual(times(spelt(xs)), before);
  return { packed, out: unpackItems(packed) };
};

describe('Dates and numbers with nulls pack into typed memory', () => {
  test('Dates arrive as structured clone gives them: time values, invalid ones too, nothing else', () => {
    const xs = dates(100);
    (xs[8] as Date & { note?: string }).note = 'an own property clone drops too';
    const { packed, out } = roundTrip(xs);
    assert.ok('d' in packed && packed.d instanceof Float64Array);
    const cloned = structuredClone(xs);
    assert.deepStrictEqual(times(out), times(cloned));
    assert.deepStrictEqual(
      out.map((d) => Object.keys(d as object)),
      cloned.map((d) => Object.keys(d)),
    );
    assert.ok(out.every((d) => Object.getPrototypeOf(d) === Date.prototype));
    assert.ok(Number.isNaN((out[3] as Date).getTime()));
    assert.notEqual(out[0], xs[0], 'new Dates, not the caller’s');
  });

  test('Dates with nulls and undefineds among them pack with a mask; a hole or a number does not', () => {
    const xs: unknown[] = dates(200);
    for (let i = 1; i < xs.length; i += 9) xs[i] = i % 2 ? undefined : null;
    const { packed, out } = roundTrip(xs);
    assert.ok('d' in packed && packed.z instanceof Uint8Array);
    assert.deepStrictEqual(times(out), times(xs));
    assert.ok(1 in out && out[1] === undefined && out[10] === null);
    const leading = [null, undefined, ...dates(PACK_ARG_MIN)];
    assert.deepStrictEqual(times(roundTrip(leading).out), times(leading));
    const holed = dates(100) as unknown[];
    delete holed[50];
    assert.equal(packResult(holed), undefined, 'a hole');
    assert.equal(packResult([...dates(100), 1]), undefined, 'a number');
    const led = [null, ...dates(40)];
    assert.deepStrictEqual(times(roundTrip(led).out), times(led));
    assert.equal(packResult([null, ...dates(30)]), undefined, 'too few');
  });

  test('a Date of a subclass, a Date with its getTime replaced, or another object keeps the array to clone', () => {
    class Stamp extends Date {}
    const sub = dates(50);
    sub[20] = new Stamp(0);
    assert.equal(packResult(sub), undefined, 'subclass');
    const mixed: unknown[] = dates(50);
    mixed[49] = { at: 1 };
    assert.equal(packResult(mixed), undefined, 'an object');
    const own = dates(50);
    Object.defineProperty(own[10], 'getTime', { value: () => 42 });
    assert.equal((unpackItems(packResult(own)!)[10] as Date).getTime(), 10 - 8.64e15);
  });

  test('numbers with null and undefined: values, -0, NaN and which is missing survive, ints stay ints', () => {
    const { packed, out } = roundTrip(gappy(PACK_ARG_MIN * 2));
    assert.ok('v' in packed && 'z' in packed && packed.v instanceof Float64Array);
    assert.deepStrictEqual(spelt(out), spelt(gappy(PACK_ARG_MIN * 2)));
    assert.equal(out.length, PACK_ARG_MIN * 2);
    assert.ok(5 in out && out[17] === undefined && 17 in out);
    const ints = roundTrip(gappy(PACK_ARG_MIN, true));
    assert.ok('v' in ints.packed && ints.packed.v instanceof Int32Array);
    assert.deepStrictEqual(ints.out, gappy(PACK_ARG_MIN, true));
    const leadingNulls = [null, null, ...gappy(PACK_ARG_MIN)];
    assert.deepStrictEqual(spelt(roundTrip(leadingNulls).out), spelt(leadingNulls));
  });

  test('a hole, a string, a boolean, all missing, or too few are left to clone', () => {
    const holed = gappy(PACK_ARG_MIN);
    delete holed[40];
    const cases: Array<[string, unknown[]]> = [
      ['a hole', holed],
      ['a string', [...gappy(PACK_ARG_MIN), 'x']],
      ['a boolean', [null, ...gappy(PACK_ARG_MIN), true]],
      ['nulls then strings', [null, 'a', ...gappy(PACK_ARG_MIN)]],
      ['all null', new Array(PACK_ARG_MIN).fill(null)],
      ['too few', gappy(PACK_ARG_MIN - 1)],
    ];
    for (const [name, xs] of cases) assert.equal(packResult(xs), undefined, name);
  });

  test('BigInts of 64 bits pack as a BigInt64Array; a wider one, or another value, keeps the array to clone', () => {
    const big = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        i === 0 ? 2n ** 63n - 1n : i === 1 ? -(2n ** 63n) : BigInt(i) * -1_000_003n,
      );
    const { packed, out } = roundTrip(big(100));
    assert.ok('g' in packed && packed.g instanceof BigInt64Array);
    assert.deepStrictEqual(out, big(100));
    assert.equal(packResult([...big(100), 2n ** 63n]), undefined, 'one past 64 bits');
    assert.equal(packResult([...big(100), 1]), undefined, 'a number among them');
    assert.equal(packResult(big(31)), undefined, 'too few');
  });

  test('records with a Date column and a column of numbers with nulls pack by column', () => {
    const xs = Array.from({ length: RECORDS_MIN * 4 }, (_, i) => ({
      id: i,
      at: new Date(1.7e12 + i),
      score: i % 3 === 0 ? null : i / 4,
      name: i % 5 ? `n${i}` : null,
    }));
    const packed = packRecords(xs)!;
    assert.ok(packed, 'packed');
    const [, at, score, name] = packed.c;
    assert.ok('d' in at, 'Dates as time values');
    assert.ok('z' in score, 'numbers with nulls and a mask');
    assert.ok(Array.isArray(name), 'strings with nulls stay an array');
    assert.deepStrictEqual(unpackRecords(packed), xs);
    const ids = xs.map((x) => ({ ...x, id: BigInt(x.id) << 40n }));
    const byBigInt = packRecords(ids)!;
    assert.ok('g' in byBigInt.c[0], 'a column of BigInts as a BigInt64Array');
    assert.deepStrictEqual(unpackRecords(byBigInt), ids);
    const optional = xs.map((x, i) => ({
      ...x,
      at: i % 7 === 0 ? null : i === 8 ? undefined : x.at,
    }));
    const withGaps = packRecords(optional)!;
    assert.ok(
      'd' in withGaps.c[1] && 'z' in withGaps.c[1],
      'optional Dates: time values and a mask',
    );
    assert.deepStrictEqual(unpackRecords(withGaps), optional);
    const mixed = xs.map((x, i) => ({ ...x, at: i === 9 ? 5 : x.at }));
    assert.equal(packRecords(mixed), undefined, 'a Date in one record and a number in another');
    const late = xs.map((x, i) => ({ ...x, at: i === 9 ? x.at : i === 3 ? 'x' : null }));
    assert.equal(packRecords(late), undefined, 'a string, then a Date');
  });

  describe('on thread workers', () => {
    const pool = new Pool({ workers: 2 });
    after(() => pool.close());
    const echo = (a: unknown) => a as unknown[];

    test('a task sees the Dates it was given, from a call, a map and a result', async () => {
      const xs = dates(5000);
      assert.deepStrictEqual(times(await pool.apply(echo, xs)), times(xs));
      assert.deepStrictEqual(times(await pool.map(echo, xs)), times(xs));
      assert.deepStrictEqual(
        await pool.map((d: Date) => d.getUTCFullYear(), xs, { chunksize: 300 }),
        xs.map((d) => d.getUTCFullYear()),
      );
      const made = await pool.apply(
        (n: number) => Array.from({ length: n }, (_, i) => new Date(i * 86_400_000)),
        3000,
      );
      assert.ok(made.every((d, i) => d instanceof Date && d.getTime() === i * 86_400_000));
      const rows = Array.from({ length: 500 }, (_, i) => ({
        id: i,
        at: i % 3 ? new Date(i) : null,
      }));
      assert.deepStrictEqual(await pool.apply(echo, rows), rows);
    });

    test('a task sees the BigInts it was given, and returns them, from a call and a map', async () => {
      const xs = Array.from({ length: 4000 }, (_, i) => BigInt(i) ** 3n - 7n);
      assert.deepStrictEqual(await pool.apply(echo, xs), xs);
      assert.deepStrictEqual(
        await pool.map((x: bigint) => x * 2n, xs),
        xs.map((x) => x * 2n),
      );
    });

    test('a task sees numbers with nulls as they were, from a call and a map', async () => {
      const xs = gappy(20_000);
      assert.deepStrictEqual(spelt(await pool.apply(echo, xs)), spelt(xs));
      assert.deepStrictEqual(
        spelt(await pool.map((x: number | null | undefined) => (x == null ? x : x * 2), xs)),
        spelt(xs.map((x) => (x == null ? x : x * 2))),
      );
      const typed = await pool.map((x: unknown) => (x === null ? 'null' : typeof x), xs);
      assert.deepStrictEqual(
        typed,
        xs.map((x) => (x === null ? 'null' : typeof x)),
      );
    });
  });
});

test('the processes backend delivers Dates and numbers with nulls exactly', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const xs = dates(3000);
    assert.deepStrictEqual(times(await pool.apply((a: unknown[]) => a, xs)), times(xs));
    const ys = gappy(5000);
    assert.deepStrictEqual(spelt(await pool.apply((a: unknown[]) => a, ys)), spelt(ys));
    assert.deepStrictEqual(
      spelt(await pool.map((d: Date) => d.getTime(), xs)),
      spelt(xs.map((d) => d.getTime())),
    );
  } finally {
    await pool.close();
  }
});
