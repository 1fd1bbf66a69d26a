import type { BackendName } from '../backends/resolve.js';
import type { Backend } from '../backends/types.js';
import type { PrepareContext } from '../codec/prepare.js';
import { cpuCount } from '../cpu.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import { trackCall } from '../observe/calls.js';
import type { Delayed } from './delayed.js';
import type { Feeder } from './feeder.js';
import type { ProgressCallback } from './map.js';
import { type ParallelRunOptions, parallelFeeder } from './parallel-run.js';
import { Pool } from './pool.js';
import { DEFAULT_MAX_NBYTES } from './pool-config.js';
import { checkPoolOption } from './pool-option.js';
import { progressReporter } from './progress.js';
import { checkSignal } from './validate.js';

/** Options of `parallel()`; every one has a default. */
export interface ParallelOptions {
  /** Workers: a count, -1 for every core (the default), -2 for all but one, and so on. 0 is an error. */
  nJobs?: number;
  /** Where the calls run: `'threads'` (default; `'inline'` inside a worker), `'processes'`, `'inline'`, or a backend object. */
  backend?: BackendName | Backend;
  /** Run on this pool instead of one made (and closed) for the call; then leave out `nJobs` and `backend`. */
  pool?: Pool;
  /** Calls per message: a number, or `'auto'` (default) to aim at batches of ~10 ms, smaller for the tail. */
  batchSize?: number | 'auto';
  /**
   * Batches in flight at most, which bounds how far a lazy input is read ahead: `'2*nJobs'`
   * (default), any arithmetic in `nJobs`, a number, or `'all'` to read the whole input at once.
   */
  preDispatch?: number | string;
  /** `'array'` (default) resolves with every result in input order; the generators yield them lazily. */
  returnAs?: 'array' | 'generator' | 'generatorUnordered';
  /** Typed arrays larger than this many bytes are copied to shared memory once per call, not per task. Default 1 MB; `Infinity` turns it off. */
  maxNbytes?: number;
  /** Milliseconds each task may run; over it the call rejects with `SPINDLE_TIMEOUT`. With `batchSize: 'auto'` it makes every call its own task. */
  timeout?: number;
  /** `true` draws a bar on stderr; a function receives `{ done, total?, failed, elapsedMs, etaMs? }`. */
  progress?: boolean | ProgressCallback;
  /** Aborting stops the call: queued work is dropped and it rejects with `SPINDLE_CANCELLED`. */
  signal?: AbortSignal;
}

type Calls<R> = Iterable<Delayed<R>> | AsyncIterable<Delayed<R>>;

/** What `parallel(options)` returns with `returnAs: 'array'` (the default): call it with lazy calls. */
export type ParallelRunner = <R>(calls: Calls<R>) => Promise<R[]>;

/** What `parallel(options)` returns with a generator `returnAs`: results are yielded lazily. */
export type ParallelGeneratorRunner = <R>(calls: Calls<R>) => AsyncIterableIterator<R>;

/**
 * joblib's `Parallel`: runs lazy calls on every core with adaptive batching.
 *
 * ```ts
 * const cubes = await parallel({ nJobs: -1 })(xs.map((x) => delayed(tasks.cube)(x)));
 * for await (const r of parallel({ returnAs: 'generator' })(lazyCalls())) console.log(r);
 * ```
 * Calls may mix tasks; consecutive calls of one task travel together. The first failure
 * rejects with that task's own error and stops dispatching; leaving a generator early (or
 * aborting) withdraws what has not started. Each call of the runner makes its own pool and
 * closes it, unless `pool` is given.
 */
export function parallel(
  options: ParallelOptions & { returnAs: 'generator' | 'generatorUnordered' },
): ParallelGeneratorRunner;
export function parallel(options?: ParallelOptions & { returnAs?: 'array' }): ParallelRunner;
export function parallel(options: ParallelOptions): ParallelRunner | ParallelGeneratorRunner;
export function parallel(options: ParallelOptions = {}): ParallelRunner | ParallelGeneratorRunner {
  const settings = checkOptions(options);
  if (settings.returnAs === 'array') return (calls) => runArray(calls, settings) as Promise<any>;
  return (calls) => generate(calls, settings) as AsyncIterableIterator<any>;
}

interface Settings {
  nJobs: number | undefined;
  options: ParallelOptions;
  returnAs: 'array' | 'generator' | 'generatorUnordered';
  batchSize: number | undefined;
  maxNbytes: number | undefined;
}

async function runArray(calls: unknown, settings: Settings): Promise<unknown[]> {
  const { pool, own } = poolFor(settings);
  let ok = false;
  try {
    const results = await parallelFeeder(calls, runOptions(pool, settings, 'array')).all();
    ok = true;
    return results;
  } finally {
    if (own) await (ok ? pool.close() : pool.terminate());
  }
}

async function* generate(calls: unknown, settings: Settings): AsyncGenerator<unknown> {
  const { pool, own } = poolFor(settings);
  let run: Feeder | undefined;
  let ok = false;
  try {
    run = parallelFeeder(calls, runOptions(pool, settings, settings.returnAs));
    for (let batch = await run.nextChunk(); batch; batch = await run.nextChunk()) {
      const results = batch.results;
      for (let i = 0; i < results.length; i++) yield results[i];
    }
    ok = true;
  } finally {
    run?.stop();
    if (own) await (ok ? pool.close() : pool.terminate());
  }
}

function poolFor(settings: Settings): { pool: Pool; own: boolean } {
  const given = settings.options.pool;
  if (given) return { pool: given, own: false };
  return {
    pool: new Pool({ backend: settings.options.backend, workers: settings.nJobs }),
    own: true,
  };
}

function runOptions(pool: Pool, settings: Settings, mode: ParallelRunOptions['mode']) {
  const { options } = settings;
  const scheduler = pool._scheduler;
  const backend = pool._backend;
  const prepare: PrepareContext | undefined =
    backend.name === 'inline'
      ? undefined
      : { maxNbytes: settings.maxNbytes, sharesMemory: backend.sharesMemory };
  return {
    scheduler,
    moduleTasksOnly: backend.moduleTasksOnly === true,
    backendName: backend.name,
    prepare,
    batchSize: settings.batchSize,
    preDispatch: preDispatchOf(options.preDispatch, scheduler.maxWorkers),
    mode,
    timeout: options.timeout,
    signal: checkSignal(options.signal),
    reporter: trackCall(
      scheduler,
      'parallel',
      'parallel',
      options.progress ? progressReporter(options.progress) : undefined,
    ),
  } satisfies ParallelRunOptions;
}

function checkOptions(options: ParallelOptions): Settings {
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `parallel options must be an object, got ${describe(options)}`,
      'pass parallel({ nJobs: -1 })',
    );
  }
  checkPoolOption('parallel', options.pool, { nJobs: options.nJobs, backend: options.backend });
  const nJobs = options.pool ? undefined : resolveJobs(options.nJobs ?? -1);
  const returnAs = options.returnAs ?? 'array';
  if (!['array', 'generator', 'generatorUnordered'].includes(returnAs)) {
    throw new TypeErrorWithHint(
      `returnAs must be 'array', 'generator' or 'generatorUnordered', got ${describe(returnAs)}`,
      "leave it out for 'array'",
    );
  }
  let batchSize: number | undefined;
  if (typeof options.batchSize === 'number') {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new RangeErrorWithHint(
        `batchSize must be a whole number ≥ 1 or 'auto', got ${options.batchSize}`,
        "leave it out for 'auto'",
      );
    }
    batchSize = options.batchSize;
  } else if (options.batchSize !== undefined && options.batchSize !== 'auto') {
    throw new TypeErrorWithHint(
      `batchSize must be a number or 'auto', got ${describe(options.batchSize)}`,
      "leave it out for 'auto'",
    );
  }
  const timeout = options.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) {
    throw new RangeErrorWithHint(
      `timeout must be a positive number of milliseconds, got ${describe(timeout)}`,
      'for example { timeout: 5000 }',
    );
  }
  // A timeout is per task; in an adaptive batch it would cover many calls at once.
  if (timeout !== undefined && options.batchSize === undefined) batchSize = 1;
  const max = options.maxNbytes ?? DEFAULT_MAX_NBYTES;
  if (typeof max !== 'number' || !(max >= 0)) {
    throw new RangeErrorWithHint(
      `maxNbytes must be a number of bytes ≥ 0, got ${describe(max)}`,
      'leave it out for 1 MB, or pass Infinity to never move arrays to shared memory',
    );
  }
  if (options.preDispatch !== undefined) preDispatchOf(options.preDispatch, nJobs ?? 1);
  return {
    nJobs,
    options,
    returnAs,
    batchSize,
    maxNbytes: max === Number.POSITIVE_INFINITY ? undefined : max,
  };
}

/** joblib's rule: a negative count means all cores but |n| - 1 (-1 is every core). */
function resolveJobs(nJobs: unknown): number {
  if (typeof nJobs !== 'number' || !Number.isInteger(nJobs) || nJobs === 0) {
    throw new RangeErrorWithHint(
      `nJobs must be a whole number other than 0, got ${describe(nJobs)}`,
      'use -1 for every core, -2 for all but one, or a count such as 4',
    );
  }
  return nJobs > 0 ? nJobs : Math.max(1, cpuCount() + 1 + nJobs);
}

/** Batches in flight at most, from `'2*nJobs'`, a number or `'all'`. */
export function preDispatchOf(option: number | string | undefined, nJobs: number): number {
  if (option === undefined) return 2 * nJobs;
  if (option === 'all') return Number.POSITIVE_INFINITY;
  let value: number = Number.NaN;
  if (typeof option === 'number') value = option;
  else if (typeof option === 'string') {
    const expr = option.replace(/\bn_?jobs\b/gi, `(${nJobs})`);
    // Only digits, arithmetic and parentheses remain, so evaluating it runs no other code.
    if (/^[\d\s.+\-*/()]+$/.test(expr)) {
      try {
        value = Number(new Function(`return (${expr});`)());
      } catch {
        value = Number.NaN;
      }
    }
  }
  if (!(value >= 1) || !Number.isFinite(value)) {
    throw new RangeErrorWithHint(
      `preDispatch must be 'all', a number ≥ 1, or arithmetic in nJobs such as '2*nJobs', got ${describe(option)}`,
      "leave it out for '2*nJobs'",
    );
  }
  return Math.floor(value);
}
