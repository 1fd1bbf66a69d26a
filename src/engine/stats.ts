import type { DurationSummary } from './histogram.js';

/** A snapshot of a pool, from `pool.stats()`. Durations are in milliseconds. */
export interface PoolStats {
  /** Workers running now (started lazily, so 0 before the first task). */
  workers: number;
  /** Workers holding at least one task. */
  busy: number;
  idle: number;
  /** Tasks waiting for a worker (a map chunk counts as one task). */
  queued: number;
  /** Tasks handed to workers and not yet answered. */
  inFlight: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Re-runs of tasks whose worker died (see the `retries` option). */
  retried: number;
  /** Workers that died unexpectedly. */
  crashes: number;
  /**
   * Tasks sent ahead to a busy worker that another, free worker took back and ran instead
   * (a call running longer than its estimate does not hold up the work queued behind it).
   */
  rebalanced: number;
  /** Tasks each worker may run at once now. */
  concurrency: number;
  /** Time tasks ran inside workers. */
  runTime: DurationSummary;
  /** Time tasks waited in the queue before a worker took them. */
  waitTime: DurationSummary;
}
