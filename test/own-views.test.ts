import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Arena } from '../src/codec/arena.js';
import { packViews } from '../src/codec/pack-views.js';
import type { PrepareContext } from '../src/codec/prepare.js';
import { Pool } from '../src/index.js';

/**
 * Rows made one by one (`new Float64Array(16)` in a loop, `Buffer.alloc`) are each the whole of
 * a buffer of their own. A chunk of them travels as their bytes one after another
 * (codec/pack-views.ts), and each must still arrive as structured clone delivers it: the same
 * type, length and values, in a plain ArrayBuffer of its own that the task may keep, write or
 * transfer.
 */

/** What a task sees of a view: its kind, its buffer, its values with -0 spelt out. */
const describeOwn = (v: any) => ({
  tag: Object.prototype.toString.call(v),
  plainBuffer: Object.prototype.toString.call(v.buffer) === '[object ArrayBuffer]',
  ownBuffer: v.byteOffset === 0 && v.buffer.byteLength === v.byteLength,
  length: v.length,
  values: Array.from(v as ArrayLike<number>, (x) => (Object.is(x, -0) ? '-0' : x)),
});

const expectedOf = (rows: unknown[], tag?: string) =>
  rows.map((v) => ({ ...describeOwn(v), ...(tag ? { tag } : {}) }));

/** Rows of their own, of lengths 1 to 24, holding -0, NaN and infinities among fractions. */
const ownRows = (count: number) =>
  Array.from({ length: count }, (_, r) =>
    new Float64Array((r % 24) + 1).map((_, i) =>
      (r + i) % 13 === 0
        ? -0
        : (r + i) % 17 === 0
          ? Number.NaN
          : (r + i) % 19 === 0
            ? Number.NEGATIVE_INFINITY
            : r + i / 8,
    ),
  );

const ctxOf = (transfer?: unknown[]): PrepareContext => ({
  maxNbytes: undefined,
  sharesMemory: true,
  arena: new Arena(),
  transfer: transfer && new Set(transfer),
});

describe('packing views of their own buffers', () => {
  test('their bytes lie one after another, each at its offset with its length', () => {
    const rows = [new Int16Array([1, 2, 3]), new Int16Array([4]), new Int16Array([5, 6])];
    const packed = packViews(rows, ctxOf())!;
    assert.equal(packed.a, 1);
    assert.deepEqual(Array.from(packed.n), [3, 1, 2]);
    const at = packed.o[0];
    assert.deepEqual(Array.from(packed.o), [at, at + 6, at + 8]);
    assert.deepEqual(Array.from(new Int16Array(packed.b, at, 6)), [1, 2, 3, 4, 5, 6]);
  });

  test('a chunk with any view that is not a whole plain buffer of its own is not packed so', () => {
    const own = () => new Float32Array([1, 2, 3, 4]);
    const refusals: Record<string, unknown> = {
      'a subarray': new Float32Array(8).subarray(2, 6),
      'a view of part of its buffer': new Float32Array(new ArrayBuffer(32), 0, 4),
      'an empty view': new Float32Array(0),
      'another type': new Int32Array(4),
      'a view of a SharedArrayBuffer': new Float32Array(new SharedArrayBuffer(16)),
      'a view of a resizable buffer': new Float32Array(
        new (ArrayBuffer as any)(16, { maxByteLength: 64 }),
      ),
    };
    for (const [what, odd] of Object.entries(refusals)) {
      const packed = packViews([own(), own(), odd, own()], ctxOf());
      assert.ok(!packed?.a, what);
    }
    const moved = own();
    assert.equal(packViews([own(), moved, own()], ctxOf([moved.buffer])), undefined, 'moved');
  });

  test('a chunk that does not pack gives its slab space back', () => {
    const ctx = ctxOf();
    packViews([new Uint8Array(4), new Uint8Array(new SharedArrayBuffer(4))], ctx);
    const packed = packViews([new Uint8Array([9]), new Uint8Array([8])], ctx)!;
    const again = packViews([new Uint8Array([9]), new Uint8Array([8])], ctxOf())!;
    assert.deepEqual(
      Array.from(packed.o),
      Array.from(again.o),
      'the same place as in a fresh call',
    );
  });
});

describe('views of their own buffers crossing to thread workers', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('each arrives in a plain buffer of its own, with the same type, length and values', async () => {
    const rows = ownRows(3000);
    assert.deepStrictEqual(await pool.map(describeOwn, rows), expectedOf(rows));
    assert.deepStrictEqual(await pool.map(describeOwn, rows, { chunksize: 7 }), expectedOf(rows));
    assert.equal(pool._arena.stats().heldBytes, 0, 'released when the call settled');
  });

  test('every typed array type arrives as itself; a Node Buffer as a Uint8Array', async () => {
    const types = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array];
    for (const Type of [...types, Uint32Array, Float32Array, Float64Array]) {
      const rows = Array.from({ length: 50 }, (_, r) => new Type(3).map((_, i) => r * 3 + i));
      assert.deepStrictEqual(await pool.map(describeOwn, rows), expectedOf(rows), Type.name);
    }
    const big = Array.from({ length: 50 }, (_, r) => new BigInt64Array([BigInt(r), -1n]));
    assert.deepStrictEqual(
      await pool.map((v: BigInt64Array) => [Object.prototype.toString.call(v), ...v], big),
      big.map((v) => ['[object BigInt64Array]', ...v]),
    );
    const buffers = Array.from({ length: 50 }, (_, r) => Buffer.alloc(5, r));
    assert.deepStrictEqual(
      await pool.map(describeOwn, buffers),
      expectedOf(buffers, '[object Uint8Array]'),
    );
  });

  test('a task writing its row changes neither the caller’s row nor any other task’s', async () => {
    const rows = Array.from({ length: 400 }, (_, r) => new Int32Array([r, r]));
    rows[1] = rows[0]; // the same row twice arrives as two copies
    const written = await pool.map(
      (v: Int32Array) => {
        v[0] = -1;
        return v[1];
      },
      rows,
      { chunksize: 50 },
    );
    assert.deepEqual(
      written,
      rows.map((v) => v[1]),
    );
    assert.ok(rows.every((v, r) => v[0] === (r === 1 ? 0 : r)));
  });

  test('rows the task returns come back whole, each in a buffer of its own', async () => {
    const rows = ownRows(500);
    const back = await pool.map((v: Float64Array) => v, rows);
    assert.deepStrictEqual(back.map(describeOwn), expectedOf(rows));
  });

  test('a row of its own among subarrays and other values arrives as structured clone delivers it', async () => {
    const shared = new Float64Array(new SharedArrayBuffer(8 * 4 * 20));
    const sharedRows = Array.from({ length: 20 }, (_, r) =>
      new Float64Array(shared.buffer, r * 32, 4).fill(r),
    );
    // Each its own SharedArrayBuffer: a task's write must reach the caller, as with clone.
    const ownShared = Array.from({ length: 20 }, () => new Int32Array(new SharedArrayBuffer(8)));
    const before = await pool.map((v: Int32Array) => {
      v[1] = 5;
      return v[0];
    }, ownShared);
    assert.deepEqual(before, new Array(20).fill(0));
    assert.ok(ownShared.every((v) => v[1] === 5));
    const mixed: unknown[] = [...ownRows(10), sharedRows[3], new Float64Array(4).subarray(1), 'x'];
    assert.deepStrictEqual(
      await pool.map((x: any) => (typeof x === 'string' ? x : Array.from(x)), mixed, {
        chunksize: 13,
      }),
      mixed.map((x: any) => (typeof x === 'string' ? x : Array.from(x))),
    );
  });

  test('imapSettled, which makes each row as its task asks for it, delivers them the same', async () => {
    const rows = ownRows(300);
    const out: unknown[] = [];
    for await (const r of pool.imapSettled(describeOwn, rows)) out.push(r.ok ? r.value : r.error);
    assert.deepStrictEqual(out, expectedOf(rows));
  });

  test('imap, without slabs, delivers small and large rows the same', async () => {
    for (const rows of [
      ownRows(300),
      Array.from({ length: 8 }, (_, r) => new Int32Array(5000).fill(r)),
    ]) {
      const out: unknown[] = [];
      for await (const x of pool.imap(describeOwn, rows)) out.push(x);
      assert.deepStrictEqual(out, expectedOf(rows));
    }
  });

  test('a row detached by an earlier transfer is refused as structured clone refuses it', async () => {
    const rows = ownRows(20);
    structuredClone(rows[4].buffer, { transfer: [rows[4].buffer] });
    await assert.rejects(pool.map((v: Float64Array) => v.length, rows));
  });

  test('an argument that is a list of such rows arrives whole, and moved buffers are moved', async () => {
    const rows = ownRows(200);
    const total = (list: Float64Array[]) =>
      list.map((v) => v.length + (v.buffer.byteLength === v.byteLength ? 0 : 1000));
    assert.deepEqual(
      await pool.submit(total, rows),
      rows.map((v) => v.length),
    );
    const moved = ownRows(10);
    await pool.submitWith({ transfer: moved.map((v) => v.buffer) }, total, moved);
    assert.ok(
      moved.every((v) => v.length === 0),
      'each transferred buffer is detached in the caller',
    );
  });
});

test('the processes backend delivers rows of their own buffers with the same values', async () => {
  const pool = new Pool({ workers: 1, backend: 'processes' });
  try {
    const rows = ownRows(1000);
    // Not `ownBuffer`: Node's 'advanced' IPC serialization itself delivers a typed array sent
    // alone (a warm-up chunk of one item) as a view into the message's buffer.
    const seen = (v: any) => [
      Object.prototype.toString.call(v),
      Array.from(v as ArrayLike<number>, (x) => (Object.is(x, -0) ? '-0' : x)),
    ];
    assert.deepStrictEqual(await pool.map(seen, rows), rows.map(seen));
  } finally {
    await pool.close();
  }
});
