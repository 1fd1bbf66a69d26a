import type { Transferable } from '../codec/transferable.js';
import { PoolClosedError, QueueFullError, TimeoutError } from '../errors.js';
import type { TaskSpec } from '../tasks/types.js';
import { pushTask, TaskKind } from '../wire/protocol.js';
import { takeBack, waiting } from '../worker/claims.js';
import type { TaskSink } from './future.js';
import { abortReason, guard } from './guard.js';
import { accepts, acceptsWhileStarting, BATCH_MS, MAX_BATCH, pickSlot } from './placement.js';
import { sendTasks } from './send.js';
import type { Slot } from './slot.js';
import type { PoolStats } from './stats.js';
import { stopInWorker } from './stop-running.js';
import { DISPATCHED, QUEUED, SETTLED, Task, type TaskOptions } from './task.js';
import { WorkerEvents } from './worker-events.js';

export { type SchedulerOptions, Task, type TaskOptions } from './task.js';

/**
 * The one scheduler under every face: a queue, workers started on demand, batched dispatch to
 * the least-loaded worker, results, timeouts, cancellation and crash recovery. Faces submit
 * tasks with a sink; backends start workers and move messages. Its state and the ways a task
 * settles are in scheduler-core.ts, what workers report in worker-events.ts.
 */
/**
 * A task whose module is still loading in its worker has not started, so its timeout waits;
 * but not forever: an import that hangs still ends in SPINDLE_TIMEOUT this much later.
 */
const MODULE_LOAD_GRACE_MS = 30_000;

export class Scheduler extends WorkerEvents {
  get closed(): boolean {
    return this.closing || this.stopped;
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Tasks handed to workers and not yet answered. */
  get inFlight(): number {
    return this.workers.inFlight();
  }

  /** Queues one task; its sink hears the outcome. Throws if the pool is closed or the queue full. */
  submit(spec: TaskSpec, args: unknown[], sink: TaskSink, options: TaskOptions = {}): Task {
    if (this.closing || this.stopped) throw new PoolClosedError();
    if (this.queue.full) {
      throw new QueueFullError(
        `the pool's queue holds maxQueue (${this.options.maxQueue}) tasks; await some results first, or raise maxQueue`,
      );
    }
    const task = new Task(
      this,
      this.nextTaskId++,
      spec,
      options.kind ?? TaskKind.CALL,
      args,
      options.units ?? 1,
      sink,
      options.timeout ?? this.options.taskTimeout,
      options.signal,
      options.transfer,
    );
    if (task.signal) {
      if (task.signal.aborted) {
        this.tally.cancelled++;
        task.state = SETTLED;
        sink.onError(abortReason(task.signal), true);
        return task;
      }
      const listener = () => this.abort(task);
      task.abortListener = listener;
      task.signal.addEventListener('abort', listener, { once: true });
    }
    if (options.isolated) task.isolated = true;
    if (options.heavy) task.heavy = true;
    task.enqueuedAt = performance.now();
    this.queue.add(task, options.front === true);
    this.scheduleDispatch();
    return task;
  }

  /** Resolves when the queue has room (for faces that wait instead of throwing). */
  whenQueueHasRoom(): Promise<void> {
    return this.queue.whenHasRoom();
  }

  /**
   * Withdraws a task that has not started: queued here, or sent ahead to a worker that has not
   * begun it (taken back through shared memory, threads only). False once it runs.
   */
  cancelQueued(task: Task): boolean {
    if (task.state === DISPATCHED) return this.withdrawSent(task);
    if (task.state !== QUEUED) return false;
    task.state = SETTLED;
    this.queue.withdrawn();
    this.tally.cancelled++;
    this.detachSignal(task);
    this.checkClosed();
    return true;
  }

  /** Sets tasks in flight per worker (the `concurrency: 'auto'` controller moves it). */
  setConcurrency(concurrency: number): void {
    this.options.concurrency = concurrency;
    for (const slot of this.slots) {
      if (slot.state === 'ready') slot.channel.send({ op: 'limit', concurrency });
    }
    this.scheduleDispatch();
  }

  /** Finishes queued work, then stops the workers. */
  close(): Promise<void> {
    this.closing = true;
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.checkClosed();
    return done;
  }

  /** Stops now: pending work rejects with `SPINDLE_POOL_CLOSED`. */
  async terminate(): Promise<void> {
    this.closing = true;
    this.terminating = true;
    this.queue.drain((task) =>
      this.fail(task, new PoolClosedError('the pool was terminated before this task ran')),
    );
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.state = 'retiring';
      this.observer?.workerStopping(slot.id, 'close');
      for (const task of slot.inflight.values()) {
        this.fail(task, new PoolClosedError('the pool was terminated while this task ran'));
      }
      slot.inflight.clear();
    }
    await Promise.all(slots.map((slot) => slot.channel.terminate()));
    await this.options.backend.close?.();
    this.finishClose();
  }

  stats(): PoolStats {
    return this.tally.snapshot(this.slots, this.queue.size, this.options.concurrency);
  }

  /** Workers and their ids, for tests and the one-off `spawn` handle. */
  workerInfo(): Array<{ id: number; threadId?: number; pid?: number; busy: number }> {
    return this.slots.map((s) => ({
      id: s.id,
      threadId: s.channel.threadId,
      pid: s.channel.pid,
      busy: s.inflight.size,
    }));
  }

  protected dispatch(): void {
    this.sendQueued();
    // Workers just started take their first task now (see acceptsWhileStarting).
    if (this.startWorkersIfNeeded() > 0) this.sendQueued();
  }

  protected sendQueued(): void {
    while (this.queue.size > 0) {
      const head = this.queue.peek();
      if (!head) break;
      const slot = this.pickSlot(head);
      if (!slot) break;
      this.sendBatch(slot);
    }
  }

  /** Milliseconds per unit of a task, once a worker has reported one. */
  estimatePerUnit(spec: TaskSpec): number | undefined {
    return this.estimates.get(spec.id);
  }

  /** Workers the pool may run at most. */
  get maxWorkers(): number {
    return this.options.workers;
  }

  /** Whether the pool runs every worker it may (see accepts). */
  protected get grown(): boolean {
    return this.slots.length >= this.options.workers;
  }

  protected pickSlot(task: Task): Slot | undefined {
    return pickSlot(this.slots, task, this.estimate(task), this.options, this.grown);
  }

  protected sendBatch(slot: Slot): void {
    const tasks: Task[] = [];
    const wire: unknown[] = [];
    let defs: Array<[number, any]> | undefined;
    let transfer: Transferable[] | undefined;
    let batchCost = 0;
    const grown = this.grown;
    const now = performance.now();
    while (tasks.length < MAX_BATCH) {
      const task = this.queue.peek();
      if (!task) break;
      const cost = this.estimate(task);
      if (tasks.length > 0 && batchCost + cost > BATCH_MS) break;
      const takes =
        slot.state === 'starting'
          ? acceptsWhileStarting(slot, task, this.options)
          : accepts(slot, task, cost, this.options, grown);
      if (!takes) break;
      this.queue.take();
      task.state = DISPATCHED;
      task.slot = slot;
      if (task.isolated) slot.isolated = task;
      task.cost = cost;
      slot.inflight.set(task.id, task);
      slot.inflightCost += cost;
      batchCost += cost;
      if (!slot.defined.has(task.spec.id) && !defs?.some(([id]) => id === task.spec.id)) {
        (defs ??= []).push([task.spec.id, task.spec.def]);
      }
      if (task.transfer) (transfer ??= []).push(...task.transfer);
      tasks.push(task);
      pushTask(wire, task.id, task.spec.id, task.kind, task.args);
    }
    if (tasks.length === 0) return;
    this.workers.markBusy(slot);
    for (const [task, error] of sendTasks(slot, tasks, wire, defs, transfer))
      this.fail(task, error);
    const observer = this.observer;
    for (const task of tasks) {
      this.tally.waitTimes.record(now - task.enqueuedAt);
      observer?.taskStart(task, slot.id, now);
      task.sink.onStart();
      this.armTimeout(task, false);
    }
    this.queue.wake();
  }

  protected armTimeout(task: Task, loading: boolean): void {
    if (task.timeout === undefined) return;
    if (task.timer) clearTimeout(task.timer);
    const ms = task.timeout + (loading ? MODULE_LOAD_GRACE_MS : 0);
    task.timer = setTimeout(() => guard(() => this.expire(task)), ms);
  }

  protected expire(task: Task): void {
    task.timer = undefined;
    if (task.state !== DISPATCHED) return;
    this.stopRunning(
      task,
      new TimeoutError(
        `${task.spec.label} did not finish within its timeout of ${task.timeout} ms`,
      ),
      false,
    );
  }

  protected abort(task: Task): void {
    this.cancel(task, abortReason(task.signal!));
  }

  /**
   * The one rule of an abort, for every face: a queued task is withdrawn, a running one is
   * stopped (its `taskSignal()` fires; a worker stuck past the grace period is replaced), and
   * either settles as cancelled with `reason`. A settled task is left as it is.
   */
  cancel(task: Task, reason: unknown): void {
    if (task.state === QUEUED) {
      this.cancelQueued(task);
      task.sink.onError(reason, true);
      return;
    }
    if (task.state === DISPATCHED) {
      if (this.withdrawSent(task)) {
        task.sink.onError(reason, true);
        return;
      }
      this.tally.cancelled++;
      this.stopRunning(task, reason, true);
    }
  }

  /**
   * Whether a task handed to a worker has begun there: one sent ahead to a thread waits in its
   * port until the worker claims it. A backend without claims counts a task begun once sent.
   */
  started(task: Task): boolean {
    if (task.state !== DISPATCHED) return task.state === SETTLED;
    const claims = task.slot?.channel.claims;
    return !claims || task.sentAs < 0 || !waiting(claims, task.sentAs);
  }

  protected withdrawSent(task: Task): boolean {
    const slot = task.slot;
    const claims = slot?.channel.claims;
    if (!slot || !claims || task.zombie || task.sentAs < 0) return false;
    if (!takeBack(claims, task.sentAs)) return false;
    slot.inflight.delete(task.id);
    slot.inflightCost -= task.cost;
    this.tally.cancelled++;
    this.finish(task);
    this.afterResults(slot);
    return true;
  }

  /** Settles a running task now (timeout or abort) and stops it in its worker (stop-running.ts). */
  protected stopRunning(task: Task, error: unknown, cancelled: boolean): void {
    const slot = task.slot!;
    task.zombie = true;
    slot.hasZombies = true;
    this.finish(task);
    if (!cancelled) this.tally.failed++;
    this.observer?.taskFailed(task, error);
    task.sink.onError(error, cancelled);
    stopInWorker(slot, task, !cancelled, this.retireStuck);
  }

  protected readonly retireStuck = (slot: Slot) => this.retire(slot, 'timeout');
}
