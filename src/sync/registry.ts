import { onWorkerStart } from '../engine/worker-start.js';
import { allocateHolderId } from './holder.js';
import { unlockWord, wordHolder } from './mutex.js';

/**
 * The lock words this thread knows (created or revived here), so that when a worker dies the
 * thread that started it can free whatever the worker held. Entries hold the memory weakly: a
 * lock nobody references any more cannot be waited on either.
 */
interface Entry {
  readonly memory: WeakRef<SharedArrayBuffer>;
  readonly index: number;
  /** Runs before a dead holder's lock is freed, so the next holder can tell. */
  readonly onAbandon: ((i32: Int32Array) => void) | undefined;
}

let entries: Entry[] = [];
let sweepAt = 64;

/** Remembers a lock word (see mutex.ts) at `index` of `memory`. */
export function registerLockWord(
  memory: SharedArrayBuffer,
  index: number,
  onAbandon?: (i32: Int32Array) => void,
): void {
  if (entries.length >= sweepAt) {
    entries = entries.filter((entry) => entry.memory.deref() !== undefined);
    sweepAt = Math.max(64, entries.length * 2);
  }
  entries.push({ memory: new WeakRef(memory), index, onAbandon });
}

/**
 * Frees every known lock held by `holder`, a worker that is gone, marking each abandoned
 * first. Called when a worker exits (see the hook below); returns how many were freed.
 */
export function releaseHeldBy(holder: number): number {
  if (holder <= 0) return 0;
  let released = 0;
  for (const entry of entries) {
    const memory = entry.memory.deref();
    if (!memory) continue;
    const i32 = new Int32Array(memory);
    if (wordHolder(i32, entry.index) !== holder) continue;
    // The holder is dead, so nothing but waiters (setting the contended bit) touches the word.
    entry.onAbandon?.(i32);
    unlockWord(i32, entry.index);
    released++;
  }
  return released;
}

// Every worker a pool or spawn starts gets a holder id, unique in the process, that locks record
// it by; a dead worker never releases the locks it held, so they are freed (marked abandoned)
// once it has exited.
onWorkerStart((init) => {
  const holderId = allocateHolderId();
  init.holderId = holderId;
  return () => releaseHeldBy(holderId);
});
