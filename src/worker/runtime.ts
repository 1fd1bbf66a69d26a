import { getHeapStatistics } from 'node:v8';
import { findUncloneable } from '../codec/clone-path.js';
import { serializeError, type WireError } from '../codec/errors.js';
import {
  type FromWorker,
  RESULT_STRIDE,
  ResultStatus,
  TASK_STRIDE,
  TaskKind,
  type ToWorker,
} from '../engine/protocol.js';
import { CancelledError, CloneError, TimeoutError } from '../errors.js';
import { adoptHolderId } from '../sync/holder.js';
import { reviveSyncArgs } from '../sync/revive.js';
import type { TaskDef } from '../tasks/types.js';
import { isThenable, runChunk } from './chunk.js';
import { compileInline } from './compile.js';
import { loadModuleTask } from './load-module.js';
import { markRunning, RUNNING_SLOTS, readRunning, unmarkRunning } from './running-slots.js';

type AnyFn = (...args: any[]) => unknown;
type Post = (message: FromWorker) => void;

/** Results are sent at least this often while a long batch runs, so the caller sees progress. */
const FLUSH_EVERY_MS = 4;
/** How often a worker tells the pool its heap size (the dashboard's memory column). */
const HEAP_EVERY_MS = 500;

let currentTask: { runtime: WorkerRuntime; id: number } | undefined;
const neverAborted = new AbortController().signal;

/**
 * The AbortSignal of the task that is running now, for cooperative cancellation: it fires when
 * the caller aborts or the task times out. Read it synchronously at the start of the task
 * (before any `await`). Outside a task it returns a signal that never fires.
 */
export function taskSignal(): AbortSignal {
  if (!currentTask) return neverAborted;
  return currentTask.runtime.signalFor(currentTask.id);
}

/**
 * Runs tasks for one worker: the same code inside a worker thread, a child process, or the
 * caller's own thread (inline backend). It only speaks the protocol; the backend moves bytes.
 */
export class WorkerRuntime {
  readonly #post: Post;
  readonly #fns = new Map<number, AnyFn | Promise<AnyFn>>();
  readonly #defs = new Map<number, TaskDef>();
  #queue: unknown[] = [];
  #head = 0;
  #running = 0;
  #limit = 1;
  #out: unknown[] = [];
  #lastFlush = 0;
  #lastHeapAt = Number.NEGATIVE_INFINITY;
  #busyMs = 0;
  #lastElu = performance.eventLoopUtilization();
  #flushScheduled = false;
  #ready: Promise<void> | undefined;
  readonly #controllers = new Map<number, AbortController>();
  /** Tasks the caller aborted or timed out, with the reason their signal carries. */
  readonly #aborted = new Map<number, Error>();
  readonly #runningIds: Float64Array;

  /**
   * @param running where the ids of the tasks running now are kept (see {@link RunningTasks}):
   *   shared with the caller for threads, so a worker that dies blames only what it ran.
   */
  constructor(post: Post, running: Float64Array = new Float64Array(RUNNING_SLOTS + 1)) {
    this.#post = post;
    this.#runningIds = running;
  }

  /** Ids of the tasks started and not yet settled, or undefined if too many ran to track. */
  runningTasks(): number[] | undefined {
    return readRunning(this.#runningIds);
  }

  handle(message: ToWorker): void {
    switch (message.op) {
      case 'init':
        adoptHolderId(message.holderId);
        this.#limit = message.concurrency;
        this.#ready = this.#init(message);
        break;
      case 'run':
        if (message.defs) for (const [id, def] of message.defs) this.#defs.set(id, def);
        for (const item of message.tasks) this.#queue.push(item);
        if (this.#ready) this.#ready.then(() => this.#pump());
        else this.#pump();
        break;
      case 'abort':
        for (const id of message.ids) {
          const reason = message.timeout
            ? new TimeoutError('the task ran past its timeout')
            : new CancelledError('the task was cancelled by the caller');
          this.#aborted.set(id, reason);
          this.#controllers.get(id)?.abort(reason);
        }
        break;
      case 'limit':
        this.#limit = message.concurrency;
        this.#pump();
        break;
      case 'stop':
        break;
    }
  }

  signalFor(id: number): AbortSignal {
    let controller = this.#controllers.get(id);
    if (!controller) {
      controller = new AbortController();
      const reason = this.#aborted.get(id);
      if (reason) controller.abort(reason);
      this.#controllers.set(id, controller);
    }
    return controller.signal;
  }

  async #init(message: Extract<ToWorker, { op: 'init' }>): Promise<void> {
    if (message.init) {
      try {
        const fn = await this.#resolve(-1, message.init);
        await fn(...message.initArgs);
      } catch (error) {
        this.#post({ op: 'initFailed', error: serializeError(error) });
        // Never run tasks on a worker whose initializer failed; the scheduler stops it.
        await new Promise(() => {});
      }
    }
    this.#ready = undefined;
    // Load is measured from here: starting up says nothing about the tasks.
    this.#lastElu = performance.eventLoopUtilization();
    this.#post({ op: 'ready' });
  }

  #pump(): void {
    const queue = this.#queue;
    while (this.#running < this.#limit && this.#head < queue.length) {
      const at = this.#head;
      this.#head += TASK_STRIDE;
      const id = queue[at] as number;
      const fnId = queue[at + 1] as number;
      const kind = queue[at + 2] as number;
      const args = reviveSyncArgs(queue[at + 3] as unknown[], kind);
      queue[at + 3] = undefined;
      markRunning(this.#runningIds, id);
      if (this.#aborted.has(id)) {
        this.#aborted.delete(id);
        this.#settle(
          id,
          ResultStatus.ERROR,
          serializeError(new CancelledError('the task was cancelled before it started')),
          0,
        );
        continue;
      }
      const fn = this.#fns.get(fnId);
      if (fn === undefined || fn instanceof Promise) {
        this.#running++;
        this.#resolve(fnId, this.#defs.get(fnId)).then(
          (resolved) => {
            this.#running--;
            this.#start(id, resolved, kind, args);
            this.#pump();
          },
          (error) => {
            this.#running--;
            this.#settle(id, ResultStatus.ERROR, serializeError(error), 0);
            this.#pump();
          },
        );
        continue;
      }
      this.#start(id, fn, kind, args);
      if (this.#out.length > 0 && performance.now() - this.#lastFlush > FLUSH_EVERY_MS)
        this.#flush();
    }
    if (this.#head >= queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    if (this.#out.length > 0) this.#flush();
  }

  #start(id: number, fn: AnyFn, kind: number, args: unknown[]): void {
    const started = performance.now();
    let result: unknown;
    currentTask = { runtime: this, id };
    try {
      result = kind === TaskKind.CALL ? fn(...args) : runChunk(fn, kind, args[0] as unknown[]);
    } catch (error) {
      currentTask = undefined;
      this.#done(id, started);
      this.#settle(id, ResultStatus.ERROR, serializeError(error), performance.now() - started);
      return;
    }
    currentTask = undefined;
    if (isThenable(result)) {
      this.#running++;
      result.then(
        (value) => this.#asyncSettle(id, started, ResultStatus.OK, value),
        (error) => this.#asyncSettle(id, started, ResultStatus.ERROR, serializeError(error)),
      );
      return;
    }
    this.#done(id, started);
    this.#settle(id, ResultStatus.OK, result, performance.now() - started);
  }

  #asyncSettle(id: number, started: number, status: number, value: unknown): void {
    this.#running--;
    this.#done(id, started);
    this.#settle(id, status, value, performance.now() - started);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#pump();
        if (this.#out.length > 0) this.#flush();
      });
    }
  }

  #done(id: number, _started: number): void {
    if (this.#controllers.size > 0) this.#controllers.delete(id);
    if (this.#aborted.size > 0) this.#aborted.delete(id);
  }

  #settle(id: number, status: number, value: unknown, ms: number): void {
    unmarkRunning(this.#runningIds, id);
    this.#busyMs += ms;
    this.#out.push(id, status, value, ms);
  }

  #flush(): void {
    const results = this.#out;
    this.#out = [];
    this.#lastFlush = performance.now();
    const busyMs = this.#busyMs;
    this.#busyMs = 0;
    const elu = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(elu, this.#lastElu);
    this.#lastElu = elu;
    const load: [number, number] = [delta.active, delta.idle];
    // Sampled, not sent with every message: reading the heap costs about a microsecond.
    let heap: number | undefined;
    if (this.#lastFlush - this.#lastHeapAt >= HEAP_EVERY_MS) {
      this.#lastHeapAt = this.#lastFlush;
      heap = getHeapStatistics().used_heap_size;
    }
    try {
      this.#post({ op: 'done', results, busyMs, load, heap });
    } catch (error) {
      this.#post({ op: 'done', results: replaceUncloneable(results, error), busyMs, load, heap });
    }
  }

  #resolve(fnId: number, def: TaskDef | undefined): Promise<AnyFn> {
    const known = this.#fns.get(fnId);
    if (known) return Promise.resolve(known);
    if (!def)
      return Promise.reject(new Error(`spindle internal error: no definition for task ${fnId}`));
    const pending = Promise.resolve(this.#load(def));
    if (fnId >= 0) {
      this.#fns.set(fnId, pending);
      pending.then(
        (fn) => this.#fns.set(fnId, fn),
        () => this.#fns.delete(fnId),
      );
    }
    return pending;
  }

  #load(def: TaskDef): AnyFn | Promise<AnyFn> {
    if (def.t === 'i') return compileInline(def, (inner) => this.#load(inner));
    return loadModuleTask(def);
  }
}

/** A result that cannot be cloned fails its task alone, with the path to the bad part. */
function replaceUncloneable(results: unknown[], error: unknown): unknown[] {
  const out = results.slice();
  for (let i = 0; i < out.length; i += RESULT_STRIDE) {
    if (out[i + 1] !== ResultStatus.OK) continue;
    const found = findUncloneable(out[i + 2], 'result');
    if (found) {
      out[i + 1] = ResultStatus.ERROR;
      out[i + 2] = serializeError(
        new CloneError(
          `the task's ${found.path} cannot be sent back from the worker: ${found.reason}`,
          found.path,
          error,
        ),
      ) satisfies WireError;
    }
  }
  return out;
}
