import type { BackendName } from '../backends/resolve.js';
import type { Backend } from '../backends/types.js';
import { prepareArgs } from '../codec/prepare.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import { taskSpec } from '../tasks/define.js';
import { Feeder } from './feeder.js';
import { Pool } from './pool.js';
import { checkRunsOn } from './refusals.js';
import type { ItemSource } from './source.js';
import { checkSignal } from './validate.js';

type RangeTask = (lo: number, hi: number, ...rest: any[]) => any;
type RestArgs<F> = F extends (lo: number, hi: number, ...rest: infer A) => any ? A : never;

/** Options of `parallelFor`. */
export interface ParallelForOptions<A extends unknown[] = unknown[]> {
  /** Arguments after `lo, hi`, the same for every range: typically shared arrays. */
  args?: A;
  /**
   * `'static'` (default without `chunk`): one contiguous range per worker, for iterations of
   * equal cost. `'dynamic'`: many smaller ranges handed to whichever worker is free, for
   * uneven iterations.
   */
  schedule?: 'static' | 'dynamic';
  /** Iterations per range. Default: an equal share per worker (static), or an eighth of that (dynamic). */
  chunk?: number;
  /** Run on this pool; without one, a pool is made for the call and closed after it. */
  pool?: Pool;
  /** For a pool made by the call. */
  backend?: BackendName | Backend;
  /** For a pool made by the call: workers at most (default `cpuCount()`). */
  workers?: number;
  /** Aborting drops ranges not yet started, stops running ones, and rejects with `SPINDLE_CANCELLED`. */
  signal?: AbortSignal;
}

/** Ranges per worker under `schedule: 'dynamic'` when no chunk is given. */
const DYNAMIC_RANGES_PER_WORKER = 8;

/**
 * Numba's `prange`: runs `task(lo, hi, ...args)` over `[start, end)` cut into ranges, on the
 * pool's workers, and resolves with each range's result in range order (handy for partial
 * sums). Shared arrays in `args` are seen by every worker with no copy, so a task can write its
 * slice in place; a large plain typed array is moved to shared memory once for the whole loop.
 *
 * ```ts
 * const a = shared.float64(20_000_000);
 * await parallelFor(0, a.length, tasks.fill, { args: [a] });
 * const sums = await parallelFor(0, a.length, tasks.sumSquares, { args: [a] });
 * ```
 */
export async function parallelFor<F extends RangeTask>(
  start: number,
  end: number,
  task: F,
  options: ParallelForOptions<RestArgs<F>> = {},
): Promise<Awaited<ReturnType<F>>[]> {
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `parallelFor options must be an object, got ${describe(options)}`,
      "pass { args: [a], schedule: 'static' }",
    );
  }
  whole(start, 'start');
  whole(end, 'end');
  const spec = taskSpec(task, 'parallelFor task');
  const args = options.args ?? [];
  if (!Array.isArray(args)) {
    throw new TypeErrorWithHint(
      `parallelFor args must be an array, got ${describe(args)}`,
      'pass { args: [a, b] }; the task is called as task(lo, hi, a, b)',
    );
  }
  const schedule = options.schedule ?? 'static';
  if (schedule !== 'static' && schedule !== 'dynamic') {
    throw new TypeErrorWithHint(
      `schedule must be 'static' or 'dynamic', got ${describe(schedule)}`,
      "use 'static' for even work, 'dynamic' for uneven",
    );
  }
  if (options.chunk !== undefined && (!Number.isInteger(options.chunk) || options.chunk < 1)) {
    throw new RangeErrorWithHint(
      `chunk must be a whole number ≥ 1, got ${describe(options.chunk)}`,
      'leave it out for an even share per worker',
    );
  }
  if (options.pool && (options.backend !== undefined || options.workers !== undefined)) {
    throw new TypeErrorWithHint(
      'parallelFor got a pool and also backend or workers',
      'set them on the Pool you pass, or drop the pool option',
    );
  }
  if (end <= start) return [];
  const pool = options.pool ?? new Pool({ backend: options.backend, workers: options.workers });
  let ok = false;
  try {
    const results = await run(pool, start, end, spec, args, schedule, options);
    ok = true;
    return results as Awaited<ReturnType<F>>[];
  } finally {
    if (!options.pool) await (ok ? pool.close() : pool.terminate());
  }
}

function run(
  pool: Pool,
  start: number,
  end: number,
  spec: ReturnType<typeof taskSpec>,
  args: unknown[],
  schedule: 'static' | 'dynamic',
  options: ParallelForOptions<any>,
): Promise<unknown[]> {
  checkRunsOn(pool._backend, spec);
  const scheduler = pool._scheduler;
  const n = end - start;
  const share = Math.ceil(n / scheduler.maxWorkers);
  const chunk =
    options.chunk ??
    (schedule === 'static' ? share : Math.max(1, Math.ceil(share / DYNAMIC_RANGES_PER_WORKER)));
  // One preparation for the whole loop, with the pool's own rules (maxNbytes): a big plain
  // array becomes one shared copy, not one per range.
  const prepare = pool._prepareContext();
  const shared = prepare ? prepareArgs(args, prepare) : args;
  const window = () =>
    Math.max(4, 3 * scheduler.maxWorkers * Math.max(1, scheduler.options.concurrency));
  return new Feeder({
    scheduler,
    what: 'parallelFor',
    source: rangeSource(Math.ceil(n / chunk)),
    chunkSize: 1,
    specOf: () => spec,
    order(units) {
      const lo = start + (units[0] as number) * chunk;
      return { spec, args: [lo, Math.min(end, lo + chunk), ...shared] };
    },
    results: (value) => [value],
    delivery: 'completion',
    signal: checkSignal(options.signal),
    maxInFlight: window,
    maxUnread: window,
  }).all();
}

/** The numbers of the loop's ranges, made as they are pulled. */
function rangeSource(ranges: number): ItemSource<number> {
  let next = 0;
  return {
    length: ranges,
    take(size) {
      const out: number[] = [];
      while (out.length < size && next < ranges) out.push(next++);
      return out;
    },
    close() {
      next = ranges;
    },
  };
}

function whole(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeErrorWithHint(
      `parallelFor ${name} must be a whole number, got ${describe(value)}`,
      'for example parallelFor(0, a.length, task, { args: [a] })',
    );
  }
}
