import type { PrepareContext } from '../codec/prepare.js';
import type { Future } from '../engine/future.js';
import { CancelledError, PoolClosedError, TimeoutError } from '../errors.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import { taskSpec } from '../tasks/define.js';
import type { SettledItem } from './feed-plan.js';
import type { Feeder } from './feeder.js';
import { mapFeeder } from './map.js';
import { Pool, type PoolOptions, type SubmitOptions } from './pool.js';
import { DEFAULT_MAX_NBYTES } from './pool-config.js';
import { isInput, zipInputs } from './zip.js';

type AnyTask = (...args: any[]) => any;
type Result<F extends AnyTask> = Awaited<ReturnType<F>>;
type Input<T> = Iterable<T> | AsyncIterable<T>;
/** One iterable per task parameter, as Python's `Executor.map(fn, *iterables)`. */
type Inputs<P extends readonly unknown[]> = { [K in keyof P]: Input<P[K]> };

/** Options of `new ThreadPoolExecutor()` and `new ProcessPoolExecutor()`: a Pool's, with Python's name for the size. */
export interface ExecutorOptions extends Omit<PoolOptions, 'backend' | 'workers'> {
  /** Workers at most, started on demand. Default: `cpuCount()`. */
  maxWorkers?: number;
}

/** Options of `executor.map`, given after the iterables. */
export interface ExecutorMapOptions {
  /** Milliseconds from the call to `map`; a result not ready by then throws `SPINDLE_TIMEOUT` and queued work is cancelled. */
  timeout?: number;
  /** Calls per message to a worker: a number, or `'auto'` (the default) to adapt to task duration. */
  chunksize?: number | 'auto';
  /** Aborting drops queued work; iteration throws `SPINDLE_CANCELLED`. */
  signal?: AbortSignal;
}

/** Options of `executor.shutdown()`. */
export interface ShutdownOptions {
  /** Resolve only once all work has finished and the workers have stopped. Default true. */
  wait?: boolean;
  /** Cancel work that has not started (futures and map calls); running tasks finish. Default false. */
  cancelFutures?: boolean;
}

/** As Pool's default: typed arrays larger than 1 MB move to shared memory once per call. */

/**
 * Python's `concurrent.futures.Executor` over a spindle Pool: `submit`, a lazy ordered `map`,
 * and `shutdown`. Use {@link ThreadPoolExecutor} or {@link ProcessPoolExecutor}.
 */
export class Executor {
  readonly #pool: Pool;
  readonly #prepare: PrepareContext | undefined;
  /** Futures not yet done, so `shutdown({ cancelFutures })` can withdraw them. */
  readonly #pending = new Set<Future<any>>();
  readonly #maps = new Set<ExecutorMap<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #name: string;

  protected constructor(name: string, backend: 'threads' | 'processes', options: ExecutorOptions) {
    this.#name = name;
    if (options === null || typeof options !== 'object') {
      throw new TypeErrorWithHint(
        `${name} options must be an object, got ${describe(options)}`,
        `pass new ${name}({ maxWorkers: 4 })`,
      );
    }
    for (const key of ['workers', 'backend'] as const) {
      if (key in options) {
        throw new TypeErrorWithHint(
          `${name} takes no '${key}' option`,
          key === 'workers'
            ? `use maxWorkers, as in Python: new ${name}({ maxWorkers: 4 })`
            : `use ${backend === 'threads' ? 'ProcessPoolExecutor' : 'ThreadPoolExecutor'} for the other backend, or a Pool for any backend`,
        );
      }
    }
    const { maxWorkers, ...rest } = options;
    if (
      maxWorkers !== undefined &&
      (typeof maxWorkers !== 'number' || !Number.isInteger(maxWorkers) || maxWorkers < 1)
    ) {
      throw new RangeErrorWithHint(
        `maxWorkers must be a whole number ≥ 1, got ${describe(maxWorkers)}`,
        `for example new ${name}({ maxWorkers: 4 }), or leave it out for one per core`,
      );
    }
    this.#pool = new Pool({ ...rest, backend, workers: maxWorkers });
    const maxNbytes =
      options.maxNbytes === Number.POSITIVE_INFINITY
        ? undefined
        : (options.maxNbytes ?? DEFAULT_MAX_NBYTES);
    this.#prepare = { maxNbytes, sharesMemory: this.#pool._backend.sharesMemory };
  }

  /** Workers this executor runs at most. */
  get maxWorkers(): number {
    return this.#pool._scheduler.maxWorkers;
  }

  /**
   * Schedules `task(...args)`; the Future settles with its result. Throws `SPINDLE_POOL_CLOSED`
   * after `shutdown()`.
   */
  submit<F extends AnyTask>(task: F, ...args: Parameters<F>): Future<Result<F>> {
    return this.submitWith({}, task, ...args);
  }

  /** `submit` with per-call options: `signal`, `timeout` (ms from the task's start), `transfer`. */
  submitWith<F extends AnyTask>(
    options: SubmitOptions,
    task: F,
    ...args: Parameters<F>
  ): Future<Result<F>> {
    this.#checkOpen('submit');
    const future = this.#pool.submitWith(options, task, ...args);
    if (!future.done()) {
      this.#pending.add(future);
      future.addDoneCallback((f) => this.#pending.delete(f));
    }
    return future;
  }

  /**
   * Python's `Executor.map`: `task(a[i], b[i], ...)` over the iterables zipped (stopping at the
   * shortest), yielded lazily in input order. Options may follow the iterables.
   *
   * ```ts
   * for await (const sum of executor.map(tasks.add, [1, 2, 3], [10, 20, 30], { timeout: 5000 })) { ... }
   * ```
   * Work starts at the call, with bounded look-ahead, so endless or async inputs stream
   * through. A task's error is thrown where its result would have been yielded, after the
   * results before it. That error, the `timeout` (counted from the call) or leaving the loop
   * early cancels the work still queued. Iterate before `shutdown()`: items not yet sent when
   * the executor shuts down are refused with `SPINDLE_POOL_CLOSED`.
   */
  map<F extends AnyTask>(
    task: F,
    ...iterables: [...Inputs<Parameters<F>>]
  ): AsyncIterableIterator<Result<F>>;
  map<F extends AnyTask>(
    task: F,
    ...iterablesThenOptions: [...Inputs<Parameters<F>>, ExecutorMapOptions]
  ): AsyncIterableIterator<Result<F>>;
  map(task: AnyTask, ...rest: unknown[]): AsyncIterableIterator<unknown> {
    this.#checkOpen('map');
    let options: ExecutorMapOptions = {};
    const last = rest[rest.length - 1];
    if (rest.length > 0 && last !== null && typeof last === 'object' && !isInput(last)) {
      options = rest.pop() as ExecutorMapOptions;
    }
    if (rest.length === 0) {
      throw new TypeErrorWithHint(
        'executor.map needs at least one iterable after the task',
        'pass executor.map(task, items) or executor.map(task, xs, ys) for a two-parameter task',
      );
    }
    const timeout = mapTimeout(options.timeout);
    const spec = taskSpec(task);
    const tuples = zipInputs(rest, 'executor.map');
    // One context per call, so a large array shared by many calls is moved to shared memory once.
    const ctx = this.#prepare && { ...this.#prepare };
    const run = mapFeeder<SettledItem<unknown>>(this.#pool._scheduler, spec, tuples, {
      ordered: true,
      star: true,
      // Each call settles alone, so an error surfaces at its own position, not its chunk's.
      settle: true,
      chunksize: options.chunksize,
      signal: options.signal,
      prepare: ctx,
      pack: ctx !== undefined,
    });
    const map = new ExecutorMap<unknown>(run, timeout, (m) => this.#maps.delete(m));
    this.#maps.add(map);
    return map;
  }

  /**
   * Stops accepting work; later `submit` and `map` calls throw `SPINDLE_POOL_CLOSED`. With
   * `cancelFutures`, work that has not started is cancelled (its futures reject with
   * `SPINDLE_CANCELLED`) while running tasks finish. With `wait` (the default), resolves once
   * all remaining work is done and the workers have stopped; without it, resolves at once and
   * the workers stop when the remaining work is done. Calling it again is harmless.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(
        new TypeErrorWithHint(
          `shutdown options must be an object, got ${describe(options)}`,
          'pass shutdown({ wait: true, cancelFutures: false })',
        ),
      );
    }
    const { wait = true, cancelFutures = false } = options;
    this.#closed = true;
    if (cancelFutures) {
      for (const future of [...this.#pending]) future.cancel();
      for (const map of [...this.#maps]) map._cancel();
    }
    this.#closing ??= this.#pool.close();
    return wait ? this.#closing : Promise.resolve();
  }

  /** `await using executor = new ThreadPoolExecutor()` shuts it down (waiting) at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #checkOpen(method: string): void {
    if (this.#closed) {
      throw new PoolClosedError(
        `cannot ${method} after shutdown(): this ${this.#name} no longer accepts work; create a new one`,
      );
    }
  }
}

/**
 * A `ThreadPoolExecutor` whose workers are threads (`worker_threads`): true parallelism for
 * CPU-bound tasks, shared memory with the caller.
 *
 * ```ts
 * await using executor = new ThreadPoolExecutor({ maxWorkers: 4 });
 * const f = executor.submit(tasks.cube, 3);   // Future<number>
 * ```
 */
export class ThreadPoolExecutor extends Executor {
  constructor(options: ExecutorOptions = {}) {
    super('ThreadPoolExecutor', 'threads', options);
  }
}

/**
 * A `ProcessPoolExecutor` whose workers are child processes: full isolation, nothing shared,
 * arguments and results copied. `maxTasksPerWorker` is Python's `max_tasks_per_child`.
 */
export class ProcessPoolExecutor extends Executor {
  constructor(options: ExecutorOptions = {}) {
    super('ProcessPoolExecutor', 'processes', options);
  }
}

/** The iterator `executor.map` returns: a deadline and in-place errors over an ordered feeder. */
class ExecutorMap<R> implements AsyncIterableIterator<R> {
  readonly #run: Feeder<SettledItem<R>>;
  readonly #timeout: number | undefined;
  readonly #deadline: number | undefined;
  readonly #onEnd: (map: ExecutorMap<R>) => void;
  #ended = false;
  #cancelled = false;
  /** Ends a pending wait: with an error, or as the end of iteration. */
  #interrupt: ((error?: unknown) => void) | undefined;
  /** Serialises concurrent `next()` calls: results are handed out one at a time, in order. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    run: Feeder<SettledItem<R>>,
    timeout: number | undefined,
    onEnd: (map: ExecutorMap<R>) => void,
  ) {
    this.#run = run;
    this.#timeout = timeout;
    this.#deadline = timeout === undefined ? undefined : performance.now() + timeout;
    this.#onEnd = onEnd;
  }

  next(): Promise<IteratorResult<R>> {
    const step = this.#tail.then(() => this.#next());
    this.#tail = step.catch(() => {});
    return step;
  }

  async #next(): Promise<IteratorResult<R>> {
    if (this.#cancelled) {
      this.#end();
      throw cancelledByShutdown();
    }
    if (this.#ended) return { done: true, value: undefined };
    let step: IteratorResult<SettledItem<R>>;
    try {
      step = await this.#race(this.#run.next());
    } catch (error) {
      this.#end();
      throw error;
    }
    if (step.done) {
      this.#end();
      return { done: true, value: undefined };
    }
    const item = step.value;
    if (!item.ok) {
      this.#end();
      throw item.error;
    }
    return { done: false, value: item.value };
  }

  async return(): Promise<IteratorResult<R>> {
    this.#end();
    this.#interrupt?.();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }

  /** @internal shutdown({ cancelFutures }): drop queued work; a pending or next `next()` throws. */
  _cancel(): void {
    if (this.#ended) return;
    this.#cancelled = true;
    void this.#run.return();
    this.#interrupt?.(cancelledByShutdown());
  }

  /**
   * Waits for the inner step, but no longer than the deadline, and no longer than until the
   * iterator is closed or cancelled: a feeder that is stopped never answers a pending `next()`.
   */
  #race<T>(step: Promise<IteratorResult<T>>): Promise<IteratorResult<T>> {
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.#interrupt = undefined;
        step.catch(() => {});
      };
      if (this.#deadline !== undefined) {
        // A result already available wins even past the deadline, as in Python: the timer's
        // callback runs only after the step's microtasks.
        const left = Math.max(0, this.#deadline - performance.now());
        timer = setTimeout(() => {
          done();
          reject(
            new TimeoutError(
              `executor.map did not produce its results within ${this.#timeout} ms of the call; work still queued was cancelled`,
            ),
          );
        }, left);
      }
      this.#interrupt = (error) => {
        done();
        if (error === undefined) resolve({ done: true, value: undefined });
        else reject(error);
      };
      step.then(
        (value) => {
          done();
          resolve(value);
        },
        (error) => {
          done();
          reject(error);
        },
      );
    });
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Cancels chunks still queued and closes the inputs; running calls finish unobserved.
    void this.#run.return();
    this.#onEnd(this);
  }
}

function cancelledByShutdown(): CancelledError {
  return new CancelledError(
    'the executor was shut down with cancelFutures: true before this result was ready',
  );
}

function mapTimeout(value: unknown): number | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new RangeErrorWithHint(
      `executor.map timeout must be a number of milliseconds ≥ 0, got ${describe(value)}`,
      'for example executor.map(task, items, { timeout: 5000 })',
    );
  }
  return value;
}
