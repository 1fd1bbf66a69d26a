import type { Backend } from '../backends/types.js';
import { CancelledError, UnsupportedError } from '../errors.js';
import type { TaskSpec } from '../tasks/types.js';

/**
 * The refusals every face gives in the same words: one place, so the faces cannot drift.
 */

/** A backend that runs only module tasks (the cluster never ships code) refuses an inline one. */
export function inlineTaskRefusal(backend: Pick<Backend, 'name'>, label: string): UnsupportedError {
  return new UnsupportedError(
    `the ${backend.name} backend runs only module tasks, and ${label} is an inline function: ` +
      'code is never shipped to remote workers. Define it with defineTasks(import.meta.url, { ... }) in a module the workers load',
  );
}

/** Throws the refusal when `spec` cannot run on `backend`. */
export function checkRunsOn(
  backend: Pick<Backend, 'name' | 'moduleTasksOnly'>,
  spec: TaskSpec,
): void {
  if (backend.moduleTasksOnly && spec.def.t !== 'm') throw inlineTaskRefusal(backend, spec.label);
}

/** What an aborted call rejects with: the signal's own CancelledError, or one wrapping its reason. */
export function abortError(signal: AbortSignal, what: string): unknown {
  return signal.reason instanceof CancelledError
    ? signal.reason
    : new CancelledError(`${what} was aborted`, signal.reason);
}
