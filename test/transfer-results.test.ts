import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pool, transfer } from '../src/index.js';
import { tt } from './fixtures/transfer-tasks.js';

/**
 * transfer(): a task's result moved back to the caller instead of copied (Piscina's `move`).
 * That it moved is seen where it left: the worker's own buffer is detached afterwards.
 */
describe('transfer() of results', () => {
  test('a transferred result arrives whole, and the buffer it came from is left detached in the worker', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const a = await pool.submit(tt.keepAndMove, 1000);
      assert.ok(a instanceof Float64Array);
      assert.equal(a.length, 1000);
      assert.equal(a[999], 1000);
      assert.ok(a.buffer instanceof ArrayBuffer);
      assert.equal(await pool.submit(tt.keptBytes), 0, 'the worker no longer holds the bytes');
      const big = await pool.submit(tt.filled, 2_000_000, 0.5);
      assert.equal(big.length, 2_000_000);
      assert.equal(big[1_999_999], 0.5);
    } finally {
      await pool.close();
    }
  });

  test('without transfer() the worker keeps its buffer (a result is copied)', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const copy = await pool.submit((n: number) => new Float64Array(n).fill(2), 10);
      assert.equal(copy[9], 2);
      await pool.submit(tt.keepAndMove, 10);
      assert.equal(await pool.submit(tt.keptBytes), 0);
    } finally {
      await pool.close();
    }
  });

  test('moving a buffer a second time fails that task with a TypeError that says why; the worker goes on', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      await pool.submit(tt.keepAndMove, 10);
      await assert.rejects(pool.submit(tt.moveAgain), (e: Error) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /moved already/);
        return true;
      });
      assert.equal((await pool.submit(tt.filled, 3, 1))[2], 1);
    } finally {
      await pool.close();
    }
  });

  test('every result of a map can be transferred, and an async task can transfer too', async () => {
    const pool = new Pool({ workers: 2 });
    try {
      const out = await pool.map(
        tt.sized,
        Array.from({ length: 40 }, (_, i) => i + 1),
        { chunksize: 7 },
      );
      assert.equal(out.length, 40);
      out.forEach((a, i) => {
        assert.ok(a instanceof Float64Array);
        assert.equal(a.length, i + 1);
        assert.equal(a[i], i + 1);
      });
      const starred = await pool.starmap(tt.filled, [
        [3, 9],
        [2, 8],
      ]);
      assert.deepEqual(
        starred.map((a) => [...a]),
        [
          [9, 9, 9],
          [8, 8],
        ],
      );
      assert.deepEqual([...(await pool.submit(tt.later, 2))], [7, 7]);
    } finally {
      await pool.close();
    }
  });

  test('without a list, the buffers under the value move: in arrays and plain objects, each once', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const r = await pool.submit(tt.nested, 16);
      assert.equal(r.meta, 'x');
      assert.deepEqual(
        r.parts.map((p) => p[0]),
        [1, 2],
      );
      assert.ok(r.raw instanceof ArrayBuffer);
      assert.equal(r.raw.byteLength, 16);
      const [whole, tail] = await pool.submit(tt.sameTwice, 4);
      assert.equal(whole.buffer, tail.buffer, 'two views of one buffer still share it');
      assert.deepEqual([...tail], [3, 3, 3]);
      const listed = await pool.submit(tt.listed, 8);
      assert.deepEqual([listed.a[0], listed.b[0]], [1, 2]);
    } finally {
      await pool.close();
    }
  });

  test("a buffer Node will not move (a Buffer from Node's shared pool) is copied instead", async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const bytes = await pool.submit(tt.pooled, 'hello');
      assert.equal(Buffer.from(bytes).toString(), 'hello');
    } finally {
      await pool.close();
    }
  });

  test('bad input to transfer() fails the task with a TypeError that says what to pass', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const cases: Array<[string, RegExp]> = [
        ['number', /needs the object/],
        ['shared', /SharedArrayBuffer, which is shared/],
        ['string', /cannot be moved/],
        ['none', /found no ArrayBuffer/],
        ['list', /must be an array/],
      ];
      for (const [what, message] of cases) {
        await assert.rejects(pool.submit(tt.refused, what), (e: Error) => {
          assert.ok(e instanceof TypeError, `${what}: ${e}`);
          assert.match(e.message, message);
          return true;
        });
      }
      assert.throws(() => transfer(null as never), /needs the object/);
      const plain = { a: 1 };
      assert.equal(transfer(plain, []), plain, 'an empty list (a computed one) moves nothing');
    } finally {
      await pool.close();
    }
  });

  test("an argument passed as transfer(buf) moves to the worker: the caller's buffer is left detached", async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const small = new Float64Array(10).fill(2);
      assert.equal(await pool.submit(tt.sum, transfer(small)), 20);
      assert.equal(small.byteLength, 0, 'moved, not copied');
      // Over maxNbytes, a marked array is moved rather than auto-shared.
      const big = new Float64Array(500_000).fill(1);
      assert.deepEqual(await pool.apply(tt.describe, transfer(big)), [500_000, 'ArrayBuffer']);
      assert.equal(big.byteLength, 0);
      const kept = new Float64Array(500_000).fill(1);
      assert.deepEqual(await pool.apply(tt.describe, kept), [500_000, 'SharedArrayBuffer']);
      assert.equal(kept.byteLength, 4_000_000, 'unmarked, the caller keeps its array');
      const a = new Uint8Array(4).fill(1);
      const b = new Uint8Array(4).fill(2);
      assert.equal(
        await pool.submitWith({ transfer: [a.buffer] }, tt.sumBoth, a, transfer(b)),
        12,
        'the option and the marks combine',
      );
      assert.equal(a.byteLength + b.byteLength, 0);
    } finally {
      await pool.close();
    }
  });

  for (const backend of ['processes', 'inline'] as const) {
    test(`on the ${backend} backend a transferred result arrives as a result does there`, async () => {
      const pool = new Pool({ workers: 1, backend });
      try {
        const a = await pool.submit(tt.filled, 5, 4);
        assert.ok(a instanceof Float64Array);
        assert.deepEqual([...a], [4, 4, 4, 4, 4]);
        const out = await pool.map(tt.sized, [1, 2]);
        assert.deepEqual(
          out.map((x) => x.length),
          [1, 2],
        );
      } finally {
        await pool.close();
      }
    });
  }
});
