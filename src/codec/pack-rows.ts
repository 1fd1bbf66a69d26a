/**
 * Writing a chunk's rows of numbers (number[] or number[][] items) into typed memory, for
 * pack.ts: values as the narrowest of Int16, Int32 and Float64 that holds them all, each row's
 * end, and room for the chunk's results.
 */
import type { PackedRows, RowValues } from './pack.js';
import type { SlabLease } from './slabs.js';

/** Values in a chunk, at least, before packing pays for its two passes. */
export const PACK_MIN_VALUES = 64;

/** Offsets are Int32: a chunk of more values than this is left to structured clone. */
export const MAX_VALUES = 2 ** 31 - 1;

/**
 * Writes `rows` from row `from` into `v` (from `o[from]`), each row's end into `o[i + 1]`; the
 * end, or `-1 - i` when row `i` holds a value this kind cannot (writeValues then looks at that
 * row). One tight loop per kind of value (16-bit, 32-bit integers, doubles), each of the shape
 * V8 compiles best here (extra parameters, or a loop resuming mid-row, cost 10-20%): the
 * packing pass is the one part of a packed call that runs on the caller's thread alone.
 */
function writeShorts(rows: unknown[][], v: Int16Array, o: Int32Array, from: number): number {
  let at = o[from];
  for (let i = from; i < rows.length; i++) {
    const row = rows[i];
    const n = row.length;
    for (let j = 0; j < n; j++) {
      const x = row[j] as number;
      // Also true for anything not a number ('1' << 16 >> 16 is 1, not '1').
      if ((x << 16) >> 16 !== x) return -1 - i;
      if (x === 0 && 1 / x < 0) return -1 - i;
      v[at++] = x;
    }
    o[i + 1] = at;
  }
  return at;
}

/** As writeShorts, for 32-bit integers. */
function writeInts(rows: unknown[][], v: Int32Array, o: Int32Array, from: number): number {
  let at = o[from];
  for (let i = from; i < rows.length; i++) {
    const row = rows[i];
    const n = row.length;
    for (let j = 0; j < n; j++) {
      const x = row[j] as number;
      if ((x | 0) !== x) return -1 - i;
      if (x === 0 && 1 / x < 0) return -1 - i;
      v[at++] = x;
    }
    o[i + 1] = at;
  }
  return at;
}

/** As writeShorts, for any number; a hole reads as undefined, so a sparse row is refused. */
function writeDoubles(rows: unknown[][], v: Float64Array, o: Int32Array, from: number): number {
  let at = o[from];
  for (let i = from; i < rows.length; i++) {
    const row = rows[i];
    const n = row.length;
    for (let j = 0; j < n; j++) {
      const x = row[j];
      if (typeof x !== 'number') return -1 - i;
      v[at++] = x;
    }
    o[i + 1] = at;
  }
  return at;
}

/** The kinds of values a chunk is written as, narrowest first. */
const SHORTS = 0;
const INTS = 1;
const DOUBLES = 2;
type ValueKind = typeof SHORTS | typeof INTS | typeof DOUBLES;

/**
 * The kind the last chunk of a call needed: the next chunk starts there, so a call whose values
 * need 32 bits does not write each chunk's first values twice.
 */
const kindOfCall = new WeakMap<object, ValueKind>();

/** The narrowest kind that holds every value of `row`, or -1 when one is not a number. */
function kindOfRow(row: unknown[]): ValueKind | -1 {
  let kind: ValueKind = SHORTS;
  for (let j = 0; j < row.length; j++) {
    const x = row[j];
    if (typeof x !== 'number') return -1;
    if ((x | 0) !== x || (x === 0 && 1 / x < 0)) kind = DOUBLES;
    else if ((x << 16) >> 16 !== x && kind === SHORTS) kind = INTS;
  }
  return kind;
}

/**
 * Every value of `rows` written as the narrowest kind that holds them all, starting at `kind`:
 * a row that does not fit widens the chunk, copying the rows written before it (a typed copy,
 * cheap) and going on from it, so each row is read about once. Undefined when a value is refused.
 */
function writeValues(
  space: Space,
  rows: unknown[][],
  o: Int32Array,
  total: number,
  kind: ValueKind,
): RowValues | undefined {
  let v: RowValues = space.values(kind, total);
  let from = 0;
  for (;;) {
    const end =
      kind === SHORTS
        ? writeShorts(rows, v as Int16Array, o, from)
        : kind === INTS
          ? writeInts(rows, v as Int32Array, o, from)
          : writeDoubles(rows, v as Float64Array, o, from);
    if (end >= 0) return v;
    from = -1 - end;
    const need = kindOfRow(rows[from]);
    // (A row whose values change as they are read, through getters, ends here too.)
    if (need < 0 || kind === DOUBLES) return undefined;
    kind = Math.max(kind + 1, need) as ValueKind;
    const wider = space.values(kind, total);
    wider.set(v.subarray(0, o[from]));
    v = wider;
  }
}

/**
 * Where a chunk's packed arrays are made: fresh typed arrays, or views of the call's slabs.
 * `undo` gives slab space back when the chunk turns out not to pack (a string in a row).
 */
class Space {
  readonly #slabs: SlabLease | undefined;
  readonly #taken: Array<[SharedArrayBuffer, number, number]> = [];

  constructor(slabs: SlabLease | undefined) {
    this.#slabs = slabs;
  }

  ints(length: number): Int32Array {
    if (!this.#slabs) return new Int32Array(length);
    return new Int32Array(...this.#take(4 * length), length);
  }

  values(kind: ValueKind, length: number): RowValues {
    if (kind === INTS) return this.ints(length);
    if (kind === SHORTS) {
      if (!this.#slabs) return new Int16Array(length);
      return new Int16Array(...this.#take(2 * length), length);
    }
    return this.doubles(length);
  }

  doubles(length: number): Float64Array {
    if (!this.#slabs) return new Float64Array(length);
    return new Float64Array(...this.#take(8 * length), length);
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

/**
 * `rows` (each an Array, checked by the callers) with `total` values written into typed memory,
 * each row's end in `o` after `o[0] = 0`; undefined when a value is refused.
 */
function packValues(
  space: Space,
  rows: unknown[][],
  o: Int32Array,
  total: number,
  call: object | undefined,
): RowValues | undefined {
  o[0] = 0;
  const v = writeValues(space, rows, o, total, (call && kindOfCall.get(call)) ?? SHORTS);
  if (v && call)
    kindOfCall.set(
      call,
      v instanceof Int16Array ? SHORTS : v instanceof Int32Array ? INTS : DOUBLES,
    );
  return v;
}

export function packRows(
  items: unknown[][],
  slabs: SlabLease | undefined,
  call: object | undefined,
): PackedRows | undefined {
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!Array.isArray(item)) return undefined;
    total += item.length;
  }
  if (total < PACK_MIN_VALUES || total > MAX_VALUES) return undefined;
  const space = new Space(slabs);
  const o = space.ints(items.length + 1);
  const r = space.results(items.length);
  const v = packValues(space, items, o, total, call);
  if (!v) return space.undo();
  return r ? { v, o, r } : { v, o };
}

export function packMatrices(
  items: unknown[][][],
  slabs: SlabLease | undefined,
  call: object | undefined,
): PackedRows | undefined {
  let count = 0;
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!Array.isArray(item)) return undefined;
    count += item.length;
    for (let j = 0; j < item.length; j++) {
      const row = item[j];
      if (!Array.isArray(row)) return undefined;
      total += row.length;
    }
  }
  if (total < PACK_MIN_VALUES || total > MAX_VALUES) return undefined;
  const space = new Space(slabs);
  const p = space.ints(items.length + 1);
  const o = space.ints(count + 1);
  const r = space.results(items.length);
  // One list of every item's rows, so the rows are written by one loop (and widened once).
  const rows = new Array<unknown[]>(count);
  let k = 0;
  p[0] = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    for (let j = 0; j < item.length; j++) rows[k++] = item[j];
    p[i + 1] = k;
  }
  const v = packValues(space, rows, o, total, call);
  if (!v) return space.undo();
  return r ? { v, o, p, r } : { v, o, p };
}
