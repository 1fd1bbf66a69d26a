/**
 * Every error spindle raises is a {@link SpindleError} with a stable `code`, so callers can
 * branch on `err.code` instead of parsing messages. A task's own error is not wrapped: it is
 * rebuilt in the caller (see codec/errors.ts).
 */

/** The stable codes; each names one kind of failure. */
export const ErrorCodes = {
  WORKER_CRASHED: 'SPINDLE_WORKER_CRASHED',
  WORKER_START: 'SPINDLE_WORKER_START',
  TASK_MODULE: 'SPINDLE_TASK_MODULE',
  TIMEOUT: 'SPINDLE_TIMEOUT',
  CANCELLED: 'SPINDLE_CANCELLED',
  POOL_CLOSED: 'SPINDLE_POOL_CLOSED',
  INLINE_CAPTURE: 'SPINDLE_INLINE_CAPTURE',
  INLINE_SOURCE: 'SPINDLE_INLINE_SOURCE',
  CLONE: 'SPINDLE_CLONE',
  QUEUE_FULL: 'SPINDLE_QUEUE_FULL',
  UNSUPPORTED: 'SPINDLE_UNSUPPORTED',
  /** the cluster backend cannot reach Redis, or Redis lost the work */
  REDIS_UNAVAILABLE: 'SPINDLE_REDIS_UNAVAILABLE',
  /** a cluster worker refused a job (signature, or a task module it was not started with) */
  JOB_REFUSED: 'SPINDLE_JOB_REFUSED',
  /** a value was sent on a Channel after it was closed */
  CHANNEL_CLOSED: 'SPINDLE_CHANNEL_CLOSED',
  /** an optional dependency is not installed (bullmq and ioredis, for `spindle/redis`) */
  MISSING_DEPENDENCY: 'SPINDLE_MISSING_DEPENDENCY',
  /** an input file of a bag is missing or cannot be read */
  INPUT_FILE: 'SPINDLE_INPUT_FILE',
  /** a cluster worker was asked to read or write a path outside the folders it was started with */
  PATH_NOT_ALLOWED: 'SPINDLE_PATH_NOT_ALLOWED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Each error class's kind, kept across copies of spindle (see `SpindleError[Symbol.hasInstance]`). */
const KIND: unique symbol = Symbol.for('spindle.errorKind');
const KINDS: unique symbol = Symbol.for('spindle.errorKinds');

/** Base class of every error spindle raises itself. */
export class SpindleError extends Error {
  static readonly [KIND]: string = 'SpindleError';

  /**
   * `instanceof` holds too for an error made by another copy of spindle in the same thread: a
   * worker thread's runtime is a copy of its own, and a pool made in a task is the index's (so is
   * spindle bundled into a program beside an installed one). A class is matched by its own kind,
   * so a subclass without one (a user's) matches its own instances only.
   */
  static override [Symbol.hasInstance]<T>(
    this: abstract new (
      ...args: any[]
    ) => T,
    value: unknown,
  ): value is T {
    // biome-ignore lint/complexity/noThisInStatic: the class asked about, maybe a subclass
    const asked = this as unknown as typeof SpindleError;
    if (Function.prototype[Symbol.hasInstance].call(asked, value)) return true;
    if (!Object.hasOwn(asked, KIND) || typeof value !== 'object' || value === null) return false;
    const kinds = (value as { [KINDS]?: unknown })[KINDS];
    return Array.isArray(kinds) && kinds.includes(asked[KIND]);
  }

  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'SpindleError';
  }

  /** The kinds of this error's class and its ancestors (a getter: never printed). */
  get [KINDS](): string[] {
    const kinds: string[] = [];
    for (let c: any = this.constructor; c; c = Object.getPrototypeOf(c))
      if (Object.hasOwn(c, KIND)) kinds.push(c[KIND]);
    return kinds;
  }
}

/** A worker died (crash, `process.exit`, out of memory, a signal) while it held the task. */
export class WorkerCrashedError extends SpindleError {
  static override readonly [KIND] = 'WorkerCrashedError';
  readonly exitCode: number | null;
  readonly signal: string | null;
  constructor(message: string, exitCode: number | null, signal: string | null, cause?: unknown) {
    super(ErrorCodes.WORKER_CRASHED, message, { cause });
    this.name = 'WorkerCrashedError';
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** A worker could not start: its initializer failed, or it kept dying before it was ready. */
export class WorkerStartError extends SpindleError {
  static override readonly [KIND] = 'WorkerStartError';
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.WORKER_START, message, { cause });
    this.name = 'WorkerStartError';
  }
}

/** The module a task lives in could not be loaded in the worker, or has no such task. */
export class TaskModuleError extends SpindleError {
  static override readonly [KIND] = 'TaskModuleError';
  readonly moduleUrl: string;
  constructor(message: string, moduleUrl: string, cause?: unknown) {
    super(ErrorCodes.TASK_MODULE, message, { cause });
    this.name = 'TaskModuleError';
    this.moduleUrl = moduleUrl;
  }
}

/** A task, a wait, or a whole call ran out of time. */
export class TimeoutError extends SpindleError {
  static override readonly [KIND] = 'TimeoutError';
  constructor(message: string) {
    super(ErrorCodes.TIMEOUT, message);
    this.name = 'TimeoutError';
  }
}

/**
 * Work was cancelled (an AbortSignal fired, or a future was cancelled). Its `name` is
 * `AbortError`, so code written for `fetch`-style aborts recognises it.
 */
export class CancelledError extends SpindleError {
  static override readonly [KIND] = 'CancelledError';
  constructor(message = 'the task was cancelled', cause?: unknown) {
    super(ErrorCodes.CANCELLED, message, { cause });
    this.name = 'AbortError';
  }
}

/** Work was submitted to, or still pending in, a pool that is closed or terminated. */
export class PoolClosedError extends SpindleError {
  static override readonly [KIND] = 'PoolClosedError';
  constructor(message = 'the pool is closed: create a new Pool to run more work') {
    super(ErrorCodes.POOL_CLOSED, message);
    this.name = 'PoolClosedError';
  }
}

/** An inline function uses a name that is neither a global nor captured. */
export class InlineCaptureError extends SpindleError {
  static override readonly [KIND] = 'InlineCaptureError';
  readonly variables: string[];
  constructor(message: string, variables: string[]) {
    super(ErrorCodes.INLINE_CAPTURE, message);
    this.name = 'InlineCaptureError';
    this.variables = variables;
  }
}

/** An inline function's source cannot be sent (native, bound, or unparsable). */
export class InlineSourceError extends SpindleError {
  static override readonly [KIND] = 'InlineSourceError';
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.INLINE_SOURCE, message, { cause });
    this.name = 'InlineSourceError';
  }
}

/** An argument or a result cannot cross to or from a worker. */
export class CloneError extends SpindleError {
  static override readonly [KIND] = 'CloneError';
  /** Where in the arguments or result the value sits, for example `args[0].cb`. */
  readonly path: string;
  constructor(message: string, path: string, cause?: unknown) {
    super(ErrorCodes.CLONE, message, { cause });
    this.name = 'CloneError';
    this.path = path;
  }
}

/** `submit` found the queue at `maxQueue`. */
export class QueueFullError extends SpindleError {
  static override readonly [KIND] = 'QueueFullError';
  constructor(message: string) {
    super(ErrorCodes.QUEUE_FULL, message);
    this.name = 'QueueFullError';
  }
}

/** A feature the chosen backend cannot provide. */
export class UnsupportedError extends SpindleError {
  static override readonly [KIND] = 'UnsupportedError';
  constructor(message: string) {
    super(ErrorCodes.UNSUPPORTED, message);
    this.name = 'UnsupportedError';
  }
}

/** A value was sent on a Channel after `close()`. */
export class ChannelClosedError extends SpindleError {
  static override readonly [KIND] = 'ChannelClosedError';
  constructor(message: string) {
    super(ErrorCodes.CHANNEL_CLOSED, message);
    this.name = 'ChannelClosedError';
  }
}

/** A bag's input file is missing or unreadable; `path` names it as it was given. */
export class InputFileError extends SpindleError {
  static override readonly [KIND] = 'InputFileError';
  readonly path: string;
  constructor(message: string, path: string, cause?: unknown) {
    super(ErrorCodes.INPUT_FILE, message, { cause });
    this.name = 'InputFileError';
    this.path = path;
  }
}
