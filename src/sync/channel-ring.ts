/**
 * The shared memory behind a Channel: a header of Int32 words, then a byte ring holding
 * messages as `[u32 length][v8.serialize bytes]`. One sender and one receiver work at a time
 * (each side takes its own lock word, see mutex.ts), so the ring itself is single-producer
 * single-consumer: the sender publishes by moving TAIL, the receiver frees space by moving
 * HEAD. A message that fits the ring is published whole, in one store; a larger one streams
 * through in pieces while a receiver drains it, which is how values larger than the ring pass.
 */
import { lockStep, tryLockWord, unlockWord } from './mutex.js';
import type { WaitPlan } from './wait.js';

export const SEND_LOCK = 0;
export const RECV_LOCK = 1;
/** Byte positions, wrapping Int32s; the ring's size is a power of two, so `pos & mask` indexes it. */
const HEAD = 2;
const TAIL = 3;
/** Messages in the ring, counting one still streaming in. */
const COUNT = 4;
/** 0 open, CLOSED, or TRUNCATED: closed because a streaming send stopped midway. */
export const STATE = 5;
/** 1 while a message larger than the ring is streaming in. */
export const SEND_PARTIAL = 6;
/** Bytes of the message being streamed out that the receiver has not consumed yet. */
export const RECV_REMAINING = 7;
/** Bytes a receiver that gave up midway left behind; the next receiver discards them. */
export const RECV_SKIP = 8;
const SEND_WAITERS = 9;
const RECV_WAITERS = 10;
export const CAPACITY = 11;
export const RING_BYTES = 12;
export const HEADER_BYTES = 64;

export const OPEN = 0;
export const CLOSED = 1;
export const TRUNCATED = 2;

/** The state of one send while it runs. */
export interface SendOp {
  readonly message: Uint8Array;
  readonly holder: number;
  locked: boolean;
  started: boolean;
  written: number;
  /** Set when the send ends because the channel is closed. */
  closed: boolean;
}

/** The state of one receive while it runs. */
export interface ReceiveOp {
  readonly holder: number;
  locked: boolean;
  length: number;
  got: number;
  value: Uint8Array | undefined;
  /** Set when the channel is closed and drained. */
  done: boolean;
}

export class Ring {
  readonly i32: Int32Array;
  readonly bytes: Uint8Array;
  readonly size: number;
  readonly mask: number;
  readonly capacity: number;
  readonly #scratch = new Uint8Array(4);
  readonly #scratchView = new DataView(this.#scratch.buffer);

  constructor(memory: SharedArrayBuffer) {
    this.i32 = new Int32Array(memory, 0, HEADER_BYTES / 4);
    this.size = Atomics.load(this.i32, RING_BYTES);
    this.capacity = Atomics.load(this.i32, CAPACITY);
    this.mask = this.size - 1;
    this.bytes = new Uint8Array(memory, HEADER_BYTES, this.size);
  }

  get count(): number {
    return Atomics.load(this.i32, COUNT);
  }

  /** Marks the channel closed; wakes every waiter so each can see it. */
  close(state: number): void {
    const i32 = this.i32;
    if (Atomics.compareExchange(i32, STATE, OPEN, state) !== OPEN) {
      if (state === TRUNCATED) Atomics.store(i32, STATE, TRUNCATED);
    }
    Atomics.notify(i32, TAIL);
    Atomics.notify(i32, HEAD);
    Atomics.notify(i32, SEND_LOCK);
  }

  /** One step of a send; true when finished (sent, or `op.closed`). */
  sendStep(op: SendOp, plan: WaitPlan): boolean {
    const i32 = this.i32;
    if (!op.locked) {
      if (Atomics.load(i32, STATE) !== OPEN) {
        // Pass on the wake-up that brought us here: closing wakes one lock waiter at a time.
        Atomics.notify(i32, SEND_LOCK, 1);
        op.closed = true;
        return true;
      }
      if (!tryLockWord(i32, SEND_LOCK, op.holder) && !lockStep(i32, SEND_LOCK, op.holder, plan))
        return false;
      op.locked = true;
    }
    const total = op.message.length;
    if (!op.started && Atomics.load(i32, STATE) !== OPEN) {
      this.#unlock(op);
      op.closed = true;
      return true;
    }
    const head = Atomics.load(i32, HEAD);
    const tail = Atomics.load(i32, TAIL);
    const free = this.size - ((tail - head) | 0);
    if (!op.started) {
      if (Atomics.load(i32, COUNT) >= this.capacity || (total <= this.size && free < total)) {
        return this.#plan(plan, HEAD, head, SEND_WAITERS);
      }
      op.started = true;
      Atomics.add(i32, COUNT, 1);
      if (total > this.size) Atomics.store(i32, SEND_PARTIAL, 1);
    }
    const n = Math.min(free, total - op.written);
    if (n > 0) {
      this.#copyIn(tail, op.message, op.written, n);
      op.written += n;
      Atomics.store(i32, TAIL, (tail + n) | 0);
      if (Atomics.load(i32, RECV_WAITERS) > 0) Atomics.notify(i32, TAIL, 1);
    }
    if (op.written < total) return this.#plan(plan, HEAD, head, SEND_WAITERS);
    if (total > this.size) Atomics.store(i32, SEND_PARTIAL, 0);
    this.#unlock(op);
    return true;
  }

  /** A send gave up (timeout, abort): undo it, or, if part of it is out, close the channel. */
  abandonSend(op: SendOp): void {
    if (!op.locked) return;
    if (op.started && op.written === 0) {
      Atomics.sub(this.i32, COUNT, 1);
      Atomics.store(this.i32, SEND_PARTIAL, 0);
    } else if (op.started && op.written < op.message.length) {
      Atomics.store(this.i32, SEND_PARTIAL, 0);
      this.close(TRUNCATED);
    }
    this.#unlock(op);
  }

  /** One step of a receive; true when finished (`op.value`, or `op.done`). */
  receiveStep(op: ReceiveOp, plan: WaitPlan): boolean {
    const i32 = this.i32;
    if (!op.locked) {
      if (!tryLockWord(i32, RECV_LOCK, op.holder) && !lockStep(i32, RECV_LOCK, op.holder, plan))
        return false;
      op.locked = true;
    }
    let head = Atomics.load(i32, HEAD);
    const tail = Atomics.load(i32, TAIL);
    let used = (tail - head) | 0;
    const skip = Atomics.load(i32, RECV_SKIP);
    if (skip > 0) {
      const n = Math.min(skip, used);
      head = (head + n) | 0;
      used -= n;
      Atomics.store(i32, RECV_SKIP, skip - n);
      this.#consumed(head);
      if (skip > n) return this.#endOrWait(op, plan, tail);
    }
    if (op.length < 0) {
      if (used < 4) return this.#endOrWait(op, plan, tail);
      // The length may wrap around the ring's end like any other bytes.
      this.#copyOut(head, this.#scratch, 0, 4);
      op.length = this.#scratchView.getUint32(0, true);
      head = (head + 4) | 0;
      used -= 4;
      op.value = new Uint8Array(op.length);
      op.got = 0;
    }
    const n = Math.min(op.length - op.got, used);
    this.#copyOut(head, op.value!, op.got, n);
    op.got += n;
    head = (head + n) | 0;
    if (op.got < op.length) {
      // Streaming: free what was read so the sender can go on.
      Atomics.store(i32, RECV_REMAINING, op.length - op.got);
      this.#consumed(head);
      if (Atomics.load(i32, STATE) === TRUNCATED && Atomics.load(i32, TAIL) === tail) {
        // Its sender gave up; nothing more will come.
        Atomics.store(i32, RECV_REMAINING, 0);
        Atomics.sub(i32, COUNT, 1);
        op.value = undefined;
        op.done = true;
        this.#unlock(op);
        return true;
      }
      return this.#plan(plan, TAIL, tail, RECV_WAITERS);
    }
    if (op.length + 4 > this.size) Atomics.store(i32, RECV_REMAINING, 0);
    // COUNT before HEAD: a sender that sees the new HEAD must also see the free message slot.
    Atomics.sub(i32, COUNT, 1);
    this.#consumed(head);
    this.#unlock(op);
    return true;
  }

  /** A receive gave up midway: the next receiver discards the rest of its message. */
  abandonReceive(op: ReceiveOp): void {
    if (!op.locked) return;
    if (op.length >= 0 && op.got < op.length) dropPartialReceive(this.i32);
    this.#unlock(op);
  }

  #endOrWait(op: ReceiveOp, plan: WaitPlan, tail: number): boolean {
    if (Atomics.load(this.i32, STATE) !== OPEN && Atomics.load(this.i32, TAIL) === tail) {
      op.done = true;
      this.#unlock(op);
      return true;
    }
    return this.#plan(plan, TAIL, tail, RECV_WAITERS);
  }

  #consumed(head: number): void {
    Atomics.store(this.i32, HEAD, head);
    if (Atomics.load(this.i32, SEND_WAITERS) > 0) Atomics.notify(this.i32, HEAD, 1);
  }

  #plan(plan: WaitPlan, index: number, value: number, waiters: number): false {
    plan.index = index;
    plan.value = value;
    plan.waiters = waiters;
    return false;
  }

  #unlock(op: SendOp | ReceiveOp): void {
    op.locked = false;
    unlockWord(this.i32, 'message' in op ? SEND_LOCK : RECV_LOCK);
  }

  #copyIn(pos: number, source: Uint8Array, from: number, n: number): void {
    const at = pos & this.mask;
    const first = Math.min(n, this.size - at);
    this.bytes.set(source.subarray(from, from + first), at);
    if (first < n) this.bytes.set(source.subarray(from + first, from + n), 0);
  }

  #copyOut(pos: number, target: Uint8Array, to: number, n: number): void {
    const at = pos & this.mask;
    const first = Math.min(n, this.size - at);
    target.set(this.bytes.subarray(at, at + first), to);
    if (first < n) target.set(this.bytes.subarray(0, n - first), to + first);
  }
}

/** The receive lock's holder is gone midway through a message: the next receiver skips the rest. */
export function dropPartialReceive(i32: Int32Array): void {
  const remaining = Atomics.load(i32, RECV_REMAINING);
  if (remaining <= 0) return;
  Atomics.store(i32, RECV_SKIP, remaining);
  Atomics.store(i32, RECV_REMAINING, 0);
  Atomics.sub(i32, COUNT, 1);
}

/** The send lock's holder died: a message it left half-written ends the channel. */
export function dropPartialSend(i32: Int32Array): void {
  if (Atomics.load(i32, SEND_PARTIAL) === 0) return;
  Atomics.store(i32, SEND_PARTIAL, 0);
  if (Atomics.compareExchange(i32, STATE, OPEN, TRUNCATED) !== OPEN)
    Atomics.store(i32, STATE, TRUNCATED);
  Atomics.notify(i32, TAIL);
  Atomics.notify(i32, HEAD);
  Atomics.notify(i32, SEND_LOCK);
}
