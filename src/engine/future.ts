import { CancelledError, TimeoutError } from '../errors.js';

/**
 * The state machine, stated once:
 *
 *   PENDING ──start──> RUNNING ──settle──> FINISHED
 *      └──────cancel──────> CANCELLED
 *
 * A task is RUNNING from the moment it is handed to a worker (as Python marks a task running
 * when it enters a process pool's call queue). `cancel()` succeeds only while PENDING. A running
 * task stopped by an AbortSignal or a timeout ends FINISHED with that error, except that an
 * abort marks it CANCELLED, since cancellation is what happened. Settling happens once; later
 * settles are ignored.
 */
type State = 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELLED';

/** What the scheduler needs from whoever waits for a task. */
export interface TaskSink {
  onStart(): void;
  onResult(value: unknown): void;
  onError(error: unknown, cancelled?: boolean): void;
}

/** The scheduler side of a future: withdrawing a task that has not started. */
export interface Cancellable {
  cancelQueued(): boolean;
}

/** The handle of one submitted task, in the manner of `concurrent.futures.Future`; await it. */
export class Future<R> implements PromiseLike<R>, TaskSink {
  #state: State = 'PENDING';
  #value: R | undefined;
  #error: unknown;
  #failed = false;
  #callbacks: Array<(f: Future<R>) => void> | undefined;
  #waiters: Array<() => void> | undefined;
  #promise: Promise<R> | undefined;
  #handle: Cancellable | undefined;

  /** @internal the scheduler attaches itself so `cancel()` can withdraw the task. */
  _attach(handle: Cancellable): void {
    this.#handle = handle;
  }

  /** True once the task has finished or was cancelled. */
  done(): boolean {
    return this.#state === 'FINISHED' || this.#state === 'CANCELLED';
  }

  /** True while a worker holds the task. */
  running(): boolean {
    return this.#state === 'RUNNING';
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
    if (this.#state !== 'PENDING') return false;
    if (this.#handle && !this.#handle.cancelQueued()) return false;
    this.onError(new CancelledError('the future was cancelled before it started'), true);
    return true;
  }

  /** The task's value; rejects with its error, or `SPINDLE_TIMEOUT` if `timeout` ms pass first (the task goes on). */
  async result(options: { timeout?: number } = {}): Promise<R> {
    await this.#waitDone(options.timeout);
    if (this.#failed) throw this.#error;
    return this.#value as R;
  }

  /** The task's error, or undefined if it succeeded; rejects with `SPINDLE_TIMEOUT` if `timeout` ms pass first. */
  async exception(options: { timeout?: number } = {}): Promise<unknown> {
    await this.#waitDone(options.timeout);
    return this.#failed ? this.#error : undefined;
  }

  /**
   * Calls `callback(future)` once the future is done, at once if it already is. An error
   * thrown by the callback is reported as a process warning (type `SpindleCallbackError`,
   * printed on stderr and seen by `process.on('warning')`), never swallowed and never thrown
   * into the scheduler, as Python logs it.
   */
  addDoneCallback(callback: (future: Future<R>) => void): void {
    if (typeof callback !== 'function') throw new TypeError('addDoneCallback needs a function');
    if (this.done()) {
      this.#invoke(callback);
      return;
    }
    (this.#callbacks ??= []).push(callback);
  }

  // biome-ignore lint/suspicious/noThenProperty: a Future is awaitable by design, like a Promise.
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.#asPromise().then(onfulfilled, onrejected);
  }

  catch<T = never>(onrejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<R | T> {
    return this.#asPromise().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<R> {
    return this.#asPromise().finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return `Future(${this.#state.toLowerCase()})`;
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
    // Created on first use, so a failed future nobody awaits never becomes an unhandled rejection.
    this.#promise ??= this.done()
      ? this.#failed
        ? Promise.reject(this.#error)
        : Promise.resolve(this.#value as R)
      : new Promise<R>((resolve, reject) => {
          (this.#waiters ??= []).push(() =>
            this.#failed ? reject(this.#error) : resolve(this.#value as R),
          );
        });
    return this.#promise;
  }

  #waitDone(timeout: number | undefined): Promise<void> {
    if (this.done()) return Promise.resolve();
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
          reject(
            new TimeoutError(`the future did not finish within ${timeout} ms (the task goes on)`),
          );
        }, timeout);
      }
    });
  }

  #settled(): void {
    this.#handle = undefined;
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
      const warning = error instanceof Error ? error : new Error(String(error));
      process.emitWarning(warning, {
        type: 'SpindleCallbackError',
        detail: 'thrown by a Future done-callback',
      });
    }
  }
}
