/**
 * Who runs a task that was sent ahead to a worker thread: the worker, when it gets to it, or
 * another worker, when the caller takes it back because the first is stuck behind a long call.
 * Both sides race on one Int32 per task in memory they share, so the caller can take back work
 * from a worker whose event loop is blocked in a CPU-bound task and cannot read a message.
 *
 * Slot `seq % CLAIM_RING` (seq: the task's place among those sent to this worker) holds
 * `mark(seq)` while the task waits, `-mark(seq)` once the worker has claimed it, and 0 once the
 * caller has taken it back. A worker never holds more than CLAIM_RING - 1 unanswered tasks,
 * so a slot is reused only after its previous task was answered.
 */
export const CLAIM_RING = 1 << 14;

function mark(seq: number): number {
  return (seq % 0x3fffffff) + 1;
}

/** The caller, before sending the task. */
export function offer(claims: Int32Array, seq: number): void {
  Atomics.store(claims, seq % CLAIM_RING, mark(seq));
}

/** The worker, before starting it: false when the caller took it back first. */
export function claim(claims: Int32Array, seq: number): boolean {
  const m = mark(seq);
  return Atomics.compareExchange(claims, seq % CLAIM_RING, m, -m) === m;
}

/** The caller, to give the task to another worker: false when this worker started it already. */
export function takeBack(claims: Int32Array, seq: number): boolean {
  const m = mark(seq);
  return Atomics.compareExchange(claims, seq % CLAIM_RING, m, 0) === m;
}

export function newClaims(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CLAIM_RING * Int32Array.BYTES_PER_ELEMENT));
}
