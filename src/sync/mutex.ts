/**
 * A lock in one Int32 word that also says who holds it: 0 is free, otherwise
 * `(holder + 1) * 2`, plus 1 while other threads may be waiting (Drepper's "futexes are
 * tricky" mutex, with the owner in the upper bits). Keeping the owner in the same word as the
 * state means taking the lock and recording the holder is one atomic step: a worker killed at
 * any instant leaves either a free lock or one that names it.
 */
import type { WaitPlan } from './wait.js';

const CONTENDED = 1;

export function lockToken(holder: number): number {
  return (holder + 1) * 2;
}

export function holderOfWord(word: number): number {
  return (word >>> 1) - 1;
}

export function tryLockWord(i32: Int32Array, index: number, holder: number): boolean {
  return Atomics.compareExchange(i32, index, 0, lockToken(holder)) === 0;
}

/**
 * One step of a blocking acquire: true once the lock is taken; otherwise marks the lock
 * contended and fills `plan` with the word to wait on. Once a thread has had to wait, it takes
 * the lock as contended, so the release that follows wakes whoever else waits.
 */
export function lockStep(i32: Int32Array, index: number, holder: number, plan: WaitPlan): boolean {
  const token = lockToken(holder) | CONTENDED;
  for (;;) {
    let word = Atomics.load(i32, index);
    if (word === 0) {
      if (Atomics.compareExchange(i32, index, 0, token) === 0) return true;
      continue;
    }
    if ((word & CONTENDED) === 0) {
      if (Atomics.compareExchange(i32, index, word, word | CONTENDED) !== word) continue;
      word |= CONTENDED;
    }
    plan.index = index;
    plan.value = word;
    plan.waiters = -1;
    return false;
  }
}

/** Frees the lock and wakes one waiter if any may wait. Returns the word it held. */
export function unlockWord(i32: Int32Array, index: number): number {
  const old = Atomics.exchange(i32, index, 0);
  if ((old & CONTENDED) !== 0) Atomics.notify(i32, index, 1);
  return old;
}

/** The holder of a locked word, or -1 when it is free. */
export function wordHolder(i32: Int32Array, index: number): number {
  const word = Atomics.load(i32, index);
  return word === 0 ? -1 : holderOfWord(word);
}
