/**
 * Type inference is checked by the compiler: `npm run typecheck` covers this file, so a
 * wrong inference or a missing compile error (`@ts-expect-error` unused) fails CI. The runtime
 * assertions check that the calls do what their types say.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type Future, inline, Pool, transfer } from '../src/index.js';
import { tasks } from './fixtures/tasks.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T) => {};

const pool = new Pool({ workers: 1 });
after(() => pool.close());

test('map, apply, submit and starmap infer argument and result types', async () => {
  const cubes = pool.map(tasks.cube, [1, 2]);
  expectType<Equal<typeof cubes, Promise<number[]>>>(true);

  const slept = pool.apply(tasks.sleep, 1);
  expectType<Equal<typeof slept, Promise<number>>>(true);

  const future = pool.submit(tasks.add, 1, 2);
  expectType<Equal<typeof future, Future<number>>>(true);

  const sums = pool.starmap(tasks.add, [[1, 2]]);
  expectType<Equal<typeof sums, Promise<number[]>>>(true);

  const lengths = pool.map(
    inline((s: string) => s.length, {}),
    ['ab'],
  );
  expectType<Equal<typeof lengths, Promise<number[]>>>(true);

  for await (const v of pool.imap(tasks.cube, [3])) {
    expectType<Equal<typeof v, number>>(true);
    assert.equal(v, 27);
  }
  assert.deepEqual(await cubes, [1, 8]);
  assert.equal(await slept, 1);
  assert.equal(await future, 3);
  assert.deepEqual(await sums, [3]);
  assert.deepEqual(await lengths, [2]);
});

test('wrong argument types are compile errors', async () => {
  const wrong = () => {
    // @ts-expect-error a string is not a number
    void pool.map(tasks.cube, ['a']);
    // @ts-expect-error add takes two numbers
    void pool.apply(tasks.add, 1);
    // @ts-expect-error add takes numbers
    void pool.submit(tasks.add, 1, 'b');
    // @ts-expect-error each tuple must be [number, number]
    void pool.starmap(tasks.add, [[1, 'x']]);
    // @ts-expect-error map calls its task with one item, and add needs two: use starmap
    void pool.map(tasks.add, [1, 2]);
    // @ts-expect-error the same for the lazy faces
    void pool.imapUnordered(tasks.add, [1, 2]);
  };
  assert.equal(typeof wrong, 'function');
});

test('transfer() keeps the type of what it marks, and takes only objects', async () => {
  const bytes = transfer(new Uint8Array([1, 2]));
  expectType<Equal<typeof bytes, Uint8Array<ArrayBuffer>>>(true);
  const record = transfer({ a: new Float64Array(1), n: 1 }, []);
  expectType<Equal<typeof record, { a: Float64Array<ArrayBuffer>; n: number }>>(true);
  const summed = pool.submit((b: Uint8Array) => b[0] + b[1], transfer(new Uint8Array([3, 4])));
  expectType<Equal<typeof summed, Future<number>>>(true);
  assert.equal(await summed, 7);
  const wrong = () => {
    // @ts-expect-error a number has no buffers to move
    transfer(5);
  };
  assert.equal(typeof wrong, 'function');
});
