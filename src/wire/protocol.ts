import type { WireError } from '../codec/errors.js';
import { unpackItems } from '../codec/pack.js';
import type { TaskDef } from '../tasks/types.js';

/**
 * The messages between the scheduler and a worker runtime, the same for every backend (the
 * Redis consumer and `spawn` speak it too). Tasks and results travel as flat arrays
 * (`[id, fnId, kind, args, id, …]`) because one structured clone of a flat array costs far
 * less than one of an array of small objects. The layout of one entry is stated here once;
 * everything else reads and writes entries through the accessors below, which V8 inlines, so
 * the hot path allocates nothing for them.
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

export const ResultStatus = {
  OK: 0,
  /** the task threw; value is a WireError */
  ERROR: 1,
  /** the task returned an array of numbers or records, sent packed (codec/pack.ts, packResult); resultValue rebuilds it */
  PACKED: 2,
} as const;

// ---- one task in a 'run' message: [id, fnId, kind, args] ---------------------------------

/** Slots per task in a 'run' message's `tasks`; `at` below is a multiple of it. */
export const TASK_STRIDE = 4;

export function pushTask(
  tasks: unknown[],
  id: number,
  fnId: number,
  kind: number,
  args: unknown[],
): void {
  tasks.push(id, fnId, kind, args);
}

export const taskId = (tasks: readonly unknown[], at: number): number => tasks[at] as number;
export const taskFnId = (tasks: readonly unknown[], at: number): number => tasks[at + 1] as number;
export const taskKind = (tasks: readonly unknown[], at: number): number => tasks[at + 2] as number;
export const taskArgs = (tasks: readonly unknown[], at: number): unknown[] =>
  tasks[at + 3] as unknown[];
/** Drops a task's arguments once read, so a long queue does not keep them alive. */
export function clearTaskArgs(tasks: unknown[], at: number): void {
  tasks[at + 3] = undefined;
}

// ---- one result in a 'done' message: [id, status, value, runMs] ---------------------------

/** Slots per result in a 'done' message's `results`; `at` below is a multiple of it. */
export const RESULT_STRIDE = 4;

export function pushResult(
  results: unknown[],
  id: number,
  status: number,
  value: unknown,
  ms: number,
): void {
  results.push(id, status, value, ms);
}

/** Writes a result in place, at `at` of an array sized for all of them. */
export function setResult(
  results: unknown[],
  at: number,
  id: number,
  status: number,
  value: unknown,
  ms: number,
): void {
  results[at] = id;
  results[at + 1] = status;
  results[at + 2] = value;
  results[at + 3] = ms;
}

export const resultId = (results: readonly unknown[], at: number): number => results[at] as number;
export const resultOk = (results: readonly unknown[], at: number): boolean =>
  results[at + 1] !== ResultStatus.ERROR;
/** The task's value, or its WireError when not ok. */
export const resultValue = (results: readonly unknown[], at: number): unknown =>
  results[at + 1] === ResultStatus.PACKED ? unpackItems(results[at + 2]) : results[at + 2];
/** Milliseconds the task ran in the worker. */
export const resultMs = (results: readonly unknown[], at: number): number =>
  results[at + 3] as number;
/** Turns a result into a failure with `error` (a WireError), in place. */
export function failResult(results: unknown[], at: number, error: WireError): void {
  results[at + 1] = ResultStatus.ERROR;
  results[at + 2] = error;
}

// ---- messages -----------------------------------------------------------------------------

export type ToWorker =
  | {
      op: 'init';
      workerId: number;
      concurrency: number;
      init?: TaskDef;
      initArgs: unknown[];
      /**
       * how a lock or similar shared object records this worker as its holder; set by sync/'s
       * worker-start hook (engine/worker-start.ts), absent when nothing registered one
       */
      holderId?: number;
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
  /**
   * these tasks wait for their module to load in this worker ('loading'), or have just
   * started after it loaded ('loaded'): a timeout counts from the task's start, not the import
   */
  | { op: 'loading' | 'loaded'; ids: number[] }
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

/**
 * Between threads the two messages of every task, 'run' and 'done', cross as arrays: V8's
 * serializer writes an object's keys into every message and the receiver makes each key a
 * string again, which cost an awaited call ~14 µs of its round trip (52 against 38 µs, measured
 * on its own). Every other message is rare and crosses as it is.
 */
type RunWire = [tasks: unknown[], defs?: Array<[number, TaskDef]>];
type DoneWire = [results: unknown[], busyMs: number, active?: number, idle?: number, heap?: number];

export function toWorkerWire(message: ToWorker): ToWorker | RunWire {
  if (message.op !== 'run') return message;
  return message.defs ? [message.tasks, message.defs] : [message.tasks];
}

export function toWorkerFromWire(wire: ToWorker | RunWire): ToWorker {
  return Array.isArray(wire) ? { op: 'run', tasks: wire[0], defs: wire[1] } : wire;
}

export function fromWorkerWire(message: FromWorker): FromWorker | DoneWire {
  if (message.op !== 'done') return message;
  const { results, busyMs, load, heap } = message;
  if (heap !== undefined) return [results, busyMs, load?.[0], load?.[1], heap];
  return load ? [results, busyMs, load[0], load[1]] : [results, busyMs];
}

export function fromWorkerFromWire(wire: FromWorker | DoneWire): FromWorker {
  if (!Array.isArray(wire)) return wire;
  const [results, busyMs, active, idle, heap] = wire;
  return {
    op: 'done',
    results,
    busyMs,
    load: active === undefined ? undefined : [active, idle as number],
    heap,
  };
}
