import { builtin } from '../builtin.js';
import { CloneError, SpindleError, UnsupportedError } from '../errors.js';
import type { Arena, ArenaLease } from './arena.js';
import { findUncloneable } from './clone-path.js';
import { type PackedArg, packArg } from './pack.js';
import { enumerableOnPrototype } from './pack-records.js';
import { copiedAlone, crossesAsItIs, HEAVY_BYTES, prepareView } from './prepare-view.js';
import { type Span, shareSpans } from './spans.js';
import { type HasWireForm, hasWireForm, TO_WIRE, WIRE_MARK } from './wire-form.js';

/**
 * Readies arguments to cross a boundary, without touching the caller's objects:
 * - a typed-array view sends only its own bytes, never the whole buffer behind it;
 * - with `maxNbytes`, a plain typed array larger than that is copied into shared memory once
 *   per call (joblib's automatic memmapping), and every task of the call gets a view of it;
 * - for a backend without shared memory, shared arrays are copied.
 * - objects with a wire form (wire-form.ts) become it, for the worker to revive, or are
 *   refused when the backend shares no memory.
 * Only arrays and plain objects are searched, a few levels deep, which is where arguments
 * carry arrays in practice; other objects are left to structured clone.
 */
export interface PrepareContext {
  /** Typed arrays larger than this many bytes go to shared memory; undefined: never. */
  readonly maxNbytes: number | undefined;
  readonly sharesMemory: boolean;
  /** Shared copies made in this call, by the buffer they copy. */
  shared?: Map<ArrayBufferLike, SharedArrayBuffer>;
  /** Warm memory for shared copies; the call's `lease` must be released when its tasks settle. */
  readonly arena?: Arena;
  lease?: ArenaLease;
  /** Shared copies of ranges of one buffer that many small views of it travel in (see spans.ts). */
  spans?: Map<ArrayBufferLike, Span[]>;
  /** Set while preparing one task that carries an object with a wire form. */
  wireForms?: boolean;
  /** Arrays packed in this call (numbers, views, records), by the array (see packArg). */
  packed?: Map<unknown[], PackedArg>;
  /**
   * Values cross by `v8.serialize` (processes) or another wire, not by `postMessage`: objects
   * that only postMessage carries (a Blob, a MessagePort) would arrive as `{}`, so they are
   * refused instead.
   */
  readonly cloneOnly?: boolean;
  /** Buffers this call transfers: views over them travel as they are, to be moved. */
  readonly transfer?: ReadonlySet<unknown>;
  /**
   * Set when the values hold a long array or a large view: such a call costs its sender
   * milliseconds to serialise, so it is better sent at once (its worker starts on it while the
   * next call is prepared) than batched with the calls after it.
   */
  heavy?: boolean;
  /**
   * Items of a call's arrays met so far, nested ones too (prepareArgs counts; a map's chunk is
   * judged by its own length, as its size is batching's): 1,000 rows of 500 numbers are heavy,
   * though no one array is long (two such calls of one tick went to one worker, the other idle).
   */
  items?: number;
}

/** An array of this many items, or a view or strings of HEAVY_BYTES, makes a call heavy. */
const HEAVY_ITEMS = 1024;

/**
 * The items of an array's rows, estimated from its first row, when that is an array: rows that
 * pack are not walked, so their lengths are not met one by one.
 */
function rowsLength(value: unknown[]): number {
  const first = value[0];
  return Array.isArray(first) ? first.length * value.length : 0;
}

/** Views over a sparse array's indices cost what its elements cost, not what its length says. */
const SPARSE_CHECK_LENGTH = 1024;

const MAX_DEPTH = 8;

/** Prepares one task's payload (a map chunk); marks it when it carries wire forms. */
export function prepareValue(value: unknown, ctx: PrepareContext): unknown {
  // The chunk itself stays an array of items; arrays of numbers inside it may pack.
  const out = prepareAny(value, ctx, 0, false);
  return ctx.wireForms ? markWireForms(out as unknown[], value, ctx) : out;
}

function prepareAny(value: unknown, ctx: PrepareContext, depth: number, packs = true): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value)) return prepareView(value, ctx);
  if (depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return prepareArray(value, ctx, depth, packs);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return prepareInstance(value, ctx);
  return prepareObject(value as Record<string, unknown>, ctx, depth);
}

function prepareObject(value: Record<string, unknown>, ctx: PrepareContext, depth: number) {
  let out: Record<string, unknown> | undefined;
  // for-in reads an object's keys from its shape's cache; Object.keys makes an array of them,
  // which for a million records is a million arrays to collect. It is only right while
  // Object.prototype has no enumerable keys of its own (a polluted one would add them).
  if (enumerableOnPrototype()) {
    for (const key of Object.keys(value)) out = prepareField(value, key, out, ctx, depth);
  } else {
    for (const key in value) out = prepareField(value, key, out, ctx, depth);
  }
  return out ?? value;
}

function prepareField(
  value: Record<string, unknown>,
  key: string,
  out: Record<string, unknown> | undefined,
  ctx: PrepareContext,
  depth: number,
): Record<string, unknown> | undefined {
  const item = value[key];
  if (typeof item !== 'object' || item === null) {
    if (typeof item === 'string' && item.length >= HEAVY_BYTES) ctx.heavy = true;
    return out;
  }
  const prepared = prepareAny(item, ctx, depth + 1);
  if (prepared !== item) (out ??= { ...value })[key] = prepared;
  return out;
}

/** An object of a class: its wire form, refused (see refusePlatformObject), or as it is. */
function prepareInstance(value: object, ctx: PrepareContext): unknown {
  if (hasWireForm(value)) return toWireForm(value, ctx);
  if (ctx.cloneOnly) refusePlatformObject(value);
  return value;
}

function prepareArray(value: unknown[], ctx: PrepareContext, depth: number, packs: boolean) {
  const items =
    ctx.items === undefined ? value.length : (ctx.items += value.length + rowsLength(value));
  if (items >= HEAVY_ITEMS || stringBytes(value) >= HEAVY_BYTES) ctx.heavy = true;
  // Before packing: no packed form takes a hole, and a packer reads a sparse array index by index.
  if (value.length > SPARSE_CHECK_LENGTH && looksSparse(value))
    return prepareSparse(value, ctx, depth);
  const packed = packs ? packArg(value, ctx) : undefined;
  if (packed) {
    ctx.wireForms = true;
    return packed;
  }
  let out: unknown[] | undefined;
  let spanned = false;
  // Class instances that need nothing (a Date, a Map) are asked about once per prototype in a
  // row: a million Dates cost ~50 ns each to ask, and as many again for the walk around it.
  let inert: object | undefined;
  for (let i = nextObject(value, 0); i >= 0; i = nextObject(value, i + 1)) {
    const item = value[i] as object;
    let prepared: unknown;
    if (ArrayBuffer.isView(item)) {
      if (crossesAsItIs(item, ctx)) continue;
      // Views of one buffer (a matrix's rows) go as offsets into one shared copy of their
      // range, decided at the first view that would be copied alone, so other arrays pay nothing.
      if (!spanned && ctx.arena && copiedAlone(item, ctx)) {
        spanned = true;
        shareSpans(value, i, ctx, copiedAlone);
      }
      prepared = prepareView(item, ctx);
    } else if (Array.isArray(item)) {
      prepared = depth + 1 >= MAX_DEPTH ? item : prepareArray(item, ctx, depth + 1, true);
    } else {
      const proto = Object.getPrototypeOf(item);
      if (proto === inert) continue;
      if (proto !== Object.prototype && proto !== null) {
        prepared = prepareInstance(item, ctx);
        if (prepared === item) inert = proto;
      } else
        prepared =
          depth + 1 >= MAX_DEPTH
            ? item
            : prepareObject(item as Record<string, unknown>, ctx, depth + 1);
    }
    if (prepared !== item) (out ??= value.slice())[i] = prepared;
  }
  return out ?? value;
}

/**
 * About how many characters an array of strings holds, from its first, middle and last items:
 * a few long strings cost the caller as much to serialise as many short values. 0 for others.
 */
function stringBytes(value: unknown[]): number {
  const n = value.length;
  return n === 0 ? 0 : Math.max(chars(value[0]), chars(value[n >> 1]), chars(value[n - 1])) * n;
}

const chars = (item: unknown) => (typeof item === 'string' ? item.length : 0);

/** An array with holes, by its own indices: its length may be far beyond its elements. */
function prepareSparse(value: unknown[], ctx: PrepareContext, depth: number): unknown[] {
  let out: unknown[] | undefined;
  for (const key of Object.keys(value)) {
    const i = Number(key);
    if (!Number.isInteger(i)) continue;
    const item = value[i];
    if (typeof item !== 'object' || item === null) continue;
    const prepared = prepareAny(item, ctx, depth + 1);
    if (prepared !== item) (out ??= sparseCopy(value))[i] = prepared;
  }
  return out ?? value;
}

/**
 * The index of the first element from `from` that is an object, or -1. Apart from prepareAny,
 * so that it stays optimised whatever arrays prepareAny has seen: inline, after arrays of
 * objects, a walk over 2M doubles cost ~75 ns an element (a heap number made for each).
 */
function nextObject(array: unknown[], from: number): number {
  for (let i = from; i < array.length; i++) {
    const item = array[i];
    if (typeof item === 'object' && item !== null) return i;
  }
  return -1;
}

/** Prepares each argument of a call; returns the same array when nothing changed. */
export function prepareArgs(args: unknown[], ctx: PrepareContext): unknown[] {
  ctx.items = 0;
  let out: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'object' || arg === null) {
      if (typeof arg === 'string' && arg.length >= HEAVY_BYTES) ctx.heavy = true;
      continue;
    }
    const prepared = prepareAny(arg, ctx, 0);
    if (prepared !== arg) (out ??= args.slice())[i] = prepared;
  }
  return ctx.wireForms ? markWireForms(out ?? args, args, ctx) : (out ?? args);
}

/**
 * An object with a wire form becomes it, for the worker to revive; the form refers to shared
 * memory, so without that it cannot work at all and is refused here, at submit.
 */
function toWireForm(value: HasWireForm, ctx: PrepareContext): unknown {
  if (!ctx.sharesMemory) {
    throw new UnsupportedError(
      `a ${value.constructor.name} needs memory shared with the workers, and this pool's backend shares none ` +
        "(process and cluster workers cannot see the caller's memory); use new Pool({ backend: 'threads' }) or 'inline'",
    );
  }
  ctx.wireForms = true;
  return value[TO_WIRE]();
}

/** Marks a task's payload array so the worker revives it; never marks the caller's own array. */
function markWireForms(out: unknown[], original: unknown, ctx: PrepareContext): unknown[] {
  ctx.wireForms = false;
  const marked = out === original ? out.slice() : out;
  (marked as unknown[] & Record<string, unknown>)[WIRE_MARK] = 1;
  return marked;
}

/** A few probes for holes: a dense array has none, a sparse one of huge length has many. */
function looksSparse(array: unknown[]): boolean {
  const probes = 16;
  const step = Math.floor(array.length / probes);
  for (let i = 0; i < array.length; i += step) if (!(i in array)) return true;
  return !(array.length - 1 in array);
}

/** A copy of a sparse array that costs its elements, not its length (`slice` visits every index). */
function sparseCopy(array: unknown[]): unknown[] {
  const copy: unknown[] = [];
  for (const key of Object.keys(array))
    (copy as unknown as Record<string, unknown>)[key] = (
      array as unknown as Record<string, unknown>
    )[key];
  copy.length = array.length;
  return copy;
}

/** Thrown during preparation for a value the backend cannot carry; see preparationError. */
class Refused extends Error {
  constructor(
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(reason);
  }
}

let platformClasses: Array<[string, unknown]> | undefined;

/** Classes that postMessage carries (or transfers) specially, and v8.serialize turns into `{}`. */
function platformObjectClass(value: object): string | undefined {
  if (!platformClasses) {
    const { createRequire } = builtin<typeof import('node:module')>('node:module');
    const require = createRequire(import.meta.url);
    const crypto = require('node:crypto') as Record<string, unknown>;
    const net = require('node:net') as Record<string, unknown>;
    const g = globalThis as Record<string, unknown>;
    platformClasses = [
      ['Blob', g.Blob],
      ['MessagePort', g.MessagePort],
      ['BroadcastChannel', g.BroadcastChannel],
      ['ReadableStream', g.ReadableStream],
      ['WritableStream', g.WritableStream],
      ['TransformStream', g.TransformStream],
      ['CryptoKey', g.CryptoKey],
      ['KeyObject', crypto.KeyObject],
      ['X509Certificate', crypto.X509Certificate],
      ['BlockList', net.BlockList],
      ['SocketAddress', net.SocketAddress],
    ];
    platformClasses = platformClasses.filter(([, ctor]) => typeof ctor === 'function');
  }
  for (const [name, ctor] of platformClasses)
    if (value instanceof (ctor as new () => unknown)) return name;
  return undefined;
}

function refusePlatformObject(value: object): void {
  const name = platformObjectClass(value);
  if (name) {
    throw new Refused(
      value,
      `a ${name} cannot cross to this backend's workers: only worker threads carry it (processes and cluster workers would receive an empty object)`,
    );
  }
}

/**
 * The error for a call whose values could not be prepared: a refused value or one whose
 * getter or Proxy trap threw, as SPINDLE_CLONE with its path; spindle's own errors as they are.
 */
export function preparationError(
  error: unknown,
  root: unknown,
  rootName: string,
  first?: number,
): unknown {
  if (error instanceof SpindleError) return error;
  // A map chunk's items are named by their place in the whole input, not in the chunk.
  const placed = (path: string) =>
    first === undefined
      ? path
      : path.replace(/^([^[]*)\[(\d+)\]/, (_, name, k) => `${name}[${first + Number(k)}]`);
  if (error instanceof Refused) {
    const path = placed(pathTo(root, error.value, rootName) ?? rootName);
    return new CloneError(
      `${path}: ${error.reason}; send its contents as plain data or bytes instead`,
      path,
    );
  }
  const found = findUncloneable(root, rootName);
  const path = placed(found?.path ?? rootName);
  const reason = found?.reason ?? (error instanceof Error ? error.message : String(error));
  return new CloneError(`${path} cannot be sent to a worker: ${reason}`, path, error);
}

/** Where `target` sits inside `root`, as `args[0].file`, searching arrays and plain objects. */
function pathTo(root: unknown, target: unknown, path: string, depth = 0): string | undefined {
  if (root === target) return path;
  if (depth > MAX_DEPTH || typeof root !== 'object' || root === null) return undefined;
  try {
    const keys = Object.keys(root);
    for (const key of keys) {
      const child = (root as Record<string, unknown>)[key];
      const at = Array.isArray(root)
        ? `${path}[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? `${path}.${key}`
          : `${path}[${JSON.stringify(key)}]`;
      const found = pathTo(child, target, at, depth + 1);
      if (found) return found;
    }
  } catch {
    // a throwing getter is not where the refused value is
  }
  return undefined;
}
