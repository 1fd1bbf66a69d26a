/**
 * Writing a chunk's rows of numbers (number[] or number[][] items) into typed memory, for
 * pack.ts: values as Int32 (every one a 32-bit integer, not -0) or else Float64, each row's end,
 * and room for the chunk's results.
 *
 * Tried and dropped (fifth session): Int16 values when they fit, and loops that widen a chunk
 * where a row does not fit instead of writing it again whole. Writing half the bytes did not
 * lower the caller's CPU (the pass is bound by reading the rows), and the widening loops cost
 * the caller ~10 ms more a call over 200,000 rows (six pairs, median), as V8 compiled them.
 */
import type { NumberArray, PackedRows } from './pack.js';
import type { SlabLease } from './slabs.js';

/** Values in a chunk, at least, before packing pays for its two passes. */
export const PACK_MIN_VALUES = 64;

/** Offsets are Int32: a chunk of more values than this is left to structured clone. */
export const MAX_VALUES = 2 ** 31 - 1;

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
      const x = row[j];
      // The type first: `| 0` would throw on a BigInt and call an object's valueOf.
      if (typeof x !== 'number') return REFUSED;
      if ((x | 0) !== x || (x === 0 && 1 / x < 0)) return NOT_INT;
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

/**
 * Where a chunk's packed arrays are made: fresh typed arrays, or views of the call's slabs.
 * `undo` gives slab space back when the chunk turns out not to pack (a string in a row).
 * Slab memory is reused, not zeroed: every element of what it gives must be written.
 */
export class Space {
  readonly #slabs: SlabLease | undefined;
  readonly #taken: Array<[SharedArrayBuffer, number, number]> = [];

  constructor(slabs: SlabLease | undefined) {
    this.#slabs = slabs;
  }

  ints(length: number): Int32Array {
    if (!this.#slabs) return new Int32Array(length);
    return new Int32Array(...this.#take(4 * length), length);
  }

  doubles(length: number): Float64Array {
    if (!this.#slabs) return new Float64Array(length);
    return new Float64Array(...this.#take(8 * length), length);
  }

  bigints(length: number): BigInt64Array {
    if (!this.#slabs) return new BigInt64Array(length);
    return new BigInt64Array(...this.#take(8 * length), length);
  }

  bytes(length: number): Uint8Array {
    if (!this.#slabs) return new Uint8Array(length);
    return new Uint8Array(...this.#take(length), length);
  }

  /** Room for `length` results, only in shared memory (a fresh array would cost its clone). */
  results(length: number): Float64Array | undefined {
    return this.#slabs && this.doubles(length);
  }

  undo(): undefined {
    for (let i = this.#taken.length - 1; i >= 0; i--) this.#slabs!.undo(...this.#taken[i]);
    return undefined;
  }

  #take(bytes: number): [SharedArrayBuffer, number] {
    const [sab, at] = this.#slabs!.alloc(bytes);
    this.#taken.push([sab, at, bytes]);
    return [sab, at];
  }
}

/** Every row written as ints, or else as doubles; undefined when a value is refused. */
function writeAll(
  space: Space,
  total: number,
  write: (v: NumberArray, kind: 'ints' | 'doubles') => number,
): NumberArray | undefined {
  const ints = space.ints(total);
  const end = write(ints, 'ints');
  if (end >= 0) return ints;
  if (end === REFUSED) return undefined;
  const doubles = space.doubles(total);
  return write(doubles, 'doubles') >= 0 ? doubles : undefined;
}

/**
 * Whether a row's last value is one no row packs with. Read before any pass, of the middle and
 * last rows (or values): a string last among a million numbers cost a whole pass that structured
 * clone then repeated, and numbers with a gap a second pass before the right form.
 */
function endRefuses(row: unknown[]): boolean {
  return row.length > 0 && typeof row[row.length - 1] !== 'number';
}

/**
 * A flat array of numbers as Int32 or Float64 values (see pack.ts), `'missing'` when a null or
 * undefined is among them (pack-values.ts packs those), undefined when anything else is.
 */
export function packNumbers(
  array: unknown[],
  slabs: SlabLease | undefined,
): NumberArray | 'missing' | undefined {
  const n = array.length;
  const mid = array[n >> 1];
  const last = array[n - 1];
  if (typeof mid !== 'number' || typeof last !== 'number')
    return mid == null || last == null ? 'missing' : undefined;
  // One pass that writes as it checks, as Int32 until a value is not one, then the rest as
  // doubles. (TypedArray#set is native only for arrays V8 holds as unboxed numbers: on an
  // array that also held a string it took 25 ms for 500,000 values, this loop 4.)
  const space = new Space(slabs);
  const ints = space.ints(n);
  let i = 0;
  for (; i < n; i++) {
    const x = array[i];
    if (typeof x !== 'number') return refused(space, x);
    if ((x | 0) !== x || (x === 0 && 1 / x < 0)) break;
    ints[i] = x;
  }
  if (i === n) return ints;
  const doubles = space.doubles(n);
  for (let j = 0; j < i; j++) doubles[j] = ints[j];
  for (; i < n; i++) {
    const x = array[i];
    if (typeof x !== 'number') return refused(space, x);
    doubles[i] = x;
  }
  return doubles;
}

function refused(space: Space, x: unknown): 'missing' | undefined {
  space.undo();
  return x == null ? 'missing' : undefined;
}

/** `room`: with slabs, also room for one result an item (a map's chunk; not a call's argument). */
export function packRows(
  items: unknown[][],
  slabs: SlabLease | undefined,
  room = true,
): PackedRows | undefined {
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!Array.isArray(item)) return undefined;
    total += item.length;
  }
  if (total < PACK_MIN_VALUES || total > MAX_VALUES) return undefined;
  if (endRefuses(items[items.length >> 1]) || endRefuses(items[items.length - 1])) return undefined;
  const space = new Space(slabs);
  const o = space.ints(items.length + 1);
  o[0] = 0;
  const r = room ? space.results(items.length) : undefined;
  const v = writeAll(space, total, (values, kind) =>
    kind === 'ints'
      ? writeInts(items, values as Int32Array, o, 0, 0)
      : writeDoubles(items, values as Float64Array, o, 0, 0),
  );
  if (!v) return space.undo();
  return r ? { v, o, r } : { v, o };
}

export function packMatrices(
  items: unknown[][][],
  slabs: SlabLease | undefined,
  room = true,
): PackedRows | undefined {
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
  const space = new Space(slabs);
  const p = space.ints(items.length + 1);
  const o = space.ints(rows + 1);
  p[0] = 0;
  o[0] = 0;
  const r = room ? space.results(items.length) : undefined;
  const v = writeAll(space, total, (values, kind) => {
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
  if (!v) return space.undo();
  return r ? { v, o, p, r } : { v, o, p };
}

/**
 * Plain arrays of rows `from` to `to`. `new Array(n)` filled in order is the fastest build
 * measured, and tasks read it faster than `push`-built arrays or structured clone's.
 */
export function rebuildRows(v: NumberArray, o: Int32Array, from: number, to: number): number[][] {
  const rowAt = rowBuilder(v);
  const out = new Array<number[]>(to - from);
  for (let r = from; r < to; r++) out[r - from] = rowAt(v, o, r);
  return out;
}

export type RowBuilder = (v: NumberArray, o: Int32Array, r: number) => number[];

/**
 * The builder of rows for values of `v`'s kind. Two of the same body, so that each one's loads
 * stay monomorphic: one builder fed two kinds of typed array in turn built rows 10-20% slower
 * (100,000 rows of 100, measured in one thread).
 */
export function rowBuilder(v: NumberArray): RowBuilder {
  return v instanceof Int32Array ? rowOfInts : rowOfDoubles;
}

function rowOfInts(v: NumberArray, o: Int32Array, r: number): number[] {
  const lo = o[r];
  const n = o[r + 1] - lo;
  const row = new Array<number>(n);
  for (let j = 0; j < n; j++) row[j] = v[lo + j];
  return row;
}

function rowOfDoubles(v: NumberArray, o: Int32Array, r: number): number[] {
  const lo = o[r];
  const n = o[r + 1] - lo;
  const row = new Array<number>(n);
  for (let j = 0; j < n; j++) row[j] = v[lo + j];
  return row;
}
