import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { packRecords, RECORDS_MIN, unpackRecords } from '../src/codec/pack-records.js';
import { inline, Pool } from '../src/index.js';

/** Records as a program reads them from JSON or a database, with every awkward value. */
const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    score: i === 3 ? -0 : i === 4 ? Number.NaN : i / 4,
    name: i % 5 === 0 ? '' : `name ${i} ✓`,
    ok: i % 2 === 0,
    note: i % 3 === 0 ? null : undefined,
    big: BigInt(i) * 10n ** 20n,
  }));

/** What a task reports of the objects it got: prototype, keys in order, values (-0 spelt out). */
const describeObjects = (xs: unknown[]) =>
  xs.map((o) => ({
    proto: Object.getPrototypeOf(o) === Object.prototype,
    keys: Object.keys(o as object),
    values: Object.values(o as object).map((v) =>
      Object.is(v, -0) ? '-0' : typeof v === 'bigint' ? `${v}n` : v,
    ),
  }));

describe('records packed by column', () => {
  test('objects of one shape pack by column and unpack to equal objects, keys in order', () => {
    const xs = records(100);
    const packed = packRecords(xs);
    assert.ok(packed);
    assert.deepStrictEqual(packed.k, ['id', 'score', 'name', 'ok', 'note', 'big']);
    assert.ok(packed.c[0] instanceof Int32Array, 'integers as an Int32Array');
    assert.ok(packed.c[1] instanceof Float64Array, 'a -0 or fraction as a Float64Array');
    assert.deepStrictEqual(describeObjects(unpackRecords(packed)), describeObjects(xs));
  });

  test('a number column with another value in it goes on as a plain array, with nulls as a mask', () => {
    const xs = Array.from({ length: 50 }, (_, i) => ({ v: i === 40 ? 'x' : i, w: 'x' }));
    const packed = packRecords(xs)!;
    assert.ok(Array.isArray(packed.c[0]));
    assert.deepStrictEqual(unpackRecords(packed), xs);
    const gaps = Array.from({ length: 50 }, (_, i) => ({ v: i === 40 ? null : i, w: 'x' }));
    const masked = packRecords(gaps)!;
    assert.ok('z' in masked.c[0], 'numbers and which are null');
    assert.deepStrictEqual(unpackRecords(masked), gaps);
  });

  test('anything but records of one shape is left to structured clone', () => {
    const base = () => records(RECORDS_MIN) as unknown[];
    const cases: Array<[string, (xs: unknown[]) => void]> = [
      ['too few', (xs) => xs.pop()],
      ['keys in another order', (xs) => (xs[9] = { score: 1, id: 2 })],
      ['a key more', (xs) => ((xs[9] as Record<string, unknown>).extra = 1)],
      ['a key less', (xs) => delete (xs[9] as Record<string, unknown>).big],
      ['an object value', (xs) => ((xs[9] as Record<string, unknown>).name = { first: 'a' })],
      ['an object value in the first', (xs) => ((xs[0] as Record<string, unknown>).ok = [true])],
      ['an array value', (xs) => ((xs[9] as Record<string, unknown>).name = [1])],
      ['a symbol value', (xs) => ((xs[9] as Record<string, unknown>).name = Symbol('s'))],
      ['a class instance', (xs) => (xs[9] = Object.assign(new (class Row {})(), xs[8]))],
      ['a Date', (xs) => (xs[9] = new Date())],
      ['an array', (xs) => (xs[9] = [])],
      ['a primitive', (xs) => (xs[9] = 5)],
      ['a __proto__ key', (xs) => (xs[0] = JSON.parse('{"__proto__": 1}'))],
    ];
    for (const [name, spoil] of cases) {
      const xs = base();
      spoil(xs);
      assert.equal(packRecords(xs), undefined, name);
    }
  });

  test('each getter runs once, as under structured clone', () => {
    let reads = 0;
    const xs = Array.from({ length: 40 }, (_, i) => ({
      i,
      get v() {
        reads++;
        return i * 2;
      },
    }));
    const out = unpackRecords(packRecords(xs)!);
    assert.equal(reads, xs.length);
    assert.deepStrictEqual(out, structuredClone(xs));
  });

  test('objects of null prototype pack, and arrive as structured clone gives them', () => {
    const xs = Array.from({ length: 40 }, (_, i) => Object.assign(Object.create(null), { i }));
    const out = unpackRecords(packRecords(xs)!);
    assert.deepStrictEqual(out, structuredClone(xs));
  });

  test('where code generation is refused, records are still rebuilt exactly', () => {
    const script = `
      import { packRecords, unpackRecords } from './src/codec/pack-records.ts';
      const xs = Array.from({ length: 40 }, (_, i) => ({ a: i, 'b c': String(i) }));
      process.stdout.write(JSON.stringify([unpackRecords(packRecords(xs)), xs]));`;
    const out = execFileSync(
      process.execPath,
      [
        '--disallow-code-generation-from-strings',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8' },
    );
    const [got, want] = JSON.parse(out);
    assert.deepStrictEqual(got, want);
  });

  test('a key inherited from a polluted Object.prototype stops packing', () => {
    (Object.prototype as Record<string, unknown>).polluted = 1;
    try {
      assert.equal(packRecords(records(50)), undefined);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
});

describe('records crossing to thread workers', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());
  const seen = inline((xs: unknown[]) => describeObjects(xs), { describeObjects });
  const seenOne = inline((o: unknown) => describeObjects([o])[0], { describeObjects });

  test('a task sees plain objects with the same keys in order and the same values', async () => {
    const xs = records(3000);
    assert.deepStrictEqual(await pool.apply(seen, xs), describeObjects(xs));
    assert.deepStrictEqual(await pool.map(seenOne, xs), describeObjects(xs));
    assert.deepStrictEqual(await pool.map(seenOne, xs, { chunksize: 100 }), describeObjects(xs));
  });

  test('integer-like keys, odd key strings and getters arrive as structured clone delivers them', async () => {
    const xs = Array.from({ length: 200 }, (_, i) => ({
      2: 'two',
      1: i,
      'a "quoted" key\n': i % 2,
      '': 'empty',
      get computed() {
        return i * 2;
      },
    }));
    assert.deepStrictEqual(await pool.apply(seen, xs), describeObjects(structuredClone(xs)));
  });

  test('objects of other shapes in one array still arrive exactly', async () => {
    const xs = records(500) as unknown[];
    xs[250] = { id: 1, pos: { x: 1, y: 2 } };
    xs[251] = new Map([[1, 2]]);
    assert.deepStrictEqual(await pool.apply((a: unknown) => a, xs), xs);
    assert.deepStrictEqual(await pool.map((a: unknown) => a, xs), xs);
  });

  test('records a task returns come back equal, from a call and from a map', async () => {
    const make = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ i, half: i / 2, tag: i % 2 ? 'odd' : null }));
    assert.deepStrictEqual(await pool.apply(make, 2000), make(2000));
    const items = Array.from({ length: 5000 }, (_, i) => i);
    const square = (i: number) => ({ i, sq: i * i, neg: -0, s: `${i}` });
    assert.deepStrictEqual(
      describeObjects(await pool.map(square, items)),
      describeObjects(items.map(square)),
    );
  });

  test('a getter that throws fails the call with SPINDLE_CLONE at the item’s place in the input', async () => {
    const xs = records(3000);
    Object.defineProperty(xs[2100], 'name', {
      enumerable: true,
      get() {
        throw new Error('no name');
      },
    });
    const error = { code: 'SPINDLE_CLONE', message: /items\[2100\]\.name.*no name/ };
    await assert.rejects(
      pool.map((o: { id: number }) => o.id, xs),
      error,
    );
    await assert.rejects(
      pool.map((o: { id: number }) => o.id, xs, { chunksize: 1000 }),
      error,
    );
    await assert.rejects(
      pool.apply((a: unknown[]) => a.length, xs),
      {
        code: 'SPINDLE_CLONE',
        message: /args\[0\]\[2100\]\.name/,
      },
    );
  });

  test('a symbol among the values fails the call as structured clone would, with its path', async () => {
    const xs = records(100) as Array<Record<string, unknown>>;
    xs[60].name = Symbol('no');
    await assert.rejects(
      pool.apply((a: unknown[]) => a.length, xs),
      {
        code: 'SPINDLE_CLONE',
        message: /args\[0\]\[60\]\.name/,
      },
    );
  });
});

test('the processes backend delivers records exactly', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const xs = records(1000);
    const seen = inline((a: unknown[]) => describeObjects(a), { describeObjects });
    assert.deepStrictEqual(await pool.apply(seen, xs), describeObjects(xs));
    assert.deepStrictEqual(
      await pool.map((o: { id: number; name: string }) => `${o.id}:${o.name}`, xs),
      xs.map((o) => `${o.id}:${o.name}`),
    );
  } finally {
    await pool.close();
  }
});

test('the inline backend hands the task the caller’s own objects', async () => {
  const pool = new Pool({ backend: 'inline', workers: 1 });
  try {
    const xs = records(100);
    const got: unknown[] = [];
    await pool.map(
      inline((o: unknown) => got.push(o), { got }),
      xs,
    );
    assert.ok(got.every((o, i) => o === xs[i]));
  } finally {
    await pool.close();
  }
});
