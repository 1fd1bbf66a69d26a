import type { EventLoopUtilization } from 'node:perf_hooks';
import { serializeError } from '../codec/errors.js';
import { packResult } from '../codec/pack.js';
import type { Transferable } from '../codec/transferable.js';
import { CancelledError, TimeoutError } from '../errors.js';
import { adoptHolderId } from '../sync/holder.js';
import type { TaskDef } from '../tasks/types.js';
import {
  clearTaskArgs,
  type FromWorker,
  pushResult,
  ResultStatus,
  TASK_STRIDE,
  TaskKind,
  type ToWorker,
  taskArgs,
  taskFnId,
  taskId,
  taskKind,
} from '../wire/protocol.js';
import { isThenable, runChunk } from './chunk.js';
import { claim } from './claims.js';
import { now } from './clock.js';
import { compileInline } from './compile.js';
import { eventLoopUtilization } from './elu.js';
import { adoptProgramEntry } from './entry-guard.js';
import { loadModuleTask } from './load-module.js';
import { postOneByOne } from './post-results.js';
import { reviveArgs } from './revive-args.js';
import {
  markRunning,
  RUNNING_LENGTH,
  readRunning,
  readTaken,
  unmarkRunning,
} from './running-slots.js';
import { beforeFirstResult } from './thread-script.js';
import { takeTransfers } from './transfer.js';

type AnyFn = (...args: any[]) => unknown;
/** Sends a message to the caller; `transfer`: buffers that move with it (threads only). */
type Post = (message: FromWorker, transfer?: Transferable[]) => void;

/** Results are sent at least this often while a long batch runs, so the caller sees progress. */
const FLUSH_EVERY_MS = 4;
/** How often a worker tells the pool its heap size (the dashboard's memory column). */
const HEAP_EVERY_MS = 500;

/**
 * The task running now, kept on the global object rather than in this module: in a bundled
 * program the worker runtime is a copy of spindle of its own (see backends/entry-url.ts), and the
 * `taskSignal` a task module imports from its own copy must still see it.
 */
const CURRENT = Symbol.for('spindle.currentTask');
const current: { task?: { runtime: WorkerRuntime; id: number } } = ((globalThis as any)[CURRENT] ??=
  {});
const neverAborted = new AbortController().signal;

/**
 * The AbortSignal of the task that is running now, for cooperative cancellation: it fires when
 * the caller aborts or the task times out. Read it synchronously at the start of the task
 * (before any `await`). Outside a task it returns a signal that never fires.
 */
export function taskSignal(): AbortSignal {
  const task = current.task;
  if (!task) return neverAborted;
  return task.runtime.signalFor(task.id);
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
  /** Buffers the results in #out move with them (see transfer.ts). */
  #transfer: Transferable[] | undefined;
  #lastFlush = 0;
  #lastHeapAt = Number.NEGATIVE_INFINITY;
  #busyMs = 0;
  /** Read first once the first results are posted (see #flush). */
  #lastElu: EventLoopUtilization | undefined;
  #flushScheduled = false;
  #ready: Promise<void> | undefined;
  readonly #controllers = new Map<number, AbortController>();
  /** Tasks the caller aborted or timed out, with the reason their signal carries. */
  readonly #aborted = new Map<number, Error>();
  readonly #runningIds: Float64Array;
  readonly #claims: Int32Array | undefined;
  readonly #packs: boolean;
  /** Tasks received before the first one in `#queue`: a task's place among all received. */
  #queueBase = 0;

  /**
   * @param running where the ids of the tasks running now are kept (see {@link RunningTasks}):
   *   shared with the caller for threads, so a worker that dies blames only what it ran.
   */
  /**
   * `packs`: results that are arrays of numbers go back packed (ResultStatus.PACKED); false
   * for the inline backend, whose results are handed over by reference.
   */
  constructor(
    post: Post,
    running: Float64Array = new Float64Array(RUNNING_LENGTH),
    claims?: Int32Array,
    packs = true,
  ) {
    this.#post = post;
    this.#runningIds = running;
    this.#claims = claims;
    this.#packs = packs;
  }

  /** Ids of the tasks started and not yet settled, or undefined if too many ran to track. */
  runningTasks(): number[] | undefined {
    return readRunning(this.#runningIds);
  }

  /** Tasks taken off the queue so far (see running-slots.ts). */
  takenTasks(): number {
    return readTaken(this.#runningIds);
  }

  handle(message: ToWorker): void {
    switch (message.op) {
      case 'init':
        adoptHolderId(message.holderId);
        adoptProgramEntry(message.entry);
        this.#limit = message.concurrency;
        // Without an initializer the worker is ready now: `#ready` left a settled promise would
        // put off every later batch of tasks by a microtask.
        if (message.init) this.#ready = this.#init(message.init, message.initArgs);
        else this.#post({ op: 'ready' });
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
      case 'sync':
        // Everything posted before this reply reaches the caller before it: whatever the
        // caller still misses after it, and this worker does not hold, was lost on the way.
        if (this.#out.length > 0) this.#flush();
        this.#post({
          op: 'held',
          token: message.token,
          queued: this.#queuedIds(),
          running: readRunning(this.#runningIds),
        });
        break;
      case 'stop':
        break;
    }
  }

  #queuedIds(): number[] {
    const ids: number[] = [];
    for (let at = this.#head; at < this.#queue.length; at += TASK_STRIDE)
      ids.push(taskId(this.#queue, at));
    return ids;
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

  async #init(init: TaskDef, args: unknown[]): Promise<void> {
    try {
      const fn = await this.#resolve(-1, init);
      await fn(...args);
    } catch (error) {
      this.#post({ op: 'initFailed', error: serializeError(error) });
      // Never run tasks on a worker whose initializer failed; the scheduler stops it.
      await new Promise(() => {});
    }
    this.#ready = undefined;
    this.#post({ op: 'ready' });
  }

  #pump(): void {
    const queue = this.#queue;
    /** Tasks that wait for their module: their timeouts wait too (see 'loading'). */
    let loading: number[] | undefined;
    while (this.#running < this.#limit && this.#head < queue.length) {
      const at = this.#head;
      this.#head += TASK_STRIDE;
      const id = taskId(queue, at);
      const fnId = taskFnId(queue, at);
      const kind = taskKind(queue, at);
      if (this.#claims && !claim(this.#claims, this.#queueBase + at / TASK_STRIDE)) {
        // The caller took it back for another worker while this one was busy.
        clearTaskArgs(queue, at);
        continue;
      }
      const args = reviveArgs(taskArgs(queue, at), kind);
      clearTaskArgs(queue, at);
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
        (loading ??= []).push(id);
        this.#resolve(fnId, this.#defs.get(fnId)).then(
          (resolved) => {
            this.#running--;
            this.#post({ op: 'loaded', ids: [id] });
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
      if (this.#out.length > 0 && now() - this.#lastFlush > FLUSH_EVERY_MS) this.#flush();
    }
    if (loading) this.#post({ op: 'loading', ids: loading });
    if (this.#head >= queue.length) {
      this.#queueBase += queue.length / TASK_STRIDE;
      this.#queue = [];
      this.#head = 0;
    }
    if (this.#out.length > 0) this.#flush();
  }

  #start(id: number, fn: AnyFn, kind: number, args: unknown[]): void {
    const started = now();
    let result: unknown;
    current.task = { runtime: this, id };
    try {
      result = kind === TaskKind.CALL ? fn(...args) : runChunk(fn, kind, args[0] as unknown[]);
    } catch (error) {
      current.task = undefined;
      this.#done(id, started);
      this.#settle(id, ResultStatus.ERROR, serializeError(error), now() - started);
      return;
    }
    current.task = undefined;
    if (isThenable(result)) {
      this.#running++;
      result.then(
        (value) => this.#asyncSettle(id, started, ResultStatus.OK, value),
        (error) => this.#asyncSettle(id, started, ResultStatus.ERROR, serializeError(error)),
      );
      return;
    }
    this.#done(id, started);
    this.#settle(id, ResultStatus.OK, result, now() - started);
  }

  #asyncSettle(id: number, started: number, status: number, value: unknown): void {
    this.#running--;
    this.#done(id, started);
    this.#settle(id, status, value, now() - started);
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
    const moved = status === ResultStatus.OK ? takeTransfers(value) : undefined;
    if (moved) (this.#transfer ??= []).push(...moved);
    // A result whose buffers move goes as it is: they are the point of it.
    const packed =
      status === ResultStatus.OK && !moved && this.#packs && Array.isArray(value)
        ? packResult(value)
        : undefined;
    if (packed) pushResult(this.#out, id, ResultStatus.PACKED, packed, ms);
    else pushResult(this.#out, id, status, value, ms);
  }

  #flush(): void {
    const results = this.#out;
    this.#out = [];
    const transfer = this.#transfer && [...new Set(this.#transfer)];
    this.#transfer = undefined;
    this.#lastFlush = now();
    const busyMs = this.#busyMs;
    this.#busyMs = 0;
    // Load from the second message on: its first read loads Node's perf_hooks (~1.2 ms in a
    // fresh worker), which would delay a new pool's first result.
    const first = this.#lastElu === undefined;
    let load: [number, number] | undefined;
    if (!first) {
      const elu = eventLoopUtilization();
      const delta = eventLoopUtilization(elu, this.#lastElu);
      this.#lastElu = elu;
      load = [delta.active, delta.idle];
    }
    // Sampled, not sent with every message. From `process`, not `node:v8`, which a fresh worker
    // would load first (~0.6 ms).
    let heap: number | undefined;
    if (this.#lastFlush - this.#lastHeapAt >= HEAP_EVERY_MS) {
      this.#lastHeapAt = this.#lastFlush;
      heap = process.memoryUsage().heapUsed;
    }
    // Not after: a program that closes its pool on its first result would end the thread first.
    if (first) beforeFirstResult();
    try {
      this.#post({ op: 'done', results, busyMs, load, heap }, transfer);
    } catch {
      // Copied instead of moved (a buffer Node will not move, one detached already): each
      // result alone, so only one that cannot be sent at all fails, as its own task.
      postOneByOne(this.#post, results, busyMs, load, heap);
    }
    if (first) this.#lastElu = eventLoopUtilization();
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
