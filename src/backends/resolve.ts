import { describe, TypeErrorWithHint } from '../hints.js';
import { inWorker } from '../worker/where.js';
import { InlineBackend } from './inline.js';
import { ProcessBackend } from './processes.js';
import { ThreadBackend } from './threads.js';
import type { Backend } from './types.js';

export type BackendName = 'threads' | 'processes' | 'inline';

/** A backend by name; inside a worker the default is inline, so nested pools stay in place. */
export function resolveBackend(option: BackendName | Backend | undefined): Backend {
  if (option === undefined) return inWorker() ? new InlineBackend() : new ThreadBackend();
  if (
    typeof option === 'object' &&
    option !== null &&
    typeof (option as Backend).start === 'function'
  )
    return option as Backend;
  switch (option) {
    case 'threads':
      return new ThreadBackend();
    case 'processes':
      return new ProcessBackend();
    case 'inline':
      return new InlineBackend();
  }
  throw new TypeErrorWithHint(
    `backend must be 'threads', 'processes', 'inline' or a backend object, got ${describe(option)}`,
    "use 'threads' (the default) for CPU work, 'processes' for isolation, 'inline' for debugging",
  );
}
