/**
 * What a worker has taken on is tracked in a Float64Array: slot 0 counts the running tasks
 * that did not fit, slots 1..RUNNING_SLOTS hold the ids of the running tasks (0 = free), and
 * the last slot counts every task the worker has taken off its queue. A worker thread's array
 * lives on a SharedArrayBuffer the caller keeps, so after the thread dies (even out of memory)
 * the caller still knows which tasks it was running, and how many it had started at all: a
 * task that finished but whose result never left the worker counts as started too. Plain
 * writes suffice because the caller reads only after the thread has exited.
 */
export const RUNNING_SLOTS = 64;
/** Length of a running-task array. */
export const RUNNING_LENGTH = RUNNING_SLOTS + 2;
const TAKEN = RUNNING_SLOTS + 1;

export function markRunning(slots: Float64Array, id: number): void {
  slots[TAKEN]++;
  for (let i = 1; i < TAKEN; i++) {
    if (slots[i] === 0) {
      slots[i] = id;
      return;
    }
  }
  slots[0]++;
}

export function unmarkRunning(slots: Float64Array, id: number): void {
  for (let i = 1; i < TAKEN; i++) {
    if (slots[i] === id) {
      slots[i] = 0;
      return;
    }
  }
  if (slots[0] > 0) slots[0]--;
}

/** The ids in a running-task array, or undefined when it overflowed (then nobody knows). */
export function readRunning(slots: Float64Array): number[] | undefined {
  if (slots[0] !== 0) return undefined;
  const ids: number[] = [];
  for (let i = 1; i < TAKEN; i++) if (slots[i] !== 0) ids.push(slots[i]);
  return ids;
}

/** How many tasks the worker has taken off its queue, in the order they were sent to it. */
export function readTaken(slots: Float64Array): number {
  return slots[TAKEN];
}
