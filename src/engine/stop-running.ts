import { guard } from './guard.js';
import { isStopping, type Slot } from './slot.js';
import type { Task } from './task.js';

/** A task that ignores its AbortSignal this long after an abort or timeout is stopped with its worker. */
export const GRACE_MS = 500;

/**
 * A running task settled early (timeout or abort, marked a zombie) still runs in its worker: ask the
 * worker to abort it, and `retire` the worker if the task still runs after a grace period, since
 * a `for (;;) {}` cannot be interrupted any other way.
 */
export function stopInWorker(
  slot: Slot,
  task: Task,
  timeout: boolean,
  retire: (slot: Slot) => void,
): void {
  try {
    slot.channel.send({ op: 'abort', ids: [task.id], timeout });
  } catch {
    // the worker is gone already; its exit handler cleans up
  }
  const check = () => {
    if (slot.inflight.get(task.id) !== task || isStopping(slot)) return;
    // A task waiting in the worker behind another has not started: stopping the worker now
    // would kill, and re-run, the task ahead of it. Look again once that one has had time.
    const running = slot.channel.running?.();
    if (running && !running.includes(task.id)) later();
    else retire(slot);
  };
  const later = () => setTimeout(() => guard(check), GRACE_MS).unref();
  later();
}
