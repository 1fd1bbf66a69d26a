import { UnsupportedError } from '../errors.js';
import { ARGS_MARK, isSyncObject, type SyncObject, TO_WIRE } from '../sync/wire.js';

/**
 * Readies arguments to cross a boundary, without touching the caller's objects:
 * - a typed-array view sends only its own bytes, never the whole buffer behind it;
 * - with `maxNbytes`, a plain typed array larger than that is copied into shared memory once
 *   per call (joblib's automatic memmapping), and every task of the call gets a view of it;
 * - for a backend without shared memory, shared arrays are copied.
 * - Lock, Semaphore, Barrier and Channel become wire forms the worker revives (sync/wire.ts),
 *   or are refused when the backend shares no memory.
 * Only arrays and plain objects are searched, a few levels deep, which is where arguments
 * carry arrays in practice; other objects are left to structured clone.
 */
export interface PrepareContext {
  /** Typed arrays larger than this many bytes go to shared memory; undefined: never. */
  readonly maxNbytes: number | undefined;
  readonly sharesMemory: boolean;
  /** Shared copies made in this call, by the buffer they copy. */
  shared?: Map<ArrayBufferLike, SharedArrayBuffer>;
  /** Set while preparing one task that carries a Lock, Semaphore, Barrier or Channel. */
  syncObjects?: boolean;
}

const MAX_DEPTH = 8;

/** Prepares one task's payload (a map chunk); marks it when it carries sync objects. */
export function prepareValue(value: unknown, ctx: PrepareContext): unknown {
  const out = prepareAny(value, ctx, 0);
  return ctx.syncObjects ? markSyncObjects(out as unknown[], value, ctx) : out;
}

function prepareAny(value: unknown, ctx: PrepareContext, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value)) return prepareView(value, ctx);
  if (depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item !== 'object' || item === null) continue;
      const prepared = prepareAny(item, ctx, depth + 1);
      if (prepared !== item) (out ??= value.slice())[i] = prepared;
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    return isSyncObject(value) ? prepareSyncObject(value, ctx) : value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item !== 'object' || item === null) continue;
    const prepared = prepareAny(item, ctx, depth + 1);
    if (prepared !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = prepared;
  }
  return out ?? value;
}

/** Prepares each argument of a call; returns the same array when nothing changed. */
export function prepareArgs(args: unknown[], ctx: PrepareContext): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'object' || arg === null) continue;
    const prepared = prepareAny(arg, ctx, 0);
    if (prepared !== arg) (out ??= args.slice())[i] = prepared;
  }
  return ctx.syncObjects ? markSyncObjects(out ?? args, args, ctx) : (out ?? args);
}

/**
 * A Lock, Semaphore, Barrier or Channel becomes its wire form (sync/wire.ts), which the worker
 * revives; without shared memory it cannot work at all, so it is refused here, at submit.
 */
function prepareSyncObject(value: SyncObject, ctx: PrepareContext): unknown {
  if (!ctx.sharesMemory) {
    throw new UnsupportedError(
      `a ${value.constructor.name} needs memory shared with the workers, and this pool's backend shares none ` +
        "(process and cluster workers cannot see the caller's memory); use new Pool({ backend: 'threads' }) or 'inline'",
    );
  }
  ctx.syncObjects = true;
  return value[TO_WIRE]();
}

/** Marks a task's payload array so the worker revives it; never marks the caller's own array. */
function markSyncObjects(out: unknown[], original: unknown, ctx: PrepareContext): unknown[] {
  ctx.syncObjects = false;
  const marked = out === original ? out.slice() : out;
  (marked as unknown[] & Record<string, unknown>)[ARGS_MARK] = 1;
  return marked;
}

type View = ArrayBufferView & { length?: number };

function prepareView(view: View, ctx: PrepareContext): unknown {
  const buffer = view.buffer;
  const isShared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
  if (isShared) return ctx.sharesMemory ? view : copyView(view, new ArrayBuffer(view.byteLength));
  if (ctx.sharesMemory && ctx.maxNbytes !== undefined && view.byteLength > ctx.maxNbytes)
    return shareView(view, ctx);
  if (view.byteLength === buffer.byteLength && !isNodeBuffer(view)) return view;
  return copyView(view, new ArrayBuffer(view.byteLength));
}

function shareView(view: View, ctx: PrepareContext): unknown {
  const buffer = view.buffer;
  // Share the whole buffer when the view is most of it (views of one array then share one
  // copy); otherwise copy only the view's bytes.
  if (view.byteLength * 2 >= buffer.byteLength) {
    const shared = (ctx.shared ??= new Map());
    let sab = shared.get(buffer);
    if (!sab) {
      sab = new SharedArrayBuffer(buffer.byteLength);
      new Uint8Array(sab).set(new Uint8Array(buffer));
      shared.set(buffer, sab);
    }
    return viewOver(view, sab, view.byteOffset);
  }
  return copyView(view, new SharedArrayBuffer(view.byteLength));
}

function copyView(view: View, target: ArrayBufferLike): unknown {
  new Uint8Array(target).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return viewOver(view, target, 0);
}

function viewOver(view: View, buffer: ArrayBufferLike, byteOffset: number): unknown {
  if (view instanceof DataView) return new DataView(buffer, byteOffset, view.byteLength);
  const Ctor = typedArrayConstructor(view);
  const bytesPer = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new Ctor(buffer, byteOffset, view.byteLength / bytesPer);
}

/** The built-in constructor, also for subclasses such as Node's Buffer. */
function typedArrayConstructor(
  view: View,
): new (
  buffer: ArrayBufferLike,
  offset: number,
  length: number,
) => unknown {
  const tag = Object.prototype.toString.call(view).slice(8, -1);
  return (globalThis as any)[tag];
}

function isNodeBuffer(view: View): boolean {
  return typeof Buffer !== 'undefined' && Buffer.isBuffer(view);
}
