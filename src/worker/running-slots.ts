/**
 * Running tasks are tracked in a Float64Array: slot 0 counts the ones that did not fit, the others hold
 * task ids (0 = free). A worker thread's array lives on a SharedArrayBuffer the caller keeps,
 * so after the thread dies (even out of memory) the caller still knows which tasks it was
 * running; plain writes suffice because the caller reads only after the thread has exited.
 */
export const RUNNING_SLOTS = 64;

export function markRunning(slots: Float64Array, id: number): void {
  for (let i = 1; i < slots.length; i++) {
    if (slots[i] === 0) {
      slots[i] = id;
      return;
    }
  }
  slots[0]++;
}

export function unmarkRunning(slots: Float64Array, id: number): void {
  for (let i = 1; i < slots.length; i++) {
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
  for (let i = 1; i < slots.length; i++) if (slots[i] !== 0) ids.push(slots[i]);
  return ids;
}
