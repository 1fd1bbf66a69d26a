import { CLAIM_RING, takeBack } from '../worker/claims.js';
import { isStopping, type Slot } from './slot.js';
import type { SchedulerOptions, Task } from './task.js';

/**
 * Where a task goes: which worker may take it now, and what a free worker takes back from a
 * busy one. Pure over the slots' bookkeeping, so the rules read (and are tested) on their own.
 */

/**
 * Work a worker may hold beyond its running tasks, in estimated milliseconds. Enough that a
 * worker never idles waiting for its next message (a round trip costs ~50 µs), little enough
 * that the tail of a job still spreads across workers.
 */
export const PIPELINE_MS = 4;
/** One message carries at most this much estimated work, and at most MAX_BATCH tasks. */
export const BATCH_MS = 2;
export const MAX_BATCH = 4096;
/**
 * Tasks with heavy arguments a worker may hold waiting, beyond one: each costs the caller's
 * thread milliseconds to copy into its message, and sent only as results come back that copy
 * is on the critical path, with the worker idle behind it (8 calls of 12,500 small typed
 * arrays on 2 workers: the last result at ~120 ms, where a raw pool posting all 8 at once
 * had all back at ~90). A few deep, not all: each waiting message holds its copy.
 */
export const HEAVY_AHEAD = 3;

type Limits = Pick<SchedulerOptions, 'concurrency' | 'maxTasksPerWorker'>;

/**
 * Whether `slot` may take `task` (of estimated `cost` ms) now. `grown`: the pool runs every
 * worker it may, so no worker still to start would take a task left in the queue.
 */
export function accepts(
  slot: Slot,
  task: Task,
  cost: number,
  limits: Limits,
  grown: boolean,
): boolean {
  if (slot.state !== 'ready') return false;
  if (slot.inflight.size >= CLAIM_RING - 1) return false;
  if (slot.inflight.size > 0) {
    if (task.isolated) return false;
    if (slot.isolated && slot.inflight.get(slot.isolated.id) === slot.isolated) return false;
  }
  // A worker due for recycling gets no more than its remaining tasks, pipelining included.
  const max = limits.maxTasksPerWorker;
  if (max !== undefined && slot.tasksRun + slot.inflight.size >= max) return false;
  if (slot.inflight.size < limits.concurrency) {
    // A timed task must start as soon as it arrives, so its clock is honest.
    return task.timeout === undefined || slot.inflight.size === 0 || limits.concurrency > 1;
  }
  if (task.timeout !== undefined || slot.hasZombies) return false;
  // A task of more than PIPELINE_MS (a map's chunk, sized to 10-50 ms; a task not yet timed)
  // would by cost alone never wait in a worker's port: the worker then idled for each round
  // trip through the caller, and the caller's copy of its arguments (200,000 rows as views:
  // 17-25 ms a worker per call; 5 MB of strings a task: ~1 ms each). One task may wait behind
  // the running ones, as concurrent.futures queues one call ahead, where a worker left idle at
  // the end can take it back (claims: threads). Not while the pool may grow: a task left in
  // the queue is what starts the next worker.
  if (grown && slot.channel.claims) {
    if (slot.inflight.size === limits.concurrency) return true;
    if (task.heavy && slot.inflight.size < limits.concurrency + HEAVY_AHEAD) return true;
  }
  return slot.inflightCost + cost <= PIPELINE_MS;
}

/**
 * Whether a worker still starting takes `task` now. While no worker of the pool is ready (a new
 * pool), each starting one takes its first task at once, so the message waits in its port and
 * runs as soon as the worker is up, instead of after a round trip to say it is ready (on 2 busy
 * cores that round trip waits for the caller's thread to be scheduled). One task at most, never
 * a timed one (its clock starts when it is sent); a failed start puts it back in the queue.
 */
export function acceptsWhileStarting(slot: Slot, task: Task, limits: Limits): boolean {
  if (slot.state !== 'starting' || slot.inflight.size > 0 || task.timeout !== undefined)
    return false;
  return limits.maxTasksPerWorker === undefined || limits.maxTasksPerWorker > 0;
}

/** The least-loaded worker that accepts the task, if any. */
export function pickSlot(
  slots: readonly Slot[],
  task: Task,
  cost: number,
  limits: Limits,
  grown: boolean,
): Slot | undefined {
  let best: Slot | undefined;
  let anyReady = false;
  for (const slot of slots) {
    if (slot.state === 'ready') anyReady = true;
    if (!accepts(slot, task, cost, limits, grown)) continue;
    if (
      !best ||
      slot.inflightCost < best.inflightCost ||
      (slot.inflightCost === best.inflightCost && slot.inflight.size < best.inflight.size)
    ) {
      best = slot;
    }
  }
  if (best || anyReady) return best;
  return slots.find((slot) => acceptsWhileStarting(slot, task, limits));
}

/**
 * A worker with room and nothing queued takes back, for itself, half of the work another
 * worker holds beyond what that one is running: work sent ahead must not wait behind a call
 * that runs longer than its estimate while this worker is free. The busy worker may be
 * blocked in a CPU-bound call, so the take-back races on shared memory (worker/claims.ts),
 * and only tasks it has not started move. Returns them newest first, out of their slot.
 */
export function takeBackHalf(idle: Slot, slots: readonly Slot[], concurrency: number): Task[] {
  if (idle.state !== 'ready' || !idle.channel.claims) return [];
  let victim: Slot | undefined;
  for (const slot of slots) {
    if (slot === idle || !slot.channel.claims || isStopping(slot)) continue;
    if (slot.inflight.size > concurrency && (!victim || slot.inflight.size > victim.inflight.size))
      victim = slot;
  }
  if (!victim) return [];
  const held = [...victim.inflight.values()];
  const claims = victim.channel.claims!;
  const want = Math.ceil((held.length - concurrency) / 2);
  const taken: Task[] = [];
  for (let i = held.length - 1; i >= concurrency && taken.length < want; i--) {
    const task = held[i];
    // Tasks start in the order they were sent: once one has started, the earlier ones have.
    if (task.sentAs < 0 || !takeBack(claims, task.sentAs)) break;
    victim.inflight.delete(task.id);
    victim.inflightCost -= task.cost;
    taken.push(task);
  }
  return taken;
}
