import type { WorkerChannel } from '../backends/types.js';
import type { Task } from './task.js';

/**
 * A worker's life, stated once:
 *
 *   STARTING ──'ready'──> READY ──retire / close──> RETIRING ──exit──> GONE
 *       └──────────────── exit (start failure) ─────────┴─────────> GONE
 *
 * STARTING: started, its initializer not yet done; it takes no tasks. READY: it takes tasks.
 * RETIRING: stopped on purpose (idle, recycled, a stuck task, close, a failed initializer); it
 * is out of the pool's list, takes nothing, and its exit is expected. GONE: it has exited; an
 * exit heard in STARTING or READY is a start failure or a crash.
 */
export type SlotState = 'starting' | 'ready' | 'retiring' | 'gone';

/** The scheduler's bookkeeping for one worker. */
export interface Slot {
  readonly id: number;
  readonly channel: WorkerChannel;
  state: SlotState;
  refed: boolean;
  /** Tasks sent and not yet answered, in dispatch order. */
  readonly inflight: Map<number, Task>;
  /** Estimated milliseconds of work in `inflight`. */
  inflightCost: number;
  /** Task specs this worker has been sent the definition of. */
  readonly defined: Set<number>;
  tasksRun: number;
  /** Tasks that reached this worker so far: the next one's `sentAs`. */
  sent: number;
  /** 'sync' questions sent after unreadable messages, by token, with the tasks unanswered then. */
  syncs: Map<number, { ids: number[]; error: Error }> | undefined;
  hasZombies: boolean;
  /** The last isolated task sent here; while it is in flight the worker takes nothing else. */
  isolated: Task | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

export function newSlot(id: number, channel: WorkerChannel): Slot {
  return {
    id,
    channel,
    state: 'starting',
    refed: true,
    inflight: new Map(),
    inflightCost: 0,
    defined: new Set(),
    tasksRun: 0,
    sent: 0,
    syncs: undefined,
    hasZombies: false,
    isolated: undefined,
    idleTimer: undefined,
  };
}

/** Stopped on purpose or exited: the worker takes nothing more and its exit is no crash. */
export function isStopping(slot: Slot): boolean {
  return slot.state === 'retiring' || slot.state === 'gone';
}
