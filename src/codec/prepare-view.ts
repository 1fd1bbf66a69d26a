import type { PrepareContext } from './prepare.js';
import { spanViewOf } from './spans.js';

/**
 * How a typed array or DataView in a call's values crosses (see prepare.ts): as it is, as its
 * own bytes only, auto-shared past `maxNbytes`, or as a view of a span's shared copy.
 */

/** A view of this many bytes, or strings of as many characters, makes a call heavy. */
export const HEAVY_BYTES = 64 * 1024;

type View = ArrayBufferView & { length?: number };

export function prepareView(view: View, ctx: PrepareContext): unknown {
  if (view.byteLength >= HEAVY_BYTES) ctx.heavy = true;
  const buffer = view.buffer;
  if (ctx.transfer?.has(buffer)) return view;
  const isShared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
  if (isShared) return ctx.sharesMemory ? view : copyView(view, new ArrayBuffer(view.byteLength));
  if (ctx.sharesMemory && ctx.maxNbytes !== undefined && view.byteLength > ctx.maxNbytes)
    return shareView(view, ctx);
  if (view.byteLength === buffer.byteLength && !isNodeBuffer(view)) return view;
  const spanned = ctx.spans && spanViewOf(view, ctx.spans);
  if (spanned) return viewOver(view, spanned.sab, view.byteOffset - spanned.lo);
  return copyView(view, new ArrayBuffer(view.byteLength));
}

/**
 * The common view in an array (a row made on its own), which prepareView would send as it is,
 * told with one read of its buffer: an array of 100,000 of them cost the walk ~260 ns a view
 * asking prepareView's questions one by one (two reads of `buffer`, two of Buffer.isBuffer).
 */
export function crossesAsItIs(view: View, ctx: PrepareContext): boolean {
  const n = view.byteLength;
  if (n >= HEAVY_BYTES || (ctx.maxNbytes !== undefined && n > ctx.maxNbytes)) return false;
  const buffer = view.buffer;
  return (
    n === buffer.byteLength &&
    !(SharedBuffer !== undefined && buffer instanceof SharedBuffer) &&
    isBuiltinView(Object.getPrototypeOf(view))
  );
}

/** The last built-in typed-array prototype seen: arrays of views are mostly of one type. */
let lastViewProto: object | undefined;

function isBuiltinView(proto: object): boolean {
  if (proto === lastViewProto) return true;
  if (!BUILTIN_CTORS.has(proto)) return false;
  lastViewProto = proto;
  return true;
}

const SharedBuffer = typeof SharedArrayBuffer !== 'undefined' ? SharedArrayBuffer : undefined;

/** True for a view prepareView would copy into its own new ArrayBuffer. */
export function copiedAlone(view: View, ctx: PrepareContext): boolean {
  const buffer = view.buffer;
  // The common answer first: a view of its whole buffer crosses as it is.
  if (view.byteLength === buffer.byteLength && !isNodeBuffer(view)) return false;
  if (ctx.transfer?.has(buffer)) return false;
  if (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer) return false;
  return ctx.maxNbytes === undefined || view.byteLength <= ctx.maxNbytes;
}

function shareView(view: View, ctx: PrepareContext): unknown {
  const buffer = view.buffer;
  // Share the whole buffer when the view is most of it (views of one array then share one
  // copy); otherwise copy only the view's bytes.
  const whole = view.byteLength * 2 >= buffer.byteLength;
  if (ctx.arena) {
    const lease = (ctx.lease ??= ctx.arena.lease());
    // Only the view's own bytes are checked against a copy already made (see arena.ts).
    const at = view.byteOffset;
    return whole
      ? viewOver(
          view,
          lease.copy(buffer, 0, buffer.byteLength, false, at, at + view.byteLength),
          at,
        )
      : viewOver(view, lease.copy(buffer, view.byteOffset, view.byteLength), 0);
  }
  if (whole) {
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

type ViewCtor = new (buffer: ArrayBufferLike, offset: number, length: number) => unknown;

/** The built-in typed-array constructors, each once. */
const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

/** Built-in typed-array constructors by prototype: most views are of one, found without a tag. */
const BUILTIN_CTORS = new Map<object, ViewCtor>(
  TYPED_ARRAYS.map((c) => [c.prototype, c as unknown as ViewCtor]),
);

/** The built-in constructor, also for subclasses such as Node's Buffer. */
function typedArrayConstructor(view: View): ViewCtor {
  const builtin = BUILTIN_CTORS.get(Object.getPrototypeOf(view));
  if (builtin) return builtin;
  const tag = Object.prototype.toString.call(view).slice(8, -1);
  return (globalThis as any)[tag];
}

/**
 * Read once: Node's `Buffer` global is a getter (~100 ns a read), and an argument holding
 * 100,000 small typed arrays asked for it twice a view.
 */
const NodeBuffer = typeof Buffer !== 'undefined' ? Buffer : undefined;

function isNodeBuffer(view: View): boolean {
  return NodeBuffer?.isBuffer(view) === true;
}
