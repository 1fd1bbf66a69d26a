import { type DurationSummary, Histogram } from './histogram.js';
import type { Slot } from './slot.js';

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

/** What a scheduler counts as tasks settle, and the snapshot `pool.stats()` makes of it. */
export class Tally {
  completed = 0;
  failed = 0;
  retried = 0;
  cancelled = 0;
  crashes = 0;
  /** Tasks taken back from a busy worker and run by another (see placement.ts). */
  stolen = 0;
  readonly runTimes = new Histogram();
  readonly waitTimes = new Histogram();

  snapshot(slots: readonly Slot[], queued: number, concurrency: number): PoolStats {
    let busy = 0;
    let running = 0;
    for (const slot of slots) {
      if (slot.inflight.size > 0) busy++;
      running += slot.inflight.size;
    }
    return {
      workers: slots.length,
      busy,
      idle: slots.length - busy,
      queued,
      inFlight: running,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      retried: this.retried,
      crashes: this.crashes,
      rebalanced: this.stolen,
      concurrency,
      runTime: this.runTimes.summary(),
      waitTime: this.waitTimes.summary(),
    };
  }
}
