import type { BackendName } from '../../backends/resolve.js';
import type { Backend } from '../../backends/types.js';
import { describe, TypeErrorWithHint } from '../../hints.js';
import { trackCall } from '../../observe/calls.js';
import type { TaskDef } from '../../tasks/types.js';
import type { ProgressCallback } from '../map.js';
import { Pool } from '../pool.js';
import { checkPoolOption } from '../pool-option.js';
import { progressReporter } from '../progress.js';
import { inlineTaskRefusal } from '../refusals.js';
import { checkSignal } from '../validate.js';
import type { RunContext } from './run.js';
import type { SinkWire, StepWire } from './wire.js';

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
 * A backend that runs only module tasks (the cluster) gets the partition task, which its
 * workers have, but the tasks the partition calls travel inside its job: refuse an inline one
 * here, in the words every face uses, rather than in a worker, once per partition.
 */
export function checkBackend(ctx: RunContext, steps: readonly StepWire[], sink: SinkWire): void {
  const backend = ctx.host.backend;
  if (!backend.moduleTasksOnly) return;
  const named: Array<[TaskDef | undefined, string]> = steps.map((step) => [
    step.op === 'pluck' ? undefined : step.task,
    `the bag.${step.op}(task) step`,
  ]);
  if (sink.kind === 'topk') named.push([sink.key, 'the topk key']);
  if (sink.kind === 'fold') named.push([sink.binop, 'the fold binop']);
  if (sink.kind === 'foldBy')
    named.push([sink.key, 'the foldBy key'], [sink.binop, 'the foldBy binop']);
  if (sink.kind === 'settle') named.push([sink.task, 'the task']);
  for (const [def, label] of named) {
    if (def && def.t !== 'm') throw inlineTaskRefusal(backend, label);
  }
}
