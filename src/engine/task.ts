import type { Backend, ResourceLimits } from '../backends/types.js';
import type { Transferable } from '../codec/transferable.js';
import type { TaskSpec } from '../tasks/types.js';
import type { Cancellable, TaskSink } from './future.js';
import type { Slot } from './slot.js';

/**
 * A task's life in the scheduler: QUEUED until a worker takes it, DISPATCHED while a worker
 * holds it, SETTLED once its sink has heard the outcome (or it was withdrawn). A crashed or
 * retired worker's unstarted tasks go back from DISPATCHED to QUEUED.
 */
export const QUEUED = 0;
export const DISPATCHED = 1;
export const SETTLED = 2;

export interface SchedulerOptions {
  backend: Backend;
  workers: number;
  /** Workers started with the scheduler (see PoolOptions.prestart). */
  prestart: number;
  concurrency: number;
  maxQueue: number;
  taskTimeout: number | undefined;
  retries: number;
  maxTasksPerWorker: number | undefined;
  idleTimeout: number | undefined;
  initializer: TaskSpec | undefined;
  initArgs: unknown[];
  resourceLimits: ResourceLimits | undefined;
}

export interface TaskOptions {
  kind?: number;
  /** Items in a chunk; a call counts 1. Cost estimates are per unit. */
  units?: number;
  timeout?: number;
  signal?: AbortSignal;
  transfer?: Transferable[];
  /** Queue ahead of earlier work (used to re-run a crashed task promptly). */
  front?: boolean;
  /**
   * Run alone on its worker: nothing is sent ahead behind it, and it is not sent behind
   * others, so a crash blames only this task (imapSettled re-runs a crashed chunk this way).
   */
  isolated?: boolean;
  /**
   * Its arguments cost the caller milliseconds to send (a long array, a large view; see
   * codec/prepare.ts): it may wait deeper in a worker's port (see placement.ts).
   */
  heavy?: boolean;
}

/** One unit of scheduled work: a call, or a chunk of a map. */
export class Task implements Cancellable {
  state = QUEUED;
  attempts = 0;
  slot: Slot | undefined;
  cost = 0;
  enqueuedAt = 0;
  timer: NodeJS.Timeout | undefined;
  abortListener: (() => void) | undefined;
  /** A timed-out or aborted task still running in its worker. */
  zombie = false;
  /** Its place among the tasks sent to its worker (see WorkerExit.taken). */
  sentAs = -1;
  isolated = false;
  heavy = false;

  constructor(
    readonly owner: { cancelQueued(task: Task): boolean; started(task: Task): boolean },
    readonly id: number,
    readonly spec: TaskSpec,
    readonly kind: number,
    readonly args: unknown[],
    readonly units: number,
    readonly sink: TaskSink,
    readonly timeout: number | undefined,
    readonly signal: AbortSignal | undefined,
    readonly transfer: Transferable[] | undefined,
  ) {}

  cancelQueued(): boolean {
    return this.owner.cancelQueued(this);
  }

  started(): boolean {
    return this.owner.started(this);
  }
}
