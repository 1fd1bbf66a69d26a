import { describe, RangeErrorWithHint } from '../hints.js';
import {
  assertMayBlock,
  type BlockingWaitOptions,
  type CoordinationWaitOptions,
  type WaitPlan,
  waitUntil,
  waitUntilSync,
} from './wait.js';
import { adoptedMemory, constructOver, TO_WIRE, WIRE_KIND, type Wire } from './wire.js';

const PERMITS = 0;
const WAITERS = 1;
const WORDS = 2;

/** Rebuilds a Semaphore over memory that came from another thread. */
export function reviveSemaphore(wire: Wire): Semaphore {
  return constructOver(wire.memory, () => new Semaphore(0));
}

/**
 * A counting semaphore shared by the caller and its tasks (`multiprocessing.Semaphore`): at
 * most `permits` holders at once. Pass it to tasks as an argument.
 *
 * ```ts
 * const sem = new Semaphore(2);
 * await sem.withPermit(() => fetch(url));   // in a task: at most two fetches at a time
 * ```
 *
 * Permits are not tied to holders: a worker that dies holding one does not give it back.
 */
export class Semaphore {
  readonly #memory: SharedArrayBuffer;
  readonly #i32: Int32Array;

  /** @param permits how many may hold the semaphore at once (≥ 0). */
  constructor(permits: number) {
    const adopted = adoptedMemory();
    if (adopted) {
      this.#memory = adopted;
    } else {
      if (!Number.isInteger(permits) || permits < 0 || permits > 0x7fffffff) {
        throw new RangeErrorWithHint(
          `Semaphore permits must be a whole number ≥ 0, got ${describe(permits)}`,
          'for example new Semaphore(4)',
        );
      }
      this.#memory = new SharedArrayBuffer(WORDS * 4);
      Atomics.store(new Int32Array(this.#memory), PERMITS, permits);
    }
    this.#i32 = new Int32Array(this.#memory);
  }

  /** Permits free now. */
  get value(): number {
    return Atomics.load(this.#i32, PERMITS);
  }

  /** Takes a permit if one is free; never waits. */
  tryAcquire(): boolean {
    const i32 = this.#i32;
    for (;;) {
      const permits = Atomics.load(i32, PERMITS);
      if (permits <= 0) return false;
      if (Atomics.compareExchange(i32, PERMITS, permits, permits - 1) === permits) return true;
    }
  }

  /** Resolves once this caller holds a permit. Rejects with `SPINDLE_TIMEOUT` or `SPINDLE_CANCELLED`. */
  acquire(options?: CoordinationWaitOptions): Promise<void> {
    if (!options?.signal?.aborted && this.tryAcquire()) return Promise.resolve();
    return waitUntil(this.#i32, this.#step, options, 'Semaphore.acquire');
  }

  /** Blocks the worker until it holds a permit: for CPU-bound loops. Not in the main thread. */
  acquireSync(options?: BlockingWaitOptions): void {
    assertMayBlock('Semaphore.acquire');
    if (this.tryAcquire()) return;
    waitUntilSync(this.#i32, this.#step, options, 'Semaphore.acquire');
  }

  /** Gives back `count` permits (default 1), waking as many waiters. */
  release(count = 1): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeErrorWithHint(
        `Semaphore.release count must be a whole number ≥ 1, got ${describe(count)}`,
        'call release() or release(2)',
      );
    }
    Atomics.add(this.#i32, PERMITS, count);
    if (Atomics.load(this.#i32, WAITERS) > 0) Atomics.notify(this.#i32, PERMITS, count);
  }

  /** Runs `fn` while holding a permit and gives it back after, whatever `fn` does. */
  async withPermit<R>(
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

  /** @internal see sync/wire.ts */
  [TO_WIRE](): Wire {
    return { [WIRE_KIND]: 'semaphore', memory: this.#memory };
  }

  readonly #step = (plan: WaitPlan): boolean => {
    if (this.tryAcquire()) return true;
    plan.index = PERMITS;
    plan.value = 0;
    plan.waiters = WAITERS;
    return false;
  };
}
