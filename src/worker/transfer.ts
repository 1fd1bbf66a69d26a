import { isPlain } from '../codec/pack-records.js';
import type { Transferable } from '../codec/transferable.js';
import { describe, TypeErrorWithHint } from '../hints.js';

/**
 * Results a task moves back instead of copying (Piscina's `move`, workerpool's `Transfer`).
 * `transfer(value)` returns the value itself and notes its buffers, so the task's types and
 * every path a result takes (a call, a map's per-item results, packing) are untouched; the
 * worker's runtime looks a result up here as it settles it and hands those buffers to the
 * message. Kept on the global object, as the running task is (runtime.ts): a bundled program's
 * worker runtime is a copy of spindle of its own, and a task module imports its `transfer`
 * from another.
 */
interface Registry {
  readonly lists: WeakMap<object, Transferable[]>;
  /** Values noted and not yet taken: while none are, results are not looked up at all. */
  pending: number;
}

const REGISTRY = Symbol.for('spindle.transfers');
const registry: Registry = ((globalThis as any)[REGISTRY] ??= {
  lists: new WeakMap(),
  pending: 0,
});

/** Values of a result searched for buffers when `transfer` is given no list. */
const MAX_FOUND = 10_000;

/**
 * Marks a value to be moved rather than copied: the ArrayBuffers in `list` (or, without one,
 * those under `value`'s typed arrays, DataViews and ArrayBuffers, in arrays and plain objects)
 * change owner, and become unusable where they were once the value is sent. In a task, return
 * it: `return transfer(pixels)`; it works on the result itself and on the items of an array
 * result (so on each result of a `map`). In the caller, pass it as an argument of `submit`,
 * `apply` or `submitWith` (as their `transfer` option does): `pool.submit(task, transfer(buf))`.
 * On the processes, cluster and inline backends the value is copied or passed as usual. An
 * empty `list` moves nothing; no list and no buffer found is a TypeError. Returns `value`.
 */
export function transfer<T extends object>(value: T, list?: readonly unknown[]): T {
  if (value === null || typeof value !== 'object') {
    throw new TypeErrorWithHint(
      `transfer() needs the object whose buffers move, got ${describe(value)}`,
      'return transfer(typedArray), or transfer(result, [buffer, ...])',
    );
  }
  const buffers = checkAttached(list === undefined ? found(value) : listed(list));
  if (buffers.length === 0 && list !== undefined) return value; // a computed list, empty
  if (buffers.length === 0) {
    throw new TypeErrorWithHint(
      `transfer() found no ArrayBuffer to move in ${describe(value)}`,
      'pass the buffers: transfer(result, [buffer, ...]); a SharedArrayBuffer is never copied anyway',
    );
  }
  if (!registry.lists.has(value)) registry.pending++;
  registry.lists.set(value, buffers);
  return value;
}

/**
 * The buffers noted for `value`, or for the items of an array `value` (a map's per-item
 * results), taken so they move once; undefined when there are none (the common case, checked
 * with one comparison).
 */
export function takeTransfers(value: unknown): Transferable[] | undefined {
  if (registry.pending === 0 || value === null || typeof value !== 'object') return undefined;
  const own = take(value);
  if (own || !Array.isArray(value)) return own;
  let all: Transferable[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (item === null || typeof item !== 'object') continue;
    const buffers = take(item);
    if (buffers) (all ??= []).push(...buffers);
    if (registry.pending === 0) break;
  }
  return all;
}

/** The buffers noted for a call's arguments (each, or an item of an array argument). */
export function movedIn(args: readonly unknown[]): Transferable[] | undefined {
  if (registry.pending === 0) return undefined;
  let all: Transferable[] | undefined;
  for (const arg of args) {
    const buffers = takeTransfers(arg);
    if (buffers) (all ??= []).push(...buffers);
  }
  return all;
}

function take(value: object): Transferable[] | undefined {
  const buffers = registry.lists.get(value);
  if (!buffers) return undefined;
  registry.lists.delete(value);
  registry.pending--;
  return buffers;
}

function listed(list: readonly unknown[]): Transferable[] {
  if (!Array.isArray(list)) {
    throw new TypeErrorWithHint(
      `transfer()'s list must be an array, got ${describe(list)}`,
      'transfer(result, [buffer, ...])',
    );
  }
  const out: Transferable[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const buffer = ArrayBuffer.isView(item) ? item.buffer : item;
    if (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer) {
      throw new TypeErrorWithHint(
        `transfer()'s list[${i}] is a SharedArrayBuffer, which is shared, not moved`,
        'leave it out: a shared buffer crosses without a copy as it is',
      );
    }
    if (!(buffer instanceof ArrayBuffer) && !isPort(buffer)) {
      throw new TypeErrorWithHint(
        `transfer()'s list[${i}] is ${describe(item)}, which cannot be moved`,
        'list ArrayBuffers (or typed arrays, for their buffers) and MessagePorts',
      );
    }
    if (!out.includes(buffer as Transferable)) out.push(buffer as Transferable);
  }
  return out;
}

/** A buffer moved already (by an earlier transfer) has nothing left to send. */
function checkAttached(buffers: Transferable[]): Transferable[] {
  for (const buffer of buffers) {
    if (buffer instanceof ArrayBuffer && buffer.byteLength === 0 && isDetached(buffer)) {
      throw new TypeErrorWithHint(
        'transfer() was given an ArrayBuffer that was moved already: once a result is transferred, its buffer belongs to the caller',
        'transfer a new buffer each call (or return the value without transfer() to copy it)',
      );
    }
  }
  return buffers;
}

function isDetached(buffer: ArrayBuffer): boolean {
  const flag = (buffer as { detached?: boolean }).detached; // Node 22+
  if (flag !== undefined) return flag;
  try {
    structuredClone(buffer);
    return false;
  } catch {
    return true;
  }
}

/** The ArrayBuffers under `value`: itself, a view's, and those in arrays and plain objects. */
function found(value: object): Transferable[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x) || seen.size >= MAX_FOUND) return;
    seen.add(x);
    if (x instanceof ArrayBuffer) out.add(x);
    else if (ArrayBuffer.isView(x)) {
      if (x.buffer instanceof ArrayBuffer) out.add(x.buffer);
    } else if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) visit(x[i]);
    } else if (isPlain(x)) {
      for (const key of Object.keys(x)) visit((x as Record<string, unknown>)[key]);
    }
  };
  visit(value);
  return [...out];
}

function isPort(x: unknown): boolean {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { postMessage?: unknown }).postMessage === 'function' &&
    typeof (x as { close?: unknown }).close === 'function'
  );
}
