import type { WorkerExit } from '../backends/types.js';
import { rebuildError } from '../codec/errors.js';
import type { Scheduler } from '../engine/scheduler.js';
import { SETTLED, type Task } from '../engine/task.js';
import { describe, TypeErrorWithHint } from '../hints.js';
import type { TaskSpec } from '../tasks/types.js';
import { CallTracker } from './calls.js';
import {
  EVENT_NAMES,
  type PoolEventMap,
  type PoolEventName,
  type TaskEndEvent,
  type TaskStartEvent,
  type WorkerCreateEvent,
  type WorkerExitEvent,
} from './events.js';
import type { SchedulerObserver, StopReason } from './hooks.js';

/** What the dashboard and reports record from: the events, plus what only they need. */
export interface ObserverSink {
  taskStart?(event: TaskStartEvent): void;
  taskEnd?(event: TaskEndEvent): void;
  workerCreate?(event: WorkerCreateEvent): void;
  workerExit?(event: WorkerExitEvent): void;
  /** A worker's heap in use, in bytes. */
  heap?(workerId: number, bytes: number): void;
  /** A task failed before any worker ran it (a closed pool, a worker that could not start). */
  failure?(name: string, error: unknown): void;
}

type AnyListener = (...args: any[]) => void;
interface Entry {
  fn: AnyListener;
  once: boolean;
}

/**
 * Turns the scheduler's hook calls into pool events and feeds the dashboard and reports. It
 * is installed on a scheduler only while someone listens, and removes itself when the last
 * listener or sink goes.
 */
export class PoolObserver implements SchedulerObserver {
  readonly #scheduler: Scheduler;
  readonly #listeners = new Map<PoolEventName, Entry[]>();
  readonly #sinks = new Set<ObserverSink>();
  /** `performance.now()` at each running task's hand-off, for tasks that end without a result. */
  readonly #started = new Map<number, number>();
  readonly #stopping = new Map<number, StopReason>();
  readonly #names = new Map<number, string>();
  readonly calls = new CallTracker();
  #active = false;

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  // ---- listeners and sinks ----------------------------------------------------------------

  on(event: PoolEventName, fn: AnyListener, once = false): void {
    checkListener(event, fn);
    let list = this.#listeners.get(event);
    if (!list) this.#listeners.set(event, (list = []));
    list.push({ fn, once });
    this.#install();
  }

  off(event: PoolEventName, fn: AnyListener): void {
    checkListener(event, fn);
    const list = this.#listeners.get(event);
    if (!list) return;
    // As EventEmitter: the most recently added copy goes.
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].fn === fn) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.#listeners.delete(event);
    this.#uninstallIfUnused();
  }

  listenerCount(event: PoolEventName): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  addSink(sink: ObserverSink): void {
    this.#sinks.add(sink);
    this.#install();
  }

  removeSink(sink: ObserverSink): void {
    this.#sinks.delete(sink);
    this.#uninstallIfUnused();
  }

  get callTracker(): CallTracker | undefined {
    return this.#sinks.size > 0 ? this.calls : undefined;
  }

  #install(): void {
    this.#scheduler.observer = this;
  }

  #uninstallIfUnused(): void {
    if (this.#listeners.size === 0 && this.#sinks.size === 0) {
      if (this.#scheduler.observer === this) this.#scheduler.observer = undefined;
      this.#started.clear();
    }
  }

  #wants(event: PoolEventName): boolean {
    return this.#sinks.size > 0 || this.#listeners.has(event);
  }

  /** The hot path of a listened pool: no closures, no copies unless a `once` listener is due. */
  #emit<E extends PoolEventName>(event: E, ...args: PoolEventMap[E]): void {
    const arg = args[0];
    if (this.#sinks.size > 0) {
      for (const sink of this.#sinks) {
        const method = (sink as Record<string, AnyListener | undefined>)[event];
        if (!method) continue;
        try {
          method.call(sink, arg);
        } catch (error) {
          warn(error, 'the dashboard', event);
        }
      }
    }
    const list = this.#listeners.get(event);
    if (!list) return;
    if (list.length === 1 && !list[0].once) {
      call(list[0].fn, event, arg);
      return;
    }
    // A copy: a listener may add or remove listeners while this runs.
    for (const entry of list.slice()) {
      if (entry.once) this.off(event, entry.fn);
      call(entry.fn, event, arg);
    }
  }

  // ---- scheduler hooks --------------------------------------------------------------------

  taskStart(task: Task, workerId: number, now: number): void {
    if (task.state === SETTLED) return;
    this.#started.set(task.id, now);
    this.#active = true;
    if (!this.#wants('taskStart')) return;
    this.#emit('taskStart', {
      taskId: task.id,
      name: this.#name(task.spec),
      workerId,
      items: task.units,
      queuedMs: Math.max(0, now - task.enqueuedAt),
    });
  }

  taskEnd(task: Task, workerId: number, runMs: number, ok: boolean, error: unknown): void {
    this.#started.delete(task.id);
    if (!this.#wants('taskEnd')) return;
    const startPerf = performance.now() - runMs;
    const event: TaskEndEvent = {
      taskId: task.id,
      name: this.#name(task.spec),
      workerId,
      items: task.units,
      startedAt: performance.timeOrigin + startPerf,
      durationMs: runMs,
      waitMs: Math.max(0, startPerf - task.enqueuedAt),
      ok,
    };
    // A task's error arrives serialized; rebuilt here only for listeners (failures are rare).
    if (!ok) event.error = rebuildError(error as any);
    this.#emit('taskEnd', event);
  }

  taskFailed(task: Task, error: unknown): void {
    const dispatchedAt = this.#started.get(task.id);
    const workerId = task.slot?.id;
    if (dispatchedAt === undefined || workerId === undefined) {
      for (const sink of this.#sinks)
        guard(() => sink.failure?.(this.#name(task.spec), error), 'the dashboard', 'failure');
      return;
    }
    this.#started.delete(task.id);
    if (!this.#wants('taskEnd')) return;
    const now = performance.now();
    this.#emit('taskEnd', {
      taskId: task.id,
      name: this.#name(task.spec),
      workerId,
      items: task.units,
      startedAt: performance.timeOrigin + dispatchedAt,
      durationMs: now - dispatchedAt,
      waitMs: Math.max(0, dispatchedAt - task.enqueuedAt),
      ok: false,
      error,
    });
  }

  workerCreate(workerId: number, threadId: number | undefined, pid: number | undefined): void {
    if (!this.#wants('workerCreate')) return;
    const event: WorkerCreateEvent = { workerId };
    if (threadId !== undefined) event.threadId = threadId;
    if (pid !== undefined) event.pid = pid;
    this.#emit('workerCreate', event);
  }

  workerStopping(workerId: number, reason: StopReason): void {
    if (!this.#stopping.has(workerId)) this.#stopping.set(workerId, reason);
  }

  workerExit(workerId: number, exit: WorkerExit): void {
    const reason = this.#stopping.get(workerId);
    this.#stopping.delete(workerId);
    if (!this.#wants('workerExit')) return;
    const event: WorkerExitEvent = {
      workerId,
      exitCode: exit.code,
      signal: exit.signal,
      crashed: reason === undefined,
    };
    if (reason !== undefined) event.reason = reason;
    this.#emit('workerExit', event);
  }

  workerReport(workerId: number, heapUsed: number | undefined): void {
    if (heapUsed === undefined || this.#sinks.size === 0) return;
    for (const sink of this.#sinks)
      guard(() => sink.heap?.(workerId, heapUsed), 'the dashboard', 'heap');
  }

  settled(): void {
    if (!this.#active) return;
    const scheduler = this.#scheduler;
    if (scheduler.queued > 0 || scheduler.inFlight > 0) return;
    this.#active = false;
    this.#emit('drain');
  }

  #name(spec: TaskSpec): string {
    let name = this.#names.get(spec.id);
    if (name === undefined) {
      name = taskName(spec);
      this.#names.set(spec.id, name);
    }
    return name;
  }
}

/** A module task's export name; an inline function's name, or its source cut short. */
export function taskName(spec: TaskSpec): string {
  if (spec.def.t === 'm') return spec.def.name;
  const fnName = spec.fn?.name;
  if (fnName) return fnName;
  const label = spec.label.replace(/^inline /, '');
  return label.length > 40 ? `${label.slice(0, 39)}…` : label;
}

/** The observer of a scheduler, created on first use. */
export function observerOf(scheduler: Scheduler): PoolObserver {
  const existing = observers.get(scheduler);
  if (existing) return existing;
  const created = new PoolObserver(scheduler);
  observers.set(scheduler, created);
  return created;
}

/** Only for schedulers someone has observed; an observer stays registered while uninstalled. */
const observers = new WeakMap<Scheduler, PoolObserver>();

function checkListener(event: unknown, fn: unknown): asserts event is PoolEventName {
  if (!EVENT_NAMES.includes(event as PoolEventName)) {
    throw new TypeErrorWithHint(
      `unknown pool event ${describe(event)}`,
      `use one of ${EVENT_NAMES.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  if (typeof fn !== 'function') {
    throw new TypeErrorWithHint(
      `a '${event}' listener must be a function, got ${describe(fn)}`,
      `pass pool.on('${event}', (event) => { ... })`,
    );
  }
}

function call(fn: AnyListener, event: PoolEventName, arg: unknown): void {
  try {
    if (event === 'drain') fn();
    else fn(arg);
  } catch (error) {
    warn(error, 'a pool listener', event);
  }
}

function guard(run: () => void, who: string, event: string): void {
  try {
    run();
  } catch (error) {
    warn(error, who, event);
  }
}

/**
 * A listener runs inside the scheduler's result handling: if it threw there, one bad listener
 * would stall every task of the pool, or surface as an uncaught exception far from its cause.
 * It is reported as a process warning instead (`SPINDLE_LISTENER_ERROR`), and the pool goes on.
 */
function warn(error: unknown, who: string, event: string): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`${who} for '${event}' threw: ${firstLine(error)}`, {
    code: 'SPINDLE_LISTENER_ERROR',
    detail,
  });
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0];
}
