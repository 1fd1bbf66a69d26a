import { isMainThread, threadId } from 'node:worker_threads';

/**
 * Who holds a lock: a small number per worker, written into the lock's own word so that a lock
 * held by a worker that died can be found and released by the thread that saw it die.
 *
 * The caller's thread is holder 0. A worker learns its id from its init message (see
 * `adoptHolderId`). Ids come from `allocateHolderId` in whichever thread starts the worker;
 * the starting thread's `threadId` is folded in so that pools started inside workers never
 * hand out an id some other live worker already has.
 */
/**
 * Kept on the global object, per thread: in a bundled program the worker runtime is a copy of
 * spindle of its own (see backends/entry-url.ts), and a Lock made by a task's copy must know
 * the worker's id that the runtime's copy adopted.
 */
const KEY = Symbol.for('spindle.holder');
const state: { holder: number; adopted: boolean; nextLocal: number } = ((globalThis as any)[KEY] ??=
  { holder: 0, adopted: false, nextLocal: 0 });

/** Ids stay below 2^29, so `(id + 1) * 2 + 1` (a lock word, see mutex.ts) fits an Int32. */
const LOCAL_BITS = 16;
const THREAD_MASK = (1 << 13) - 1;

/** A fresh holder id for a worker about to start, unique among the process's live workers. */
export function allocateHolderId(): number {
  state.nextLocal = (state.nextLocal % 0xffff) + 1;
  return ((threadId & THREAD_MASK) << LOCAL_BITS) | state.nextLocal;
}

/**
 * Called with the init message's `holderId` by a worker runtime. Only the first call in a
 * worker thread counts: later runtimes in the same thread (a pool made inside a task, with the
 * inline backend) run their tasks as this worker, and the caller's own thread stays holder 0.
 */
export function adoptHolderId(id: number | undefined): void {
  if (state.adopted || isMainThread || id === undefined || !Number.isInteger(id) || id <= 0) return;
  state.holder = id;
  state.adopted = true;
}

/** The holder id of the code running now. */
export function currentHolder(): number {
  return state.holder;
}
