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
 * MAX_KEYS of them, none `__proto__`, and every value a primitive; anything else, an object
 * value included, is left to structured clone. The same object twice arrives as two.
 */
import type { NumberArray } from './pack.js';

export interface PackedRecords {
  /** The keys, in the objects' order. */
  readonly k: string[];
  /** One column a key: all numbers as an Int32Array or Float64Array, else a plain array. */
  readonly c: Array<NumberArray | unknown[]>;
  /** How many objects. */
  readonly n: number;
}

/** Objects in an array, at least, to pack: below it the columns' fixed costs outweigh it. */
export const RECORDS_MIN = 32;
/** Keys of a shape, at most: one object literal is compiled per shape in a worker. */
const MAX_KEYS = 64;
const EMPTY = {};

/** The items by column, or undefined when they are not records of one shape (see above). */
export function packRecords(items: unknown[]): PackedRecords | undefined {
  const n = items.length;
  if (n < RECORDS_MIN || !isPlain(items[0])) return undefined;
  // Keys inherited from a polluted Object.prototype would come out of for...in too.
  for (const _ in EMPTY) return undefined;
  const keys = Object.keys(items[0] as object);
  const k = keys.length;
  if (k === 0 || k > MAX_KEYS || keys.includes('__proto__')) return undefined;
  // The first object's values, read once (a getter runs once, as under structured clone):
  // objects that nest others (JSON's usual shape) are told here, before any column is made.
  const first = items[0] as Record<string, unknown>;
  const head = keys.map((key) => first[key]);
  if (!head.every(isPrimitive)) return undefined;
  const cols: Array<Float64Array | unknown[]> = head.map((v) =>
    typeof v === 'number' ? new Float64Array(n) : new Array(n),
  );
  const ints = head.map((v) => typeof v === 'number');
  for (let j = 0; j < k; j++) put(cols, ints, j, 0, head[j]);
  for (let i = 1; i < n; i++) {
    const item = items[i];
    if (!isPlain(item)) return undefined;
    let j = 0;
    for (const key in item as object) {
      if (j === k || key !== keys[j]) return undefined;
      if (!put(cols, ints, j, i, (item as Record<string, unknown>)[key])) return undefined;
      j++;
    }
    if (j !== k) return undefined;
  }
  const c = cols.map((col, j) =>
    col instanceof Float64Array && ints[j] ? Int32Array.from(col) : col,
  );
  return { k: keys, c, n };
}

/** Writes item `i`'s value into column `j`; false for a value no column carries. */
function put(
  cols: Array<Float64Array | unknown[]>,
  ints: boolean[],
  j: number,
  i: number,
  value: unknown,
): boolean {
  let col = cols[j];
  if (col instanceof Float64Array) {
    if (typeof value === 'number') {
      col[i] = value;
      if (ints[j] && ((value | 0) !== value || (value === 0 && 1 / value < 0))) ints[j] = false;
      return true;
    }
    // A column of numbers with something else in it goes on as a plain array.
    const length = col.length;
    col = cols[j] = Array.from(col.subarray(0, i));
    col.length = length;
  }
  if (!isPrimitive(value)) return false;
  col[i] = value;
  return true;
}

/**
 * A value a column carries. An object is left to structured clone with the rest (it may need
 * preparing); so are a function and a symbol, which clone refuses, so the refusal reads the same.
 */
function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return type === 'object' ? value === null : type !== 'function' && type !== 'symbol';
}

/** A plain object (its prototype Object.prototype or null), not an array. */
export function isPlain(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

type Maker = (i: number) => Record<string, unknown>;
type Factory = (columns: PackedRecords['c']) => Maker;

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
  return factory(packed.c);
}

/** The records as the array of objects they stand for. */
export function unpackRecords(packed: PackedRecords): Record<string, unknown>[] {
  const make = recordMaker(packed);
  const out = new Array<Record<string, unknown>>(packed.n);
  for (let i = 0; i < packed.n; i++) out[i] = make(i);
  return out;
}
