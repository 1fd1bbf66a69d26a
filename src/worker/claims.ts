/**
 * Who runs a task that was sent ahead to a worker thread: the worker, when it gets to it, or
 * another worker, when the caller takes it back because the first is stuck behind a long call.
 * Both sides race on one Int32 per task in memory they share, so the caller can take back work
 * from a worker whose event loop is blocked in a CPU-bound task and cannot read a message.
 *
 * Slot `seq % CLAIM_RING` (seq: the task's place among those sent to this worker) holds
 * `mark(seq)` while the task waits, `-mark(seq)` once the worker has claimed it, and
 * `mark(seq) + TAKEN_BACK` once the caller has taken it back. A task that was never offered
 * (a sender that does not take back, such as `spawn`) finds none of these and simply runs.
 * A worker never holds more than CLAIM_RING - 1 unanswered tasks, so a slot is reused only
 * after its previous task was answered.
 */
export const CLAIM_RING = 1 << 14;

const TAKEN_BACK = 0x40000000;

function mark(seq: number): number {
  return (seq % 0x3fffffff) + 1;
}

/** The caller, before sending the task. */
export function offer(claims: Int32Array, seq: number): void {
  Atomics.store(claims, seq % CLAIM_RING, mark(seq));
}

/** The worker, before starting it: false only when the caller took it back first. */
export function claim(claims: Int32Array, seq: number): boolean {
  const m = mark(seq);
  return Atomics.compareExchange(claims, seq % CLAIM_RING, m, -m) !== m + TAKEN_BACK;
}

/** The caller, to give the task to another worker: false when this worker started it already. */
export function takeBack(claims: Int32Array, seq: number): boolean {
  const m = mark(seq);
  return Atomics.compareExchange(claims, seq % CLAIM_RING, m, m + TAKEN_BACK) === m;
}

/** The caller, to ask: true while the task waits, neither started nor taken back. */
export function waiting(claims: Int32Array, seq: number): boolean {
  return Atomics.load(claims, seq % CLAIM_RING) === mark(seq);
}

export function newClaims(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CLAIM_RING * Int32Array.BYTES_PER_ELEMENT));
}
