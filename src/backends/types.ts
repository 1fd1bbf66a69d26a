import type { Transferable } from '../codec/transferable.js';
import type { FromWorker, ToWorker } from '../wire/protocol.js';

/** How a worker ended, as far as the backend can tell. */
export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** An uncaught error the worker reported before it died, if any. */
  error?: Error;
  /**
   * Ids of the tasks the worker was running when it died, when the backend knows them; the
   * scheduler then blames only those and requeues the rest. Undefined means unknown.
   */
  running?: number[];
  /**
   * How many of the tasks sent to the worker it had taken on (started, or finished without
   * its result reaching the caller), counted in the order they were sent; undefined if unknown.
   */
  taken?: number;
}

export interface WorkerEvents {
  message(message: FromWorker): void;
  exit(exit: WorkerExit): void;
  /** A message from the worker arrived but could not be read (deserialised) here. */
  messageError?(error: Error): void;
}

export interface WorkerStartOptions {
  init: Extract<ToWorker, { op: 'init' }>;
  /** The pool's `retries`, for backends that re-run crashed work themselves (redis). */
  retries?: number;
  resourceLimits?: ResourceLimits;
}

/**
 * As `worker_threads`; the process backend maps `maxOldGenerationSizeMb` to
 * `--max-old-space-size`, `maxYoungGenerationSizeMb` to `--max-semi-space-size` (V8's young
 * generation is three semi-spaces) and `stackSizeMb` to `--stack-size`.
 */
export interface ResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/**
 * A worker's young generation unless `resourceLimits` sets one: 192 MB (semi-spaces of 64 MB,
 * V8's default is 16). A worker that is handed a big argument builds all of it at once (a
 * million records, Dates or rows), and in a small young generation every scavenge copies what
 * it has built so far, then promotes it: 500,000 Dates built and kept cost 236 ms in a bare
 * thread at V8's default and 60 ms with this. V8 grows the semi-spaces only while a worker's
 * young objects survive, so a worker running small tasks stays as small as before (a pool's
 * RSS after 200 small calls: 85 MB either way; after 1M records in halves: 615 → 577 MB).
 */
export const WORKER_YOUNG_GENERATION_MB = 192;

export function withYoungGeneration(limits: ResourceLimits | undefined): ResourceLimits {
  return limits?.maxYoungGenerationSizeMb !== undefined
    ? limits
    : { ...limits, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
}

/** One running worker, as the scheduler sees it. */
export interface WorkerChannel {
  readonly threadId?: number;
  readonly pid?: number;
  /** Sends a message; throws (synchronously) when it cannot be cloned. */
  send(message: ToWorker, transfer?: Transferable[]): void;
  /** Whether an idle worker keeps the process alive. */
  ref(): void;
  unref(): void;
  /** Stops the worker now, whatever it is doing; resolves once it is gone. */
  terminate(): Promise<void>;
  /**
   * Where the caller and the worker race for tasks sent ahead (see worker/claims.ts), for a
   * backend whose workers share memory with the caller; without it nothing is taken back.
   */
  readonly claims?: Int32Array;
  /**
   * Ids of the tasks the worker is running at this moment, when the backend can see them live
   * (threads, through shared memory); undefined when it cannot tell.
   */
  running?(): number[] | undefined;
}

/**
 * A place where workers run. The scheduler never looks past this interface, so a backend is
 * one file that starts workers and moves protocol messages.
 */
export interface Backend {
  readonly name: string;
  /** Tasks can share memory (SharedArrayBuffer, locks) with the caller. */
  readonly sharesMemory: boolean;
  /** Only tasks defined with `defineTasks` can run (code is never shipped). */
  readonly moduleTasksOnly?: boolean;
  /** Workers a pool starts when it is made, unless its `prestart` option says otherwise (default 0). */
  readonly prestart?: number;
  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel;
  /** Releases what the backend holds beyond its workers (connections). */
  close?(): Promise<void>;
}
