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
 * - items all number[]: `{ v, o }`, the values and each row's start, one more than the rows;
 * - items all number[][]: `{ v, o, p }`, with `p` each item's first row in `o`.
 * - items all views of one buffer, of one type (see PackedViews): one copy of their range.
 * Anything else (a hole, a string, an object, rows and numbers mixed, too little to pay) is
 * left to structured clone, whole chunk at once, so nothing is half packed. Named properties
 * added to a row array are not carried (structured clone would carry them).
 *
 * Integers travel as an Int32Array: read from a Float64Array they would reach the task as
 * doubles, and V8 then compiles integer arithmetic on them (`x % p`) as floating point, 3.5×
 * slower (bench W3).
 */

import { type PrepareContext, TYPED_ARRAYS } from './prepare.js';

type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => unknown;

/** Values in a chunk, at least, before packing pays for its two passes. */
export const PACK_MIN_VALUES = 64;

/** Offsets are Int32: a chunk of more values than this is left to structured clone. */
const MAX_VALUES = 2 ** 31 - 1;

export type NumberArray = Int32Array | Float64Array;

/** Rows of numbers packed: values `v`, row `r` is `v[o[r]] … v[o[r + 1] - 1]`; `p` for one level more. */
export interface PackedRows {
  readonly v: NumberArray;
  readonly o: Int32Array;
  readonly p?: Int32Array;
}

/**
 * Views of one buffer (a matrix's rows as `subarray`s) packed: the range of the buffer they
 * cover, copied once (into the call's arena memory when it has one), and each view's byte
 * offset into that copy and length in elements. The worker makes each view when its task
 * runs, so neither side creates, serialises or revives one object per row.
 */
export interface PackedViews {
  /** The views' constructor, by name: every view of the chunk is of this one built-in type. */
  readonly t: string;
  readonly b: ArrayBufferLike;
  readonly o: Float64Array;
  readonly n: Float64Array;
}

export type Packed = NumberArray | PackedRows | PackedViews;

/** A buffer up to this size (or 64 times a chunk's range) is one block all chunks of a call share. */
const WHOLE_BLOCK_BYTES = 256 * 1024 * 1024;

/** Views in a chunk, at least, to travel packed (one view alone is copied as it is). */
const VIEWS_MIN = 2;

const VIEW_TYPES = new Map<object, string>(TYPED_ARRAYS.map((c) => [c.prototype, c.name]));

/**
 * A map chunk of views of one plain buffer, all of one built-in type and each under
 * `maxNbytes`, as one copy of the range they cover and offsets into it; undefined for any
 * other chunk (prepare.ts then readies it item by item). The copy is taken from the call's
 * arena lease when it has one (released with the call), else it is a plain ArrayBuffer that
 * crosses as a single copy (the processes backend, imap).
 */
export function packViews(items: unknown[], ctx: PrepareContext): PackedViews | undefined {
  if (items.length < VIEWS_MIN) return undefined;
  const first = items[0];
  if (!ArrayBuffer.isView(first)) return undefined;
  const proto = Object.getPrototypeOf(first);
  const type = VIEW_TYPES.get(proto);
  const buffer = first.buffer;
  if (!type || buffer instanceof SharedArrayBuffer || ctx.transfer?.has(buffer)) return undefined;
  const per = (first as Int8Array).BYTES_PER_ELEMENT;
  const limit = (ctx.maxNbytes ?? Number.POSITIVE_INFINITY) / per;
  const o = new Float64Array(items.length);
  const n = new Float64Array(items.length);
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  let elements = 0;
  // One pass, each property read once: at ~10–60 ns a read, this pass is most of what a
  // packed chunk of views costs the caller.
  for (let i = 0; i < items.length; i++) {
    const v = items[i] as Int8Array;
    // Same prototype: the same built-in type (a Node Buffer, a subclass, a DataView differ).
    if (!ArrayBuffer.isView(v) || Object.getPrototypeOf(v) !== proto || v.buffer !== buffer)
      return undefined;
    const length = v.length;
    if (length > limit) return undefined;
    const at = v.byteOffset;
    o[i] = at;
    n[i] = length;
    if (at < lo) lo = at;
    const end = at + length * per;
    if (end > hi) hi = end;
    elements += length;
  }
  lo -= lo % 8; // every view keeps its alignment at its new offset
  if (hi - lo > 2 * elements * per) return undefined;
  // With an arena, every chunk of the call (and later calls) uses one block the size of the
  // whole buffer, each writing or checking only its own range: views keep their offsets.
  // A buffer far larger than the chunk's range gets a block of that range alone (its pages
  // would be reserved, if never touched, for every call).
  let b: ArrayBufferLike;
  if (ctx.arena && buffer.byteLength <= Math.max(WHOLE_BLOCK_BYTES, 64 * (hi - lo))) {
    const lease = (ctx.lease ??= ctx.arena.lease());
    b = lease.copy(buffer, 0, buffer.byteLength, false, lo, hi, true);
  } else if (ctx.arena) {
    b = (ctx.lease ??= ctx.arena.lease()).copy(buffer, lo, hi - lo, true);
    for (let i = 0; i < o.length; i++) o[i] -= lo;
  } else {
    b = buffer.slice(lo, hi);
    for (let i = 0; i < o.length; i++) o[i] -= lo;
  }
  return { t: type, b, o, n };
}

/** A chunk's items in their packed form, or undefined when they are better cloned as they are. */
export function packItems(items: unknown[]): NumberArray | PackedRows | undefined {
  if (items.length === 0) return undefined;
  const first = items[0];
  if (typeof first === 'number')
    return items.length < PACK_MIN_VALUES ? undefined : packFlat(items);
  if (!Array.isArray(first)) return undefined;
  const depth = rowDepth(items);
  if (depth === 1) return packRows(items as unknown[][]);
  if (depth === 2) return packMatrices(items as unknown[][][]);
  return undefined;
}

/** How many items a packed payload holds. */
export function packedLength(packed: Packed): number {
  if (ArrayBuffer.isView(packed)) return packed.length;
  if ('t' in packed) return packed.n.length;
  return (packed.p ?? packed.o).length - 1;
}

/**
 * Item `i` of packed rows, built when asked: a worker builds each row just before its task
 * runs, so rows the task drops die young (cheap for the GC) instead of a whole chunk of them
 * surviving collections while the chunk runs.
 */
export function packedItem(packed: PackedRows | PackedViews, i: number): unknown {
  if ('t' in packed) {
    const Ctor = (globalThis as unknown as Record<string, ViewCtor>)[packed.t];
    return new Ctor(packed.b, packed.o[i], packed.n[i]);
  }
  if (packed.p) return rebuildRows(packed.v, packed.o, packed.p[i], packed.p[i + 1]);
  return rowAt(packed.v, packed.o, i);
}

/** The items a packed payload stands for; an Array is returned as it is. */
export function unpackItems(payload: unknown): unknown[] {
  if (Array.isArray(payload)) return payload;
  if (payload instanceof Int32Array || payload instanceof Float64Array)
    return unpackResults(payload);
  const packed = payload as PackedRows | PackedViews;
  if ('t' in packed)
    return Array.from({ length: packed.n.length }, (_, i) => packedItem(packed, i));
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

/** Numbers of one kind: Int32 while every value is one, else Float64 (checks stop at a non-number). */
function packFlat(items: unknown[]): NumberArray | undefined {
  let ints = true;
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    if (typeof x !== 'number') return undefined;
    if (ints && ((x | 0) !== x || Object.is(x, -0))) ints = false;
  }
  return ints ? Int32Array.from(items as number[]) : Float64Array.from(items as number[]);
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

/** Row `rows[i]` must be an Array (checked by the callers); -1: a value refused. */
const REFUSED = -1;
/** -2: a value that is a number but not a 32-bit integer (write the chunk as doubles). */
const NOT_INT = -2;

/**
 * Writes `rows` into `v` from `at` as 32-bit integers, each row's end into `o` from `oAt`; the
 * end, or REFUSED / NOT_INT. One tight loop per element type: the packing pass is the one part
 * of a packed call that runs on the caller's thread only, so it stays a fraction of a loop's cost.
 */
function writeInts(
  rows: unknown[][],
  v: Int32Array,
  o: Int32Array,
  oAt: number,
  at: number,
): number {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const n = row.length;
    for (let j = 0; j < n; j++) {
      const x = row[j] as number;
      // Also true for anything not a number (undefined | 0 is 0, '1' | 0 is 1).
      if ((x | 0) !== x) return typeof x === 'number' ? NOT_INT : REFUSED;
      if (x === 0 && 1 / x < 0) return NOT_INT;
      v[at++] = x;
    }
    o[oAt + i + 1] = at;
  }
  return at;
}

/** As writeInts, as doubles; a hole reads as undefined, so a sparse row is refused. */
function writeDoubles(
  rows: unknown[][],
  v: Float64Array,
  o: Int32Array,
  oAt: number,
  at: number,
): number {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const n = row.length;
    for (let j = 0; j < n; j++) {
      const x = row[j];
      if (typeof x !== 'number') return REFUSED;
      v[at++] = x;
    }
    o[oAt + i + 1] = at;
  }
  return at;
}

/** Every row written as ints, or else as doubles; undefined when a value is refused. */
function writeAll(
  total: number,
  write: (v: NumberArray, kind: 'ints' | 'doubles') => number,
): NumberArray | undefined {
  const ints = new Int32Array(total);
  const end = write(ints, 'ints');
  if (end >= 0) return ints;
  if (end === REFUSED) return undefined;
  const doubles = new Float64Array(total);
  return write(doubles, 'doubles') >= 0 ? doubles : undefined;
}

function packRows(items: unknown[][]): PackedRows | undefined {
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!Array.isArray(item)) return undefined;
    total += item.length;
  }
  if (total < PACK_MIN_VALUES || total > MAX_VALUES) return undefined;
  const o = new Int32Array(items.length + 1);
  const v = writeAll(total, (values, kind) =>
    kind === 'ints'
      ? writeInts(items, values as Int32Array, o, 0, 0)
      : writeDoubles(items, values as Float64Array, o, 0, 0),
  );
  return v && { v, o };
}

function packMatrices(items: unknown[][][]): PackedRows | undefined {
  let rows = 0;
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!Array.isArray(item)) return undefined;
    rows += item.length;
    for (let j = 0; j < item.length; j++) {
      const row = item[j];
      if (!Array.isArray(row)) return undefined;
      total += row.length;
    }
  }
  if (total < PACK_MIN_VALUES || total > MAX_VALUES) return undefined;
  const p = new Int32Array(items.length + 1);
  const o = new Int32Array(rows + 1);
  const v = writeAll(total, (values, kind) => {
    let at = 0;
    let r = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      at =
        kind === 'ints'
          ? writeInts(item, values as Int32Array, o, r, at)
          : writeDoubles(item, values as Float64Array, o, r, at);
      if (at < 0) return at;
      r += item.length;
      p[i + 1] = r;
    }
    return at;
  });
  return v && { v, o, p };
}

/**
 * Plain arrays of rows `from` to `to`. `new Array(n)` filled in order is the fastest build
 * measured, and tasks read it faster than `push`-built arrays or structured clone's.
 */
function rebuildRows(v: NumberArray, o: Int32Array, from: number, to: number): number[][] {
  const out = new Array<number[]>(to - from);
  for (let r = from; r < to; r++) out[r - from] = rowAt(v, o, r);
  return out;
}

function rowAt(v: NumberArray, o: Int32Array, r: number): number[] {
  const lo = o[r];
  const n = o[r + 1] - lo;
  const row = new Array<number>(n);
  for (let j = 0; j < n; j++) row[j] = v[lo + j];
  return row;
}

function rebuildMatrices(v: NumberArray, o: Int32Array, p: Int32Array): number[][][] {
  const out = new Array<number[][]>(p.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = rebuildRows(v, o, p[i], p[i + 1]);
  return out;
}
