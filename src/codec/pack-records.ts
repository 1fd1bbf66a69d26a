/**
 * Arrays of plain objects of one shape (records: `{ id, x, y, name }` rows, what a program
 * builds from JSON or a database) by column instead of object by object. Structured clone
 * writes each object's keys and values one by one, and the worker rebuilds each object a
 * property at a time (~1-2 µs an object of four fields here); by column, each key crosses once,
 * numbers as one typed array a key, and the worker makes each object from one object literal
 * compiled for the shape, with the same keys in the same order, just before its task runs.
 *
 * Packed only when every item is a plain object (or of null prototype: structured clone gives
 * those Object.prototype too) with the same own enumerable keys in the same order, at most
 * MAX_KEYS of them, none `__proto__`, and every value, key by key, either a primitive, an
 * array of primitives, or (to MAX_NESTING levels) a plain object of one shape packed the same
 * way: JSON's usual `{ id, tags: [...], address: { city, zip } }`. Arrays of numbers in a
 * column go as packed rows, a column of Dates (null in some) as their time values, and one of
 * numbers with nulls as numbers and a mask (pack-values.ts). Anything else (a view, a key that
 * is an object in one record and null in another) is left to structured clone, whole array at
 * once. The same object, array or Date twice arrives as two, and an inner array of numbers
 * loses named properties.
 */
import type { NumberArray, PackedRows } from './pack.js';
import { packRows, rebuildRows } from './pack-rows.js';
import {
  isPackedValues,
  isPlainDate,
  type PackedValues,
  packBigInts,
  packDates,
  packNullable,
  unpackValues,
} from './pack-values.js';

export interface PackedRecords {
  /** The keys, in the objects' order. */
  readonly k: string[];
  /** One column a key (see Column). */
  readonly c: Column[];
  /** How many objects. */
  readonly n: number;
}

/**
 * A key's values: all numbers as an Int32Array or Float64Array; other primitives, or arrays of
 * primitives, as a plain array; objects of one shape as records themselves; number[] values as
 * packed rows.
 */
type Column = NumberArray | unknown[] | PackedRecords | PackedRows | PackedValues;

/** Objects in an array, at least, to pack: below it the columns' fixed costs outweigh it. */
export const RECORDS_MIN = 32;
/** Keys of a shape, at most: one object literal is compiled per shape in a worker. */
const MAX_KEYS = 64;
/** Levels of objects inside objects that pack by column. */
const MAX_NESTING = 4;
/** Items of an array inside a record, at most, that are checked one by one (a hole reads as undefined). */
const MAX_INNER_ITEMS = 4096;
const EMPTY = {};

const NUMBERS = 0;
const PRIMITIVES = 1;
const OBJECTS = 2;
const ARRAYS = 3;
const DATES = 4;

/** The items by column, or undefined when they are not records of one shape (see above). */
export function packRecords(items: unknown[], nesting = 0): PackedRecords | undefined {
  const n = items.length;
  if (n < RECORDS_MIN || !isPlain(items[0])) return undefined;
  // Keys inherited from a polluted Object.prototype would come out of for...in too.
  if (enumerableOnPrototype()) return undefined;
  const keys = Object.keys(items[0] as object);
  const k = keys.length;
  if (k === 0 || k > MAX_KEYS || keys.includes('__proto__')) return undefined;
  // Read before any pass, as pack-rows.ts's endRefuses: records whose last (or middle) one is of
  // another shape would be read whole before they were refused.
  if (!hasKeys(items[n >> 1], keys) || !hasKeys(items[n - 1], keys)) return undefined;
  // The first object's values, read once (a getter runs once, as under structured clone), tell
  // each column's kind before any is made.
  const first = items[0] as Record<string, unknown>;
  const head = keys.map((key) => first[key]);
  const kinds = head.map((v) => kindOf(v, nesting));
  if (kinds.includes(-1)) return undefined;
  const cols: Array<Float64Array | unknown[]> = kinds.map((kind) =>
    kind === NUMBERS ? new Float64Array(n) : new Array(n),
  );
  const ints = kinds.map((kind) => kind === NUMBERS);
  for (let j = 0; j < k; j++) if (!put(cols, kinds, ints, j, 0, head[j])) return undefined;
  for (let i = 1; i < n; i++) {
    const item = items[i];
    if (!isPlain(item)) return undefined;
    let j = 0;
    for (const key in item as object) {
      if (j === k || key !== keys[j]) return undefined;
      if (!put(cols, kinds, ints, j, i, (item as Record<string, unknown>)[key])) return undefined;
      j++;
    }
    if (j !== k) return undefined;
  }
  const c = new Array<Column>(k);
  for (let j = 0; j < k; j++) {
    const col = cols[j];
    if (kinds[j] === OBJECTS) {
      const inner = packRecords(col as unknown[], nesting + 1);
      if (!inner) return undefined;
      c[j] = inner;
    } else if (kinds[j] === ARRAYS) c[j] = packRows(col as unknown[][], undefined, false) ?? col;
    else if (kinds[j] === DATES) {
      const dates = packDates(col as unknown[], undefined);
      if (!dates) return undefined;
      c[j] = dates;
    } else if (kinds[j] === PRIMITIVES)
      c[j] =
        packNullable(col as unknown[], undefined) ??
        packBigInts(col as unknown[], undefined) ??
        col;
    else c[j] = col instanceof Float64Array && ints[j] ? Int32Array.from(col) : col;
  }
  return { k: keys, c, n };
}

/** Whether `item` is a plain object with exactly these own enumerable keys in this order (no value is read). */
function hasKeys(item: unknown, keys: string[]): boolean {
  if (!isPlain(item)) return false;
  let j = 0;
  for (const key in item as object) if (key !== keys[j++]) return false;
  return j === keys.length;
}

/**
 * A column's kind from its first value; -1 for a value no column carries: a class instance,
 * a view or an object nested too deep is left to structured clone with the rest (it may need
 * preparing), as are a function and a symbol, which clone refuses, so the refusal reads the same.
 */
function kindOf(value: unknown, nesting: number): number {
  if (typeof value === 'number') return NUMBERS;
  if (isPrimitive(value)) return PRIMITIVES;
  if (isPlainDate(value)) return DATES;
  if (Array.isArray(value)) return primitivesOnly(value) ? ARRAYS : -1;
  return nesting < MAX_NESTING && isPlain(value) ? OBJECTS : -1;
}

/** Writes item `i`'s value into column `j`; false for a value the column cannot carry. */
function put(
  cols: Array<Float64Array | unknown[]>,
  kinds: number[],
  ints: boolean[],
  j: number,
  i: number,
  value: unknown,
): boolean {
  const kind = kinds[j];
  let col = cols[j];
  if (kind === NUMBERS) {
    if (typeof value === 'number') {
      (col as Float64Array)[i] = value;
      if (ints[j] && ((value | 0) !== value || (value === 0 && 1 / value < 0))) ints[j] = false;
      return true;
    }
    // A column of numbers with something else in it goes on as a plain array.
    const length = col.length;
    col = cols[j] = Array.from((col as Float64Array).subarray(0, i));
    col.length = length;
    kinds[j] = PRIMITIVES;
  } else if (kind === OBJECTS) {
    if (!isPlain(value)) return false;
    (col as unknown[])[i] = value;
    return true;
  } else if (kind === DATES) {
    if (value != null && !isPlainDate(value)) return false;
    (col as unknown[])[i] = value;
    return true;
  } else if (kind === ARRAYS) {
    if (!Array.isArray(value) || !primitivesOnly(value)) return false;
    (col as unknown[])[i] = value;
    return true;
  }
  if (!isPrimitive(value)) {
    // An optional timestamp: nulls so far, then a Date.
    if (!isPlainDate(value) || !allMissing(col as unknown[], i)) return false;
    kinds[j] = DATES;
  }
  (col as unknown[])[i] = value;
  return true;
}

function allMissing(col: unknown[], to: number): boolean {
  for (let i = 0; i < to; i++) if (col[i] != null) return false;
  return true;
}

/** An array whose items are all primitives (nothing in it for prepare.ts to find). */
function primitivesOnly(array: unknown[]): boolean {
  const n = array.length;
  if (n > MAX_INNER_ITEMS) return false;
  for (let i = 0; i < n; i++) if (!isPrimitive(array[i])) return false;
  return true;
}

function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return type === 'object' ? value === null : type !== 'function' && type !== 'symbol';
}

/** Whether Object.prototype has enumerable keys (polluted), which for...in would visit too. */
export function enumerableOnPrototype(): boolean {
  for (const _ in EMPTY) return true;
  return false;
}

/** A plain object (its prototype Object.prototype or null), not an array. */
export function isPlain(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

type Maker = (i: number) => Record<string, unknown>;
type Factory = (columns: ArrayLike<unknown>[]) => Maker;

/** Factories by shape (keys joined), a bounded few: a worker sees few shapes. */
const factories = new Map<string, Factory>();
const FACTORIES_MAX = 256;

/**
 * Makes item `i` of packed records. One object literal per shape: every object gets the same
 * hidden class at once, where adding keys one by one (as structured clone does) walks its
 * transitions per object. Keys are JSON string literals, exact for any string.
 */
export function recordMaker(packed: PackedRecords): Maker {
  const shape = packed.k.join('\u0000');
  let factory = factories.get(shape);
  if (!factory) {
    const names = packed.k.map((_, j) => `c${j}`);
    const fields = packed.k.map((key, j) => `${JSON.stringify(key)}: c${j}[i]`);
    try {
      factory = new Function(
        'columns',
        `const [${names.join(', ')}] = columns;\nreturn (i) => ({ ${fields.join(', ')} });`,
      ) as Factory;
    } catch {
      // Code generation refused (node --disallow-code-generation-from-strings): key by key.
      factory = (columns) => (i) => {
        const o: Record<string, unknown> = {};
        for (let j = 0; j < packed.k.length; j++) o[packed.k[j]] = columns[j][i];
        return o;
      };
    }
    if (factories.size >= FACTORIES_MAX) factories.clear();
    factories.set(shape, factory);
  }
  return factory(packed.c.map(columnValues));
}

/** A column as the values it stands for, one an object. */
function columnValues(column: Column): ArrayLike<unknown> {
  if (Array.isArray(column) || ArrayBuffer.isView(column)) return column;
  if ('k' in column) return unpackRecords(column);
  if (isPackedValues(column)) return unpackValues(column);
  return rebuildRows(column.v, column.o, 0, column.o.length - 1);
}

/** The records as the array of objects they stand for. */
export function unpackRecords(packed: PackedRecords): Record<string, unknown>[] {
  const make = recordMaker(packed);
  const out = new Array<Record<string, unknown>>(packed.n);
  for (let i = 0; i < packed.n; i++) out[i] = make(i);
  return out;
}
