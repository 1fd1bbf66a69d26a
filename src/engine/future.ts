import { CancelledError, TimeoutError } from '../errors.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';

/**
 * The state machine, stated once:
 *
 *   PENDING ──start──> RUNNING ──settle──> FINISHED
 *      └──────cancel──────> CANCELLED
 *
 * A task is RUNNING once it is handed to a worker. One sent ahead to a thread, waiting in the
 * worker's port behind the calls it runs, is reported as still pending (`running()` false) and
 * `cancel()` takes it back; a backend that cannot take a task back (processes) counts it
 * running once sent, as Python marks a task running when it enters a process pool's call
 * queue. `cancel()` succeeds only while the task has not begun. A running
 * task stopped by an AbortSignal or a timeout ends FINISHED with that error, except that an
 * abort marks it CANCELLED, since cancellation is what happened. Settling happens once; later
 * settles are ignored. Waiters are woken before done-callbacks run, and both only after the
 * state is final, so a callback always sees `done()`.
 */
type State = 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELLED';

/** How a done future ended, for `wait()` and friends without creating a promise. */
export type Outcome = 'pending' | 'value' | 'error' | 'cancelled';

/** What the scheduler needs from whoever waits for a task. */
export interface TaskSink {
  onStart(): void;
  onResult(value: unknown): void;
  onError(error: unknown, cancelled?: boolean): void;
}

/** The scheduler side of a future: withdrawing a task that has not started. */
export interface Cancellable {
  cancelQueued(): boolean;
  /** Whether the task, once handed to a worker, has begun there. */
  started(): boolean;
}

/** The handle of one submitted task, in the manner of `concurrent.futures.Future`; await it. */
export class Future<R> implements PromiseLike<R>, TaskSink {
  #state: State = 'PENDING';
  #value: R | undefined;
  #error: unknown;
  #failed = false;
  // Typed loosely so Future<R> stays covariant: a Future<number> is a Future<unknown>.
  #callbacks: Array<(f: Future<any>) => void> | undefined;
  #waiters: Array<() => void> | undefined;
  #promise: Promise<R> | undefined;
  // Typed without R so a Future<number> stays usable as a Future<unknown>.
  #resolvePromise: ((value: unknown) => void) | undefined;
  #rejectPromise: ((reason: unknown) => void) | undefined;
  #handle: Cancellable | undefined;

  /** @internal the scheduler attaches itself so `cancel()` can withdraw the task. */
  _attach(handle: Cancellable): void {
    this.#handle = handle;
  }

  /** True once the task has finished or was cancelled. */
  done(): boolean {
    return this.#state === 'FINISHED' || this.#state === 'CANCELLED';
  }

  /** True while a worker runs the task (not while it waits in a worker's port to begin). */
  running(): boolean {
    return this.#state === 'RUNNING' && (this.#handle?.started() ?? true);
  }

  cancelled(): boolean {
    return this.#state === 'CANCELLED';
  }

  /**
   * Withdraws the task if it has not started: it then never runs, and the future rejects with
   * `SPINDLE_CANCELLED`. Returns false once the task is running or finished.
   */
  cancel(): boolean {
    if (this.#state === 'CANCELLED') return true;
    if (this.#state === 'FINISHED') return false;
    // Sent ahead to a worker, a task may still be taken back until the worker begins it.
    if (this.#handle ? !this.#handle.cancelQueued() : this.#state === 'RUNNING') return false;
    this.onError(new CancelledError('the future was cancelled before it started'), true);
    return true;
  }

  /**
   * The task's value. Rejects with the task's error, with `SPINDLE_CANCELLED` if the future was
   * cancelled, or with `SPINDLE_TIMEOUT` if `timeout` ms pass first; a timeout here does not
   * cancel the task. `timeout: 0` only checks.
   */
  async result(options: { timeout?: number } = {}): Promise<R> {
    await this.#waitDone(waitTimeout(options, 'result'));
    if (this.#failed) throw this.#error;
    return this.#value as R;
  }

  /**
   * The task's error, or `undefined` if it succeeded. As in Python, a cancelled future has no
   * exception to report: this rejects with `SPINDLE_CANCELLED`, and with `SPINDLE_TIMEOUT` if
   * `timeout` ms pass first (the task goes on).
   */
  async exception(options: { timeout?: number } = {}): Promise<unknown> {
    await this.#waitDone(waitTimeout(options, 'exception'));
    if (this.#state === 'CANCELLED') throw this.#error;
    return this.#failed ? this.#error : undefined;
  }

  /**
   * Calls `callback(future)` once the future is done, at once if it already is. An error
   * thrown by the callback is reported as a process warning named `SpindleCallbackError`
   * (printed on stderr, seen by `process.on('warning')`, the error as its `cause`): never
   * swallowed and never thrown into the scheduler, as Python logs it.
   */
  addDoneCallback(callback: (future: Future<R>) => void): void {
    if (typeof callback !== 'function') {
      throw new TypeErrorWithHint(
        `addDoneCallback needs a function, got ${describe(callback)}`,
        'pass (future) => { ... }',
      );
    }
    if (this.done()) {
      this.#invoke(callback);
      return;
    }
    (this.#callbacks ??= []).push(callback);
  }

  // biome-ignore lint/suspicious/noThenProperty: a Future is awaitable by design, like a Promise.
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    // `any`, as Promise types it, so `.catch((e) => e.code)` compiles
    onrejected?: ((reason: any) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.#asPromise().then(onfulfilled, onrejected);
  }

  catch<T = never>(onrejected?: ((reason: any) => T | PromiseLike<T>) | null): Promise<R | T> {
    return this.#asPromise().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<R> {
    return this.#asPromise().finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    const state = this.#state === 'RUNNING' && !this.running() ? 'PENDING' : this.#state;
    return `Future(${state.toLowerCase()})`;
  }

  /** @internal how the future ended, read without creating a promise (an unobserved failure must stay unobserved). */
  _outcome(): Outcome {
    if (this.#state === 'CANCELLED') return 'cancelled';
    if (this.#state !== 'FINISHED') return 'pending';
    return this.#failed ? 'error' : 'value';
  }

  /** @internal */
  onStart(): void {
    if (this.#state === 'PENDING') this.#state = 'RUNNING';
  }

  /** @internal */
  onResult(value: unknown): void {
    if (this.done()) return;
    this.#value = value as R;
    this.#state = 'FINISHED';
    this.#settled();
  }

  /** @internal */
  onError(error: unknown, cancelled = false): void {
    if (this.done()) return;
    this.#error = error;
    this.#failed = true;
    this.#state = cancelled ? 'CANCELLED' : 'FINISHED';
    this.#settled();
  }

  #asPromise(): Promise<R> {
    // Created on first use, so a failed future nobody awaits never becomes an unhandled
    // rejection. The resolvers are kept as fields, not in a waiter closure: with 100,000
    // futures in flight, every object per future shows up as garbage-collection time.
    this.#promise ??= this.done()
      ? this.#failed
        ? Promise.reject(this.#error)
        : Promise.resolve(this.#value as R)
      : new Promise<R>((resolve, reject) => {
          this.#resolvePromise = resolve as (value: unknown) => void;
          this.#rejectPromise = reject;
        });
    return this.#promise;
  }

  #waitDone(timeout: number | undefined): Promise<void> {
    if (this.done()) return Promise.resolve();
    if (timeout === 0) return Promise.reject(notDoneIn(0));
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      (this.#waiters ??= []).push(waiter);
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters?.filter((w) => w !== waiter);
          reject(notDoneIn(timeout));
        }, timeout);
      }
    });
  }

  #settled(): void {
    this.#handle = undefined;
    if (this.#resolvePromise) {
      if (this.#failed) this.#rejectPromise!(this.#error);
      else this.#resolvePromise(this.#value);
      this.#resolvePromise = undefined;
      this.#rejectPromise = undefined;
    }
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) for (const w of waiters) w();
    const callbacks = this.#callbacks;
    this.#callbacks = undefined;
    if (callbacks) for (const cb of callbacks) this.#invoke(cb);
  }

  #invoke(callback: (f: Future<R>) => void): void {
    try {
      callback(this);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const warning = new Error(`a Future done-callback threw: ${reason}`, { cause: error });
      warning.name = 'SpindleCallbackError';
      // The callback's own stack says where the bug is; the warning's would point here.
      if (error instanceof Error && error.stack) {
        warning.stack = `${warning.name}: ${warning.message}\n${error.stack.split('\n').slice(1).join('\n')}`;
      }
      process.emitWarning(warning);
    }
  }
}

function notDoneIn(ms: number): TimeoutError {
  return new TimeoutError(
    `the future did not finish within ${ms} ms (the task goes on; cancel() it or pass a signal to stop it)`,
  );
}

function waitTimeout(options: { timeout?: number }, method: string): number | undefined {
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `${method}() takes an options object, got ${describe(options)}`,
      `pass ${method}({ timeout: 1000 })`,
    );
  }
  const { timeout } = options;
  if (timeout === undefined || timeout === Number.POSITIVE_INFINITY) return undefined;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new RangeErrorWithHint(
      `${method}() timeout must be a number of milliseconds ≥ 0, got ${describe(timeout)}`,
      `pass ${method}({ timeout: 1000 }), or leave it out to wait as long as it takes`,
    );
  }
  return timeout;
}
