import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Arena } from '../src/codec/arena.js';
import { packViews } from '../src/codec/pack-views.js';
import type { PrepareContext } from '../src/codec/prepare.js';
import { Pool } from '../src/index.js';

/**
 * A map over the same array of views reads each view's type, buffer, offset and length once and
 * compares the views by identity on later calls (codec/view-layout.ts; recorded from the second
 * call that packs the array, read from the third): whatever the caller changes in the array
 * between calls must still arrive exactly.
 */

/** A view as the task sees it (not its offset: a lone view arrives at 0, as structured clone sends it). */
const describeView = (v: any) => ({
  tag: Object.prototype.toString.call(v),
  length: v.length,
  values: Array.from(v as ArrayLike<number>),
});

const viewsOf = (a: Int32Array, rows: number, width: number): any[] =>
  Array.from({ length: rows }, (_, r) => a.subarray(r * width, (r + 1) * width));

const ctxOf = (): PrepareContext => ({
  maxNbytes: undefined,
  sharesMemory: true,
  arena: new Arena(),
});

describe('views read once per input array', () => {
  test('a chunk packed again from the same views has the same offsets and lengths', () => {
    const m = new Int32Array(100 * 10).map((_, i) => i);
    const input = viewsOf(m, 100, 10);
    const once = packViews(input.slice(20, 60), ctxOf(), { input, first: 20 })!;
    packViews(input.slice(20, 60), ctxOf(), { input, first: 20 });
    const again = packViews(input.slice(20, 60), ctxOf(), { input, first: 20 })!;
    assert.deepEqual(Array.from(again.o), Array.from(once.o));
    assert.deepEqual(Array.from(again.n), Array.from(once.n));
    assert.deepEqual(
      Array.from(once.o),
      input.slice(20, 60).map((v) => (v as Int32Array).byteOffset),
    );
  });

  test('an item replaced at its place is read again, whatever it now is', () => {
    const m = new Int32Array(100 * 10).map((_, i) => i);
    const input = viewsOf(m, 100, 10);
    packViews(input.slice(0, 50), ctxOf(), { input, first: 0 });
    packViews(input.slice(0, 50), ctxOf(), { input, first: 0 });
    input[7] = m.subarray(45, 50);
    const packed = packViews(input.slice(0, 50), ctxOf(), { input, first: 0 })!;
    assert.equal(packed.o[7], 45 * 4);
    assert.equal(packed.n[7], 5);
    input[8] = new Float32Array(m.buffer, 0, 10);
    assert.equal(packViews(input.slice(0, 50), ctxOf(), { input, first: 0 }), undefined);
    input[8] = undefined;
    assert.equal(packViews(input.slice(0, 50), ctxOf(), { input, first: 0 }), undefined);
  });

  test('a chunk whose items are not those at its place in the input is read as it is', () => {
    const m = new Int32Array(100 * 10).map((_, i) => i);
    const input = viewsOf(m, 100, 10);
    packViews(input.slice(0, 50), ctxOf(), { input, first: 0 });
    packViews(input.slice(0, 50), ctxOf(), { input, first: 0 });
    // The same input, but the chunk is said to start elsewhere: nothing recorded matches.
    const packed = packViews(input.slice(0, 50), ctxOf(), { input, first: 10 })!;
    assert.deepEqual(
      Array.from(packed.o),
      input.slice(0, 50).map((v) => (v as Int32Array).byteOffset),
    );
  });
});

describe('a map over the same views again', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('rows replaced, moved or grown between calls arrive as they are now', async () => {
    const m = new Int32Array(3000 * 20).map((_, i) => i % 9973);
    const rows = viewsOf(m, 3000, 20);
    for (let call = 0; call < 2; call++)
      assert.deepStrictEqual(await pool.map(describeView, rows), rows.map(describeView));
    rows[10] = m.subarray(5, 9); // another offset and length
    [rows[100], rows[2000]] = [rows[2000], rows[100]]; // two rows swapped
    rows[2999] = new Int32Array(m.buffer, 400, 3);
    for (let r = 0; r < 50; r++) rows.push(m.subarray(r, r + 20)); // the input grew
    assert.deepStrictEqual(await pool.map(describeView, rows), rows.map(describeView));
    rows.length = 1500; // and shrank
    assert.deepStrictEqual(await pool.map(describeView, rows), rows.map(describeView));
  });

  test('views of another buffer or type at the same places arrive as they are', async () => {
    const m = new Int32Array(500 * 8).map((_, i) => i);
    const rows = viewsOf(m, 500, 8);
    await pool.map(describeView, rows);
    await pool.map(describeView, rows);
    const copy = m.slice();
    copy.fill(-3);
    const moved = viewsOf(copy, 500, 8);
    for (let i = 0; i < 500; i++) rows[i] = moved[i];
    assert.deepStrictEqual(await pool.map(describeView, rows), moved.map(describeView));
    assert.deepStrictEqual(await pool.map(describeView, moved), moved.map(describeView));
    const floats = Array.from(
      { length: 500 },
      (_, r) => new Float32Array(m.buffer, r * 32, 8) as unknown,
    );
    assert.deepStrictEqual(await pool.map(describeView, floats), floats.map(describeView));
  });

  test('views of a resizable buffer that shrank between calls arrive with their new lengths', async () => {
    const buffer = new (ArrayBuffer as any)(4000 * 4, { maxByteLength: 4000 * 4 }) as ArrayBuffer;
    const m = new Int32Array(buffer);
    m.forEach((_, i) => {
      m[i] = i;
    });
    // Length-tracking views: each covers the rest of the buffer from its offset, up to 64.
    const rows = Array.from({ length: 60 }, (_, r) => new Int32Array(buffer, r * 256));
    const lengths = (vs: unknown[]) => vs.map((v) => (v as Int32Array).length);
    assert.deepEqual(await pool.map((v: Int32Array) => v.length, rows), lengths(rows));
    (buffer as any).resize(30 * 256 + 40);
    assert.deepEqual(await pool.map((v: Int32Array) => v.length, rows), lengths(rows));
    assert.equal(m.length, (30 * 256 + 40) / 4);
  });

  test('a caller writing into the buffer between calls is seen by every row', async () => {
    const m = new Int32Array(2000 * 25).fill(1);
    const rows = viewsOf(m, 2000, 25);
    const sum = (v: Int32Array) => v.reduce((a, b) => a + b, 0);
    assert.ok((await pool.map(sum, rows)).every((s) => s === 25));
    for (let call = 2; call < 5; call++) {
      m.fill(call);
      assert.ok(
        (await pool.map(sum, rows)).every((s) => s === 25 * call),
        `call ${call}`,
      );
    }
  });
});

test('the processes backend delivers the same views on a second call', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const m = new Int32Array(400 * 10).map((_, i) => i - 100);
    const rows = viewsOf(m, 400, 10);
    await pool.map(describeView, rows);
    await pool.map(describeView, rows);
    rows[3] = m.subarray(1, 2);
    m[0] = 12345;
    const seen = await pool.map(describeView, rows);
    assert.deepStrictEqual(
      seen.map((x) => [x.tag, x.values]),
      rows.map((v) => [describeView(v).tag, describeView(v).values]),
    );
  } finally {
    await pool.close();
  }
});
