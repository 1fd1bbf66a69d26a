/**
 * A pool's warm shared memory for auto-sharing. A fresh SharedArrayBuffer costs about five
 * times what a reused one does (its pages are new to the process), so the copies that
 * auto-sharing makes go into blocks that are kept and handed out again once the call that
 * used them has settled.
 *
 * A block has exactly the size of what it copies, so a task sees a buffer of the size it
 * would have seen from a fresh copy. Rules that keep it from ever serving stale data:
 * - a block is written only while no call holds it;
 * - a block still held by a running call is reused for another call only if its bytes equal
 *   the caller's array now (checked with memcmp, which reads both; cheaper than a copy);
 * - the check covers the bytes the call's view can see, not the whole buffer behind it: two
 *   submits of the two halves of one array each compare their own half (half the reading of
 *   a whole-buffer check). Outside its view, a task's shared buffer may hold older bytes.
 *   A range that differs is rewritten in place only while no call holds the block, and then
 *   only its pieces that differ (PIECE bytes each): a write of a few values between two calls
 *   costs the check and a piece, not a copy of the whole range.
 * - a block that a result carries back to the caller (a task returned its view) leaves the
 *   arena for good, so the caller's result is never overwritten.
 */

/** Idle memory kept for reuse at most; least recently used blocks go first beyond it. */
const DEFAULT_IDLE_BYTES = 512 * 1024 * 1024;

/**
 * Bytes compared at a time when a copy is brought up to date: one memcmp per MiB costs what
 * one memcmp of the whole range does (160 MB: 17.2 against 16.7 ms), and a piece that differs
 * is copied alone.
 */
const PIECE = 1 << 20;

/** Result values searched for views of arena blocks, levels deep (plain arrays and objects, as prepare searches arguments). */
const RESULT_DEPTH = 8;

export interface Block {
  readonly sab: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  /** Bytes of the source it holds, from 0 (less than its size for a span's block). */
  length: number;
  /** The blocks copied from the same source buffer (an entry of Arena.#bySource), if any. */
  copies: Block[] | undefined;
  srcOffset: number;
  /** Calls holding the block. */
  refs: number;
  lastUsed: number;
  gone: boolean;
}

/** Counts for tests and reports. */
export interface ArenaStats {
  /** Blocks kept, held or idle. */
  blocks: number;
  bytes: number;
  heldBytes: number;
  idleBytes: number;
  /** SharedArrayBuffers created. */
  allocations: number;
  /** Copies written into a block that was already there. */
  warmCopies: number;
  /** Copies skipped because a block already held the same bytes. */
  reuses: number;
  /** Bytes written into blocks, fresh or warm (a changed piece counts its own bytes only). */
  copiedBytes: number;
  /** Bytes of the caller's arrays compared with a copy (a compare that stops early counts whole). */
  comparedBytes: number;
}

export class Arena {
  readonly #blocks = new Set<Block>();
  readonly #bySource = new WeakMap<ArrayBufferLike, Block[]>();
  readonly #idleLimit: number;
  #clock = 0;
  #allocations = 0;
  #warmCopies = 0;
  #reuses = 0;
  #copiedBytes = 0;
  #comparedBytes = 0;

  constructor(idleLimit = DEFAULT_IDLE_BYTES) {
    this.#idleLimit = idleLimit;
  }

  /** The space of one call; release it when the call's tasks have settled. */
  lease(): ArenaLease {
    return new ArenaLease(this);
  }

  stats(): ArenaStats {
    let bytes = 0;
    let held = 0;
    for (const b of this.#blocks) {
      bytes += b.sab.byteLength;
      if (b.refs > 0) held += b.sab.byteLength;
    }
    return {
      blocks: this.#blocks.size,
      bytes,
      heldBytes: held,
      idleBytes: bytes - held,
      allocations: this.#allocations,
      warmCopies: this.#warmCopies,
      reuses: this.#reuses,
      copiedBytes: this.#copiedBytes,
      comparedBytes: this.#comparedBytes,
    };
  }

  /** Forgets every block (the pool closed); held ones stay valid for whoever holds them. */
  clear(): void {
    for (const b of this.#blocks) this.#drop(b);
  }

  /**
   * @internal a block holding `length` bytes of `source` from `offset`, held by the caller;
   * `size`: the block's own size (more than `length` when the caller reads it by offsets).
   */
  _copy(
    source: ArrayBufferLike,
    offset: number,
    length: number,
    size = length,
    from = 0,
    to = length,
    partial = false,
  ): Block {
    const src = new Uint8Array(source, offset, length);
    const copies = this.#bySource.get(source);
    if (copies) {
      const fits = (b: Block) =>
        b.srcOffset === offset && b.length === length && b.sab.byteLength === size;
      // An idle copy first: one pass compares it and brings it up to date, where a held copy
      // that differs would cost a failed compare before the idle one is tried anyway.
      const idle = copies.find((b) => b.refs === 0 && fits(b));
      if (idle) {
        this.#comparedBytes += to - from;
        const copied = refresh(idle, source, offset, from, to);
        this.#copiedBytes += copied;
        if (copied > 0) this.#warmCopies++;
        else this.#reuses++;
        return this.#hold(idle);
      }
      for (const b of copies) {
        if (!fits(b)) continue;
        this.#comparedBytes += to - from;
        if (sameBytes(b, source, offset, from, to)) {
          this.#reuses++;
          return this.#hold(b);
        }
      }
    }
    let block = this.#idleOfSize(size);
    // `partial`: only the range is written; every later use compares its own range first, so
    // bytes never written (zeros, or an older array's) are never taken for the source's.
    const part = partial ? src.subarray(from, to) : src;
    this.#copiedBytes += part.byteLength;
    if (block) {
      block.bytes.set(part, partial ? from : 0);
      this.#warmCopies++;
    } else {
      const sab = new SharedArrayBuffer(size);
      block = {
        sab,
        bytes: new Uint8Array(sab),
        length,
        copies: undefined,
        srcOffset: 0,
        refs: 0,
        lastUsed: 0,
        gone: false,
      };
      block.bytes.set(part, partial ? from : 0);
      this.#allocations++;
      this.#blocks.add(block);
    }
    this.#unlink(block);
    block.srcOffset = offset;
    block.length = length;
    let list = this.#bySource.get(source);
    if (!list) this.#bySource.set(source, (list = []));
    list.push(block);
    block.copies = list;
    return this.#hold(block);
  }

  /** @internal counts what a lease compared, and wrote into a block it alone holds. */
  _counted(compared: number, copied: number): void {
    this.#comparedBytes += compared;
    this.#copiedBytes += copied;
  }

  /** @internal */
  _release(block: Block): void {
    block.refs--;
    block.lastUsed = ++this.#clock;
    if (block.refs === 0 && !block.gone) this.#trim();
  }

  /** @internal a block the caller now holds through a result: never reused. */
  _retire(block: Block): void {
    this.#drop(block);
  }

  #hold(block: Block): Block {
    block.refs++;
    return block;
  }

  #idleOfSize(length: number): Block | undefined {
    let best: Block | undefined;
    for (const b of this.#blocks) {
      if (b.refs === 0 && b.sab.byteLength === length && (!best || b.lastUsed < best.lastUsed))
        best = b;
    }
    return best;
  }

  #trim(): void {
    let idle = 0;
    for (const b of this.#blocks) if (b.refs === 0) idle += b.sab.byteLength;
    while (idle > this.#idleLimit) {
      let oldest: Block | undefined;
      for (const b of this.#blocks)
        if (b.refs === 0 && (!oldest || b.lastUsed < oldest.lastUsed)) oldest = b;
      if (!oldest) return;
      idle -= oldest.sab.byteLength;
      this.#drop(oldest);
    }
  }

  #unlink(block: Block): void {
    const list = block.copies;
    if (!list) return;
    const i = list.indexOf(block);
    if (i >= 0) list.splice(i, 1);
    block.copies = undefined;
  }

  #drop(block: Block): void {
    block.gone = true;
    this.#unlink(block);
    this.#blocks.delete(block);
  }
}

/** True when bytes `from`–`to` of the block equal those of `source` (the block's copy from `offset`). */
export function sameBytes(
  block: Block,
  source: ArrayBufferLike,
  offset: number,
  from: number,
  to: number,
): boolean {
  return Buffer.from(block.sab, from, to - from).equals(
    Buffer.from(source, offset + from, to - from),
  );
}

/**
 * Makes bytes `from`–`to` of the block equal to those of `source` (the block's copy from
 * `offset`), copying only the pieces that differ; returns the bytes copied. Only for a block
 * no call holds: a task never sees a piece change under it.
 */
export function refresh(
  block: Block,
  source: ArrayBufferLike,
  offset: number,
  from: number,
  to: number,
): number {
  const dst = Buffer.from(block.sab, 0, to);
  const src = Buffer.from(source, offset, to);
  let copied = 0;
  for (let lo = from; lo < to; lo += PIECE) {
    const hi = Math.min(to, lo + PIECE);
    if (src.compare(dst, lo, hi, lo, hi) !== 0) {
      src.copy(dst, lo, lo, hi);
      copied += hi - lo;
    }
  }
  return copied;
}

/** Adds a range, joined to the last one when they touch (a map's chunks come in order). */
function addRange(ranges: Array<[number, number]>, from: number, to: number): void {
  const last = ranges[ranges.length - 1];
  if (last && last[1] >= from && last[0] <= to) {
    last[0] = Math.min(last[0], from);
    last[1] = Math.max(last[1], to);
  } else ranges.push([from, to]);
}

/**
 * One call's hold on arena blocks. Within a call a source is copied once, and every task of
 * the call sees that one copy (as without an arena); `release` lets the blocks be reused.
 */
export class ArenaLease {
  readonly #arena: Arena;
  readonly #held = new Map<ArrayBufferLike, Block[]>();
  /** Byte ranges of each held block known equal to its source in this call. */
  readonly #checked = new Map<Block, Array<[number, number]>>();
  #released = false;

  constructor(arena: Arena) {
    this.#arena = arena;
  }

  /**
   * A shared buffer holding `length` bytes of `source` from `offset`, of exactly that size, or
   * with `rounded` of the next power of two (reused across calls whose ranges differ a little).
   * Bytes `from`–`to` (of the copy) are the ones the caller's tasks read: only they are
   * compared with a copy already made; with `partial` only they are written, so the chunks of
   * one call can share one copy of a whole buffer, each writing or checking its own range.
   */
  copy(
    source: ArrayBufferLike,
    offset: number,
    length: number,
    rounded = false,
    from = 0,
    to = length,
    partial = false,
  ): SharedArrayBuffer {
    const size = rounded ? 2 ** Math.ceil(Math.log2(Math.max(length, 1))) : length;
    let list = this.#held.get(source);
    if (list) {
      for (const b of list) {
        if (b.srcOffset !== offset || b.length !== length || b.sab.byteLength !== size) continue;
        // Within a call the copy is current for the ranges already checked or written; a new
        // range is compared (another call may have taken the block after a partial check).
        const ranges = this.#checked.get(b)!;
        if (ranges.some(([lo, hi]) => lo <= from && to <= hi)) return b.sab;
        // Held by this call alone, and no task of it was given these bytes: bring them up to
        // date (only the pieces that differ are written).
        if (partial && b.refs === 1 && !ranges.some(([lo, hi]) => lo < to && from < hi)) {
          this.#arena._counted(to - from, refresh(b, source, offset, from, to));
          addRange(ranges, from, to);
          return b.sab;
        }
        this.#arena._counted(to - from, 0);
        if (sameBytes(b, source, offset, from, to)) {
          addRange(ranges, from, to);
          return b.sab;
        }
      }
    } else this.#held.set(source, (list = []));
    const block = this.#arena._copy(source, offset, length, size, from, to, partial);
    list.push(block);
    this.#checked.set(block, [[from, to]]);
    return block.sab;
  }

  /**
   * Returns the blocks to the arena, once; a block that `result` carries (a task returned a
   * view of its argument) is the caller's from now on and leaves the arena.
   */
  release(result?: unknown): void {
    if (this.#released) return;
    this.#released = true;
    if (result !== undefined && this.#held.size > 0) this.#retireCarried(result, 0);
    for (const list of this.#held.values()) for (const b of list) this.#arena._release(b);
    this.#held.clear();
    this.#checked.clear();
  }

  #retireCarried(value: unknown, depth: number): void {
    if (typeof value !== 'object' || value === null) return;
    const buffer = ArrayBuffer.isView(value)
      ? value.buffer
      : value instanceof SharedArrayBuffer
        ? value
        : undefined;
    if (buffer) {
      // A buffer back from a worker is a new object over the same memory: match it by size,
      // which may retire a block needlessly but never keeps one the caller can see.
      if (!(buffer instanceof SharedArrayBuffer)) return;
      for (const list of this.#held.values())
        for (const b of list) if (b.sab.byteLength === buffer.byteLength) this.#arena._retire(b);
      return;
    }
    if (depth >= RESULT_DEPTH) return;
    if (Array.isArray(value)) {
      // An indexed loop: this runs once per call over all of a map's results, too few times to
      // be optimised, and `for...of` there cost ~2.3 ms for 200,000 numbers (this ~0.2 ms).
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (typeof item === 'object' && item !== null) this.#retireCarried(item, depth + 1);
      }
      return;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return;
    for (const key of Object.keys(value))
      this.#retireCarried((value as Record<string, unknown>)[key], depth + 1);
  }
}
