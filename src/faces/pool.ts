import type { Backend } from '../backends/types.js';
import { Arena } from '../codec/arena.js';
import { type PrepareContext, preparationError, prepareArgs } from '../codec/prepare.js';
import { holdsSlabs, releaseSlabs, slabsOf } from '../codec/slabs.js';
import type { Transferable } from '../codec/transferable.js';
import { AutoConcurrency } from '../engine/concurrency.js';
import { Future, type TaskSink } from '../engine/future.js';
import { Scheduler } from '../engine/scheduler.js';
import type { PoolStats } from '../engine/stats.js';
import { CloneError } from '../errors.js';
import { describe, TypeErrorWithHint } from '../hints.js';
import { trackCall } from '../observe/calls.js';
import type { PoolEventName, PoolListener } from '../observe/events.js';
import { observerOf } from '../observe/observer.js';
import { announcePool } from '../observe/registry.js';
import type { Dashboard, DashboardOptions } from '../observe/server.js';
import { taskSpec } from '../tasks/define.js';
import type { TaskSpec } from '../tasks/types.js';
import { movedIn } from '../worker/transfer.js';
import type { SettledItem } from './feed-plan.js';
import type { Feeder } from './feeder.js';
import { runGraph } from './graph/run.js';
import type { ComputeResult } from './graph.js';
import { type MapOptions, mapFeeder } from './map.js';
import { earlyThreads, type PoolOptions, resolvePoolOptions } from './pool-config.js';
import { progressReporter } from './progress.js';
import { checkRunsOn } from './refusals.js';
import {
  checkOptionsObject,
  checkSignal,
  checkTransfer,
  optionalMs,
  withMoved,
} from './validate.js';

type AnyTask = (...args: any[]) => any;
/** A task `map` can call with one item: any parameters after the first are optional. */
type OneArgTask = (item: any) => any;
type Item<F extends AnyTask> = Parameters<F>[0];
type Result<F extends AnyTask> = Awaited<ReturnType<F>>;
type Input<T> = Iterable<T> | AsyncIterable<T>;

export type { PoolOptions } from './pool-config.js';

/** Per-call options of `submitWith`. */
export interface SubmitOptions {
  /** Aborting cancels the task: dropped if queued, stopped if running. */
  signal?: AbortSignal;
  /** Milliseconds the task may run, from its start. */
  timeout?: number;
  /** ArrayBuffers to move to the worker instead of copying (they become unusable here). */
  transfer?: Transferable[];
}

/**
 * A pool of workers: `multiprocessing.Pool` and a `concurrent.futures` executor in one.
 *
 * ```ts
 * await using pool = new Pool();
 * const cubes = await pool.map(tasks.cube, [1, 2, 3]);   // number[]
 * const f = pool.submit(tasks.cube, 4);                  // Future<number>
 * ```
 */
export class Pool {
  readonly #scheduler: Scheduler;
  readonly #backend: Backend;
  readonly #maxNbytes: number | undefined;
  readonly #arena = new Arena();

  constructor(options: PoolOptions = {}) {
    const early = earlyThreads(options);
    try {
      const { backend, scheduler, autoConcurrency, maxNbytes } = resolvePoolOptions(options, early);
      this.#backend = backend;
      this.#maxNbytes = maxNbytes;
      this.#scheduler = new Scheduler(scheduler);
      this.#scheduler.prestart();
      if (autoConcurrency) new AutoConcurrency(this.#scheduler);
    } finally {
      // The early thread is the prestarted worker's by now, unless an option was refused.
      early?.dropEarly();
    }
    announcePool(this);
  }

  /** Calls `listener` on every `event`; see {@link PoolEventMap}. A listener that throws becomes a process warning. */
  on<E extends PoolEventName>(event: E, listener: PoolListener<E>): this {
    observerOf(this.#scheduler).on(event, listener);
    return this;
  }

  /** Like `on`, for the next `event` only. */
  once<E extends PoolEventName>(event: E, listener: PoolListener<E>): this {
    observerOf(this.#scheduler).on(event, listener, true);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<E extends PoolEventName>(event: E, listener: PoolListener<E>): this {
    observerOf(this.#scheduler).off(event, listener);
    return this;
  }

  /** Serves a live web page of this pool (127.0.0.1, a free port by default); see {@link DashboardOptions}. */
  async dashboard(options: DashboardOptions = {}): Promise<Dashboard> {
    const { openDashboard } = await import('../observe/dashboard.js');
    return openDashboard(this, options);
  }

  /** Runs `task(...args)` on a worker; the Future settles with its result. */
  submit<F extends AnyTask>(task: F, ...args: Parameters<F>): Future<Result<F>> {
    return this.submitWith({}, task, ...args);
  }

  /** `submit` with per-call options: `signal`, `timeout`, `transfer`. */
  submitWith<F extends AnyTask>(
    options: SubmitOptions,
    task: F,
    ...args: Parameters<F>
  ): Future<Result<F>> {
    const checked = checkOptionsObject<SubmitOptions>(
      options,
      'submitWith options',
      '{ signal, timeout, transfer } (or {} for none)',
    );
    const signal = checkSignal(checked.signal);
    const timeout = optionalMs(checked.timeout, 'timeout');
    const transfer = withMoved(checkTransfer(checked.transfer), movedIn(args));
    const spec = this.#spec(task);
    const future = new Future<Result<F>>();
    const ctx = this.#prepareContext(transfer, true);
    let prepared: unknown[];
    try {
      prepared = this.#prepareArgs(args, ctx);
    } catch (error) {
      ctx?.lease?.release();
      releaseSlabs(ctx, true);
      // A value that cannot cross fails this call alone, as a send failure does; a misuse
      // (a Lock for a backend without shared memory) throws here, at the call.
      if (!(error instanceof CloneError)) throw error;
      future.onError(error);
      return future;
    }
    const lease = ctx?.lease;
    // A call that packed arrays (codec/pack.ts, packArg), or tried to, may hold slabs.
    const slabs = holdsSlabs(ctx);
    let sink: TaskSink = future;
    if (lease || slabs) {
      // Arena memory goes back when the task settles, however it settles; a result carrying
      // a view of it is seen first, so that memory is never handed out again. Slabs are reused
      // only after a result: a task that failed (a timeout) may still be reading them.
      sink = {
        onStart: () => future.onStart(),
        onResult: (value) => {
          lease?.release(value);
          releaseSlabs(ctx, true);
          future.onResult(value);
        },
        onError: (error, cancelled) => future.onError(error, cancelled),
      };
      future.addDoneCallback(() => {
        lease?.release();
        releaseSlabs(ctx, false);
      });
    }
    try {
      future._attach(
        this.#scheduler.submit(spec, prepared, sink, {
          signal,
          timeout,
          transfer,
          heavy: ctx?.heavy,
        }),
      );
      if (ctx?.heavy) this.#scheduler.flush();
    } catch (error) {
      lease?.release();
      releaseSlabs(ctx, true);
      throw error;
    }
    return future;
  }

  #prepareArgs(args: unknown[], ctx: PrepareContext | undefined): unknown[] {
    if (!ctx) return args;
    try {
      return prepareArgs(args, ctx);
    } catch (error) {
      throw preparationError(error, args, 'args');
    }
  }

  /** Runs `task(...args)` on a worker and resolves with its result. */
  apply<F extends AnyTask>(task: F, ...args: Parameters<F>): Promise<Result<F>> {
    try {
      return Promise.resolve(this.submit(task, ...args));
    } catch (error) {
      // A promise-returning call reports bad input and a closed pool as a rejection, as map does.
      return Promise.reject(error);
    }
  }

  /** `task(item)` for every item, in parallel; resolves with the results in input order. */
  map<F extends OneArgTask>(
    task: F,
    items: Input<Item<F>>,
    options: MapOptions = {},
  ): Promise<Result<F>[]> {
    try {
      const ctx = this.#prepareContext(undefined, true);
      // All results come at once, so chunks are taken as they finish and put in order at the end.
      const mode = { ordered: false };
      return leased(ctx, this.#run<Result<F>>(task, items, options, mode, ctx).all());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Like `map`, but yields results lazily in input order; lazy input is pulled with bounded look-ahead. */
  imap<F extends OneArgTask>(
    task: F,
    items: Input<Item<F>>,
    options: MapOptions = {},
  ): AsyncIterableIterator<Result<F>> {
    return this.#run<Result<F>>(task, items, options, { ordered: true });
  }

  /** Like `imap`, but yields results as they complete. */
  imapUnordered<F extends OneArgTask>(
    task: F,
    items: Input<Item<F>>,
    options: MapOptions = {},
  ): AsyncIterableIterator<Result<F>> {
    return this.#run<Result<F>>(task, items, options, { ordered: false });
  }

  /** `task(...args)` for every argument tuple; resolves with the results in input order. */
  starmap<F extends AnyTask>(
    task: F,
    argTuples: Input<Parameters<F>>,
    options: MapOptions = {},
  ): Promise<Result<F>[]> {
    try {
      const ctx = this.#prepareContext(undefined, true);
      const mode = { ordered: false, star: true };
      return leased(ctx, this.#run<Result<F>>(task, argTuples, options, mode, ctx).all());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Like `imap`, but every item settles on its own, `{ ok: true, value }` or
   * `{ ok: false, error }`, and a failure does not stop the rest.
   */
  imapSettled<F extends OneArgTask>(
    task: F,
    items: Input<Item<F>>,
    options: MapOptions = {},
  ): AsyncIterableIterator<SettledItem<Result<F>>> {
    return this.#run<SettledItem<Result<F>>>(task, items, options, { ordered: true, settle: true });
  }

  /**
   * Runs lazy calls (`delayed(task)(...args)`) and everything they depend on, on this pool:
   * one value for one call, an array for several. See `compute`.
   */
  compute<const T extends readonly unknown[]>(...calls: T): Promise<ComputeResult<T>> {
    return this._computeValues(calls).then(
      (results) => (calls.length === 1 ? results[0] : results) as ComputeResult<T>,
    );
  }

  /** @internal the graph face: the graph behind `values`, run here; `values` with results in place. */
  _computeValues(values: readonly unknown[], signal?: AbortSignal): Promise<unknown[]> {
    const host = {
      scheduler: this.#scheduler,
      backend: this.#backend,
      prepare: this.#prepareContext(),
    };
    return runGraph(host, values, signal);
  }

  /** Counts, durations and worker states; see {@link PoolStats}. */
  stats(): PoolStats {
    return this.#scheduler.stats();
  }

  /** Finishes queued work, then stops the workers. New work is refused with `SPINDLE_POOL_CLOSED`. */
  close(): Promise<void> {
    this.#arena.clear();
    slabsOf(this.#arena).clear();
    return this.#scheduler.close();
  }

  /** Stops now: queued and running work rejects with `SPINDLE_POOL_CLOSED`. */
  terminate(): Promise<void> {
    this.#arena.clear();
    slabsOf(this.#arena).clear();
    return this.#scheduler.terminate();
  }

  /** `await using pool = new Pool()` closes the pool at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal for faces built on this pool (parallel, graphs, parallelFor, executors). */
  get _scheduler(): Scheduler {
    return this.#scheduler;
  }

  /** @internal the warm memory auto-sharing copies into (submit, map, starmap). */
  get _arena(): Arena {
    return this.#arena;
  }

  /** @internal */
  get _backend(): Backend {
    return this.#backend;
  }

  #run<R>(
    task: AnyTask,
    items: unknown,
    options: MapOptions,
    mode: { ordered: boolean; star?: boolean; settle?: boolean },
    prepareContext?: PrepareContext,
  ): Feeder<R> {
    if (options === null || typeof options !== 'object') {
      throw new TypeErrorWithHint(
        `map options must be an object, got ${describe(options)}`,
        'pass { chunksize, signal, timeout, progress }',
      );
    }
    const spec = this.#spec(task);
    const timeout = optionalMs(options.timeout, 'timeout');
    const ctx = prepareContext ?? this.#prepareContext();
    return mapFeeder<R>(this.#scheduler, spec, items, {
      ...options,
      timeout,
      ...mode,
      prepare: ctx,
      pack: this.#backend.name !== 'inline',
      reporter: trackCall(
        this.#scheduler,
        'map',
        spec,
        options.progress ? progressReporter(options.progress) : undefined,
      ),
    });
  }

  #spec(task: unknown): TaskSpec {
    const spec = taskSpec(task);
    checkRunsOn(this.#backend, spec);
    return spec;
  }

  /** @internal how this pool readies arguments (faces that submit themselves use it). */
  _prepareContext(): PrepareContext | undefined {
    return this.#prepareContext();
  }

  /** `arena`: the call releases its lease when its tasks settle (only submit, map, starmap do). */
  #prepareContext(transfer?: Transferable[], arena = false): PrepareContext | undefined {
    if (this.#backend.name === 'inline') return undefined;
    return {
      arena: arena && this.#backend.name === 'threads' ? this.#arena : undefined,
      maxNbytes: this.#maxNbytes,
      sharesMemory: this.#backend.sharesMemory,
      cloneOnly: this.#backend.name !== 'threads',
      transfer: transfer && transfer.length > 0 ? new Set(transfer) : undefined,
    };
  }
}

/** A whole call's results, once its arena memory is released (results seen first). */
function leased<T>(ctx: PrepareContext | undefined, done: Promise<T>): Promise<T> {
  if (!ctx?.arena) return done;
  return done.then(
    (value) => {
      ctx.lease?.release(value);
      releaseSlabs(ctx, true);
      return value;
    },
    (error) => {
      ctx.lease?.release();
      releaseSlabs(ctx, false);
      throw error;
    },
  );
}
