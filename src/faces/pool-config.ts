import { type BackendName, resolveBackend } from '../backends/resolve.js';
import { ThreadBackend } from '../backends/threads.js';
import type { Backend, ResourceLimits } from '../backends/types.js';
import { findUncloneable } from '../codec/clone-path.js';
import { cpuCount } from '../cpu.js';
import type { SchedulerOptions } from '../engine/task.js';
import { CloneError } from '../errors.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import { taskSpec } from '../tasks/define.js';
import { refuseMainCodeInWorker } from '../worker/entry-guard.js';
import { inWorker } from '../worker/where.js';
import { optionalMs, positiveInt } from './validate.js';

type AnyTask = (...args: any[]) => any;

/** Options of `new Pool()`; every one has a default. */
export interface PoolOptions {
  /** Where workers run: `'threads'` (default), `'processes'`, `'inline'`, or a backend object such as `redis(...)`. */
  backend?: BackendName | Backend;
  /** Workers at most, started on demand. Default: `cpuCount()`. For `'inline'`, tasks in flight. */
  workers?: number;
  /**
   * Workers started when the pool is made, before any work, so that a thread's start-up runs
   * beside the caller's own. Default 1 on `'threads'`, 0 on the other backends; `0` starts
   * every worker on demand. An unused one does not keep the process alive.
   */
  prestart?: number;
  /**
   * Tasks each worker runs at once (async tasks interleave). Default 1. `'auto'` starts at 1
   * and raises it while tasks mostly wait on I/O, lowering it again when they turn CPU-bound.
   */
  concurrency?: number | 'auto';
  /** Queued tasks at most: beyond it `submit` throws `SPINDLE_QUEUE_FULL` and `map` waits. Default: unlimited. */
  maxQueue?: number;
  /** Milliseconds a task may run, from its start; over it the task rejects with `SPINDLE_TIMEOUT` and a stuck worker is replaced. */
  taskTimeout?: number;
  /** Re-runs of a task whose worker died. Default 0. */
  retries?: number;
  /** A worker is replaced after running this many tasks. */
  maxTasksPerWorker?: number;
  /** Milliseconds an idle worker waits before it stops; the pool restarts workers on demand. */
  idleTimeout?: number;
  /** Runs once in each worker before its first task, with `initArgs`. */
  initializer?: AnyTask;
  initArgs?: unknown[];
  /** Memory limits per worker, as `worker_threads`; processes map the heap limit to `--max-old-space-size`. */
  resourceLimits?: ResourceLimits;
  /** Typed arrays larger than this (bytes) are moved to shared memory once per call instead of copied per task. Default 1 MB; `Infinity` turns it off. */
  maxNbytes?: number;
}

/** Typed arrays larger than this many bytes go to shared memory unless `maxNbytes` says otherwise. */
export const DEFAULT_MAX_NBYTES = 1024 * 1024;

/** What `new Pool(options)` runs on, once every option is checked (bad ones throw here). */
export interface ResolvedPoolOptions {
  backend: Backend;
  scheduler: SchedulerOptions;
  autoConcurrency: boolean;
  maxNbytes: number | undefined;
}

/**
 * A thread backend whose first worker's thread is already starting, for a pool on threads with
 * no `resourceLimits` and a `prestart` that is not 0 (the defaults): the pool's own set-up, from
 * checking these options on, then runs beside the thread's start (see ThreadBackend.startEarly).
 * Read before the options are checked, so anything unusual goes the ordinary way.
 */
export function earlyThreads(options: PoolOptions): ThreadBackend | undefined {
  if (options === null || typeof options !== 'object' || inWorker()) return undefined;
  const { backend, resourceLimits, prestart } = options;
  if ((backend !== undefined && backend !== 'threads') || resourceLimits !== undefined) return;
  if (prestart === 0) return undefined;
  const threads = new ThreadBackend();
  threads.startEarly();
  return threads;
}

/** Checks every option; `backend`, when given, is the one `options.backend` names. */
export function resolvePoolOptions(options: PoolOptions, backend?: Backend): ResolvedPoolOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `Pool options must be an object, got ${describe(options)}`,
      'pass new Pool({ workers: 4 })',
    );
  }
  if (inWorker()) refuseMainCodeInWorker();
  backend ??= resolveBackend(options.backend);
  const workers = positiveInt(options.workers ?? cpuCount(), 'workers');
  const prestart = options.prestart ?? Math.min(backend.prestart ?? 0, workers);
  if (!Number.isInteger(prestart) || prestart < 0 || prestart > workers)
    throw new RangeErrorWithHint(
      `prestart must be a whole number from 0 to workers (${workers}), got ${describe(prestart)}`,
      'use 0 to start every worker on demand',
    );
  const autoConcurrency = options.concurrency === 'auto';
  const concurrency = autoConcurrency
    ? 1
    : positiveInt(options.concurrency ?? 1, 'concurrency', "or 'auto' for I/O-bound tasks");
  const maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
  if (!(maxQueue >= 1))
    throw new RangeErrorWithHint(
      `maxQueue must be ≥ 1, got ${maxQueue}`,
      'leave it out for no limit',
    );
  const retries = options.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0)
    throw new RangeErrorWithHint(
      `retries must be a whole number ≥ 0, got ${retries}`,
      'use 0 to never re-run',
    );
  const taskTimeout = optionalMs(options.taskTimeout, 'taskTimeout');
  const idleTimeout = optionalMs(options.idleTimeout, 'idleTimeout');
  const maxTasksPerWorker =
    options.maxTasksPerWorker === undefined
      ? undefined
      : positiveInt(options.maxTasksPerWorker, 'maxTasksPerWorker');
  const initializer =
    options.initializer === undefined ? undefined : taskSpec(options.initializer, 'initializer');
  if (options.initArgs !== undefined && !Array.isArray(options.initArgs)) {
    throw new TypeErrorWithHint(
      `initArgs must be an array, got ${describe(options.initArgs)}`,
      'pass initArgs: [a, b]',
    );
  }
  if (options.initArgs !== undefined && backend.name !== 'inline') {
    checkInitArgs(options.initArgs);
  }
  const maxNbytes =
    options.maxNbytes === Number.POSITIVE_INFINITY
      ? undefined
      : (options.maxNbytes ?? DEFAULT_MAX_NBYTES);
  const scheduler: SchedulerOptions = {
    backend,
    workers,
    prestart,
    concurrency,
    maxQueue,
    taskTimeout,
    retries,
    maxTasksPerWorker,
    idleTimeout,
    initializer,
    initArgs: options.initArgs ?? [],
    resourceLimits: options.resourceLimits,
  };
  return { backend, scheduler, autoConcurrency, maxNbytes };
}

/** initArgs travel to every worker at its start: refuse ones that cannot, here, not then. */
function checkInitArgs(initArgs: unknown[]): void {
  const found = findUncloneable(initArgs, 'initArgs');
  if (!found) return;
  throw new CloneError(
    `${found.path} cannot be sent to the workers: ${found.reason.replace(/\.+$/, '')}. initArgs travel by structured clone: pass plain data, typed arrays or shared arrays`,
    found.path,
  );
}
