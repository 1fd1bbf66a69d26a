import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shared } from '../src/index.js';

test('shared.float64(n) is a zeroed Float64Array of n elements on a SharedArrayBuffer', () => {
  const a = shared.float64(10);
  assert.ok(a instanceof Float64Array);
  assert.equal(a.length, 10);
  assert.ok(a.buffer instanceof SharedArrayBuffer);
  assert.ok(a.every((x) => x === 0));
});

test('every typed array kind has a shared constructor', () => {
  const kinds = {
    float32: Float32Array,
    int8: Int8Array,
    uint8: Uint8Array,
    uint8Clamped: Uint8ClampedArray,
    int16: Int16Array,
    uint16: Uint16Array,
    int32: Int32Array,
    uint32: Uint32Array,
    bigint64: BigInt64Array,
    biguint64: BigUint64Array,
  } as const;
  for (const [name, Ctor] of Object.entries(kinds)) {
    const a = (shared as any)[name](3);
    assert.ok(a instanceof Ctor, name);
    assert.ok(shared.isShared(a), name);
  }
});

test('shared.from copies only the bytes of a view, keeping its type', () => {
  const big = new Int32Array(1000).map((_, i) => i);
  const view = big.subarray(10, 20);
  const copy = shared.from(view);
  assert.ok(copy instanceof Int32Array);
  assert.equal(copy.buffer.byteLength, 40);
  assert.deepEqual([...copy], [...view]);
  copy[0] = -1;
  assert.equal(big[10], 10);
  assert.ok(!(shared.from(Buffer.from('ab')) instanceof Buffer));
});

test('bad lengths and non-arrays are refused with a hint', () => {
  assert.throws(() => shared.float64(-1), RangeError);
  assert.throws(() => shared.int32(1.5), RangeError);
  assert.throws(() => shared.from([1, 2] as never), /typed array/);
});
