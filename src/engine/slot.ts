import type { WorkerChannel } from '../backends/types.js';
import type { Task } from './task.js';

/** The scheduler's bookkeeping for one worker. */
export interface Slot {
  readonly id: number;
  readonly channel: WorkerChannel;
  ready: boolean;
  stopping: boolean;
  refed: boolean;
  /** Tasks sent and not yet answered, in dispatch order. */
  readonly inflight: Map<number, Task>;
  /** Estimated milliseconds of work in `inflight`. */
  inflightCost: number;
  /** Task specs this worker has been sent the definition of. */
  readonly defined: Set<number>;
  tasksRun: number;
  hasZombies: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

export function newSlot(id: number, channel: WorkerChannel): Slot {
  return {
    id,
    channel,
    ready: false,
    stopping: false,
    refed: true,
    inflight: new Map(),
    inflightCost: 0,
    defined: new Set(),
    tasksRun: 0,
    hasZombies: false,
    idleTimer: undefined,
  };
}
