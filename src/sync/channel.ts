import { builtin } from '../builtin.js';
import { ChannelClosedError, CloneError } from '../errors.js';
import { describe, RangeErrorWithHint } from '../hints.js';
import {
  CAPACITY,
  CLOSED,
  dropPartialReceive,
  dropPartialSend,
  HEADER_BYTES,
  RECV_LOCK,
  type ReceiveOp,
  RING_BYTES,
  Ring,
  SEND_LOCK,
  type SendOp,
  STATE,
  TRUNCATED,
} from './channel-ring.js';

import { currentHolder } from './holder.js';
import { registerLockWord } from './registry.js';
import {
  assertMayBlock,
  type BlockingWaitOptions,
  type CoordinationWaitOptions,
  rejectIfAborted,
  waitUntil,
  waitUntilSync,
} from './wait.js';
import { adoptedMemory, constructOver, TO_WIRE, WIRE_KIND, type Wire } from './wire.js';

/** Options of `new Channel()`. */
export interface ChannelOptions {
  /** Values the channel holds before `send` waits. Default 64. */
  capacity?: number;
  /**
   * Bytes of buffer per value of capacity (the ring holds `capacity * slotBytes`, rounded up to
   * a power of two). Larger values still pass, streamed through while a receiver reads them.
   * Default 256.
   */
  slotBytes?: number;
}

const MAX_RING_BYTES = 1 << 30;

/** Rebuilds a Channel over memory that came from another thread. */
export function reviveChannel(wire: Wire): Channel<unknown> {
  return constructOver(wire.memory, () => new Channel());
}

/**
 * A bounded multi-producer multi-consumer queue of structured-cloneable values, shared by the
 * caller and the tasks it is passed to (`multiprocessing.Queue`, Go's channels).
 *
 * ```ts
 * const ch = new Channel<number>({ capacity: 64 });
 * const consumer = pool.apply(tasks.sum, ch);       // in the task: for await (const v of ch) ...
 * for (let i = 0; i < 1000; i++) await ch.send(i);
 * ch.close();
 * ```
 *
 * `send` waits while the channel is full and `receive` while it is empty; `close()` ends it:
 * receivers drain what is left and then get `{ done: true }`, and a send after close rejects
 * with `SPINDLE_CHANNEL_CLOSED`. Values are copied with `v8.serialize` through shared memory.
 */
export class Channel<T = unknown> implements AsyncIterable<T> {
  readonly #memory: SharedArrayBuffer;
  readonly #ring: Ring;

  constructor(options: ChannelOptions = {}) {
    const adopted = adoptedMemory();
    if (adopted) {
      this.#memory = adopted;
    } else {
      if (options === null || typeof options !== 'object') {
        throw new RangeErrorWithHint(
          `Channel options must be an object, got ${describe(options)}`,
          'pass new Channel({ capacity: 64 })',
        );
      }
      const capacity = options.capacity ?? 64;
      const slotBytes = options.slotBytes ?? 256;
      positive(capacity, 'capacity', 'new Channel({ capacity: 64 })');
      positive(slotBytes, 'slotBytes', 'new Channel({ capacity: 64, slotBytes: 1024 })');
      const ringBytes = powerOfTwoAtLeast(Math.max(64, capacity * slotBytes));
      if (ringBytes > MAX_RING_BYTES) {
        throw new RangeErrorWithHint(
          `a Channel buffer of capacity × slotBytes = ${capacity * slotBytes} bytes is too large`,
          'lower capacity or slotBytes; larger values still pass, streamed through a smaller buffer',
        );
      }
      this.#memory = new SharedArrayBuffer(HEADER_BYTES + ringBytes);
      const i32 = new Int32Array(this.#memory, 0, HEADER_BYTES / 4);
      i32[CAPACITY] = capacity;
      i32[RING_BYTES] = ringBytes;
    }
    this.#ring = new Ring(this.#memory);
    registerLockWord(this.#memory, SEND_LOCK, dropPartialSend);
    registerLockWord(this.#memory, RECV_LOCK, dropPartialReceive);
  }

  /** Values the channel holds before `send` waits. */
  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Values waiting to be received now. */
  get size(): number {
    return Math.max(0, this.#ring.count);
  }

  /** Whether `close()` was called (receivers may still be draining). */
  get closed(): boolean {
    return Atomics.load(this.#ring.i32, STATE) !== 0;
  }

  /**
   * Sends a value, waiting while the channel is full. Rejects with `SPINDLE_CHANNEL_CLOSED`
   * after `close()`, and with `SPINDLE_TIMEOUT` or `SPINDLE_CANCELLED` (the value is then not sent).
   */
  send(value: T, options?: CoordinationWaitOptions): Promise<void> {
    const aborted = rejectIfAborted(options, 'Channel.send');
    if (aborted) return aborted;
    let op: SendOp;
    try {
      op = this.#sendOp(value);
    } catch (error) {
      return Promise.reject(error);
    }
    const ring = this.#ring;
    const closed = () => {
      if (op.closed) throw this.#closedError();
    };
    const plan = { index: 0, value: 0, waiters: -1 };
    if (ring.sendStep(op, plan)) {
      try {
        closed();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return waitUntil(
      ring.i32,
      (p) => ring.sendStep(op, p),
      options,
      'Channel.send',
      () => ring.abandonSend(op),
    ).then(closed);
  }

  /** `send` that blocks the worker while the channel is full: for CPU-bound loops. Not in the main thread. */
  sendSync(value: T, options?: BlockingWaitOptions): void {
    assertMayBlock('Channel.send');
    const op = this.#sendOp(value);
    const ring = this.#ring;
    waitUntilSync(
      ring.i32,
      (p) => ring.sendStep(op, p),
      options,
      'Channel.send',
      () => ring.abandonSend(op),
    );
    if (op.closed) throw this.#closedError();
  }

  /**
   * Receives the next value, waiting while the channel is empty: `{ value, done: false }`, or
   * `{ value: undefined, done: true }` once it is closed and drained. Rejects with
   * `SPINDLE_TIMEOUT` or `SPINDLE_CANCELLED`.
   */
  receive(options?: CoordinationWaitOptions): Promise<IteratorResult<T, undefined>> {
    const aborted = rejectIfAborted(options, 'Channel.receive');
    if (aborted) return aborted;
    const op = receiveOp();
    const ring = this.#ring;
    const plan = { index: 0, value: 0, waiters: -1 };
    if (ring.receiveStep(op, plan)) return Promise.resolve(this.#result(op));
    return waitUntil(
      ring.i32,
      (p) => ring.receiveStep(op, p),
      options,
      'Channel.receive',
      () => ring.abandonReceive(op),
    ).then(() => this.#result(op));
  }

  /** `receive` that blocks the worker while the channel is empty. Not in the main thread. */
  receiveSync(options?: BlockingWaitOptions): IteratorResult<T, undefined> {
    assertMayBlock('Channel.receive');
    const op = receiveOp();
    const ring = this.#ring;
    waitUntilSync(
      ring.i32,
      (p) => ring.receiveStep(op, p),
      options,
      'Channel.receive',
      () => ring.abandonReceive(op),
    );
    return this.#result(op);
  }

  /**
   * Ends the channel: sends after this reject, receivers drain what is left and then get
   * `done`. Closing twice is harmless.
   */
  close(): void {
    this.#ring.close(CLOSED);
  }

  /** Receives until the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const next = await this.receive();
      if (next.done) return;
      yield next.value;
    }
  }

  /** @internal see sync/wire.ts */
  [TO_WIRE](): Wire {
    return { [WIRE_KIND]: 'channel', memory: this.#memory };
  }

  #sendOp(value: T): SendOp {
    let bytes: Uint8Array;
    try {
      bytes = builtin<typeof import('node:v8')>('node:v8').serialize(value);
    } catch (error) {
      throw new CloneError(
        `a value sent on a Channel cannot be copied: ${error instanceof Error ? error.message : String(error)}. ` +
          'Send structured-cloneable data (plain objects, arrays, typed arrays, Maps, Dates), not functions or class instances with private state',
        'value',
        error,
      );
    }
    const message = new Uint8Array(4 + bytes.length);
    new DataView(message.buffer).setUint32(0, bytes.length, true);
    message.set(bytes, 4);
    return {
      message,
      holder: currentHolder(),
      locked: false,
      started: false,
      written: 0,
      closed: false,
    };
  }

  #result(op: ReceiveOp): IteratorResult<T, undefined> {
    if (op.done || !op.value) return { value: undefined, done: true };
    return {
      value: builtin<typeof import('node:v8')>('node:v8').deserialize(op.value) as T,
      done: false,
    };
  }

  #closedError(): ChannelClosedError {
    const truncated = Atomics.load(this.#ring.i32, STATE) === TRUNCATED;
    return new ChannelClosedError(
      truncated
        ? 'cannot send on a closed Channel: it closed because a value larger than its buffer stopped midway (its sender gave up or died)'
        : 'cannot send on a closed Channel; close() only once every sender is done',
    );
  }
}

function receiveOp(): ReceiveOp {
  return {
    holder: currentHolder(),
    locked: false,
    length: -1,
    got: 0,
    value: undefined,
    done: false,
  };
}

function positive(value: unknown, name: string, example: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeErrorWithHint(
      `Channel ${name} must be a whole number ≥ 1, got ${describe(value)}`,
      `for example ${example}`,
    );
  }
}

function powerOfTwoAtLeast(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}
