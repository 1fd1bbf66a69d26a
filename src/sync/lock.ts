import { TypeErrorWithHint } from '../hints.js';
import { currentHolder } from './holder.js';
import { lockStep, tryLockWord, unlockWord, wordHolder } from './mutex.js';
import { registerLockWord } from './registry.js';
import {
  assertMayBlock,
  type BlockingWaitOptions,
  type CoordinationWaitOptions,
  type WaitPlan,
  waitUntil,
  waitUntilSync,
} from './wait.js';
import { adoptedMemory, constructOver, TO_WIRE, WIRE_KIND, type Wire } from './wire.js';

const STATE = 0;
/** 1 while the lock was last freed because its holder died, until someone takes it. */
const ABANDONED = 1;
const WORDS = 2;

/** Rebuilds a Lock over memory that came from another thread. */
export function reviveLock(wire: Wire): Lock {
  return constructOver(wire.memory, () => new Lock());
}

/**
 * A mutual-exclusion lock shared by the caller and the tasks it is passed to
 * (`multiprocessing.Lock`). Create it in the caller and pass it to tasks as an argument; in a
 * worker it arrives as a Lock over the same memory.
 *
 * ```ts
 * const lock = new Lock();
 * await pool.map(tasks.addOne, [lock, lock]);          // in the task: await lock.withLock(...)
 * ```
 *
 * Waiting is asynchronous (the thread's event loop keeps running); inside a worker,
 * `acquireSync` blocks instead, for CPU-bound loops. The lock records which worker holds it: if
 * that worker dies, the pool frees the lock when it replaces the worker, and the next holder
 * sees {@link Lock.wasAbandoned} set. Works with the `threads` and `inline` backends.
 */
export class Lock {
  readonly #memory: SharedArrayBuffer;
  readonly #i32: Int32Array;
  #abandoned = false;

  constructor() {
    const adopted = adoptedMemory();
    this.#memory = adopted ?? new SharedArrayBuffer(WORDS * 4);
    this.#i32 = new Int32Array(this.#memory);
    registerLockWord(this.#memory, STATE, (i32) => Atomics.store(i32, ABANDONED, 1));
  }

  /** Whether some thread holds the lock now. */
  get locked(): boolean {
    return Atomics.load(this.#i32, STATE) !== 0;
  }

  /**
   * True when this object's last acquire took over a lock whose holder died while holding it:
   * whatever the lock protects may be half-updated.
   */
  get wasAbandoned(): boolean {
    return this.#abandoned;
  }

  /** Takes the lock if it is free; never waits. */
  tryAcquire(): boolean {
    if (!tryLockWord(this.#i32, STATE, currentHolder())) return false;
    this.#took();
    return true;
  }

  /** Resolves once this thread holds the lock. Rejects with `SPINDLE_TIMEOUT` or `SPINDLE_CANCELLED`. */
  acquire(options?: CoordinationWaitOptions): Promise<void> {
    if (!options?.signal?.aborted && this.tryAcquire()) return Promise.resolve();
    return waitUntil(this.#i32, this.#step(), options, 'Lock.acquire').then(() => this.#took());
  }

  /** Blocks the worker until it holds the lock: for CPU-bound loops. Not in the main thread. */
  acquireSync(options?: BlockingWaitOptions): void {
    assertMayBlock('Lock.acquire');
    if (this.tryAcquire()) return;
    waitUntilSync(this.#i32, this.#step(), options, 'Lock.acquire');
    this.#took();
  }

  /** Frees the lock. Any thread may release it, as with `multiprocessing.Lock`. */
  release(): void {
    if (unlockWord(this.#i32, STATE) === 0) {
      throw new TypeErrorWithHint(
        'Lock.release() was called on a lock that is not held',
        'call release() once after each successful acquire(), or use withLock(fn)',
      );
    }
  }

  /** Runs `fn` while holding the lock and releases it after, whatever `fn` does. */
  async withLock<R>(
    fn: () => R | Promise<R>,
    options?: CoordinationWaitOptions,
  ): Promise<Awaited<R>> {
    await this.acquire(options);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** `withLock` for synchronous code in a worker: blocks until the lock is free. */
  withLockSync<R>(fn: () => R, options?: BlockingWaitOptions): R {
    this.acquireSync(options);
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /** @internal */
  get _holder(): number {
    return wordHolder(this.#i32, STATE);
  }

  /** @internal see sync/wire.ts */
  [TO_WIRE](): Wire {
    return { [WIRE_KIND]: 'lock', memory: this.#memory };
  }

  #step(): (plan: WaitPlan) => boolean {
    const holder = currentHolder();
    return (plan) => lockStep(this.#i32, STATE, holder, plan);
  }

  #took(): void {
    this.#abandoned =
      Atomics.load(this.#i32, ABANDONED) !== 0 && Atomics.exchange(this.#i32, ABANDONED, 0) === 1;
  }
}
