/** The events a {@link Pool} emits; see `pool.on`. */
export type PoolEventName = 'taskStart' | 'taskEnd' | 'workerCreate' | 'workerExit' | 'drain';

/** A task handed to a worker: one call, or one chunk of a `map` (`items` calls). */
export interface TaskStartEvent {
  taskId: number;
  /** The task function's name (its export name for module tasks). */
  name: string;
  workerId: number;
  items: number;
  /** Milliseconds the task waited in the pool's queue before this hand-off. */
  queuedMs: number;
}

/** Fires once per task, whatever its outcome. */
export interface TaskEndEvent {
  taskId: number;
  name: string;
  workerId: number;
  items: number;
  /** When the task started running in its worker, epoch milliseconds. */
  startedAt: number;
  /** Run time in the worker (queue wait excluded); for a task that never answered, until it was given up. */
  durationMs: number;
  /** Milliseconds from submit to the start in the worker. */
  waitMs: number;
  ok: boolean;
  /** The task's error when `ok` is false. */
  error?: unknown;
}

export interface WorkerCreateEvent {
  workerId: number;
  threadId?: number;
  pid?: number;
}

/** Why the pool stopped a worker on purpose. */
export type WorkerExitReason = 'idle' | 'maxTasksPerWorker' | 'timeout' | 'close' | 'initFailed';

export interface WorkerExitEvent {
  workerId: number;
  exitCode: number | null;
  signal: string | null;
  /** True for an unexpected death: an exit or signal the pool did not ask for, out of memory. */
  crashed: boolean;
  /** Set for a planned stop: `'idle'` (idleTimeout), `'maxTasksPerWorker'`, `'timeout'` (a task overran its timeout or ignored an abort), `'close'`, `'initFailed'`. */
  reason?: WorkerExitReason;
}

/** Listener argument types, by event name. */
export interface PoolEventMap {
  taskStart: [event: TaskStartEvent];
  taskEnd: [event: TaskEndEvent];
  workerCreate: [event: WorkerCreateEvent];
  workerExit: [event: WorkerExitEvent];
  drain: [];
}

export type PoolListener<E extends PoolEventName> = (...args: PoolEventMap[E]) => void;

export const EVENT_NAMES: readonly PoolEventName[] = [
  'taskStart',
  'taskEnd',
  'workerCreate',
  'workerExit',
  'drain',
];
