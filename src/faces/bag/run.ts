import type { Backend } from '../../backends/types.js';
import type { TaskSink } from '../../engine/future.js';
import type { Scheduler, Task } from '../../engine/scheduler.js';
import { CancelledError } from '../../errors.js';
import { taskSpec } from '../../tasks/define.js';
import type { ProgressReporter } from '../map.js';
import { abortError } from '../refusals.js';
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
 * Runs one scheduler task per partition, at most one per worker at a time: a worker holds one
 * partition's block, and `take` never reads far past what it needs. Results come back in any
 * order and are kept by index; only the prefix that is complete is shown to `enough`.
 */
export function runPartitions(ctx: RunContext, plan: RunPlan): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const { partitions, enough, ordered } = plan;
    const { scheduler } = ctx.host;
    const total = partitions.length;
    const results: unknown[] = new Array(total);
    const have = new Uint8Array(total);
    const window = Math.max(1, scheduler.maxWorkers);
    const stop = new AbortController();
    const running = new Set<Task>();
    let next = 0;
    let done = 0;
    let prefix = 0;
    let finished = false;
    const onAbort = () => finish(abortError(ctx.signal!, 'the bag computation'));
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      ctx.signal?.removeEventListener('abort', onAbort);
      for (const task of running) task.cancelQueued();
      running.clear();
      // Stops partitions still running (take has enough, or one failed); their errors are ignored.
      stop.abort(new CancelledError('the bag computation ended'));
      ctx.reporter?.finish();
      if (error === undefined) resolve(ordered ? [] : enough ? results.slice(0, prefix) : results);
      else reject(error);
    };
    // `take` never runs ahead of its first unfinished partition by more than a window:
    // partitions finishing out of order must not start ones past what it may need.
    const ahead = () => !enough || next < prefix + window;
    const submit = () => {
      while (!finished && next < total && running.size < window && ahead()) {
        const at = next++;
        const sink: TaskSink & { task?: Task } = {
          onStart() {},
          onResult(value) {
            if (finished) return;
            if (sink.task) running.delete(sink.task);
            results[at] = value;
            have[at] = 1;
            done++;
            ctx.reporter?.update(done, 0, total);
            let stopNow = false;
            while (prefix < total && prefix < next && have[prefix] === 1) {
              if (ordered) {
                const value = results[prefix];
                results[prefix] = undefined;
                try {
                  stopNow = ordered(value, prefix) === true;
                } catch (error) {
                  finish(error);
                  return;
                }
              }
              prefix++;
              if (stopNow) break;
            }
            if (stopNow || done === total || enough?.(results.slice(0, prefix))) finish();
            else submit();
          },
          onError(error) {
            if (finished) return;
            ctx.reporter?.update(done, 1, total);
            finish(annotate(error, at));
          },
        };
        try {
          sink.task = scheduler.submit(spec(), [partitions[at]], sink, { signal: stop.signal });
          if (!finished) running.add(sink.task);
        } catch (error) {
          finish(error);
        }
      }
    };
    if (ctx.signal?.aborted) {
      reject(abortError(ctx.signal, 'the bag computation'));
      return;
    }
    if (total === 0) {
      resolve([]);
      return;
    }
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    ctx.reporter?.update(0, 0, total);
    submit();
  });
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
