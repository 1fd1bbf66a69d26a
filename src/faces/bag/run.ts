import type { Backend } from '../../backends/types.js';
import type { Scheduler } from '../../engine/scheduler.js';
import { CancelledError } from '../../errors.js';
import { taskSpec } from '../../tasks/define.js';
import type { ProgressReporter } from '../feed-plan.js';
import { Feeder } from '../feeder.js';
import { abortError } from '../refusals.js';
import { itemSource } from '../source.js';
import { bagTasks } from './partition-task.js';
import type { PartitionWire } from './wire.js';

/** What running partitions needs: a pool's scheduler and backend (the graph face's host fits). */
export interface RunHost {
  readonly scheduler: Scheduler;
  readonly backend: Backend;
}

export interface RunContext {
  readonly host: RunHost;
  readonly signal: AbortSignal | undefined;
  readonly reporter: ProgressReporter | undefined;
}

/** Partition results in order; `enough` (for take) ends the run once the prefix it saw suffices. */
export interface RunPlan {
  readonly partitions: readonly PartitionWire[];
  readonly enough?: (ordered: readonly unknown[]) => boolean;
  /**
   * Streams instead: each result in partition order, as soon as those before it came, and
   * not kept (the run resolves with an empty array). Returning true ends the run there.
   */
  readonly ordered?: (value: unknown, index: number) => boolean | undefined;
}

/** Properties added to a partition task's error, which keeps its own class and message. */
export interface PartitionErrorInfo {
  /** The index of the partition the task failed in. */
  partition: number;
}

/**
 * The bag's policy over the feeder: one task per partition, at most one per worker at a time
 * (a worker holds one partition's block). `take` also never runs ahead of its first unfinished
 * partition by more than that window, so partitions finishing out of order cannot start ones
 * it may not need. Ending early (enough, a failure, an abort) stops the partitions running.
 */
export async function runPartitions(ctx: RunContext, plan: RunPlan): Promise<unknown[]> {
  const { partitions, enough, ordered } = plan;
  const { scheduler } = ctx.host;
  const total = partitions.length;
  if (ctx.signal?.aborted) throw abortError(ctx.signal, 'the bag computation');
  if (total === 0) return [];
  const window = () => Math.max(1, scheduler.maxWorkers);
  const inOrder = enough !== undefined || ordered !== undefined;
  ctx.reporter?.update(0, 0, total);
  const feeder = new Feeder({
    scheduler,
    what: 'the bag computation',
    source: itemSource(partitions),
    chunkSize: 1,
    specOf: spec,
    order: (units) => ({ spec: spec(), args: [units[0]] }),
    results: (value) => [value],
    delivery: inOrder ? 'input' : 'completion',
    signal: ctx.signal,
    reporter: ctx.reporter,
    endStopsRunning: true,
    maxInFlight: window,
    maxUnread: enough ? window : () => Infinity,
    annotate: (error, _units, first) => annotate(error, first),
  });
  const results: unknown[] = new Array(total);
  let prefix = 0;
  try {
    for (let chunk = await feeder.nextChunk(); chunk; chunk = await feeder.nextChunk()) {
      const value = chunk.results[0];
      if (!inOrder) {
        results[chunk.first] = value;
        continue;
      }
      prefix++;
      if (ordered) {
        if (ordered(value, chunk.first) === true) break;
      } else {
        results[chunk.first] = value;
        if (enough!(results.slice(0, prefix))) break;
      }
    }
  } finally {
    feeder.stop(new CancelledError('the bag computation ended'));
  }
  return ordered ? [] : enough ? results.slice(0, prefix) : results;
}

let cachedSpec: ReturnType<typeof taskSpec> | undefined;
function spec() {
  cachedSpec ??= taskSpec(bagTasks.runPartition);
  return cachedSpec;
}

function annotate(error: unknown, partition: number): unknown {
  if (error !== null && typeof error === 'object' && Object.isExtensible(error)) {
    Object.assign(error, { partition } satisfies PartitionErrorInfo);
  }
  return error;
}
