import type { WorkerExit } from '../backends/types.js';
import type { SchedulerObserver } from '../observe/hooks.js';
import type { FromWorker } from '../wire/protocol.js';
import { internalError } from './guard.js';
import { PIPELINE_MS } from './placement.js';
import { TaskQueue } from './queue.js';
import type { Slot } from './slot.js';
import { Tally } from './stats.js';
import { QUEUED, type SchedulerOptions, SETTLED, type Task } from './task.js';
import { Workers } from './workers.js';

/**
 * A scheduler's state and the ways a task leaves it: the queue, the workers, the counts and
 * cost estimates, settling (fail, finish), going back to the queue, and closing once nothing
 * is left. Two layers build on it, each one idea: what workers say and do (worker-events.ts)
 * and the Scheduler itself (scheduler.ts: submitting, dispatch, cancellation).
 */
export abstract class SchedulerCore {
  readonly options: SchedulerOptions;
  protected readonly queue: TaskQueue;
  protected readonly workers: Workers;

  /** The workers in the pool (ones retiring are out of it). */
  protected readonly slots: Slot[];
  protected nextTaskId = 1;
  protected dispatchScheduled = false;
  protected closing = false;
  protected stopped = false;
  protected terminating = false;
  protected nextSyncToken = 1;
  protected closeWaiters: Array<() => void> = [];

  /** Estimated milliseconds per unit, by task spec id, from what workers report. */
  protected readonly estimates = new Map<number, number>();
  protected readonly tally = new Tally();

  /** Hears each worker's event-loop load with its results (the `concurrency: 'auto'` controller). */
  onLoad: ((load: [active: number, idle: number], busyMs: number) => void) | undefined;
  /** Pool events, the dashboard and reports (src/observe/); undefined while nobody watches. */
  observer: SchedulerObserver | undefined;

  constructor(options: SchedulerOptions) {
    this.options = options;
    this.queue = new TaskQueue(options);
    this.workers = new Workers(options, {
      message: (slot, message) => this.onMessage(slot, message),
      exit: (slot, exit) => {
        this.observer?.workerExit(slot.id, exit);
        this.onExit(slot, exit);
      },
      messageError: (slot, error) => this.resync(slot, error),
    });
    this.slots = this.workers.list;
  }

  /**
   * Sends what is queued now instead of at the end of the tick: a face calls it after a task
   * whose preparation was costly (a map chunk of rows copied into shared memory), so an idle
   * worker starts on it while the next chunks are prepared, not after all of them.
   */
  flush(): void {
    if (!this.dispatchScheduled) return;
    try {
      this.dispatch();
    } catch (error) {
      this.failQueued(internalError(error));
    }
  }

  protected scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    // A microtask, not a macrotask: a burst of submits in one tick goes out as one batch,
    // and the first task still leaves before any timer or I/O callback runs.
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      try {
        this.dispatch();
      } catch (error) {
        // Nothing may throw out of a microtask into the caller's process: what could not be
        // dispatched fails instead, with the reason.
        this.failQueued(internalError(error));
      }
    });
  }

  protected estimate(task: Task): number {
    const perUnit = this.estimates.get(task.spec.id);
    return perUnit === undefined ? PIPELINE_MS : perUnit * task.units;
  }

  protected learn(task: Task, ms: number): void {
    const perUnit = ms / task.units;
    const old = this.estimates.get(task.spec.id);
    this.estimates.set(task.spec.id, old === undefined ? perUnit : old * 0.7 + perUnit * 0.3);
  }

  protected requeue(task: Task, front: boolean): void {
    if (task.state === SETTLED) return;
    if (task.timer) {
      clearTimeout(task.timer);
      task.timer = undefined;
    }
    task.state = QUEUED;
    task.slot = undefined;
    this.queue.add(task, front);
  }

  protected failQueued(error: unknown): void {
    this.queue.drain((task) => this.fail(task, error));
    this.checkClosed();
  }

  protected fail(task: Task, error: unknown): void {
    this.finish(task);
    this.tally.failed++;
    this.observer?.taskFailed(task, error);
    task.sink.onError(error);
    // Every way a task settles may be the last thing a close() waits for.
    this.checkClosed();
  }

  protected finish(task: Task): void {
    task.state = SETTLED;
    if (task.timer) {
      clearTimeout(task.timer);
      task.timer = undefined;
    }
    this.detachSignal(task);
  }

  protected detachSignal(task: Task): void {
    if (task.abortListener) {
      task.signal!.removeEventListener('abort', task.abortListener);
      task.abortListener = undefined;
    }
  }

  protected removeSlot(slot: Slot): void {
    this.workers.remove(slot);
  }

  protected checkClosed(): void {
    this.observer?.settled();
    if (!this.closing || this.stopped || this.terminating || this.queue.size > 0) return;
    for (const slot of this.slots) if (slot.inflight.size > 0) return;
    this.stopped = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.state = 'retiring';
      this.observer?.workerStopping(slot.id, 'close');
    }
    void Promise.all(slots.map((slot) => slot.channel.terminate()))
      .then(() => this.options.backend.close?.())
      .then(() => this.finishClose());
  }

  protected finishClose(): void {
    this.stopped = true;
    const waiters = this.closeWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  protected abstract dispatch(): void;
  protected abstract onMessage(slot: Slot, message: FromWorker): void;
  protected abstract onExit(slot: Slot, exit: WorkerExit): void;
  protected abstract resync(slot: Slot, error: Error): void;
}
