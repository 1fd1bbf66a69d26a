import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Arena } from '../src/codec/arena.js';
import { type PackedStrings, packStrings, stringReader } from '../src/codec/pack-strings.js';
import type { PrepareContext } from '../src/codec/prepare.js';
import { releaseSlabs, slabLease, slabsOf } from '../src/codec/slabs.js';
import { Pool } from '../src/index.js';

/** Strings of every awkward kind JavaScript can hold, among plain ASCII ones. */
function awkwardStrings(n: number): string[] {
  const odd = [
    '',
    'é',
    'naïve café',
    '😀',
    'x😀y',
    '\ud800',
    'a\udc00b',
    '\udc00\ud800',
    '\u0000nul',
    '中文字符',
    '\uffff',
    'ÿ',
  ];
  return Array.from({ length: n }, (_, i) =>
    i % 5 === 0 ? odd[(i / 5) % odd.length] : `word ${i} `.repeat(i % 9),
  );
}

/** What a task reports about the string it got: its type and every UTF-16 code unit. */
const describeText = (text: unknown) => ({
  type: typeof text,
  units: typeof text === 'string' ? Array.from(text, (_, i) => text.charCodeAt(i)) : [],
});

const callContext = (arena = new Arena()): PrepareContext => ({
  arena,
  maxNbytes: 1024 * 1024,
  sharesMemory: true,
});

const unpack = (packed: PackedStrings) => {
  const at = stringReader(packed);
  return Array.from({ length: packed.e.length - 1 }, (_, i) => at(i));
};

describe('packing strings into a call’s shared slabs', () => {
  test('ASCII strings travel one byte each and read back equal, empty ones included', () => {
    const ctx = callContext();
    const texts = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? '' : `item ${i}`));
    const packed = packStrings(texts, ctx)!;
    assert.equal(packed.w, 1);
    assert.ok(packed.s.buffer instanceof SharedArrayBuffer);
    assert.equal(packed.r.length, texts.length);
    assert.deepEqual(unpack(packed), texts);
    releaseSlabs(ctx, true);
  });

  test('anything beyond ASCII makes the chunk UTF-16: astral characters, lone surrogates and Latin-1 kept exactly', () => {
    const ctx = callContext();
    const texts = awkwardStrings(300);
    const packed = packStrings(texts, ctx)!;
    assert.equal(packed.w, 2);
    assert.deepEqual(unpack(packed), texts);
    releaseSlabs(ctx, true);
  });

  test('one non-ASCII string after a long run of ASCII ones still packs the whole chunk exactly', () => {
    const ctx = callContext();
    const texts = Array.from({ length: 5000 }, (_, i) => `ascii text number ${i}`);
    texts.push('then \ud83d alone');
    const packed = packStrings(texts, ctx)!;
    assert.equal(packed.w, 2);
    assert.deepEqual(unpack(packed), texts);
    releaseSlabs(ctx, true);
  });

  test('strings longer than a group, among short ones, keep their places', () => {
    const ctx = callContext();
    const long = 'L'.repeat(40_000);
    const texts = Array.from({ length: 100 }, (_, i) => (i % 10 === 3 ? long + i : `s${i}`));
    assert.deepEqual(unpack(packStrings(texts, ctx)!), texts);
    const wide = texts.map((t, i) => (i === 50 ? `${long}😀` : t));
    assert.deepEqual(unpack(packStrings(wide, ctx)!), wide);
    releaseSlabs(ctx, true);
  });

  test('a chunk with a non-string, too few strings, or no slabs is left to structured clone', () => {
    const ctx = callContext();
    const texts = Array.from({ length: 100 }, (_, i) => `t${i}`);
    for (const items of [
      [...texts, 1],
      [...texts, null],
      [...texts, undefined],
      [...texts, ['a']],
      [...texts, new String('boxed')],
      [1, ...texts],
      texts.slice(0, 10),
      Array.from({ length: 100 }, () => ''),
    ]) {
      assert.equal(packStrings(items as unknown[], ctx), undefined, String(items.at(-1)));
    }
    const noSlabs: PrepareContext = { maxNbytes: undefined, sharesMemory: false };
    assert.equal(packStrings(texts, noSlabs), undefined);
    releaseSlabs(ctx, true);
  });

  test('an ASCII attempt that fails gives its bytes back before the UTF-16 pass', () => {
    const ctx = callContext();
    const lease = slabLease(ctx)!;
    const texts = Array.from({ length: 100 }, (_, i) => (i === 99 ? 'é' : 'abcdefgh'));
    const [, before] = lease.alloc(8);
    const packed = packStrings(texts, ctx)!;
    // offsets and room (12 bytes a string + 4), then the UTF-16 units right after them
    assert.equal(packed.s.byteOffset, before + 8 + Math.ceil((12 * 100 + 4) / 8) * 8);
    releaseSlabs(ctx, true);
  });

  test('memory reused from an earlier call holds no stale characters or offsets', () => {
    const arena = new Arena();
    const first = callContext(arena);
    packStrings(
      Array.from({ length: 500 }, () => 'x'.repeat(30)),
      first,
    );
    releaseSlabs(first, true);
    const second = callContext(arena);
    const texts = awkwardStrings(400);
    assert.deepEqual(unpack(packStrings(texts, second)!), texts);
    assert.equal(slabsOf(arena).allocations, 1, 'the second call took the first one’s slab');
    releaseSlabs(second, true);
  });
});

describe('strings crossing to thread workers', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('a task over strings sees strings with the same code units, whatever they hold', async () => {
    const texts = awkwardStrings(5000);
    assert.deepStrictEqual(await pool.map(describeText, texts), texts.map(describeText));
    assert.ok(slabsOf(pool._arena).allocations > 0, 'the strings went through shared memory');
    assert.deepStrictEqual(
      await pool.map(describeText, texts, { chunksize: 700 }),
      texts.map(describeText),
    );
  });

  test('strings returned by the task come back equal to what was sent', async () => {
    const texts = awkwardStrings(3000);
    assert.deepStrictEqual(await pool.map((t: string) => t, texts), texts);
    const ascii = Array.from({ length: 3000 }, (_, i) => `plain ${i}`);
    assert.deepStrictEqual(await pool.map((t: string) => t, ascii), ascii);
  });

  test('strings mixed with other items arrive as structured clone delivers them', async () => {
    const items: unknown[] = awkwardStrings(1000);
    items[10] = 10;
    items[500] = { text: 'boxed' };
    items[501] = null;
    items[999] = undefined;
    const got = await pool.map((x: unknown) => [typeof x, x], items, { chunksize: 250 });
    assert.deepStrictEqual(
      got,
      items.map((x) => [typeof x, x]),
    );
  });

  test('numbers counted from strings come back as numbers, in input order', async () => {
    const texts = Array.from({ length: 20_000 }, (_, i) => 'ab '.repeat(i % 11));
    const count = (t: string) => t.split(' ').filter((w) => w.includes('a')).length;
    assert.deepStrictEqual(await pool.map(count, texts), texts.map(count));
  });

  test('a task that throws on one string fails the map with its error', async () => {
    const texts = Array.from({ length: 2000 }, (_, i) => `t${i}`);
    await assert.rejects(
      pool.map((t: string) => {
        if (t === 't1234') throw new Error(`bad ${t}`);
        return t.length;
      }, texts),
      /bad t1234/,
    );
    assert.deepStrictEqual(
      await pool.map((t: string) => t.length, texts),
      texts.map((t) => t.length),
    );
  });

  test('repeated calls reuse the pool’s warm shared memory', async () => {
    const texts = Array.from({ length: 20_000 }, (_, i) => `repeated text ${i}`);
    const expected = texts.map((t) => t.length);
    assert.deepStrictEqual(await pool.map((t: string) => t.length, texts), expected);
    const slabs = slabsOf(pool._arena);
    const allocated = slabs.allocations;
    const idle = slabs.idleBytes;
    assert.ok(idle > 0, 'the call gave its slabs back');
    for (let i = 0; i < 5; i++)
      assert.deepStrictEqual(await pool.map((t: string) => t.length, texts), expected);
    assert.ok(slabs.allocations - allocated <= 1, 'later calls reuse them');
  });
});

test('the processes backend delivers strings with the same code units', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const texts = awkwardStrings(2000);
    assert.deepStrictEqual(await pool.map(describeText, texts), texts.map(describeText));
  } finally {
    await pool.close();
  }
});

test('the inline backend hands the task the caller’s own strings', async () => {
  const pool = new Pool({ backend: 'inline', workers: 1 });
  try {
    const texts = awkwardStrings(500);
    assert.deepStrictEqual(await pool.map(describeText, texts), texts.map(describeText));
  } finally {
    await pool.close();
  }
});
