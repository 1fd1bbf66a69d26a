import type { WorkerChannel, WorkerExit } from '../backends/types.js';
import { rebuildError, type WireError } from '../codec/errors.js';
import type { Transferable } from '../codec/transferable.js';
import { PoolClosedError, QueueFullError, TimeoutError, WorkerStartError } from '../errors.js';
import type { SchedulerObserver, StopReason } from '../observe/hooks.js';
import type { TaskSpec } from '../tasks/types.js';
import {
  type FromWorker,
  pushTask,
  RESULT_STRIDE,
  resultId,
  resultMs,
  resultOk,
  resultValue,
  TaskKind,
} from '../wire/protocol.js';
import { takeBack } from '../worker/claims.js';
import { programEntryUrl } from '../worker/entry-guard.js';
import { blameCrash, describeExit } from './crash.js';
import { Deque } from './deque.js';
import type { TaskSink } from './future.js';
import { abortReason, guard, internalError } from './guard.js';
import { Histogram } from './histogram.js';
import { accepts, BATCH_MS, MAX_BATCH, PIPELINE_MS, pickSlot, takeBackHalf } from './placement.js';
import { askHeld, lostTasks } from './resync.js';
import { sendTasks } from './send.js';
import { isStopping, newSlot, type Slot } from './slot.js';
import type { PoolStats } from './stats.js';
import {
  DISPATCHED,
  QUEUED,
  type SchedulerOptions,
  SETTLED,
  Task,
  type TaskOptions,
} from './task.js';
import { startWorker } from './worker-start.js';

export { type SchedulerOptions, Task, type TaskOptions } from './task.js';

/** A task that ignores its AbortSignal this long after an abort or timeout is stopped with its worker. */
const GRACE_MS = 500;
/** Workers that die this many times in a row before they are ready mean a broken setup. */
const MAX_START_FAILURES = 3;

/**
 * The one scheduler under every face: a queue, workers started on demand, batched dispatch to
 * the least-loaded worker, results, timeouts, cancellation and crash recovery. Faces submit
 * tasks with a sink; backends start workers and move messages.
 */
export class Scheduler {
  readonly options: SchedulerOptions;
  readonly #queue = new Deque<Task>();
  #queued = 0;
  readonly #slots: Slot[] = [];
  #nextTaskId = 1;
  #nextWorkerId = 1;
  #dispatchScheduled = false;
  #closing = false;
  #closed = false;
  #terminating = false;
  #nextSyncToken = 1;
  #startFailures = 0;
  #lastStartError: unknown;
  #closeWaiters: Array<() => void> = [];
  #spaceWaiters: Array<() => void> = [];
  /** Estimated milliseconds per unit, by task spec id, from what workers report. */
  readonly #estimates = new Map<number, number>();
  readonly #runTimes = new Histogram();
  readonly #waitTimes = new Histogram();
  #completed = 0;
  #failed = 0;
  #retried = 0;
  #cancelled = 0;
  #crashes = 0;
  /** Tasks taken back from a busy worker and run by another (see #rebalance). */
  #stolen = 0;

  /** Hears each worker's event-loop load with its results (the `concurrency: 'auto'` controller). */
  onLoad: ((load: [active: number, idle: number], busyMs: number) => void) | undefined;
  /** Pool events, the dashboard and reports (src/observe/); undefined while nobody watches. */
  observer: SchedulerObserver | undefined;

  constructor(options: SchedulerOptions) {
    this.options = options;
  }

  get closed(): boolean {
    return this.#closing || this.#closed;
  }

  get queued(): number {
    return this.#queued;
  }

  /** Tasks handed to workers and not yet answered. */
  get inFlight(): number {
    let n = 0;
    for (const slot of this.#slots) n += slot.inflight.size;
    return n;
  }

  /** Queues one task; its sink hears the outcome. Throws if the pool is closed or the queue full. */
  submit(spec: TaskSpec, args: unknown[], sink: TaskSink, options: TaskOptions = {}): Task {
    if (this.#closing || this.#closed) throw new PoolClosedError();
    if (this.#queued >= this.options.maxQueue) {
      throw new QueueFullError(
        `the pool's queue holds maxQueue (${this.options.maxQueue}) tasks; await some results first, or raise maxQueue`,
      );
    }
    const task = new Task(
      this,
      this.#nextTaskId++,
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
        this.#cancelled++;
        task.state = SETTLED;
        sink.onError(abortReason(task.signal), true);
        return task;
      }
      const listener = () => this.#abort(task);
      task.abortListener = listener;
      task.signal.addEventListener('abort', listener, { once: true });
    }
    if (options.isolated) task.isolated = true;
    task.enqueuedAt = performance.now();
    if (options.front) this.#queue.unshift(task);
    else this.#queue.push(task);
    this.#queued++;
    this.#scheduleDispatch();
    return task;
  }

  /** Resolves when the queue has room (for faces that wait instead of throwing). */
  whenQueueHasRoom(): Promise<void> {
    if (this.#queued < this.options.maxQueue) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /**
   * Withdraws a task that has not started: queued here, or sent ahead to a worker that has not
   * begun it (taken back through shared memory, threads only). False once it runs.
   */
  cancelQueued(task: Task): boolean {
    if (task.state === DISPATCHED) return this.#withdrawSent(task);
    if (task.state !== QUEUED) return false;
    task.state = SETTLED;
    this.#queued--;
    this.#cancelled++;
    this.#detachSignal(task);
    this.#wakeSpaceWaiters();
    this.#checkClosed();
    return true;
  }

  /** Sets tasks in flight per worker (the `concurrency: 'auto'` controller moves it). */
  setConcurrency(concurrency: number): void {
    this.options.concurrency = concurrency;
    for (const slot of this.#slots) {
      if (slot.state === 'ready') slot.channel.send({ op: 'limit', concurrency });
    }
    this.#scheduleDispatch();
  }

  /** Finishes queued work, then stops the workers. */
  close(): Promise<void> {
    this.#closing = true;
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    this.#checkClosed();
    return done;
  }

  /** Stops now: pending work rejects with `SPINDLE_POOL_CLOSED`. */
  async terminate(): Promise<void> {
    this.#closing = true;
    this.#terminating = true;
    for (const task of this.#queue.drain()) {
      if (task.state !== QUEUED) continue;
      this.#queued--;
      this.#fail(task, new PoolClosedError('the pool was terminated before this task ran'));
    }
    const slots = this.#slots.splice(0);
    for (const slot of slots) {
      slot.state = 'retiring';
      this.observer?.workerStopping(slot.id, 'close');
      for (const task of slot.inflight.values()) {
        this.#fail(task, new PoolClosedError('the pool was terminated while this task ran'));
      }
      slot.inflight.clear();
    }
    await Promise.all(slots.map((slot) => slot.channel.terminate()));
    await this.options.backend.close?.();
    this.#finishClose();
  }

  stats(): PoolStats {
    let busy = 0;
    let running = 0;
    for (const slot of this.#slots) {
      if (slot.inflight.size > 0) busy++;
      running += slot.inflight.size;
    }
    return {
      workers: this.#slots.length,
      busy,
      idle: this.#slots.length - busy,
      queued: this.#queued,
      inFlight: running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      retried: this.#retried,
      crashes: this.#crashes,
      rebalanced: this.#stolen,
      concurrency: this.options.concurrency,
      runTime: this.#runTimes.summary(),
      waitTime: this.#waitTimes.summary(),
    };
  }

  /** Workers and their ids, for tests and the one-off `spawn` handle. */
  workerInfo(): Array<{ id: number; threadId?: number; pid?: number; busy: number }> {
    return this.#slots.map((s) => ({
      id: s.id,
      threadId: s.channel.threadId,
      pid: s.channel.pid,
      busy: s.inflight.size,
    }));
  }

  // ---- dispatch -------------------------------------------------------------------------

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    // A microtask, not a macrotask: a burst of submits in one tick goes out as one batch,
    // and the first task still leaves before any timer or I/O callback runs.
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      try {
        this.#dispatch();
      } catch (error) {
        // Nothing may throw out of a microtask into the caller's process: what could not be
        // dispatched fails instead, with the reason.
        this.#failQueued(internalError(error));
      }
    });
  }

  #dispatch(): void {
    while (this.#queued > 0) {
      const head = this.#peekQueued();
      if (!head) break;
      const slot = this.#pickSlot(head);
      if (!slot) break;
      this.#sendBatch(slot);
    }
    this.#startWorkersIfNeeded();
  }

  #peekQueued(): Task | undefined {
    let task = this.#queue.peek();
    while (task && task.state !== QUEUED) {
      this.#queue.shift();
      task = this.#queue.peek();
    }
    return task;
  }

  /** Milliseconds per unit of a task, once a worker has reported one. */
  estimatePerUnit(spec: TaskSpec): number | undefined {
    return this.#estimates.get(spec.id);
  }

  /** Workers the pool may run at most. */
  get maxWorkers(): number {
    return this.options.workers;
  }

  #estimate(task: Task): number {
    const perUnit = this.#estimates.get(task.spec.id);
    return perUnit === undefined ? PIPELINE_MS : perUnit * task.units;
  }

  #pickSlot(task: Task): Slot | undefined {
    return pickSlot(this.#slots, task, this.#estimate(task), this.options);
  }

  #sendBatch(slot: Slot): void {
    const tasks: Task[] = [];
    const wire: unknown[] = [];
    let defs: Array<[number, any]> | undefined;
    let transfer: Transferable[] | undefined;
    let batchCost = 0;
    const now = performance.now();
    while (tasks.length < MAX_BATCH) {
      const task = this.#peekQueued();
      if (!task) break;
      const cost = this.#estimate(task);
      if (tasks.length > 0 && batchCost + cost > BATCH_MS) break;
      if (!accepts(slot, task, cost, this.options)) break;
      this.#queue.shift();
      this.#queued--;
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
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    if (!slot.refed) {
      slot.channel.ref();
      slot.refed = true;
    }
    for (const [task, error] of sendTasks(slot, tasks, wire, defs, transfer))
      this.#fail(task, error);
    const observer = this.observer;
    for (const task of tasks) {
      this.#waitTimes.record(now - task.enqueuedAt);
      observer?.taskStart(task, slot.id, now);
      task.sink.onStart();
      if (task.timeout !== undefined) {
        task.timer = setTimeout(() => guard(() => this.#expire(task)), task.timeout);
      }
    }
    this.#wakeSpaceWaiters();
  }

  /** A free worker takes back work sent ahead to a busy one (see placement.ts). */
  #rebalance(idle: Slot): void {
    const taken = takeBackHalf(idle, this.#slots, this.options.concurrency);
    if (taken.length === 0) return;
    for (const task of taken) {
      // taken is newest first: queueing each at the front restores the original order
      if (task.zombie) task.state = SETTLED;
      else this.#requeue(task, true);
    }
    this.#stolen += taken.length;
    this.#dispatch();
  }

  #startWorkersIfNeeded(): void {
    if (this.#queued === 0 || this.#closed) return;
    let starting = 0;
    for (const slot of this.#slots) if (slot.state === 'starting') starting++;
    const wanted = Math.min(
      this.options.workers - this.#slots.length,
      Math.max(0, this.#queued - starting),
    );
    for (let i = 0; i < wanted; i++) this.#startWorker();
  }

  #startWorker(): void {
    const id = this.#nextWorkerId++;
    const { initializer, initArgs, concurrency, resourceLimits } = this.options;
    let slot: Slot | undefined;
    let channel: WorkerChannel;
    try {
      channel = startWorker(
        this.options.backend,
        {
          init: {
            op: 'init',
            workerId: id,
            concurrency,
            init: initializer?.def,
            initArgs,
            entry: programEntryUrl(),
          },
          resourceLimits,
          retries: this.options.retries,
        },
        {
          message: (message) => guard(() => this.#onMessage(slot!, message)),
          exit: (exit) =>
            guard(() => {
              this.observer?.workerExit(id, exit);
              this.#onExit(slot!, exit);
            }),
          messageError: (error) => guard(() => this.#resync(slot!, error)),
        },
      );
    } catch (error) {
      // Options that cannot reach a worker (initArgs that do not clone) fail the work that
      // waits for one, with the reason, instead of throwing out of the dispatch.
      const message = error instanceof Error ? error.message : String(error);
      this.#failQueued(new WorkerStartError(`a worker could not start: ${message}`, error));
      return;
    }
    slot = newSlot(id, channel);
    this.#slots.push(slot);
    this.observer?.workerCreate(id, channel.threadId, channel.pid);
  }

  /** An unreadable message from the worker: ask it what it still holds (see resync.ts). */
  #resync(slot: Slot, error: Error): void {
    if (!isStopping(slot)) askHeld(slot, error, this.#nextSyncToken++);
  }

  #onHeld(slot: Slot, message: Extract<FromWorker, { op: 'held' }>): void {
    for (const [task, error] of lostTasks(slot, message)) this.#fail(task, error);
    this.#afterResults(slot);
  }

  // ---- results --------------------------------------------------------------------------

  #onMessage(slot: Slot, message: FromWorker): void {
    switch (message.op) {
      case 'ready':
        if (slot.state !== 'starting') break;
        slot.state = 'ready';
        this.#startFailures = 0;
        if (this.#queued === 0) this.#rebalance(slot);
        this.#markIdleIfEmpty(slot);
        this.#dispatch();
        break;
      case 'initFailed':
        this.#onInitFailed(slot, message.error);
        break;
      case 'done':
        this.#onResults(slot, message.results);
        if (this.onLoad && message.load) this.onLoad(message.load, message.busyMs);
        this.observer?.workerReport(slot.id, message.heap);
        break;
      case 'held':
        this.#onHeld(slot, message);
        break;
    }
  }

  #onResults(slot: Slot, results: unknown[]): void {
    for (let i = 0; i < results.length; i += RESULT_STRIDE) {
      const task = slot.inflight.get(resultId(results, i));
      if (!task) continue;
      slot.inflight.delete(task.id);
      slot.inflightCost -= task.cost;
      slot.tasksRun++;
      const ms = resultMs(results, i);
      if (task.zombie) continue;
      this.#runTimes.record(ms);
      this.#learn(task, ms);
      this.#finish(task);
      const ok = resultOk(results, i);
      const value = resultValue(results, i);
      this.observer?.taskEnd(task, slot.id, ms, ok, value);
      if (ok) {
        this.#completed++;
        task.sink.onResult(value);
      } else {
        this.#failed++;
        task.sink.onError(rebuildError(value as WireError));
      }
    }
    this.#afterResults(slot);
  }

  #afterResults(slot: Slot): void {
    if (slot.inflight.size === 0) slot.inflightCost = 0;
    if (this.#queued === 0 && slot.inflight.size < this.options.concurrency) this.#rebalance(slot);
    if (slot.hasZombies) slot.hasZombies = [...slot.inflight.values()].some((t) => t.zombie);
    const max = this.options.maxTasksPerWorker;
    if (max !== undefined && slot.tasksRun >= max && !isStopping(slot)) {
      this.#retire(slot, 'maxTasksPerWorker');
    } else {
      this.#markIdleIfEmpty(slot);
    }
    if (this.#queued > 0) this.#dispatch();
    this.#checkClosed();
  }

  #learn(task: Task, ms: number): void {
    const perUnit = ms / task.units;
    const old = this.#estimates.get(task.spec.id);
    this.#estimates.set(task.spec.id, old === undefined ? perUnit : old * 0.7 + perUnit * 0.3);
  }

  #markIdleIfEmpty(slot: Slot): void {
    if (slot.inflight.size > 0 || slot.state !== 'ready') return;
    if (slot.refed) {
      // An idle worker must not keep a script alive that forgot to close its pool.
      slot.channel.unref();
      slot.refed = false;
    }
    const idle = this.options.idleTimeout;
    if (idle !== undefined && !slot.idleTimer) {
      slot.idleTimer = setTimeout(() => {
        slot.idleTimer = undefined;
        if (slot.inflight.size === 0) guard(() => this.#retire(slot, 'idle'));
      }, idle);
      slot.idleTimer.unref();
    }
  }

  /** Stops a worker on purpose (idle, recycled); the pool starts another on demand. */
  #retire(slot: Slot, reason: StopReason): void {
    slot.state = 'retiring';
    this.observer?.workerStopping(slot.id, reason);
    this.#removeSlot(slot);
    const requeue = [...slot.inflight.values()];
    slot.inflight.clear();
    for (const task of requeue.reverse()) this.#requeue(task, false);
    void slot.channel.terminate();
    if (this.#queued > 0) this.#scheduleDispatch();
    // A worker stopped for a stuck task may have held the last work a close() waits for.
    this.#checkClosed();
  }

  // ---- failure --------------------------------------------------------------------------

  #onInitFailed(slot: Slot, wire: any): void {
    const cause = rebuildError(wire);
    const label = this.options.initializer?.label ?? 'the initializer';
    const message = cause instanceof Error ? cause.message : String(cause);
    const error = new WorkerStartError(
      `a worker could not start: ${label} failed: ${message}`,
      cause,
    );
    slot.state = 'retiring';
    this.observer?.workerStopping(slot.id, 'initFailed');
    this.#removeSlot(slot);
    void slot.channel.terminate();
    this.#failQueued(error);
  }

  #onExit(slot: Slot, exit: WorkerExit): void {
    const was = slot.state;
    slot.state = 'gone';
    if (was === 'retiring' || was === 'gone') return;
    this.#removeSlot(slot);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const how = describeExit(exit, this.options.resourceLimits);
    if (was === 'starting') {
      this.#startFailures++;
      this.#lastStartError = exit.error;
      if (this.#startFailures >= MAX_START_FAILURES) {
        this.#failQueued(
          new WorkerStartError(
            `workers keep dying before they are ready (last one ${how}); check the task module's top-level code, the initializer and resourceLimits`,
            this.#lastStartError,
          ),
        );
        this.#startFailures = 0;
        return;
      }
      this.#scheduleDispatch();
      return;
    }
    this.#crashes++;
    const held = [...slot.inflight.values()];
    slot.inflight.clear();
    const { fail, requeue, retried } = blameCrash(held, exit, {
      concurrency: this.options.concurrency,
      retries: this.options.retries,
      how,
    });
    this.#retried += retried;
    for (const [task, error] of fail) this.#fail(task, error);
    for (const task of requeue.reverse()) this.#requeue(task, true);
    this.#scheduleDispatch();
    this.#checkClosed();
  }

  #requeue(task: Task, front: boolean): void {
    if (task.state === SETTLED) return;
    if (task.timer) {
      clearTimeout(task.timer);
      task.timer = undefined;
    }
    task.state = QUEUED;
    task.slot = undefined;
    if (front) this.#queue.unshift(task);
    else this.#queue.push(task);
    this.#queued++;
  }

  #failQueued(error: unknown): void {
    for (const task of this.#queue.drain()) {
      if (task.state !== QUEUED) continue;
      this.#queued--;
      this.#fail(task, error);
    }
    this.#checkClosed();
  }

  #expire(task: Task): void {
    task.timer = undefined;
    if (task.state !== DISPATCHED) return;
    this.#stopRunning(
      task,
      new TimeoutError(
        `${task.spec.label} did not finish within its timeout of ${task.timeout} ms`,
      ),
      false,
    );
  }

  #abort(task: Task): void {
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
      if (this.#withdrawSent(task)) {
        task.sink.onError(reason, true);
        return;
      }
      this.#cancelled++;
      this.#stopRunning(task, reason, true);
    }
  }

  #withdrawSent(task: Task): boolean {
    const slot = task.slot;
    const claims = slot?.channel.claims;
    if (!slot || !claims || task.zombie || task.sentAs < 0) return false;
    if (!takeBack(claims, task.sentAs)) return false;
    slot.inflight.delete(task.id);
    slot.inflightCost -= task.cost;
    this.#cancelled++;
    this.#finish(task);
    this.#afterResults(slot);
    return true;
  }

  /**
   * Settles a running task now (timeout or abort), asks its worker to abort it, and stops the
   * worker if the task is still running after a grace period: a `for (;;) {}` cannot be
   * interrupted any other way.
   */
  #stopRunning(task: Task, error: unknown, cancelled: boolean): void {
    const slot = task.slot!;
    task.zombie = true;
    slot.hasZombies = true;
    this.#finish(task);
    if (!cancelled) this.#failed++;
    this.observer?.taskFailed(task, error);
    task.sink.onError(error, cancelled);
    try {
      slot.channel.send({ op: 'abort', ids: [task.id], timeout: !cancelled });
    } catch {
      // the worker is gone already; its exit handler cleans up
    }
    const check = () => {
      if (slot.inflight.get(task.id) !== task || isStopping(slot)) return;
      // A task waiting in the worker behind another has not started: stopping the worker now
      // would kill, and re-run, the task ahead of it. Look again once that one has had time.
      const running = slot.channel.running?.();
      if (running && !running.includes(task.id)) setTimeout(check, GRACE_MS).unref();
      else this.#retire(slot, 'timeout');
    };
    setTimeout(() => guard(check), GRACE_MS).unref();
  }

  #fail(task: Task, error: unknown): void {
    this.#finish(task);
    this.#failed++;
    this.observer?.taskFailed(task, error);
    task.sink.onError(error);
    // Every way a task settles may be the last thing a close() waits for.
    this.#checkClosed();
  }

  #finish(task: Task): void {
    task.state = SETTLED;
    if (task.timer) {
      clearTimeout(task.timer);
      task.timer = undefined;
    }
    this.#detachSignal(task);
  }

  #detachSignal(task: Task): void {
    if (task.abortListener) {
      task.signal!.removeEventListener('abort', task.abortListener);
      task.abortListener = undefined;
    }
  }

  #removeSlot(slot: Slot): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }

  #wakeSpaceWaiters(): void {
    while (this.#spaceWaiters.length > 0 && this.#queued < this.options.maxQueue)
      this.#spaceWaiters.shift()!();
  }

  #checkClosed(): void {
    this.observer?.settled();
    if (!this.#closing || this.#closed || this.#terminating || this.#queued > 0) return;
    for (const slot of this.#slots) if (slot.inflight.size > 0) return;
    this.#closed = true;
    const slots = this.#slots.splice(0);
    for (const slot of slots) {
      slot.state = 'retiring';
      this.observer?.workerStopping(slot.id, 'close');
    }
    void Promise.all(slots.map((slot) => slot.channel.terminate()))
      .then(() => this.options.backend.close?.())
      .then(() => this.#finishClose());
  }

  #finishClose(): void {
    this.#closed = true;
    const waiters = this.#closeWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }
}
