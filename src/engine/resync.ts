import { CloneError } from '../errors.js';
import type { FromWorker } from '../wire/protocol.js';
import type { Slot } from './slot.js';
import type { Task } from './task.js';

/**
 * A message from the worker could not be read here (a result nested too deeply to
 * deserialise, say), so the results it carried are lost. Which tasks they were, only the
 * worker knows: the scheduler asks it what it still holds (`askHeld`); every task sent before
 * the question that is neither answered nor held when the answer comes (`lostTasks`) was in a
 * lost message, and fails with the error this returns for it.
 */
export function askHeld(slot: Slot, error: Error, token: number): void {
  (slot.syncs ??= new Map()).set(token, { ids: [...slot.inflight.keys()], error });
  try {
    slot.channel.send({ op: 'sync', token });
  } catch {
    // the worker is gone: its exit handler settles what it held
  }
}

/** The tasks lost with unreadable messages, out of the slot, each with its error. */
export function lostTasks(
  slot: Slot,
  message: Extract<FromWorker, { op: 'held' }>,
): Array<[Task, CloneError]> {
  const sync = slot.syncs?.get(message.token);
  if (!sync) return [];
  slot.syncs!.delete(message.token);
  const held = new Set(message.queued);
  // Too many running to list (concurrency > 64): only what is queued is known to be safe.
  for (const id of message.running ?? []) held.add(id);
  const lost: Array<[Task, CloneError]> = [];
  for (const id of sync.ids) {
    const task = slot.inflight.get(id);
    if (!task || held.has(id)) continue;
    slot.inflight.delete(id);
    slot.inflightCost -= task.cost;
    slot.tasksRun++;
    if (task.zombie) continue;
    lost.push([
      task,
      new CloneError(
        `the outcome of ${task.spec.label} was sent by the worker but cannot be read here: ${sync.error.message}. ` +
          'Results travel by structured clone; very deeply nested objects (thousands of levels) exceed what the caller can rebuild',
        'result',
        sync.error,
      ),
    ]);
  }
  return lost;
}
