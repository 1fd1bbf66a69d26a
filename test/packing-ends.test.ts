import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PACK_ARG_MIN, packItems, packResult, unpackItems } from '../src/codec/pack.js';
import { packRecords, RECORDS_MIN } from '../src/codec/pack-records.js';
import { Pool } from '../src/index.js';

/**
 * The packers read an array's middle and last items before any pass, so an array that ends in
 * something no typed form carries goes to structured clone at once, and numbers with a gap go
 * straight to the form for gaps. These cases check that the shortcut never changes what arrives.
 */

const N = PACK_ARG_MIN * 2;
const numbers = (n = N) => Array.from({ length: n }, (_, i) => i * 0.5);
const at = <T>(xs: unknown[], i: number, value: T) => {
  const out = [...xs];
  out[i < 0 ? out.length + i : i] = value;
  return out;
};
const spelt = (xs: unknown[]) =>
  xs.map((x) =>
    Object.is(x, -0) ? '-0' : x === undefined ? 'undef' : Number.isNaN(x) ? 'NaN' : x,
  );

describe('what an array ends with decides its form before any pass', () => {
  test('a string or an object in the middle or last keeps numbers to clone', () => {
    for (const [name, xs] of [
      ['a string last', at(numbers(), -1, 'x')],
      ['a string in the middle', at(numbers(), N >> 1, 'x')],
      ['an object last', at(numbers(), -1, {})],
      ['a boolean in the middle', at(numbers(), N >> 1, true)],
      ['a string early, numbers at both ends', at(numbers(), 3, 'x')],
    ] as Array<[string, unknown[]]>) {
      assert.equal(packResult(xs), undefined, name);
      assert.equal(packItems(xs), undefined, `${name}, as a map chunk`);
    }
  });

  test('a null or undefined in the middle or last packs as numbers with gaps, exactly', () => {
    for (const [name, xs] of [
      ['null last', at(numbers(), -1, null)],
      ['undefined in the middle', at(numbers(), N >> 1, undefined)],
      ['null early only', at(numbers(), 2, null)],
    ] as Array<[string, unknown[]]>) {
      for (const packed of [packResult(xs), packItems(xs)]) {
        assert.ok(packed && 'z' in packed, name);
        assert.deepStrictEqual(spelt(unpackItems(packed)), spelt(xs), name);
      }
    }
  });

  test('a hole in the middle or last is refused, as clone keeps holes', () => {
    for (const i of [N >> 1, N - 1, 5]) {
      const xs = numbers();
      delete xs[i];
      assert.equal(packResult(xs), undefined, `hole at ${i}`);
      assert.equal(packItems(xs), undefined, `hole at ${i}, as a map chunk`);
    }
  });

  // A hang guard: leading holes were read one by one (a sparse array of 2^31 took minutes).
  test('a sparse array of huge length is refused at its first hole', { timeout: 60_000 }, () => {
    const sparse: unknown[] = [];
    sparse[2 ** 31] = null;
    assert.equal(packResult(sparse), undefined);
    const dates: unknown[] = [];
    dates[2 ** 31] = new Date(0);
    assert.equal(packResult(dates), undefined);
  });

  test('-0, NaN and Infinity at the ends still pack, as doubles', () => {
    const xs = at(
      at(
        Array.from({ length: N }, (_, i) => i),
        -1,
        -0,
      ),
      N >> 1,
      Number.NaN,
    );
    xs[0] = Number.POSITIVE_INFINITY;
    const packed = packResult(xs);
    assert.ok(packed instanceof Float64Array);
    assert.deepStrictEqual(spelt(unpackItems(packed)), spelt(xs));
  });

  test('rows whose middle or last row ends in a non-number are left to clone; an empty last row is not', () => {
    const rows = () => Array.from({ length: 200 }, (_, r) => [r, r + 0.5, r + 1]);
    const last = rows();
    last[199] = [1, 2, 'x' as unknown as number];
    const mid = rows();
    mid[100] = [1, null as unknown as number];
    const early = rows();
    early[1] = ['x' as unknown as number, 1];
    for (const [name, xs] of [
      ['last row', last],
      ['middle row', mid],
      ['an early row', early],
    ] as Array<[string, unknown[]]>) {
      assert.equal(packResult(xs), undefined, name);
      assert.equal(packItems(xs), undefined, `${name}, as a map chunk`);
    }
    const emptyLast = [...rows(), []];
    const packed = packItems(emptyLast);
    assert.ok(packed);
    assert.deepStrictEqual(unpackItems(packed), emptyLast);
  });

  test('Dates with a null last pack; Dates ending in a number, BigInts ending in a number, do not', () => {
    const dates = Array.from({ length: 100 }, (_, i) => new Date(1.7e12 + i));
    const gappy = at(dates, -1, null);
    const packed = packResult(gappy);
    assert.ok(packed && 'd' in packed);
    assert.deepStrictEqual(unpackItems(packed), gappy);
    assert.equal(packResult(at(dates, -1, 5)), undefined);
    assert.equal(packResult(at(dates, 50, 'x')), undefined);
    const bigints = Array.from({ length: 100 }, (_, i) => BigInt(i));
    assert.equal(packResult(at(bigints, -1, 1)), undefined);
  });

  test('records whose middle or last one is of another shape go to clone without a value read', () => {
    const records = () => Array.from({ length: RECORDS_MIN * 4 }, (_, i) => ({ id: i, x: i / 2 }));
    let reads = 0;
    const withGetter = {
      get id() {
        reads++;
        return 1;
      },
      x: 2,
      extra: true,
    };
    for (const [name, xs] of [
      ['a key more last', at(records(), -1, withGetter)],
      ['keys in another order in the middle', at(records(), RECORDS_MIN * 2, { x: 1, id: 2 })],
      ['a key fewer last', at(records(), -1, { id: 1 })],
      ['an array last', at(records(), -1, [1, 2])],
    ] as Array<[string, unknown[]]>) {
      assert.equal(packRecords(xs), undefined, name);
    }
    assert.equal(reads, 0, "the sample reads keys only, so a getter runs once, in clone's pass");
    const same = records();
    const packed = packRecords(same);
    assert.ok(packed);
    assert.deepStrictEqual(unpackItems(packed), same);
  });
});

describe('through a pool', () => {
  const pool = new Pool({ workers: 2 });
  after(() => pool.close());
  const echo = (xs: unknown[]) => xs;

  test('numbers ending in a string, a null or a hole arrive as they were sent', async () => {
    const holed = numbers(20_000);
    delete holed[19_999];
    for (const xs of [
      at(numbers(20_000), -1, 'x'),
      at(numbers(20_000), 10_000, null),
      at(numbers(20_000), -1, undefined),
      holed,
    ]) {
      const out = await pool.apply(echo, xs);
      assert.deepStrictEqual(spelt(out), spelt(xs));
      assert.equal(19_999 in out, 19_999 in xs, 'a hole stays a hole');
      const mapped = await pool.map((x: unknown) => (typeof x === 'number' ? x * 2 : x), xs);
      assert.deepStrictEqual(
        spelt(mapped),
        spelt(Array.from(xs, (x) => (typeof x === 'number' ? x * 2 : x))),
      );
    }
  });
});
