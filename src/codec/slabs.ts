import type { Arena } from './arena.js';

/**
 * Warm shared memory for a map's packed chunks: the values and offsets of number[] rows, the
 * offsets and lengths of views, and room for each chunk's numeric results. On these VMs a fresh
 * ArrayBuffer of 40 KB costs ~50 µs to allocate and as much again to clone into a message
 * (measured: two of them per chunk made a message of views cost 130–260 µs, a message of views
 * over shared memory 2–3 µs), and fresh pages are ~5× slower to write than warm ones. So packed
 * chunks are written into slabs of shared memory that a pool keeps and hands out again, and
 * travel as views of them, by reference.
 *
 * A call takes space by bumping through slabs (see SlabLease) and gives it all back when it
 * settles. The arena of a pool (arena.ts) keys each pool's slabs, so nothing is added to it.
 */

/** A slab is at least this large: many chunks of a call share one. */
const MIN_SLAB_BYTES = 4 * 1024 * 1024;
/** Idle slabs kept for reuse at most per pool; least recently given back go first beyond it. */
const IDLE_LIMIT_BYTES = 256 * 1024 * 1024;
const ALIGN = 8;

/** One pool's idle slabs by size (each a power of two). */
export class Slabs {
  readonly #idle = new Map<number, SharedArrayBuffer[]>();
  #idleBytes = 0;
  /** Sizes given back, oldest first, for trimming. */
  #order: SharedArrayBuffer[] = [];
  allocations = 0;

  /** A slab of at least `bytes`: an idle one of that size class when there is one. */
  take(bytes: number): SharedArrayBuffer {
    const size = 2 ** Math.ceil(Math.log2(Math.max(bytes, MIN_SLAB_BYTES)));
    const list = this.#idle.get(size);
    const sab = list?.pop();
    if (sab) {
      this.#idleBytes -= size;
      const i = this.#order.lastIndexOf(sab);
      if (i >= 0) this.#order.splice(i, 1);
      return sab;
    }
    this.allocations++;
    return new SharedArrayBuffer(size);
  }

  give(sab: SharedArrayBuffer): void {
    const size = sab.byteLength;
    let list = this.#idle.get(size);
    if (!list) this.#idle.set(size, (list = []));
    list.push(sab);
    this.#order.push(sab);
    this.#idleBytes += size;
    while (this.#idleBytes > IDLE_LIMIT_BYTES && this.#order.length > 0) {
      const old = this.#order.shift()!;
      const of = this.#idle.get(old.byteLength)!;
      of.splice(of.indexOf(old), 1);
      this.#idleBytes -= old.byteLength;
    }
  }

  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** Forgets the idle slabs (the pool closed); held ones stay valid for whoever holds them. */
  clear(): void {
    this.#idle.clear();
    this.#order = [];
    this.#idleBytes = 0;
  }
}

/** Space of one call, taken front to back through its slabs. */
export class SlabLease {
  readonly #slabs: Slabs;
  readonly #held: SharedArrayBuffer[] = [];
  #current: SharedArrayBuffer | undefined;
  #at = 0;
  #released = false;

  constructor(slabs: Slabs) {
    this.#slabs = slabs;
  }

  /** `bytes` of shared memory, 8-aligned, as [buffer, byteOffset]; valid until release. */
  alloc(bytes: number): [SharedArrayBuffer, number] {
    const need = Math.ceil(bytes / ALIGN) * ALIGN;
    let sab = this.#current;
    if (!sab || this.#at + need > sab.byteLength) {
      sab = this.#slabs.take(need);
      this.#held.push(sab);
      // A big chunk gets a slab of its own; the current one keeps serving small ones.
      if (!this.#current || sab.byteLength - need >= this.#current.byteLength - this.#at) {
        this.#current = sab;
        this.#at = need;
      }
      return [sab, 0];
    }
    const at = this.#at;
    this.#at += need;
    return [sab, at];
  }

  /** Gives back the space `alloc` just returned (a chunk that turned out not to pack). */
  undo(sab: SharedArrayBuffer, at: number, bytes: number): void {
    if (sab === this.#current && this.#at === at + Math.ceil(bytes / ALIGN) * ALIGN) this.#at = at;
  }

  /** Bytes held now (tests). */
  get heldBytes(): number {
    let n = 0;
    for (const sab of this.#held) n += sab.byteLength;
    return n;
  }

  /**
   * Gives the slabs back for reuse, once. After a failed call some of its tasks may still run
   * and read them, so they are dropped instead (the workers' references keep them alive).
   */
  release(reuse: boolean): void {
    if (this.#released) return;
    this.#released = true;
    if (reuse) for (const sab of this.#held) this.#slabs.give(sab);
    this.#held.length = 0;
    this.#current = undefined;
  }
}

const pools = new WeakMap<Arena, Slabs>();
const leases = new WeakMap<object, SlabLease>();

/** The pool's slabs behind `arena`. */
export function slabsOf(arena: Arena): Slabs {
  let slabs = pools.get(arena);
  if (!slabs) pools.set(arena, (slabs = new Slabs()));
  return slabs;
}

/** The call's lease (one per preparation context, i.e. per call) on its pool's slabs. */
export function slabLease(ctx: { readonly arena?: Arena }): SlabLease | undefined {
  if (!ctx.arena) return undefined;
  let lease = leases.get(ctx);
  if (!lease) leases.set(ctx, (lease = new SlabLease(slabsOf(ctx.arena))));
  return lease;
}

/**
 * Whether a call took slabs, packed or not: an array whose packing failed part-way (a string in
 * its last rows) took space too, and a call that kept none of it must still give it back.
 */
export function holdsSlabs(ctx: object | undefined): boolean {
  return ctx !== undefined && leases.has(ctx);
}

/** Ends a call's hold on slabs: reused after a call that succeeded, dropped after a failure. */
export function releaseSlabs(ctx: object | undefined, reuse: boolean): void {
  if (!ctx) return;
  leases.get(ctx)?.release(reuse);
  leases.delete(ctx);
}
