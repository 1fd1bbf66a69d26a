import type { WorkerExit } from '../backends/types.js';
import type { Task } from '../engine/task.js';
import type { CallTracker } from './calls.js';

/** Why the scheduler stopped a worker on purpose (an unplanned death has none). */
export type StopReason = 'idle' | 'maxTasksPerWorker' | 'timeout' | 'close' | 'initFailed';

/**
 * What the scheduler tells an observer, when one is installed (`scheduler.observer`). The
 * scheduler makes these calls only when an observer is present, so a pool nobody watches
 * pays one property check per hook point and nothing else.
 */
export interface SchedulerObserver {
  /** Where faces report their calls' progress; undefined unless a dashboard or report records the pool. */
  readonly callTracker: CallTracker | undefined;
  /** Tasks handed to a worker in one message; `now` is `performance.now()` at the hand-off. */
  taskStart(task: Task, workerId: number, now: number): void;
  /** A dispatched task's result arrived; `runMs` is its run time measured in the worker. */
  taskEnd(task: Task, workerId: number, runMs: number, ok: boolean, error: unknown): void;
  /** A task settled without a result from its worker (crash, timeout, abort, clone failure, close). */
  taskFailed(task: Task, error: unknown): void;
  workerCreate(workerId: number, threadId: number | undefined, pid: number | undefined): void;
  /** Comes before the worker's exit: the exit that follows is planned. */
  workerStopping(workerId: number, reason: StopReason): void;
  workerExit(workerId: number, exit: WorkerExit): void;
  /** What a worker reported with its results (heap bytes, sampled about twice a second). */
  workerReport(workerId: number, heapUsed: number | undefined): void;
  /** The scheduler's counts may have reached zero (queued and running). */
  settled(): void;
}
