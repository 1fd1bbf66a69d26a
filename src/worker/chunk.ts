import { serializeError } from '../codec/errors.js';
import {
  type NumberArray,
  type Packed,
  packedItem,
  packedItems,
  packedLength,
  resultsInRoom,
  rowBuilder,
} from '../codec/pack.js';
import { isPackedValues } from '../codec/pack-values.js';
import { viewConstructor } from '../codec/pack-views.js';
import { TaskKind } from '../wire/protocol.js';

type AnyFn = (...args: any[]) => unknown;

/**
 * A chunk whose results are all numbers travels back as one Float64Array (Int32Array when all
 * are 32-bit integers, so the caller gets small integers back, not doubles): structured clone
 * spends ~15 ns on each element of a plain array, a typed array is one copy. The caller's map
 * unpacks it (src/faces/map.ts), so a task's values are unchanged.
 */
const PACK_NUMBERS_MIN = 64;
const mapLoops = new WeakMap<AnyFn, (items: unknown[]) => unknown>();
const MAP_LOOP_SOURCE = `return function mapLoop(items) {
  const out = new Array(items.length);
  let numbers = true;
  let ints = true;
  for (let i = 0; i < items.length; i++) {
    const r = fn(items[i]);
    if (typeof r !== 'number') {
      numbers = false;
      if (r !== null && typeof r === 'object' && typeof r.then === 'function')
        return finish((j) => fn(items[j]), items.length, out, i, r);
    } else if (ints && ((r | 0) !== r || Object.is(r, -0))) ints = false;
    out[i] = r;
  }
  if (!numbers || out.length < PACK_MIN) return out;
  return ints ? Int32Array.from(out) : Float64Array.from(out);
};`;

/** Loops over packed payloads, by kind, each of its own for each task function (see mapLoop). */
type PackedKind = 'views' | 'ownViews' | 'rows' | 'records' | 'other';
const packedLoops: Record<PackedKind, WeakMap<AnyFn, (packed: any) => unknown>> = {
  views: new WeakMap(),
  ownViews: new WeakMap(),
  rows: new WeakMap(),
  records: new WeakMap(),
  other: new WeakMap(),
};

/**
 * mapLoop over packed rows or views: each item is made just before its call (see codec/pack.ts),
 * views with their constructor and arrays read once per chunk, rows straight from their values;
 * `I` in each item's expression is the loop's index.
 */
const PACKED_ITEM: Record<PackedKind, [string, string]> = {
  views: [
    'const C = ctor(packed), b = packed.b, o = packed.o, n = packed.n, length = n.length;',
    'new C(b, o[I], n[I])',
  ],
  ownViews: [
    'const C = ctor(packed), b = packed.b, o = packed.o, n = packed.n, length = n.length;',
    'new C(b, o[I], n[I]).slice()',
  ],
  rows: ['const v = packed.v, o = packed.o, length = o.length - 1, row = rows(v);', 'row(v, o, I)'],
  records: ['const make = items(packed), length = packed.n;', 'make(I)'],
  other: ['const length = size(packed);', 'item(packed, I)'],
};

function packedLoopSource(kind: PackedKind): string {
  const [setup, make] = PACKED_ITEM[kind];
  const at = (index: string) => make.replace(/\bI\b/g, index);
  return `return function packedLoop(packed) {
  ${setup}
  const out = new Array(length);
  let numbers = true;
  let ints = true;
  for (let i = 0; i < length; i++) {
    const r = fn(${at('i')});
    if (typeof r !== 'number') {
      numbers = false;
      if (r !== null && typeof r === 'object' && typeof r.then === 'function')
        return finish((j) => fn(${at('j')}), length, out, i, r);
    } else if (ints && ((r | 0) !== r || Object.is(r, -0))) ints = false;
    out[i] = r;
  }
  return numbered(out, numbers, ints, packed.r);
};`;
}

/** Numeric results into the payload's room (by reference), or packed when many, or as they are. */
function numbered(
  out: number[],
  numbers: boolean,
  ints: boolean,
  room: Float64Array | undefined,
): unknown {
  if (!numbers) return out;
  if (room) return resultsInRoom(out, ints, room);
  if (out.length < PACK_NUMBERS_MIN) return out;
  return ints ? Int32Array.from(out) : Float64Array.from(out);
}

function packedLoop(fn: AnyFn, packed: Packed): (packed: unknown) => unknown {
  const kind: PackedKind =
    't' in packed
      ? packed.a
        ? 'ownViews'
        : 'views'
      : 'k' in packed
        ? 'records'
        : ('p' in packed && packed.p) || isPackedValues(packed)
          ? 'other'
          : 'rows';
  let loop = packedLoops[kind].get(fn);
  if (!loop) {
    loop = new Function(
      'fn',
      'finish',
      'numbered',
      'size',
      'item',
      'ctor',
      'rows',
      'items',
      packedLoopSource(kind),
    )(
      fn,
      finishInOrder,
      numbered,
      packedLength,
      packedItem,
      viewConstructor,
      rowBuilder,
      packedItems,
    ) as (packed: unknown) => unknown;
    packedLoops[kind].set(fn, loop);
  }
  return loop;
}

/**
 * A loop of its own for each task function. One shared loop would make its call site
 * megamorphic once a worker has run two tasks, and V8 would stop inlining the task into it;
 * with µs-sized tasks that costs a quarter of the throughput. `new Function` gives each loop
 * its own feedback, at ~50 µs once per task and worker.
 */
function mapLoop(fn: AnyFn): (items: unknown[]) => unknown {
  let loop = mapLoops.get(fn);
  if (!loop) {
    loop = new Function('fn', 'PACK_MIN', 'finish', MAP_LOOP_SOURCE)(
      fn,
      PACK_NUMBERS_MIN,
      finishInOrder,
    ) as (items: unknown[]) => unknown;
    mapLoops.set(fn, loop);
  }
  return loop;
}

/**
 * Runs a map chunk: `fn` over each item (spread for STAR, one by one for SETTLE). Async calls
 * of one chunk run one after another, as joblib runs a batch: `concurrency` counts the calls a
 * worker has in flight, so a chunk is one of them however many items it holds.
 */
export function runChunk(fn: AnyFn, kind: number, payload: unknown[]): unknown {
  // A payload that is not an Array is packed (codec/pack.ts): numbers are read from their
  // typed array, rows and views are made one at a time just before their task runs.
  const flat = Array.isArray(payload) || ArrayBuffer.isView(payload);
  if (kind === TaskKind.MAP) {
    if (flat) return mapLoop(fn)(payload);
    const packed = payload as unknown as Packed;
    return packedLoop(fn, packed)(packed);
  }
  const length = flat ? payload.length : packedLength(payload as unknown as Packed);
  const itemAt = flat
    ? (i: number) => payload[i]
    : packedItems(payload as unknown as Exclude<Packed, NumberArray>);
  const star = (kind & TaskKind.STAR) !== 0;
  const settle = (kind & TaskKind.SETTLE) !== 0;
  const call = (i: number): unknown => {
    const item = itemAt(i);
    if (!settle) return star ? fn(...(item as unknown[])) : fn(item);
    try {
      const r = star ? fn(...(item as unknown[])) : fn(item);
      if (!isThenable(r)) return [true, r];
      return Promise.resolve(r).then(
        (v) => [true, v],
        (e) => [false, serializeError(e)],
      );
    } catch (e) {
      return [false, serializeError(e)];
    }
  };
  const out = new Array(length);
  for (let i = 0; i < length; i++) {
    const r = call(i);
    if (isThenable(r)) return finishInOrder(call, length, out, i, r);
    out[i] = r;
  }
  return out;
}

/** The rest of a chunk once a call returned a promise: each call starts after the last settled. */
async function finishInOrder(
  call: (i: number) => unknown,
  length: number,
  out: unknown[],
  at: number,
  pending: PromiseLike<unknown>,
): Promise<unknown[]> {
  out[at] = await pending;
  for (let i = at + 1; i < length; i++) {
    const r = call(i);
    out[i] = isThenable(r) ? await r : r;
  }
  return out;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
