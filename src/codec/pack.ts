/**
 * Numbers in typed memory instead of through structured clone. Structured clone spends
 * ~5–15 ns on each element of a plain array, one tag and value at a time, on the caller's
 * thread; the same numbers written into one typed array cross as a single copy. The worker
 * rebuilds plain arrays from them, so a task sees exactly what it was given: a number[] arrives
 * as a number[] of the same length and values (-0, NaN and Infinity included).
 *
 * Forms, chosen per chunk of a map's items (always a plain Array on the caller's side, so a
 * payload that is not an Array is a packed one):
 * - items all numbers: one Int32Array (all 32-bit integers, not -0) or Float64Array;
 * - items all number[]: `{ v, o }`, the values (Int32 or Float64, see pack-rows.ts) and each
 *   row's start, one more than the rows;
 * - items all number[][]: `{ v, o, p }`, with `p` each item's first row in `o`.
 * - items all views of one buffer, of one type (see PackedViews): one copy of their range.
 * - items all plain objects of one shape with primitive values: by column (pack-records.ts).
 * - items all Dates, all BigInts, or numbers with nulls among them: pack-values.ts.
 * The same forms carry such arrays anywhere in a call's arguments (packArg, revived by
 * worker/revive-args.ts) and a task's result (packResult, ResultStatus.PACKED).
 * Rows and views packed for a map over thread workers carry `r`, room in the same shared
 * memory for the chunk's results (see resultsInRoom), so results that are all numbers come back
 * as a view of it too: a fresh typed array per chunk, allocated and cloned, costs more here
 * than the numbers it carries.
 * Anything else (a hole, a string, an object, rows and numbers mixed, too little to pay) is
 * left to structured clone, whole chunk at once, so nothing is half packed. Named properties
 * added to a row array are not carried (structured clone would carry them).
 *
 * Integers travel as an Int32Array: read from a Float64Array they would reach the task as
 * doubles, and V8 then compiles integer arithmetic on them (`x % p`) as floating point, 3.5×
 * slower (bench W3).
 */

import { type PackedRecords, packRecords, recordMaker, unpackRecords } from './pack-records.js';
import {
  PACK_MIN_VALUES,
  packMatrices,
  packNumbers,
  packRows,
  rebuildRows,
  rowBuilder,
} from './pack-rows.js';
import {
  isPackedValues,
  isPlainDate,
  type PackedValues,
  packBigInts,
  packDates,
  packedValue,
  packedValuesLength,
  packNullable,
  unpackValues,
} from './pack-values.js';
import { type PackedViews, packViews, unpackViews, viewConstructor } from './pack-views.js';
import type { PrepareContext } from './prepare.js';
import { type SlabLease, slabLease } from './slabs.js';

/** The key of a packed argument's wire form, `{ [PACKED_ARG]: packed }` (see packArg). */
export const PACKED_ARG = '__spindlePacked';

/**
 * An array of numbers in a call's arguments (or inside a map's items) packs from this many
 * values: below it, structured clone costs about what the wire form's fixed costs do.
 */
export const PACK_ARG_MIN = 1024;

/** Dates or BigInts in an array, at least, to pack: each costs clone ~0.1-1 µs, so few pay. */
const VALUES_MIN = 32;

export interface PackedArg {
  readonly [PACKED_ARG]: PackedArray;
}

export { PACK_MIN_VALUES, type RowBuilder, rowBuilder } from './pack-rows.js';
export { type PackedViews, packViews } from './pack-views.js';

export type NumberArray = Int32Array | Float64Array;
/** A packed chunk's values. */
export type RowValues = NumberArray;

/** Rows of numbers packed: values `v`, row `r` is `v[o[r]] … v[o[r + 1] - 1]`; `p` for one level more. */
export interface PackedRows {
  readonly v: RowValues;
  readonly o: Int32Array;
  readonly p?: Int32Array;
  /** Room for the chunk's results when they are all numbers (see ResultRoom), in shared memory. */
  readonly r?: Float64Array;
}

/** A boolean[]: one byte a value, 1 for true. */
export interface PackedBooleans {
  readonly f: Uint8Array;
}

/** What a map chunk's items pack as. */
export type Packed = NumberArray | PackedRows | PackedViews | PackedRecords | PackedValues;
/** What an array in a call's arguments or a result packs as: a chunk's forms, or booleans. */
export type PackedArray = Packed | PackedBooleans;

/**
 * A chunk's items in their packed form, or undefined when they are better cloned as they are.
 * With a call's arena (`ctx`, a map over thread workers) rows are written into the call's warm
 * shared memory (slabs.ts) and travel by reference, with room for their results; else into
 * fresh typed arrays that the message copies (imap, processes).
 */
export function packItems(
  items: unknown[],
  ctx?: PrepareContext,
): Exclude<Packed, PackedViews> | undefined {
  if (items.length === 0) return undefined;
  const first = items[0];
  if (typeof first === 'number' || first == null) {
    if (items.length < PACK_MIN_VALUES) return undefined;
    // Fresh typed arrays, not slabs: see bench/RESULTS.md (W3, ninth session).
    if (first != null)
      return orNullable(items, packNumbers(items, undefined), ctx && slabLease(ctx));
    const slabs = ctx && slabLease(ctx);
    return packNullable(items, slabs) ?? packDates(items, slabs);
  }
  if (isPlainDate(first) || typeof first === 'bigint') {
    if (items.length < VALUES_MIN) return undefined;
    const slabs = ctx && slabLease(ctx);
    return typeof first === 'bigint' ? packBigInts(items, slabs) : packDates(items, slabs);
  }
  if (!Array.isArray(first)) return packRecords(items);
  const depth = rowDepth(items);
  const slabs = ctx && slabLease(ctx);
  if (depth === 1) return packRows(items as unknown[][], slabs);
  if (depth === 2) return packMatrices(items as unknown[][][], slabs);
  return undefined;
}

/**
 * An array anywhere in a task's arguments in a packed form, as a map chunk's items pack, or
 * undefined when it is better cloned: a number[], number[][] or number[][][], an array of views
 * of one buffer (one copy of their range and offsets, pack-views.ts), or records
 * (pack-records.ts). Structured clone spends ~100-180 ns on each double (the caller writes it,
 * the worker makes a heap number of it); packing and rebuilding cost ~10-25. With a call's
 * slabs (threads, `submit` and `map`) numbers go into warm shared memory and cross by
 * reference. The worker rebuilds the array before the task runs (worker/revive-args.ts); the
 * same array twice in one call packs once and arrives as one array. Rows that are one array
 * twice arrive as two.
 */
export function packArg(array: unknown[], ctx: PrepareContext): PackedArg | undefined {
  const first = array[0];
  // The cheap refusals first: the walk asks this of every array it meets (a record's tags, a
  // parsed CSV's rows), and most are small or of strings.
  const type = typeof first;
  if (
    type === 'number'
      ? array.length < PACK_ARG_MIN
      : first == null
        ? array.length < VALUES_MIN
        : type !== 'object' && type !== 'boolean' && type !== 'bigint'
  )
    return undefined;
  const known = ctx.packed?.get(array);
  if (known) return known;
  const packed = ArrayBuffer.isView(first)
    ? packViews(array, ctx, { input: array, first: 0 })
    : packPlain(array, first, ctx);
  if (!packed) return undefined;
  const wire = { [PACKED_ARG]: packed };
  (ctx.packed ??= new Map()).set(array, wire);
  return wire;
}

/** A task's result in packed form (ResultStatus.PACKED): arrays of numbers or booleans, records. */
export function packResult(value: unknown[]): PackedArray | undefined {
  return packPlain(value, value[0], undefined);
}

/** An array of booleans, numbers (maybe with nulls), rows of them, Dates, BigInts or records, packed. */
function packPlain(
  array: unknown[],
  first: unknown,
  ctx: PrepareContext | undefined,
): PackedArray | undefined {
  if (typeof first === 'boolean') return packBooleans(array);
  if (first == null) {
    // Numbers or Dates with gaps, each at its own least length.
    if (array.length < VALUES_MIN) return undefined;
    const slabs = ctx && slabLease(ctx);
    return (
      (array.length >= PACK_ARG_MIN ? packNullable(array, slabs) : undefined) ??
      packDates(array, slabs)
    );
  }
  if (typeof first === 'number' || Array.isArray(first))
    return packNumberArray(array, ctx && slabLease(ctx));
  if (isPlainDate(first))
    return array.length < VALUES_MIN ? undefined : packDates(array, ctx && slabLease(ctx));
  if (typeof first === 'bigint')
    return array.length < VALUES_MIN ? undefined : packBigInts(array, ctx && slabLease(ctx));
  return packRecords(array);
}

/**
 * A boolean[] of at least PACK_ARG_MIN values as bytes. Structured clone writes a tag a value
 * and spindle's walk for views reads each one too; as bytes it is one copy.
 */
function packBooleans(array: unknown[]): PackedBooleans | undefined {
  const n = array.length;
  if (n < PACK_ARG_MIN) return undefined;
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = array[i];
    if (x === true) f[i] = 1;
    else if (x !== false) return undefined;
  }
  return { f };
}

/**
 * An array of numbers (or of rows of them, or of matrices) of at least PACK_ARG_MIN values in
 * typed memory, into `slabs` when given; unpackItems rebuilds it. Also a task's result, which
 * the worker sends this way (ResultStatus.PACKED).
 */
export function packNumberArray(
  array: unknown[],
  slabs: SlabLease | undefined,
): NumberArray | PackedRows | PackedValues | undefined {
  const first = array[0];
  const flat = typeof first === 'number';
  if (!flat && !Array.isArray(first)) return undefined;
  // An estimate of the values from the first row decides whether to try at all.
  const head = flat ? undefined : (first as unknown[])[0];
  const depth = flat ? 0 : Array.isArray(head) ? 2 : 1;
  const perItem = flat
    ? 1
    : (first as unknown[]).length * (depth === 2 ? (head as unknown[]).length : 1);
  if (array.length * perItem < PACK_ARG_MIN) return undefined;
  if (flat) return orNullable(array, packNumbers(array, slabs), slabs);
  if (rowDepth(array) !== depth) return undefined;
  return depth === 1
    ? packRows(array as unknown[][], slabs, false)
    : packMatrices(array as unknown[][][], slabs, false);
}

/**
 * A chunk's results, all numbers, written into the room its payload brought (`r`, one double
 * per item): as Int32 in the room's first half when all are 32-bit integers (so the caller gets
 * small integers back, not doubles), else as doubles; the view travels back by reference.
 */
export function resultsInRoom(out: number[], ints: boolean, room: Float64Array): NumberArray {
  const n = out.length;
  if (!ints) {
    for (let i = 0; i < n; i++) room[i] = out[i];
    return room;
  }
  const v = new Int32Array(room.buffer, room.byteOffset, n);
  for (let i = 0; i < n; i++) v[i] = out[i];
  return v;
}

/** How many items a packed payload holds. */
export function packedLength(packed: Packed): number {
  if (ArrayBuffer.isView(packed)) return packed.length;
  if ('t' in packed) return packed.n.length;
  if ('k' in packed) return packed.n;
  if (isPackedValues(packed)) return packedValuesLength(packed);
  return (packed.p ?? packed.o).length - 1;
}

/**
 * Item `i` of packed rows, built when asked: a worker builds each row just before its task
 * runs, so rows the task drops die young (cheap for the GC) instead of a whole chunk of them
 * surviving collections while the chunk runs.
 */
export function packedItem(packed: PackedRows | PackedViews | PackedValues, i: number): unknown {
  if (isPackedValues(packed)) return packedValue(packed, i);
  if ('t' in packed) {
    const view = new (viewConstructor(packed))(packed.b, packed.o[i], packed.n[i]);
    return packed.a ? (view as Int8Array).slice() : view;
  }
  if (packed.p) return rebuildRows(packed.v, packed.o, packed.p[i], packed.p[i + 1]);
  return rowBuilder(packed.v)(packed.v, packed.o, i);
}

/** Item `i` of any packed chunk, for a worker's loop: records' maker is compiled once a chunk. */
export function packedItems(packed: Exclude<Packed, NumberArray>): (i: number) => unknown {
  return 'k' in packed ? recordMaker(packed) : (i) => packedItem(packed, i);
}

/** The items a packed payload stands for; an Array is returned as it is. */
export function unpackItems(payload: unknown): unknown[] {
  if (Array.isArray(payload)) return payload;
  if (payload instanceof Int32Array || payload instanceof Float64Array)
    return unpackResults(payload);
  const packed = payload as Exclude<PackedArray, NumberArray>;
  if ('k' in packed) return unpackRecords(packed);
  if (isPackedValues(packed)) return unpackValues(packed);
  if ('f' in packed) {
    const out = new Array<boolean>(packed.f.length);
    for (let i = 0; i < out.length; i++) out[i] = packed.f[i] === 1;
    return out;
  }
  if ('t' in packed) return unpackViews(packed);
  if (packed.p) return rebuildMatrices(packed.v, packed.o, packed.p);
  return rebuildRows(packed.v, packed.o, 0, packed.o.length - 1);
}

/**
 * Results a worker sent back packed (an all-number chunk as one typed array, see
 * worker/chunk.ts) as the plain array of numbers the tasks returned; other results as they are.
 */
export function unpackResults<T>(raw: T[] | NumberArray): T[] {
  if (!ArrayBuffer.isView(raw)) return raw;
  // A plain loop: Array.from goes through the iterator, ~5× slower on 200,000 numbers.
  const out = new Array<T>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i] as T;
  return out;
}

/** A flat array's numbers, or when a gap stopped them, the numbers and their gaps (pack-values.ts). */
function orNullable(
  array: unknown[],
  packed: NumberArray | 'missing' | undefined,
  slabs: SlabLease | undefined,
): NumberArray | PackedValues | undefined {
  return packed === 'missing' ? packNullable(array, slabs) : packed;
}

/**
 * 1 when the items are arrays of numbers (or empty), 2 when arrays of arrays of numbers, read
 * from the first non-empty item; the packing passes check every element.
 */
function rowDepth(items: unknown[]): number {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!Array.isArray(item)) return 0;
    if (item.length === 0) continue;
    const head = item[0];
    if (typeof head === 'number') return 1;
    if (!Array.isArray(head)) return 0;
    for (let j = 0; j < item.length; j++) {
      const row = item[j];
      if (!Array.isArray(row)) return 0;
      if (row.length > 0) return typeof row[0] === 'number' ? 2 : 0;
    }
    return 2;
  }
  return 1;
}

function rebuildMatrices(v: RowValues, o: Int32Array, p: Int32Array): number[][][] {
  const out = new Array<number[][]>(p.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = rebuildRows(v, o, p[i], p[i + 1]);
  return out;
}
