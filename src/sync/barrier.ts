import { describe, RangeErrorWithHint } from '../hints.js';
import {
  assertMayBlock,
  type BlockingWaitOptions,
  type CoordinationWaitOptions,
  rejectIfAborted,
  type WaitPlan,
  waitUntil,
  waitUntilSync,
} from './wait.js';
import { adoptedMemory, constructOver, TO_WIRE, WIRE_KIND, type Wire } from './wire.js';

/** `round << 16 | arrived`, in one word so that arriving and completing a round are one CAS. */
const STATE = 0;
const PARTIES = 1;
const WORDS = 2;
const COUNT_MASK = 0xffff;
const ROUND_MASK = 0x7fff;
const MAX_PARTIES = 0xffff;

/** Rebuilds a Barrier over memory that came from another thread. */
export function reviveBarrier(wire: Wire): Barrier {
  return constructOver(wire.memory, () => new Barrier(1));
}

/**
 * A barrier for `parties` tasks (`multiprocessing.Barrier`): each `wait()` holds its caller
 * until all parties have arrived, then releases them together. It resets itself, so the same
 * barrier serves round after round.
 *
 * ```ts
 * const barrier = new Barrier(3);
 * await pool.map(tasks.step, [0, 1, 2].map((i) => [barrier, i]));  // in the task: await barrier.wait()
 * ```
 *
 * A wait that times out or is aborted withdraws its arrival, so the round still needs all
 * parties.
 */
export class Barrier {
  readonly #memory: SharedArrayBuffer;
  readonly #i32: Int32Array;

  /** @param parties how many must arrive to release a round (1 to 65535). */
  constructor(parties: number) {
    const adopted = adoptedMemory();
    if (adopted) {
      this.#memory = adopted;
    } else {
      if (!Number.isInteger(parties) || parties < 1 || parties > MAX_PARTIES) {
        throw new RangeErrorWithHint(
          `Barrier parties must be a whole number from 1 to ${MAX_PARTIES}, got ${describe(parties)}`,
          'for example new Barrier(3) for three tasks',
        );
      }
      this.#memory = new SharedArrayBuffer(WORDS * 4);
      Atomics.store(new Int32Array(this.#memory), PARTIES, parties);
    }
    this.#i32 = new Int32Array(this.#memory);
  }

  /** How many must arrive to release a round. */
  get parties(): number {
    return Atomics.load(this.#i32, PARTIES);
  }

  /** How many have arrived in the current round and wait. */
  get waiting(): number {
    return Atomics.load(this.#i32, STATE) & COUNT_MASK;
  }

  /**
   * Arrives and resolves when all parties have arrived, with this arrival's index in the round
   * (0 for the first, `parties - 1` for the last). Rejects with `SPINDLE_TIMEOUT` or
   * `SPINDLE_CANCELLED`, withdrawing the arrival.
   */
  wait(options?: CoordinationWaitOptions): Promise<number> {
    const aborted = rejectIfAborted(options, 'Barrier.wait');
    if (aborted) return aborted;
    const { round, index, step } = this.#arrive();
    if (round < 0) return Promise.resolve(index);
    return waitUntil(this.#i32, step, options, 'Barrier.wait', () => this.#withdraw(round)).then(
      () => index,
    );
  }

  /** `wait` that blocks the worker: for CPU-bound loops. Not in the main thread. */
  waitSync(options?: BlockingWaitOptions): number {
    assertMayBlock('Barrier.wait');
    const { round, index, step } = this.#arrive();
    if (round < 0) return index;
    waitUntilSync(this.#i32, step, options, 'Barrier.wait', () => this.#withdraw(round));
    return index;
  }

  /** @internal see sync/wire.ts */
  [TO_WIRE](): Wire {
    return { [WIRE_KIND]: 'barrier', memory: this.#memory };
  }

  /** Counts this arrival; the last one starts the next round and wakes everyone (round -1). */
  #arrive(): { round: number; index: number; step: (plan: WaitPlan) => boolean } {
    const i32 = this.#i32;
    const parties = Atomics.load(i32, PARTIES);
    for (;;) {
      const state = Atomics.load(i32, STATE);
      const arrived = state & COUNT_MASK;
      const round = state >>> 16;
      if (arrived + 1 >= parties) {
        const next = ((round + 1) & ROUND_MASK) << 16;
        if (Atomics.compareExchange(i32, STATE, state, next) !== state) continue;
        Atomics.notify(i32, STATE);
        return { round: -1, index: arrived, step: () => true };
      }
      if (Atomics.compareExchange(i32, STATE, state, state + 1) !== state) continue;
      const step = (plan: WaitPlan): boolean => {
        const now = Atomics.load(i32, STATE);
        if (now >>> 16 !== round) return true;
        plan.index = STATE;
        plan.value = now;
        plan.waiters = -1;
        return false;
      };
      return { round, index: arrived, step };
    }
  }

  #withdraw(round: number): void {
    const i32 = this.#i32;
    for (;;) {
      const state = Atomics.load(i32, STATE);
      // The round completed meanwhile: the others went on, and this arrival counted.
      if (state >>> 16 !== round || (state & COUNT_MASK) === 0) return;
      if (Atomics.compareExchange(i32, STATE, state, state - 1) === state) return;
    }
  }
}
