/**
 * An opt-in for objects that structured clone cannot carry as they are (it keeps a
 * SharedArrayBuffer shared but drops class identity): such an object has a method, under
 * `TO_WIRE`, returning a plain "wire form" of itself, and the worker side turns that back into
 * the object. The codec (prepare.ts) knows nothing more about them: it calls the method, marks
 * the task's payload with `WIRE_MARK` so the worker knows to look (unmarked tasks are never
 * searched), and refuses such objects on a backend that shares no memory, since a wire form
 * refers to memory shared with the workers. Lock, Semaphore, Barrier and Channel implement it
 * (src/sync/wire.ts).
 */

/** The method returning an object's wire form. Symbol.for: a bundled worker has its own copy. */
export const TO_WIRE: unique symbol = Symbol.for('spindle.sync.toWire');

/** Set to 1 on an argument array (or a map chunk) that carries wire forms. */
export const WIRE_MARK = '__spindleSyncArgs';

export interface HasWireForm {
  [TO_WIRE](): object;
}

export function hasWireForm(value: object): value is HasWireForm {
  return typeof (value as Partial<HasWireForm>)[TO_WIRE] === 'function';
}
