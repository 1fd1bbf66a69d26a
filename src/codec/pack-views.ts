import type { PrepareContext } from './prepare.js';
import { type SlabLease, slabLease } from './slabs.js';
import {
  bufferOf,
  type ChunkOrigin,
  layoutOf,
  readOwnViews,
  readViews,
  tagOf,
} from './view-layout.js';

export type { ChunkOrigin } from './view-layout.js';

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
  /** Room for the chunk's results when they are all numbers (see ResultRoom), in shared memory. */
  readonly r?: Float64Array;
  /**
   * Set when each view was the whole of an ArrayBuffer of its own (rows made one by one): `b`
   * then holds them one after another, and the worker gives each a copy in a buffer of its
   * own, as structured clone would. The caller's cost is one read and one `set` a view, where
   * cloning writes each buffer into the message (~440 ns a view of 128 bytes here).
   */
  readonly a?: 1;
}

/** A buffer up to this size (or 64 times a chunk's range) is one block all chunks of a call share. */
const WHOLE_BLOCK_BYTES = 256 * 1024 * 1024;

/** Views in a chunk, at least, to travel packed (one view alone is copied as it is). */
const VIEWS_MIN = 2;

/** Bytes of views of their own buffers a chunk packs at most; more go one by one. */
const OWN_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Without slabs the packed block is cloned into the message too: one copy more than cloning
 * each view, which pays only while a view's fixed cost (~440 ns) outweighs copying its bytes.
 */
const OWN_UNSHARED_MEAN_BYTES = 4096;

/**
 * A map chunk of views of one plain buffer, all of one built-in type and each under
 * `maxNbytes`, as one copy of the range they cover and offsets into it, or of views each the
 * whole of a buffer of its own, as their bytes one after another; undefined for any other
 * chunk (prepare.ts then readies it item by item). The copy is taken from the call's
 * arena lease when it has one (released with the call), else it is a plain ArrayBuffer that
 * crosses as a single copy (the processes backend, imap). A subclass (a Node Buffer) travels
 * as its built-in type, as structured clone would deliver it.
 */
export function packViews(
  items: unknown[],
  ctx: PrepareContext,
  from?: ChunkOrigin,
): PackedViews | undefined {
  const count = items.length;
  if (count < VIEWS_MIN) return undefined;
  const first = items[0];
  const type = tagOf.call(first);
  if (type === undefined) return undefined;
  const buffer = bufferOf.call(first);
  if (buffer instanceof SharedArrayBuffer || ctx.transfer?.has(buffer)) return undefined;
  const per = (first as Int8Array).BYTES_PER_ELEMENT;
  const limit = (ctx.maxNbytes ?? Number.POSITIVE_INFINITY) / per;
  const slabs = slabLease(ctx);
  const second = items[1];
  if (tagOf.call(second) === type && bufferOf.call(second) !== buffer)
    return packOwnViews(items, type, per, limit, ctx, slabs);
  const { o, n, r, space } = offsetsRoom(count, slabs);
  const known = from && layoutOf(from.input, type, buffer, ctx);
  const range = readViews(items, type, buffer, per, limit, o, n, known, from?.first ?? 0);
  let lo = range?.[0] ?? 0;
  const hi = range?.[1] ?? 0;
  lo -= lo % 8; // every view keeps its alignment at its new offset
  if (!range || hi - lo > 2 * range[2] * per) {
    if (space) slabs!.undo(space[0], space[1], 24 * count);
    return undefined;
  }
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
    for (let i = 0; i < count; i++) o[i] -= lo;
  } else {
    b = buffer.slice(lo, hi);
    for (let i = 0; i < count; i++) o[i] -= lo;
  }
  return r ? { t: type, b, o, n, r } : { t: type, b, o, n };
}

/**
 * Views each the whole of its own buffer, one after another in one block (warm slab memory
 * when the call has slabs, else one ArrayBuffer the message copies), or undefined when one is
 * not (see readOwnViews) or they are too big to gain (OWN_MAX_BYTES, OWN_UNSHARED_MEAN_BYTES).
 */
function packOwnViews(
  items: unknown[],
  type: string,
  per: number,
  limit: number,
  ctx: PrepareContext,
  slabs: SlabLease | undefined,
): PackedViews | undefined {
  const count = items.length;
  const { o, n, r, space } = offsetsRoom(count, slabs);
  const total = readOwnViews(items, type, per, limit, n, ctx.transfer);
  const bytes = total * per;
  if (total < 0 || bytes > OWN_MAX_BYTES || (!slabs && bytes > OWN_UNSHARED_MEAN_BYTES * count)) {
    if (space) slabs!.undo(space[0], space[1], 24 * count);
    return undefined;
  }
  const Ctor = (globalThis as unknown as Record<string, ViewCtor>)[type];
  let b: ArrayBufferLike;
  let at = 0;
  if (slabs) [b, at] = slabs.alloc(bytes);
  else b = new ArrayBuffer(bytes);
  const block = new Ctor(b, at, total) as Float64Array;
  let next = 0;
  for (let i = 0; i < count; i++) {
    block.set(items[i] as Float64Array, next);
    o[i] = at + next * per;
    next += n[i];
  }
  return r ? { t: type, b, o, n, r, a: 1 } : { t: type, b, o, n, a: 1 };
}

/**
 * Offsets, lengths and room for results side by side in the call's warm shared memory when it
 * has slabs (the message then carries three views of it, not two fresh buffers to clone).
 */
function offsetsRoom(count: number, slabs: SlabLease | undefined): OffsetsRoom {
  if (!slabs) return { o: new Float64Array(count), n: new Float64Array(count) };
  const space = slabs.alloc(24 * count);
  const [sab, at] = space;
  return {
    o: new Float64Array(sab, at, count),
    n: new Float64Array(sab, at + 8 * count, count),
    r: new Float64Array(sab, at + 16 * count, count),
    space,
  };
}

interface OffsetsRoom {
  readonly o: Float64Array;
  readonly n: Float64Array;
  readonly r?: Float64Array;
  /** Where the three were taken from the slabs, to give back if the chunk does not pack. */
  readonly space?: [SharedArrayBuffer, number];
}

type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => unknown;

/** The constructor a packed chunk's views are made with, by its name. */
export function viewConstructor(packed: PackedViews): ViewCtor {
  return (globalThis as unknown as Record<string, ViewCtor>)[packed.t];
}

/** All of a packed chunk's views at once (an argument's list): each its own copy when `a`. */
export function unpackViews(packed: PackedViews): unknown[] {
  const Ctor = viewConstructor(packed) as new (...args: unknown[]) => Int8Array;
  const { b, o, n } = packed;
  const out = new Array<unknown>(n.length);
  if (packed.a) for (let i = 0; i < out.length; i++) out[i] = new Ctor(b, o[i], n[i]).slice();
  else for (let i = 0; i < out.length; i++) out[i] = new Ctor(b, o[i], n[i]);
  return out;
}
