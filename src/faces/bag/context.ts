import type { BackendName } from '../../backends/resolve.js';
import type { Backend } from '../../backends/types.js';
import { UnsupportedError } from '../../errors.js';
import { describe, TypeErrorWithHint } from '../../hints.js';
import { trackCall } from '../../observe/calls.js';
import type { ProgressCallback } from '../map.js';
import { Pool } from '../pool.js';
import { checkPoolOption } from '../pool-option.js';
import { progressReporter } from '../progress.js';
import { checkSignal } from '../validate.js';
import type { RunContext } from './run.js';

/** Options of a bag's `compute`, `take` and `toTextFiles`, and of a `Reduced`'s `compute`. */
export interface BagComputeOptions {
  /** The pool to run on. Without one, a pool is made for the call and closed after it. */
  pool?: Pool;
  /** For a pool made by the call: where it runs (default `'threads'`). */
  backend?: BackendName | Backend;
  /** For a pool made by the call: workers at most (default `cpuCount()`). */
  workers?: number;
  /** `true` draws a bar of partitions done on stderr; a function receives the counts. */
  progress?: boolean | ProgressCallback;
  /** Aborting rejects with `SPINDLE_CANCELLED` and stops the partitions still running. */
  signal?: AbortSignal;
}

const KEYS = new Set(['pool', 'backend', 'workers', 'progress', 'signal']);

/** Runs `body` on the given pool, or on one made for the call (closed after, stopped after a failure). */
export async function withContext<R>(
  where: string,
  options: BagComputeOptions,
  body: (ctx: RunContext) => Promise<R>,
): Promise<R> {
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `${where} options must be an object, got ${describe(options)}`,
      'pass { workers: 2, progress: true }',
    );
  }
  const unknown = Object.keys(options).filter((key) => !KEYS.has(key));
  if (unknown.length > 0) {
    throw new TypeErrorWithHint(
      `${where} got unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      'its options are pool, backend, workers, progress and signal',
    );
  }
  checkPoolOption(where, options.pool, { backend: options.backend, workers: options.workers });
  const pool = options.pool ?? new Pool({ backend: options.backend, workers: options.workers });
  checkSignal(options.signal);
  // Shown on a dashboard watching the pool, and as a bar or callback when asked for.
  const reporter = trackCall(
    pool._scheduler,
    'bag',
    where,
    options.progress ? progressReporter(options.progress) : undefined,
  );
  const ctx: RunContext = {
    host: { scheduler: pool._scheduler, backend: pool._backend },
    signal: options.signal,
    reporter,
  };
  if (options.pool) return body(ctx);
  let ok = false;
  try {
    const result = await body(ctx);
    ok = true;
    return result;
  } finally {
    reporter?.finish();
    await (ok ? pool.close() : pool.terminate());
  }
}

/**
 * A partition reads and writes the files its job names. Cluster workers run only the code of
 * the modules they were started with, and a job that could name any path on them would widen
 * what a signed job may do; until workers can opt in, bags stay on this machine.
 */
export function checkBackend(ctx: RunContext): void {
  const backend = ctx.host.backend;
  if (backend.moduleTasksOnly) {
    throw new UnsupportedError(
      `bags do not run on the ${backend.name} backend yet: a partition reads and writes files that its job names, ` +
        'and cluster workers run only the task modules they were started with; use the threads, processes or inline backend',
    );
  }
}
