import { rebuildError } from '../codec/errors.js';
import { unpackResults as unpackPacked } from '../codec/pack.js';
import { nextChunkSize } from '../engine/batching.js';
import type { Scheduler } from '../engine/scheduler.js';
import type { TaskSpec } from '../tasks/types.js';
import type { ItemSource } from './source.js';

export interface ProgressInfo {
  done: number;
  total?: number;
  failed: number;
  elapsedMs: number;
  etaMs?: number;
}
export type ProgressCallback = (info: ProgressInfo) => void;

/** Reports progress; faces create one per call (see faces/progress). */
export interface ProgressReporter {
  update(done: number, failed: number, total: number | undefined): void;
  finish(): void;
}

/** What `SETTLE` mode yields per unit. */
export type SettledItem<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** The scheduler task a run of units becomes. */
export interface TaskOrder {
  readonly spec: TaskSpec;
  readonly args: unknown[];
  readonly kind?: number;
  /** Send it at once, before the next task is prepared (see Scheduler.flush). */
  readonly flush?: boolean;
  /** Its arguments cost the caller milliseconds to send (see TaskOptions.heavy). */
  readonly heavy?: boolean;
}

/**
 * A face's policy: where units come from, how a run of them becomes one task, and how results
 * come back. Everything else (look-ahead, chunk sizing, waiting for queue room, order,
 * fail-fast, abort, timeouts, progress) is the feeder's, the same for every face.
 */
export interface FeedPlan {
  readonly scheduler: Scheduler;
  /** How an abort error names the call: 'the map', 'parallel()'. */
  readonly what: string;
  readonly source: ItemSource<unknown>;
  /** Units per task, or undefined to size tasks by the measured cost of their units. */
  readonly chunkSize: number | undefined;
  /** The task a unit will call, for adaptive sizing. */
  specOf(unit: unknown): TaskSpec | undefined;
  /** How many of the first `size` pulled units share one task (default: all `size`). */
  cut?(carry: readonly unknown[], size: number): number;
  /** The task for `units`, the first of which is unit number `first`; throws on bad input. */
  order(units: unknown[], first: number): TaskOrder;
  /** One result per unit from a task's result (default: the chunk's array, unpacked). */
  results?(value: unknown, size: number): unknown[];
  /**
   * 'input' hands results out in input order, 'completion' as they finish; a function is
   * called with each task as it settles, for a consumer that reacts at once (a graph).
   */
  readonly delivery: 'input' | 'completion' | ((chunk: FedChunk) => void);
  /** With a delivery function: the run failed (a task, bad input, an abort); called once. */
  onFailure?(error: unknown): void;
  /** Each unit settles alone as `{ ok, value }` or `{ ok: false, error }`; failures do not stop the run. */
  readonly settle?: boolean;
  /** Keep each task's units for the consumer (`FedChunk.units`). */
  readonly keepUnits?: boolean;
  /** Ending early (a failure, `stop()`) also stops the running tasks, not only the queued ones. */
  readonly endStopsRunning?: boolean;
  readonly timeout?: number;
  readonly signal?: AbortSignal;
  readonly reporter?: ProgressReporter;
  /** Tasks submitted and not settled, at most; read each time, as `concurrency: 'auto'` moves it. */
  maxInFlight(): number;
  /** Tasks submitted whose results were not handed out yet, at most. */
  maxUnread(): number;
  /** Adds to a failed task's error where it happened (a graph node, a bag partition). */
  annotate?(error: unknown, units: unknown[] | undefined, first: number): void;
}

/** A settled task as the consumer receives it. */
export interface FedChunk {
  /** The number of its first unit in the input. */
  readonly first: number;
  readonly units: unknown[] | undefined;
  readonly results: unknown[];
}

/** A chunk's results; a worker sends an all-number chunk back as one typed array. */
export function unpackResults(value: unknown): unknown[] {
  return unpackPacked(value as unknown[]);
}

export function settledItem(raw: unknown): SettledItem<unknown> {
  const [ok, value] = raw as [boolean, unknown];
  if (ok) return { ok: true, value };
  return { ok: false, error: rebuildError(value as any) };
}

/**
 * How many units the next task takes: the plan's fixed size, or the pool's sizing policy for
 * the task the units call (`carry`'s first unit tells which; else the run's last task).
 */
export function nextChunkSizeOf(
  plan: FeedPlan,
  carry: readonly unknown[],
  lastSpec: TaskSpec | undefined,
  placed: number,
): number {
  if (plan.chunkSize !== undefined) return plan.chunkSize;
  const scheduler = plan.scheduler;
  const spec = carry.length > 0 ? plan.specOf(carry[0]) : lastSpec;
  return nextChunkSize(
    {
      fixed: plan.chunkSize,
      length: plan.source.length,
      workers: scheduler.maxWorkers,
      concurrency: scheduler.options.concurrency,
      estimate: () => (spec ? scheduler.estimatePerUnit(spec) : undefined),
    },
    placed,
  );
}
