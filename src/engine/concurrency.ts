import type { Scheduler } from './scheduler.js';

/** Tasks in flight per worker at most under `concurrency: 'auto'`. */
export const AUTO_MAX_CONCURRENCY = 64;
/** The event-loop utilisation the controller aims for while work is waiting. */
const TARGET = 0.8;
/** Below this share of busy time, with tasks that mostly wait, concurrency goes up. */
const RAISE_BELOW = 0.5;
/** Above it, the workers are CPU-bound: more tasks at once only add latency and memory. */
const LOWER_ABOVE = 0.9;
/**
 * Tasks whose wall time is at least this many times the loop's busy time are waiting on I/O.
 * Not much more than 1: the busy time of a worker's first report includes loading the module.
 */
const WAITING_RATIO = 1.5;
/** Event-loop time (summed over workers) a decision needs, so one short sample cannot swing it. */
const WINDOW_MS = 40;
/** At most this growth per decision, so a noisy sample cannot overshoot by much. */
const MAX_GROWTH = 8;

/**
 * `concurrency: 'auto'`: each worker reports how busy its event loop was (active vs idle time,
 * from `performance.eventLoopUtilization()`) and how long its tasks took. A loop that is mostly
 * idle while its tasks take far longer than the loop's busy time means I/O-bound tasks,
 * and the pool lets each worker hold more of them at once; a loop that is saturated means
 * CPU-bound tasks, and concurrency falls back towards 1. A worker idle for lack of work is not
 * mistaken for one waiting on I/O: its tasks' wall time is then no longer than their CPU time.
 * Raising the limit while it is not reached changes nothing, so no saturation test is needed.
 */
export class AutoConcurrency {
  readonly #scheduler: Scheduler;
  readonly #max: number;
  #active = 0;
  #idle = 0;
  #busy = 0;

  constructor(scheduler: Scheduler, max = AUTO_MAX_CONCURRENCY) {
    this.#scheduler = scheduler;
    this.#max = max;
    scheduler.onLoad = (load, busyMs) => this.observe(load[0], load[1], busyMs);
  }

  /** One worker's report: event-loop active and idle ms since its last one, and its tasks' wall ms. */
  observe(active: number, idle: number, busyMs: number): void {
    const scheduler = this.#scheduler;
    this.#active += active;
    this.#idle += idle;
    this.#busy += busyMs;
    const total = this.#active + this.#idle;
    if (total < WINDOW_MS) return;
    const utilisation = this.#active / total;
    const waiting = this.#busy > WAITING_RATIO * this.#active;
    const current = scheduler.options.concurrency;
    let next = current;
    if (utilisation < RAISE_BELOW && waiting) {
      const growth = Math.min(MAX_GROWTH, TARGET / Math.max(utilisation, 0.01));
      next = Math.min(this.#max, Math.max(current + 1, Math.round(current * growth)));
    } else if (utilisation > LOWER_ABOVE) {
      next = Math.max(1, Math.floor(current / 2));
    }
    this.#reset();
    if (next !== current) scheduler.setConcurrency(next);
  }

  #reset(): void {
    this.#active = 0;
    this.#idle = 0;
    this.#busy = 0;
  }
}
