/**
 * How Lock, Semaphore, Barrier and Channel cross into a worker. Structured clone keeps a
 * SharedArrayBuffer shared but drops class identity, so on the caller's side
 * (codec/prepare.ts) each object is replaced by its wire form, a plain object naming its kind
 * and its memory, and the task's argument array is marked; a worker revives marked arguments
 * (sync/revive.ts) before the task runs. Unmarked tasks are never searched.
 */

/** The method of a sync object that returns its wire form. */
export const TO_WIRE: unique symbol = Symbol.for('spindle.sync.toWire');

/** The key naming a wire form's kind. */
export const WIRE_KIND = '__spindleSync';

/** Set to 1 on an argument array (or a map chunk) that carries wire forms. */
export const ARGS_MARK = '__spindleSyncArgs';

export type SyncKind = 'lock' | 'semaphore' | 'barrier' | 'channel';

export interface Wire {
  [WIRE_KIND]: SyncKind;
  memory: SharedArrayBuffer;
}

export interface SyncObject {
  [TO_WIRE](): Wire;
}

export function isSyncObject(value: object): value is SyncObject {
  return typeof (value as Partial<SyncObject>)[TO_WIRE] === 'function';
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
