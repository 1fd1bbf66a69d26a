import type { WorkerExit } from '../backends/types.js';
import { rebuildError, type WireError } from '../codec/errors.js';
import type { StopReason } from '../observe/hooks.js';
import {
  type FromWorker,
  RESULT_STRIDE,
  resultId,
  resultMs,
  resultOk,
  resultValue,
} from '../wire/protocol.js';
import { blameCrash, describeExit } from './crash.js';
import { guard } from './guard.js';
import { takeBackHalf } from './placement.js';
import { askHeld, lostTasks } from './resync.js';
import { SchedulerCore } from './scheduler-core.js';
import { isStopping, type Slot } from './slot.js';
import { SETTLED, type Task } from './task.js';

/**
 * What a scheduler's workers say and do: a worker becoming ready, its results, messages lost
 * in transit, a failed initializer, a crash, and retiring workers on purpose; and a free
 * worker taking back work sent ahead to a busy one.
 */
export abstract class WorkerEvents extends SchedulerCore {
  /** A free worker takes back work sent ahead to a busy one (see placement.ts). */
  protected rebalance(idle: Slot): void {
    const taken = takeBackHalf(idle, this.slots, this.options.concurrency);
    if (taken.length === 0) return;
    this.requeueNewestFirst(taken);
    this.tally.stolen += taken.length;
    this.dispatch();
  }

  /** Starts the workers the queue needs; returns how many. */
  protected startWorkersIfNeeded(): number {
    if (this.queue.size === 0 || this.stopped) return 0;
    // One started with the pool idles unreferenced (see prestart): the work waiting for it
    // must keep the process alive.
    for (const slot of this.slots) if (slot.state === 'starting') this.workers.markBusy(slot);
    const wanted = Math.min(
      this.options.workers - this.slots.length,
      Math.max(0, this.queue.size - this.workers.startingFree()),
    );
    for (let i = 0; i < wanted; i++) {
      let slot: Slot;
      try {
        slot = this.workers.start();
      } catch (error) {
        this.failQueued(error);
        return i;
      }
      this.observer?.workerCreate(slot.id, slot.channel.threadId, slot.channel.pid);
    }
    return wanted;
  }

  /**
   * Starts the workers the options ask for before any work (see PoolOptions.prestart). They
   * idle unreferenced until a task comes. One that cannot start is left for the first task to
   * report, as a worker started on demand would. Their `workerCreate` event waits a microtask,
   * for listeners added just after the pool is made.
   */
  prestart(): void {
    while (this.slots.length < this.options.prestart && !this.stopped) {
      let slot: Slot;
      try {
        slot = this.workers.start();
      } catch {
        return;
      }
      slot.channel.unref();
      slot.refed = false;
      queueMicrotask(() =>
        guard(() => this.observer?.workerCreate(slot.id, slot.channel.threadId, slot.channel.pid)),
      );
    }
  }

  /** An unreadable message from the worker: ask it what it still holds (see resync.ts). */
  protected resync(slot: Slot, error: Error): void {
    if (!isStopping(slot)) askHeld(slot, error, this.nextSyncToken++);
  }

  protected onHeld(slot: Slot, message: Extract<FromWorker, { op: 'held' }>): void {
    for (const [task, error] of lostTasks(slot, message)) this.fail(task, error);
    this.afterResults(slot);
  }

  /** (Re)starts a running task's timeout; while its module loads, with MODULE_LOAD_GRACE_MS more. */
  protected abstract armTimeout(task: Task, loading: boolean): void;

  protected onMessage(slot: Slot, message: FromWorker): void {
    switch (message.op) {
      case 'ready':
        if (slot.state !== 'starting') break;
        this.workers.ready(slot);
        if (this.queue.size === 0) this.rebalance(slot);
        this.markIdleIfEmpty(slot);
        this.dispatch();
        break;
      case 'initFailed':
        this.onInitFailed(slot, message.error);
        break;
      case 'done':
        this.onResults(slot, message.results);
        if (this.onLoad && message.load) this.onLoad(message.load, message.busyMs);
        this.observer?.workerReport(slot.id, message.heap);
        break;
      case 'held':
        this.onHeld(slot, message);
        break;
      case 'loading':
      case 'loaded':
        for (const id of message.ids) {
          const task = slot.inflight.get(id);
          if (task && !task.zombie) this.armTimeout(task, message.op === 'loading');
        }
        break;
    }
  }

  protected onResults(slot: Slot, results: unknown[]): void {
    for (let i = 0; i < results.length; i += RESULT_STRIDE) {
      const task = slot.inflight.get(resultId(results, i));
      if (!task) continue;
      slot.inflight.delete(task.id);
      slot.inflightCost -= task.cost;
      slot.tasksRun++;
      const ms = resultMs(results, i);
      if (task.zombie) continue;
      this.tally.runTimes.record(ms);
      this.learn(task, ms);
      this.finish(task);
      const ok = resultOk(results, i);
      const value = resultValue(results, i);
      this.observer?.taskEnd(task, slot.id, ms, ok, value);
      if (ok) {
        this.tally.completed++;
        task.sink.onResult(value);
      } else {
        this.tally.failed++;
        task.sink.onError(rebuildError(value as WireError));
      }
    }
    this.afterResults(slot);
  }

  protected afterResults(slot: Slot): void {
    if (slot.inflight.size === 0) slot.inflightCost = 0;
    if (this.queue.size === 0 && slot.inflight.size < this.options.concurrency)
      this.rebalance(slot);
    if (slot.hasZombies) slot.hasZombies = [...slot.inflight.values()].some((t) => t.zombie);
    const max = this.options.maxTasksPerWorker;
    if (max !== undefined && slot.tasksRun >= max && !isStopping(slot)) {
      this.retire(slot, 'maxTasksPerWorker');
    } else {
      this.markIdleIfEmpty(slot);
    }
    if (this.queue.size > 0) this.dispatch();
    this.checkClosed();
  }

  protected markIdleIfEmpty(slot: Slot): void {
    this.workers.markIdleIfEmpty(slot, this.retireIdle);
  }

  protected readonly retireIdle = (slot: Slot) => this.retire(slot, 'idle');

  /** Stops a worker on purpose (idle, recycled); the pool starts another on demand. */
  protected retire(slot: Slot, reason: StopReason): void {
    slot.state = 'retiring';
    this.observer?.workerStopping(slot.id, reason);
    this.removeSlot(slot);
    const requeue = [...slot.inflight.values()];
    slot.inflight.clear();
    for (const task of requeue.reverse()) this.requeue(task, false);
    void slot.channel.terminate();
    if (this.queue.size > 0) this.scheduleDispatch();
    // A worker stopped for a stuck task may have held the last work a close() waits for.
    this.checkClosed();
  }

  /** Puts back in the queue, in order, the tasks sent to a worker that never became ready. */
  protected requeueHeld(slot: Slot): void {
    const held = [...slot.inflight.values()];
    slot.inflight.clear();
    slot.inflightCost = 0;
    this.requeueNewestFirst(held.reverse());
  }

  /**
   * Puts tasks taken off a worker back at the queue's front; newest first, so that queueing
   * each at the front restores their order. A cancelled one (a zombie) just ends.
   */
  protected requeueNewestFirst(tasks: Task[]): void {
    for (const task of tasks) {
      if (task.zombie) task.state = SETTLED;
      else this.requeue(task, true);
    }
  }

  protected onInitFailed(slot: Slot, wire: WireError): void {
    const error = this.workers.initFailed(wire);
    this.requeueHeld(slot);
    slot.state = 'retiring';
    this.observer?.workerStopping(slot.id, 'initFailed');
    this.removeSlot(slot);
    void slot.channel.terminate();
    this.failQueued(error);
  }

  protected onExit(slot: Slot, exit: WorkerExit): void {
    const was = slot.state;
    slot.state = 'gone';
    if (was === 'retiring' || was === 'gone') return;
    this.removeSlot(slot);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const how = describeExit(exit, this.options.resourceLimits);
    // A worker that took a task had started, even if its 'ready' was not read yet: a crash.
    if (was === 'starting' && !exit.taken) {
      // What it was sent while starting never ran.
      this.requeueHeld(slot);
      const broken = this.workers.startFailed(exit, how);
      if (broken) this.failQueued(broken);
      else this.scheduleDispatch();
      return;
    }
    this.tally.crashes++;
    const held = [...slot.inflight.values()];
    slot.inflight.clear();
    const { fail, requeue, retried } = blameCrash(held, exit, {
      concurrency: this.options.concurrency,
      retries: this.options.retries,
      how,
    });
    this.tally.retried += retried;
    for (const [task, error] of fail) this.fail(task, error);
    for (const task of requeue.reverse()) this.requeue(task, true);
    this.scheduleDispatch();
    this.checkClosed();
  }
}
