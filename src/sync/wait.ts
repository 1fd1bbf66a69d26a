import { isMainThread } from 'node:worker_threads';
import { CancelledError, TimeoutError, UnsupportedError } from '../errors.js';
import { RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';

/** Options of every wait on a Lock, Semaphore, Barrier or Channel. */
export interface CoordinationWaitOptions {
  /** Milliseconds to wait at most; then the wait rejects with `SPINDLE_TIMEOUT`. Default: no limit. */
  timeout?: number;
  /** Aborting rejects the wait with `SPINDLE_CANCELLED` (async waits only). */
  signal?: AbortSignal;
}

/** Options of a synchronous wait, which no signal can interrupt while the thread is blocked. */
export interface BlockingWaitOptions {
  /** Milliseconds to wait at most; then the wait throws `SPINDLE_TIMEOUT`. Default: no limit. */
  timeout?: number;
}

/** What a blocked operation waits for: word `index` to change from `value`. */
export interface WaitPlan {
  index: number;
  value: number;
  /** Index of a word counting waiters (so wakers can skip `notify`), or -1. */
  waiters: number;
  /** Milliseconds between looks, when polling (no Atomics.waitAsync). */
  backoff?: number;
}

/** Tries the operation once: true when done, false after filling `plan`. */
export type Attempt = (plan: WaitPlan) => boolean;

type WaitAsync = (
  i32: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/**
 * Node 16+ has it; the fallback polls, for runtimes that lack it (SPINDLE_POLL_WAITS=1 forces
 * the fallback, to test it).
 */
const waitAsync: WaitAsync | undefined =
  process.env.SPINDLE_POLL_WAITS === '1'
    ? undefined
    : (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

const POLL_MIN_MS = 1;
const POLL_MAX_MS = 16;

/**
 * Runs `attempt` until it succeeds, waiting asynchronously between tries: the thread's event
 * loop keeps running. `cleanup` runs when the wait gives up (timeout, abort).
 */
export function waitUntil(
  i32: Int32Array,
  attempt: Attempt,
  options: CoordinationWaitOptions | undefined,
  what: string,
  cleanup?: () => void,
): Promise<void> {
  const { timeout, signal } = readOptions(options, what);
  if (signal?.aborted) return Promise.reject(cancelled(what, signal));
  const plan: WaitPlan = { index: 0, value: 0, waiters: -1 };
  if (attempt(plan)) return Promise.resolve();
  if (timeout === 0) {
    cleanup?.();
    return Promise.reject(timedOut(what, timeout));
  }
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let pending: PendingWait | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: unknown) => {
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (pending) pending.abandon();
      pending = undefined;
      if (error === undefined) return resolve();
      cleanup?.();
      reject(error);
    };
    const onAbort = () => finish(cancelled(what, signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    // A timer of our own, not only waitAsync's timeout: a pending waitAsync does not keep the
    // process alive, and a wait that times out must reject rather than let the process exit.
    if (timeout !== undefined) timer = setTimeout(() => finish(timedOut(what, timeout)), timeout);
    const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
    const step = (tryFirst: boolean) => {
      pending = undefined;
      while (!settled) {
        if (tryFirst && attempt(plan)) return finish();
        tryFirst = true;
        const remaining = deadline - performance.now();
        if (remaining <= 0) return finish(timedOut(what, timeout!));
        const wait = waitWord(i32, plan, remaining);
        if (wait) {
          pending = wait;
          wait.done.then(() => step(true));
          return;
        }
      }
    };
    step(false);
  });
}

/** A rejected promise when `options.signal` is already aborted (before anything is counted). */
export function rejectIfAborted(
  options: CoordinationWaitOptions | undefined,
  what: string,
): Promise<never> | undefined {
  const signal = options?.signal;
  if (signal instanceof AbortSignal && signal.aborted)
    return Promise.reject(cancelled(what, signal));
  return undefined;
}

/** A wait that is still pending; abandoning it keeps a wake-up it later receives from being lost. */
interface PendingWait {
  done: Promise<void>;
  abandon(): void;
}

/**
 * Waits for `plan`'s word to change. Returns undefined when it already differs; otherwise a
 * pending wait whose `done` settles when the word may have changed (or the time is up), after
 * which the attempt runs again.
 */
function waitWord(i32: Int32Array, plan: WaitPlan, remaining: number): PendingWait | undefined {
  const { index, value, waiters } = plan;
  if (waiters >= 0) Atomics.add(i32, waiters, 1);
  let counted = waiters >= 0;
  const uncount = () => {
    if (counted) Atomics.sub(i32, waiters, 1);
    counted = false;
  };
  if (!waitAsync) return pollWord(i32, plan, uncount);
  const result = waitAsync(i32, index, value, Math.max(0, remaining));
  if (!result.async) {
    uncount();
    return undefined;
  }
  let abandoned = false;
  const done = result.value.then((outcome) => {
    uncount();
    // Atomics.notify(…, 1) may have picked this waiter after its owner gave up; pass the
    // wake-up on, or a live waiter could sleep through it.
    if (abandoned && outcome === 'ok') Atomics.notify(i32, index, 1);
  });
  return {
    done,
    abandon() {
      abandoned = true;
      uncount();
    },
  };
}

/**
 * The fallback: look again after a growing delay. Each look ends the wait, as a notify would,
 * so the attempt re-runs and sees changes that only a notify announces (a close).
 */
function pollWord(i32: Int32Array, plan: WaitPlan, uncount: () => void): PendingWait | undefined {
  if (Atomics.load(i32, plan.index) !== plan.value) {
    uncount();
    plan.backoff = 0;
    return undefined;
  }
  plan.backoff = Math.min(Math.max(POLL_MIN_MS, (plan.backoff ?? 0) * 2), POLL_MAX_MS);
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      uncount();
      resolve();
    }, plan.backoff);
  });
  return {
    done,
    abandon() {
      clearTimeout(timer);
      uncount();
    },
  };
}

/** The Sync variants block their thread: never the main thread's event loop, even when they would not wait. */
export function assertMayBlock(what: string): void {
  if (isMainThread) {
    throw new UnsupportedError(
      `${what}Sync would block the main thread's event loop; use \`await ${what}()\` there (the Sync variants are for CPU-bound loops inside worker tasks)`,
    );
  }
}

/**
 * Runs `attempt` until it succeeds, blocking the thread between tries with `Atomics.wait`:
 * for CPU-bound loops inside a worker. Refused in the main thread, whose event loop must
 * never block.
 */
export function waitUntilSync(
  i32: Int32Array,
  attempt: Attempt,
  options: BlockingWaitOptions | undefined,
  what: string,
  cleanup?: () => void,
): void {
  assertMayBlock(what);
  const { timeout } = readOptions(options, what);
  const plan: WaitPlan = { index: 0, value: 0, waiters: -1 };
  const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
  while (!attempt(plan)) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      cleanup?.();
      throw timedOut(what, timeout!);
    }
    if (plan.waiters >= 0) Atomics.add(i32, plan.waiters, 1);
    Atomics.wait(i32, plan.index, plan.value, remaining);
    if (plan.waiters >= 0) Atomics.sub(i32, plan.waiters, 1);
  }
}

function readOptions(
  options: CoordinationWaitOptions | undefined,
  what: string,
): { timeout: number | undefined; signal: AbortSignal | undefined } {
  if (options === undefined) return { timeout: undefined, signal: undefined };
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `${what} options must be an object`,
      'pass { timeout: 1000 } or { signal }',
    );
  }
  const { timeout, signal } = options;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0)) {
    throw new RangeErrorWithHint(
      `${what} timeout must be a number of milliseconds ≥ 0, got ${String(timeout)}`,
      'for example { timeout: 1000 }, or leave it out to wait without limit',
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeErrorWithHint(
      `${what} signal must be an AbortSignal`,
      'pass { signal: controller.signal }',
    );
  }
  return { timeout: timeout === Infinity ? undefined : timeout, signal };
}

function timedOut(what: string, timeout: number): TimeoutError {
  return new TimeoutError(`${what} did not succeed within its timeout of ${timeout} ms`);
}

function cancelled(what: string, signal: AbortSignal): unknown {
  const reason = signal.reason;
  if (reason instanceof CancelledError) return reason;
  return new CancelledError(`${what} was aborted`, reason);
}
