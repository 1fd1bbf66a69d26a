/**
 * Arrays of Dates, of BigInts, and of numbers with nulls in them (what JSON and databases give
 * for a missing value), in typed memory instead of through structured clone, for pack.ts and
 * pack-records.ts. Structured clone spends ~1 µs on each Date here (a tag, a double, and the
 * worker makes a Date object through the deserializer's slow path), ~100-300 ns on each BigInt
 * (its digits written and read back) and ~25 ns on each number of a mixed array; as one typed
 * array they cross as a single copy, and the worker rebuilds the values before the task runs.
 * BigInts pack only while every one fits in 64 signed bits.
 *
 * Exactly what structured clone gives: a Date crosses as its time value (NaN for an invalid
 * one), and clone carries nothing else of it either, so only Dates whose prototype is
 * Date.prototype pack (a subclass's instance is left to clone with the rest of the array).
 * `null` and `undefined` are told apart; a hole is refused, as anything else is. One Date twice
 * in an array arrives as two equal Dates, where clone would give one.
 */
import type { NumberArray } from './pack.js';
import { Space } from './pack-rows.js';
import type { SlabLease } from './slabs.js';

/** Dates as their time values; with `z` when some are null or undefined (as PackedNullable's). */
export interface PackedDates {
  readonly d: Float64Array;
  readonly z?: Uint8Array;
}

/** Numbers with nulls: the numbers (0 where none), and 1 a null, 2 an undefined, 0 a number. */
export interface PackedNullable {
  readonly v: NumberArray;
  readonly z: Uint8Array;
}

/** BigInts of 64 bits or fewer. */
export interface PackedBigInts {
  readonly g: BigInt64Array;
}

export type PackedValues = PackedDates | PackedNullable | PackedBigInts;

/** Whether a packed form is one of these (its key, `d`, `z` or `g`, no other form has). */
export function isPackedValues(packed: object): packed is PackedValues {
  return 'd' in packed || 'z' in packed || 'g' in packed;
}

const PRESENT = 0;
const NULL = 1;
const UNDEFINED = 2;

// Read once: a Date's own `getTime` (or a replaced Date.prototype.getTime) is not what clone reads.
const getTime = Date.prototype.getTime;
const DATE_PROTO = Date.prototype;

/** Whether structured clone would carry `value` as a Date and nothing more. */
export function isPlainDate(value: unknown): value is Date {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === DATE_PROTO;
}

/**
 * The array's Dates' time values, nulls and undefineds marked (an optional timestamp), or
 * undefined when any item is something else (a hole too) or none is a Date.
 */
export function packDates(array: unknown[], slabs: SlabLease | undefined): PackedDates | undefined {
  const n = array.length;
  if (!isPlainDate(array[firstPresent(array)]) || !endFits(array, isPlainDate)) return undefined;
  const space = new Space(slabs);
  const d = space.doubles(n);
  let z: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const x = array[i];
    if (isPlainDate(x)) {
      d[i] = getTime.call(x);
      if (z) z[i] = PRESENT;
    } else if (isMissing(array, i, x)) {
      if (!z) {
        z = space.bytes(n);
        z.fill(PRESENT, 0, i);
      }
      d[i] = 0;
      z[i] = x === null ? NULL : UNDEFINED;
    } else return space.undo();
  }
  return z ? { d, z } : { d };
}

const isNumber = (x: unknown) => typeof x === 'number';

/**
 * Whether the middle and last items are of the kind (or missing), read before any pass: an array
 * that ends in something else would be read whole before it is refused (see pack-rows.ts).
 */
function endFits(array: unknown[], fits: (x: unknown) => boolean): boolean {
  const mid = array[array.length >> 1];
  const last = array[array.length - 1];
  return (mid == null || fits(mid)) && (last == null || fits(last));
}

/**
 * The index of the first item that is neither null nor undefined, or the length when none is or
 * a hole comes first (nothing packs with a hole): a sparse array of length 2^31 was read index
 * by index here, for minutes.
 */
function firstPresent(array: unknown[]): number {
  let i = 0;
  while (i < array.length && array[i] == null) {
    if (!(i in array)) return array.length;
    i++;
  }
  return i;
}

/** null, or undefined that is not a hole (clone keeps holes, so a hole is refused). */
function isMissing(array: unknown[], i: number, x: unknown): boolean {
  return x === null || (x === undefined && i in array);
}

/** The array's BigInts, or undefined when any item is not one or needs more than 64 bits. */
export function packBigInts(
  array: unknown[],
  slabs: SlabLease | undefined,
): PackedBigInts | undefined {
  const n = array.length;
  if (n === 0 || typeof array[0] !== 'bigint' || typeof array[n - 1] !== 'bigint') return undefined;
  const space = new Space(slabs);
  const g = space.bigints(n);
  for (let i = 0; i < n; i++) {
    const x = array[i];
    if (typeof x !== 'bigint' || BigInt.asIntN(64, x) !== x) return space.undo();
    g[i] = x;
  }
  return { g };
}

/**
 * Numbers with at least one null or undefined among them, or undefined when an item is
 * anything else (a hole too). Int32 when every number is a 32-bit integer (see pack.ts).
 */
export function packNullable(
  array: unknown[],
  slabs: SlabLease | undefined,
): PackedNullable | undefined {
  const n = array.length;
  // Before any memory is taken: most arrays that reach here are of strings, or all missing.
  if (typeof array[firstPresent(array)] !== 'number' || !endFits(array, isNumber)) return undefined;
  const space = new Space(slabs);
  const z = space.bytes(n);
  const doubles = space.doubles(n);
  let ints = true;
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const x = array[i];
    if (typeof x === 'number') {
      doubles[i] = x;
      z[i] = PRESENT;
      if (ints && ((x | 0) !== x || (x === 0 && 1 / x < 0))) ints = false;
    } else if (isMissing(array, i, x)) {
      doubles[i] = 0;
      z[i] = x === null ? NULL : UNDEFINED;
      missing++;
    } else return space.undo();
  }
  if (missing === 0) return space.undo();
  if (!ints) return { v: doubles, z };
  const v = space.ints(n);
  v.set(doubles);
  return { v, z };
}

/** Item `i` of packed values. */
export function packedValue(packed: PackedValues, i: number): unknown {
  if ('g' in packed) return packed.g[i];
  const z = packed.z ? packed.z[i] : PRESENT;
  if (z !== PRESENT) return z === NULL ? null : undefined;
  return 'd' in packed ? new Date(packed.d[i]) : packed.v[i];
}

/** The array packed values stand for. */
export function unpackValues(packed: PackedValues): unknown[] {
  const n = packedValuesLength(packed);
  const out = new Array<unknown>(n);
  if ('d' in packed && !packed.z) {
    const d = packed.d;
    for (let i = 0; i < n; i++) out[i] = new Date(d[i]);
    return out;
  }
  if ('g' in packed) {
    const g = packed.g;
    for (let i = 0; i < n; i++) out[i] = g[i];
    return out;
  }
  if ('d' in packed) {
    const { d, z } = packed;
    for (let i = 0; i < n; i++) {
      const k = z![i];
      out[i] = k === PRESENT ? new Date(d[i]) : k === NULL ? null : undefined;
    }
    return out;
  }
  const { v, z } = packed;
  for (let i = 0; i < n; i++) {
    const k = z[i];
    out[i] = k === PRESENT ? v[i] : k === NULL ? null : undefined;
  }
  return out;
}

/** How many items packed values hold. */
export function packedValuesLength(packed: PackedValues): number {
  return 'd' in packed ? packed.d.length : 'g' in packed ? packed.g.length : packed.z.length;
}
