import { TO_WIRE } from '../codec/wire-form.js';

/**
 * How Lock, Semaphore, Barrier and Channel cross into a worker: each implements the codec's
 * wire-form opt-in (codec/wire-form.ts), returning a plain object naming its kind and its
 * memory; a worker revives marked arguments (worker/revive-args.ts) before the task runs.
 */

export { TO_WIRE };

/** The key naming a wire form's kind. */
export const WIRE_KIND = '__spindleSync';

export type SyncKind = 'lock' | 'semaphore' | 'barrier' | 'channel';

export interface Wire {
  [WIRE_KIND]: SyncKind;
  memory: SharedArrayBuffer;
}

let adopting: SharedArrayBuffer | undefined;

/**
 * Runs `construct` so that the sync object it creates takes `memory` (from another thread)
 * instead of allocating its own: the revive side of the wire form. Constructors read it with
 * `adoptedMemory()`; constructing is synchronous, so one slot serves every kind.
 */
export function constructOver<T>(memory: SharedArrayBuffer, construct: () => T): T {
  adopting = memory;
  try {
    return construct();
  } finally {
    adopting = undefined;
  }
}

/** In a sync object's constructor: the memory it is being revived over, if any. */
export function adoptedMemory(): SharedArrayBuffer | undefined {
  return adopting;
}
