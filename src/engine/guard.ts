import { CancelledError, SpindleError, WorkerStartError } from '../errors.js';

/**
 * Runs a backend event handler or a timer of the scheduler: nothing spindle runs there may
 * throw into the caller's process, so an unexpected error becomes a process warning instead.
 */
export function guard(handler: () => void): void {
  try {
    handler();
  } catch (error) {
    process.emitWarning(
      `spindle: an internal error was caught in a worker event handler: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      { code: 'SPINDLE_INTERNAL' },
    );
  }
}

/** What fails the queue when dispatch itself throws (a bug, or a backend that broke). */
export function internalError(error: unknown): SpindleError {
  if (error instanceof SpindleError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new WorkerStartError(`spindle could not dispatch this task: ${message}`, error);
}

/** The error an aborted task settles with: the signal's CancelledError, or one wrapping its reason. */
export function abortReason(signal: AbortSignal): unknown {
  const reason = signal.reason;
  if (reason instanceof CancelledError) return reason;
  return new CancelledError('the operation was aborted', reason);
}
