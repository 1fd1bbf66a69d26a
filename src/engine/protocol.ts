import type { WireError } from '../codec/errors.js';
import type { TaskDef } from '../tasks/types.js';

/**
 * The messages between the scheduler and a worker runtime, the same for every backend.
 * Tasks and results travel as flat arrays (`[id, fnId, kind, args, id, …]`) because one
 * structured clone of a flat array costs far less than one of an array of small objects.
 */

/** How a task's arguments are applied; bits combine. */
export const TaskKind = {
  /** `fn(...args)` */
  CALL: 0,
  /** `args[0]` is a list of items: `items.map(fn)` */
  MAP: 1,
  /** with MAP: each item is an argument tuple, `fn(...item)` */
  STAR: 2,
  /** with MAP: every item settles on its own, as `[ok, valueOrError]`, so one failure keeps the rest */
  SETTLE: 4,
} as const;

export const TASK_STRIDE = 4;
export const RESULT_STRIDE = 4;

export const ResultStatus = {
  OK: 0,
  /** the task threw; value is a WireError */
  ERROR: 1,
} as const;

export type ToWorker =
  | {
      op: 'init';
      workerId: number;
      concurrency: number;
      init?: TaskDef;
      initArgs: unknown[];
      /** where in the worker a lock or similar shared object records its holder */
      holderId: number;
      /** the caller's entry script, so a worker knows when a task module is that file */
      entry?: string;
    }
  | { op: 'run'; defs?: Array<[number, TaskDef]>; tasks: unknown[] }
  /** `timeout`: the signal's reason is a TimeoutError rather than a CancelledError. */
  | { op: 'abort'; ids: number[]; timeout?: boolean }
  | { op: 'limit'; concurrency: number }
  /** asks which tasks the worker still holds; it answers 'held' after flushing its results */
  | { op: 'sync'; token: number }
  | { op: 'stop' };

export type FromWorker =
  | { op: 'ready' }
  /** the answer to 'sync': ids queued in the worker, and running there (undefined: too many to track) */
  | { op: 'held'; token: number; queued: number[]; running: number[] | undefined }
  | { op: 'initFailed'; error: WireError }
  /** flat `[id, status, value, runMs, …]` */
  | {
      op: 'done';
      results: unknown[];
      /** wall time of the tasks settled in this message, summed */
      busyMs: number;
      /**
       * the worker's event loop since its previous 'done': [active ms, idle ms], from
       * performance.eventLoopUtilization(); the `concurrency: 'auto'` controller reads it
       */
      load?: [number, number];
      /** the worker's heap in use (bytes), at most twice a second; the dashboard shows it */
      heap?: number;
    };
