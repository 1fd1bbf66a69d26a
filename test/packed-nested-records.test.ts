import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { packRecords, RECORDS_MIN, unpackRecords } from '../src/codec/pack-records.js';
import { Pool } from '../src/index.js';

/** JSON's usual shape: arrays of primitives and objects inside each record, awkward values too. */
const people = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    tags: i % 4 === 0 ? [] : [`t${i % 7}`, i % 3 ? 'x' : undefined, null],
    pos: [i, i === 5 ? -0 : 0.5, i === 6 ? Number.NaN : -i],
    address: { city: `city ${i % 11} ✓`, zip: 10_000 + i, geo: { lat: i / 8, ok: i % 2 === 0 } },
  }));

/** Records as deepStrictEqual cannot tell: -0 and holes spelt out (it compares -0 equal to 0). */
const spelt = (value: unknown): unknown =>
  JSON.stringify(value, (_, v) => (Object.is(v, -0) ? '-0' : v));

describe('records with objects and arrays inside', () => {
  test('pack by column, objects inside as records and number arrays as rows, and unpack equal', () => {
    const xs = people(200);
    const packed = packRecords(xs);
    assert.ok(packed, 'packed');
    const [, tags, pos, address] = packed.c;
    assert.ok(Array.isArray(tags), 'arrays of strings stay arrays');
    assert.ok('v' in pos && pos.v instanceof Float64Array, 'arrays of numbers as rows of values');
    assert.ok('k' in address && address.k.join() === 'city,zip,geo', 'objects inside as records');
    const out = unpackRecords(packed);
    assert.deepStrictEqual(out, xs);
    assert.equal(spelt(out), spelt(xs));
    assert.ok(Object.is(out[5].pos[1], -0));
  });

  test('holes and named properties of arrays of other values survive, as structured clone keeps them', () => {
    const holed = () => {
      const v: (string | number)[] = [1];
      v[2] = 'a';
      return v;
    };
    const xs = Array.from({ length: RECORDS_MIN }, (_, i) => ({ id: i, v: holed() }));
    const named = Object.assign(['p'], { extra: 1 });
    xs[3].v = named as unknown as (string | number)[];
    const out = unpackRecords(packRecords(xs)!);
    assert.deepStrictEqual(out, xs);
    assert.ok(!(1 in out[0].v), 'the hole is still a hole');
  });

  test('anything inside that may need preparing, or is of two shapes, is left to structured clone', () => {
    const base = () => people(RECORDS_MIN) as Array<Record<string, any>>;
    const cases: Array<[string, (xs: Array<Record<string, any>>) => void]> = [
      ['an object in one, null in another', (xs) => (xs[9].address = null)],
      ['objects inside of two shapes', (xs) => (xs[9].address = { city: 'x' })],
      ['a Date inside', (xs) => (xs[9].address.geo.lat = new Date())],
      ['a view inside', (xs) => (xs[9].address.zip = new Float64Array(2))],
      ['a view in an inner array', (xs) => (xs[9].pos = [new Uint8Array(1)])],
      ['an object in an inner array', (xs) => (xs[9].tags = [{ a: 1 }])],
      ['an array in an inner array', (xs) => (xs[9].tags = [[1]])],
      ['an array where others have objects', (xs) => (xs[9].address = [])],
      ['an inner array too long to check', (xs) => (xs[9].tags = new Array(10_000).fill('a'))],
      [
        'an empty object inside',
        (xs) => {
          for (const x of xs) x.address = {};
        },
      ],
    ];
    for (const [name, spoil] of cases) {
      const xs = base();
      spoil(xs);
      assert.equal(packRecords(xs), undefined, name);
    }
    const deep = Array.from({ length: RECORDS_MIN }, () => ({
      a: { b: { c: { d: { e: { f: 1 } } } } },
    }));
    assert.equal(packRecords(deep), undefined, 'objects nested past MAX_NESTING');
    const four = Array.from({ length: RECORDS_MIN }, () => ({ a: { b: { c: { d: { e: 1 } } } } }));
    assert.deepStrictEqual(unpackRecords(packRecords(four)!), four);
  });

  describe('on thread workers', () => {
    const pool = new Pool({ workers: 2 });
    after(() => pool.close());
    const echo = (a: unknown) => a;

    test('a task sees exactly the records it was given, from a call and from a map', async () => {
      const xs = people(3000);
      const got = await pool.apply(echo, xs);
      assert.deepStrictEqual(got, xs);
      assert.equal(spelt(got), spelt(xs));
      assert.deepStrictEqual(await pool.map(echo, xs), xs);
      assert.deepStrictEqual(await pool.map(echo, xs, { chunksize: 100 }), xs);
    });

    test('records a task returns with objects inside come back equal', async () => {
      assert.deepStrictEqual(await pool.apply(people, 2000), people(2000));
    });

    test('a view deep inside one record still arrives as a view of its own bytes', async () => {
      const xs = people(500) as Array<Record<string, any>>;
      const big = new Float64Array(1000).fill(7);
      xs[250].address.geo.lat = big.subarray(10, 12);
      const got = (await pool.apply(echo, xs)) as typeof xs;
      assert.ok(got[250].address.geo.lat instanceof Float64Array);
      assert.equal(got[250].address.geo.lat.buffer.byteLength, 16);
      assert.deepStrictEqual(got, xs);
    });
  });
});

test('the processes backend delivers records with objects inside exactly', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const xs = people(1000);
    assert.deepStrictEqual(await pool.apply((a: unknown) => a, xs), xs);
    assert.deepStrictEqual(
      await pool.map((o: { address: { zip: number } }) => o.address.zip, xs),
      xs.map((o) => o.address.zip),
    );
  } finally {
    await pool.close();
  }
});
