import type { BackendName } from '../backends/resolve.js';
import type { Backend } from '../backends/types.js';
import { Delayed } from './delayed.js';
import { isContainer } from './graph/collect.js';
import { Pool } from './pool.js';
import { checkPoolOption } from './pool-option.js';
import { checkSignal } from './validate.js';

export { toDot } from './graph/dot.js';
export type { GraphErrorInfo } from './graph/run.js';

/** Options of `compute`, given as its last argument. */
export interface ComputeOptions {
  /** The pool to run on. Without one, a pool is made for the call and closed after it. */
  pool?: Pool;
  /** For a pool made by the call: where it runs (default `'threads'`, `'inline'` inside a worker). */
  backend?: BackendName | Backend;
  /** For a pool made by the call: workers at most (default `cpuCount()`). */
  workers?: number;
  /** Aborting rejects with `SPINDLE_CANCELLED` and drops the nodes not yet started. */
  signal?: AbortSignal;
}

const OPTION_KEYS = new Set(['pool', 'backend', 'workers', 'signal']);

/** The value a lazy call, or a structure holding lazy calls, computes to. */
export type Computed<T> =
  T extends Delayed<infer R>
    ? R
    : T extends ArrayBufferView | ((...args: any[]) => any)
      ? T
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Computed<T[K]> }
        : T extends object
          ? { [K in keyof T]: Computed<T[K]> }
          : T;

/** What `compute(...values)` resolves with: one value for one argument, an array for several. */
export type ComputeResult<T extends readonly unknown[]> = T extends readonly [infer Only]
  ? Computed<Only>
  : { -readonly [K in keyof T]: Computed<T[K]> };

type WithoutOptions<T extends readonly unknown[]> = T extends readonly [...infer Calls, infer Last]
  ? Last extends Delayed<any>
    ? T
    : Last extends ComputeOptions &
          ({ pool: Pool } | { backend: unknown } | { workers: number } | { signal: AbortSignal })
      ? Calls
      : T
  : T;

/**
 * Runs lazy calls and everything they depend on, each node once, independent nodes in
 * parallel, each node as soon as its inputs are ready (dask's `compute`).
 *
 * ```ts
 * const a = delayed(tasks.load)('a.csv');
 * const b = delayed(tasks.load)('b.csv');
 * const total = delayed(tasks.merge)([a, b]);
 * await compute(total, { pool });              // one value
 * const [x, y] = await compute(a, b);          // several: an array
 * ```
 * Arguments may also be arrays or plain objects holding lazy calls; they come back with the
 * results in place. A failing node rejects the call with that node's own error (class and
 * message kept) plus `nodePath` and `node` properties naming the calls that led to it; nothing
 * that depends on it runs, and nodes not yet started are dropped.
 */
export function compute<const T extends readonly unknown[]>(
  ...args: T
): Promise<ComputeResult<WithoutOptions<T>>> {
  let values: readonly unknown[] = args;
  let options: ComputeOptions = {};
  const last = args[args.length - 1];
  if (args.length > 0 && isOptions(last)) {
    options = last as ComputeOptions;
    values = args.slice(0, -1);
  }
  return run(values, options).then(
    (results) => (values.length === 1 ? results[0] : results) as ComputeResult<WithoutOptions<T>>,
  );
}

async function run(values: readonly unknown[], options: ComputeOptions): Promise<unknown[]> {
  checkSignal(options.signal);
  checkPoolOption('compute', options.pool, { backend: options.backend, workers: options.workers });
  if (options.pool !== undefined) {
    return options.pool._computeValues(values, options.signal);
  }
  const pool = new Pool({ backend: options.backend, workers: options.workers });
  let ok = false;
  try {
    const results = await pool._computeValues(values, options.signal);
    ok = true;
    return results;
  } finally {
    // After a failure, what still runs is not wanted: stop it rather than wait for it.
    await (ok ? pool.close() : pool.terminate());
  }
}

function isOptions(value: unknown): boolean {
  if (value instanceof Delayed || !isContainer(value) || Array.isArray(value)) return false;
  const keys = Object.keys(value as object);
  return keys.every((key) => OPTION_KEYS.has(key));
}
