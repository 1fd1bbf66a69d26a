import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';

/**
 * Typed arrays on a SharedArrayBuffer: they cross to thread workers with no copy, so a task
 * that writes into one is seen by the caller at once (Numba's shared arrays, joblib's memmaps).
 * Each crossing costs a few microseconds whatever the size.
 */
type TypedArrayCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** Any typed array (not a DataView). */
export type TypedArray =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

function make<C extends TypedArrayCtor>(Ctor: C, what: string) {
  return (length: number): InstanceType<C> => {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeErrorWithHint(
        `shared.${what}(length) needs a whole number ≥ 0, got ${describe(length)}`,
        `for example shared.${what}(1_000_000)`,
      );
    }
    const buffer = new SharedArrayBuffer(length * Ctor.BYTES_PER_ELEMENT);
    return new (Ctor as any)(buffer) as InstanceType<C>;
  };
}

/** True when the array's memory is a SharedArrayBuffer. */
function isShared(value: unknown): boolean {
  return (
    ArrayBuffer.isView(value) &&
    typeof SharedArrayBuffer !== 'undefined' &&
    value.buffer instanceof SharedArrayBuffer
  );
}

/** A copy of `array` (only its own bytes, also for a view) in shared memory, of the same type. */
function from<T extends TypedArray>(array: T): T {
  if (!ArrayBuffer.isView(array) || array instanceof DataView) {
    throw new TypeErrorWithHint(
      `shared.from() needs a typed array, got ${describe(array)}`,
      'pass for example a Float64Array; for a plain array use shared.from(Float64Array.from(xs))',
    );
  }
  const tag = Object.prototype.toString.call(array).slice(8, -1);
  // The built-in constructor, so a Node Buffer becomes a Uint8Array rather than a Buffer.
  const Ctor = (globalThis as any)[tag] as TypedArrayCtor;
  const out = new (Ctor as any)(new SharedArrayBuffer(array.byteLength)) as T;
  (out as any).set(array);
  return out;
}

/**
 * Typed arrays in shared memory.
 *
 * ```ts
 * const a = shared.float64(1_000_000);          // Float64Array on a SharedArrayBuffer
 * const b = shared.from(new Int32Array([1, 2])); // a shared copy
 * ```
 * Threads and the inline backend see the same memory; the processes backend copies them.
 */
export const shared = Object.freeze({
  float64: make(Float64Array, 'float64'),
  float32: make(Float32Array, 'float32'),
  int8: make(Int8Array, 'int8'),
  uint8: make(Uint8Array, 'uint8'),
  uint8Clamped: make(Uint8ClampedArray, 'uint8Clamped'),
  int16: make(Int16Array, 'int16'),
  uint16: make(Uint16Array, 'uint16'),
  int32: make(Int32Array, 'int32'),
  uint32: make(Uint32Array, 'uint32'),
  bigint64: make(BigInt64Array, 'bigint64'),
  biguint64: make(BigUint64Array, 'biguint64'),
  from,
  isShared,
});

/** The type of {@link shared}. */
export type SharedArrays = typeof shared;
