import { Future } from '../engine/future.js';
import { TimeoutError } from '../errors.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** Milliseconds from the call; if futures are still unfinished then, iteration throws `SPINDLE_TIMEOUT`. */
  timeout?: number;
}

/**
 * A future as {@link asCompleted} yields it. At run time it is the Future itself (`===` the one
 * submitted); its type leaves out `then`, `catch` and `finally` because TypeScript types what
 * `for await` yields as awaited, which would turn a thenable Future into its value. Read it
 * with `await f.result()` or `await f.exception()`.
 */
export type CompletedFuture<F extends Future<any>> = Omit<F, 'then' | 'catch' | 'finally'>;

/** When {@link wait} returns, as in Python's `concurrent.futures`. */
export type ReturnWhen = 'ALL_COMPLETED' | 'FIRST_COMPLETED' | 'FIRST_EXCEPTION';

/** `wait()` returns when every future is done (the default). */
export const ALL_COMPLETED = 'ALL_COMPLETED';
/** `wait()` returns when any future is done or cancelled. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `wait()` returns when any future fails (cancellation is not a failure), else when all are done. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';

/** Options of {@link wait}. */
export interface WaitOptions {
  /** Milliseconds to wait at most; on expiry `wait` resolves with what is done so far (it does not throw). */
  timeout?: number;
  /** Default `'ALL_COMPLETED'`. */
  returnWhen?: ReturnWhen;
}

/** What {@link wait} resolves with: the futures done (finished or cancelled) and the rest. */
export interface WaitResult<F extends Future<any>> {
  done: Set<F>;
  notDone: Set<F>;
}

/**
 * Yields each future as it finishes (or is cancelled), the ones already done first; a future
 * given twice is yielded once. It yields the Future itself, never its value, so a failed task
 * does not end the loop: read it with `await f.result()` or `await f.exception()` (see
 * {@link CompletedFuture} for why its type has no `then`).
 *
 * ```ts
 * for await (const f of asCompleted(urls.map((u) => pool.submit(tasks.title, u)))) {
 *   console.log(await f.result());
 * }
 * ```
 * With `timeout` (ms, counted from this call), iteration throws `SPINDLE_TIMEOUT`, "k (of n)
 * futures unfinished", if futures remain when it expires. The futures go on either way;
 * breaking out of the loop does not cancel them.
 */
export function asCompleted<F extends Future<any>>(
  futures: Iterable<F>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<CompletedFuture<F>> {
  const unique = uniqueFutures(futures, 'asCompleted');
  const timeout = timeoutOption(options, 'asCompleted');
  // A hand-written iterator, not an async generator: a generator awaits what it yields, and a
  // Future is thenable, so it would hand out the task's value (or throw its error) instead.
  return new CompletionIterator(unique, timeout);
}

class CompletionIterator<F extends Future<any>> implements AsyncIterableIterator<F> {
  readonly #total: number;
  readonly #deadline: number | undefined;
  readonly #ready: F[] = [];
  #yielded = 0;
  #finished = false;
  #waiter: { resolve: () => void; timer?: NodeJS.Timeout } | undefined;
  /** Serialises concurrent `next()` calls, so each gets its own future. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(futures: Set<F>, timeout: number | undefined) {
    this.#total = futures.size;
    this.#deadline = timeout === undefined ? undefined : performance.now() + timeout;
    // Done futures are pushed at once, in input order; the rest as they finish.
    for (const future of futures) {
      future.addDoneCallback(() => {
        if (this.#finished) return;
        this.#ready.push(future);
        this.#wake();
      });
    }
  }

  next(): Promise<IteratorResult<F>> {
    const step = this.#tail.then(() => this.#next());
    this.#tail = step.catch(() => {});
    return step;
  }

  async #next(): Promise<IteratorResult<F>> {
    for (;;) {
      if (this.#finished) return { done: true, value: undefined };
      const future = this.#ready.shift();
      if (future) {
        this.#yielded++;
        return { done: false, value: future };
      }
      if (this.#yielded === this.#total) {
        this.#finish();
        return { done: true, value: undefined };
      }
      const left = this.#deadline === undefined ? undefined : this.#deadline - performance.now();
      if (left !== undefined && left <= 0) {
        this.#finish();
        const unfinished = this.#total - this.#yielded;
        throw new TimeoutError(`${unfinished} (of ${this.#total}) futures unfinished`);
      }
      await new Promise<void>((resolve) => {
        this.#waiter = { resolve };
        // The timer lives only while someone waits, so an abandoned iterator holds no timer.
        if (left !== undefined) this.#waiter.timer = setTimeout(() => this.#wake(), left);
      });
    }
  }

  async return(): Promise<IteratorResult<F>> {
    this.#finish();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<F> {
    return this;
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (!waiter) return;
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.resolve();
  }

  #finish(): void {
    this.#finished = true;
    this.#ready.length = 0;
    this.#wake();
  }
}

/**
 * Waits for futures, as Python's `concurrent.futures.wait`: resolves with `{ done, notDone }`
 * once `returnWhen` holds, or when `timeout` ms pass (it never rejects on timeout, and never
 * with a task's error). Duplicates count once.
 *
 * ```ts
 * const { done, notDone } = await wait(futures, { returnWhen: 'FIRST_EXCEPTION' });
 * ```
 */
export function wait<F extends Future<any>>(
  futures: Iterable<F>,
  options: WaitOptions = {},
): Promise<WaitResult<F>> {
  let unique: Set<F>;
  let timeout: number | undefined;
  let returnWhen: ReturnWhen;
  try {
    unique = uniqueFutures(futures, 'wait');
    timeout = timeoutOption(options, 'wait');
    returnWhen = returnWhenOption(options.returnWhen);
  } catch (error) {
    return Promise.reject(error);
  }
  const split = (): WaitResult<F> => {
    const done = new Set<F>();
    const notDone = new Set<F>();
    for (const f of unique) (f.done() ? done : notDone).add(f);
    return { done, notDone };
  };
  // Counted, not rescanned per completion, so waiting on many futures stays linear.
  let pending = 0;
  let met = false;
  const note = (f: F) => {
    const outcome = f._outcome();
    if (returnWhen === FIRST_COMPLETED) met = true;
    else if (returnWhen === FIRST_EXCEPTION && outcome === 'error') met = true;
  };
  for (const f of unique) {
    if (f.done()) note(f);
    else pending++;
  }
  if (met || pending === 0 || timeout === 0) return Promise.resolve(split());
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(split());
    };
    if (timeout !== undefined) timer = setTimeout(finish, timeout);
    for (const f of unique) {
      if (f.done()) continue;
      f.addDoneCallback(() => {
        if (settled) return;
        pending--;
        note(f);
        if (met || pending === 0) finish();
      });
    }
  });
}

function uniqueFutures<F extends Future<any>>(futures: Iterable<F>, fn: string): Set<F> {
  if (
    futures === null ||
    typeof futures !== 'object' ||
    typeof (futures as Iterable<unknown>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeErrorWithHint(
      `${fn}() needs an iterable of futures, got ${describe(futures)}`,
      `pass an array of futures from pool.submit(): ${fn}([f1, f2])`,
    );
  }
  const unique = new Set<F>();
  for (const f of futures) {
    if (!(f instanceof Future)) {
      throw new TypeErrorWithHint(
        `${fn}() takes futures, and one item is ${describe(f)}`,
        'pass what pool.submit() or executor.submit() returned (a Promise is not a Future)',
      );
    }
    unique.add(f);
  }
  return unique;
}

function timeoutOption(options: { timeout?: number }, fn: string): number | undefined {
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `${fn}() options must be an object, got ${describe(options)}`,
      `pass ${fn}(futures, { timeout: 1000 })`,
    );
  }
  const { timeout } = options;
  if (timeout === undefined || timeout === Number.POSITIVE_INFINITY) return undefined;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new RangeErrorWithHint(
      `${fn}() timeout must be a number of milliseconds ≥ 0, got ${describe(timeout)}`,
      'leave it out to wait as long as it takes',
    );
  }
  return timeout;
}

function returnWhenOption(value: unknown): ReturnWhen {
  if (value === undefined) return ALL_COMPLETED;
  if (value === ALL_COMPLETED || value === FIRST_COMPLETED || value === FIRST_EXCEPTION) {
    return value;
  }
  throw new RangeErrorWithHint(
    `returnWhen must be 'ALL_COMPLETED', 'FIRST_COMPLETED' or 'FIRST_EXCEPTION', got ${describe(value)}`,
    "for example wait(futures, { returnWhen: 'FIRST_COMPLETED' })",
  );
}
