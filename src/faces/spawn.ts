import { threadId as callerThreadId } from 'node:worker_threads';
import { type BackendName, resolveBackend } from '../backends/resolve.js';
import type { Backend, ResourceLimits, WorkerChannel, WorkerExit } from '../backends/types.js';
import { rebuildError, type WireError } from '../codec/errors.js';
import { prepareArgs } from '../codec/prepare.js';
import { crashError, describeExit } from '../engine/crash.js';
import { startWorker } from '../engine/worker-start.js';
import { CancelledError, TimeoutError, WorkerStartError } from '../errors.js';
import { describe, TypeErrorWithHint } from '../hints.js';
import { taskSpec } from '../tasks/define.js';
import {
  type FromWorker,
  pushTask,
  RESULT_STRIDE,
  resultId,
  resultOk,
  resultValue,
  TaskKind,
} from '../wire/protocol.js';
import { refuseMainCodeInWorker } from '../worker/entry-guard.js';
import { inWorker } from '../worker/where.js';
import { checkRunsOn } from './refusals.js';

type AnyTask = (...args: any[]) => any;

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** `'threads'` (default), `'processes'`, `'inline'`, or a backend object. */
  backend?: BackendName | Backend;
  /** Memory limits, as for a pool's workers. */
  resourceLimits?: ResourceLimits;
  /** Aborting kills the worker; `join` then rejects with `SPINDLE_CANCELLED`. */
  signal?: AbortSignal;
}

/** How long a worker that has answered may take to exit on its own before it is stopped. */
const EXIT_GRACE_MS = 1000;
/** The task's id in the one-task protocol exchange. */
const TASK_ID = 1;

/**
 * One worker running one call: `multiprocessing.Process` and `threading.Thread`, with the
 * pool's task model and errors. Made by {@link spawn}.
 */
export class SpawnedWorker<R> {
  /** The worker's process id (the caller's own for threads and inline). */
  readonly pid: number | undefined;
  /** The worker thread's id; undefined for a process worker. */
  readonly threadId: number | undefined;
  readonly #channel: WorkerChannel;
  readonly #label: string;
  readonly #outcome: Promise<R>;
  readonly #exited: Promise<void>;
  #settle!: { resolve: (value: R) => void; reject: (error: unknown) => void };
  #settled = false;
  #exit: WorkerExit | undefined;
  #killed = false;
  readonly #inline: boolean;
  readonly #limits: ResourceLimits | undefined;
  #onExited!: () => void;

  /** @internal use {@link spawn} */
  constructor(task: AnyTask, args: unknown[], options: SpawnOptions) {
    // The entry file's unguarded main code, run again in a worker, must not spawn more.
    if (inWorker()) refuseMainCodeInWorker();
    const spec = taskSpec(task);
    const backend = resolveBackend(options.backend ?? 'threads');
    checkRunsOn(backend, spec);
    this.#label = spec.label;
    this.#limits = options.resourceLimits;
    this.#outcome = new Promise<R>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // join() may never be called: an unobserved failure must not crash the caller.
    this.#outcome.catch(() => {});
    this.#exited = new Promise<void>((resolve) => {
      this.#onExited = resolve;
    });
    const prepared =
      backend.name === 'inline'
        ? args
        : prepareArgs(args, { maxNbytes: undefined, sharesMemory: backend.sharesMemory });
    this.#channel = startWorker(
      backend,
      {
        init: {
          op: 'init',
          workerId: 0,
          concurrency: 1,
          initArgs: [],
        },
        resourceLimits: options.resourceLimits,
      },
      {
        message: (message) => this.#onMessage(message),
        exit: (exit) => this.#onExit(exit),
      },
    );
    const inline = backend.name === 'inline';
    this.#inline = inline;
    this.pid = this.#channel.pid ?? (backend.sharesMemory ? process.pid : undefined);
    this.threadId = this.#channel.threadId ?? (inline ? callerThreadId : undefined);
    const tasks: unknown[] = [];
    pushTask(tasks, TASK_ID, spec.id, TaskKind.CALL, prepared);
    try {
      this.#channel.send({ op: 'run', defs: [[spec.id, spec.def]], tasks });
    } catch (error) {
      void this.#channel.terminate();
      throw error;
    }
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) void this.kill();
      else signal.addEventListener('abort', () => void this.kill(), { once: true });
    }
  }

  /**
   * The worker's exit code once it has exited (0 after a normal finish); null while it runs,
   * or when a signal ended it (see {@link signalCode}).
   */
  get exitCode(): number | null {
    return this.#exit?.code ?? null;
  }

  /** The signal that ended a process worker, such as `'SIGKILL'`; null otherwise. */
  get signalCode(): string | null {
    return this.#exit?.signal ?? null;
  }

  /** True until the worker has exited. */
  isAlive(): boolean {
    return this.#exit === undefined;
  }

  /**
   * Waits for the worker to finish and exit, and resolves with the task's result; rejects with
   * the task's error, `SPINDLE_WORKER_CRASHED` if the worker died, `SPINDLE_CANCELLED` after
   * {@link kill}, or `SPINDLE_TIMEOUT` if `timeout` ms pass first (the worker keeps running).
   */
  async join(options: { timeout?: number } = {}): Promise<R> {
    const timeout = options.timeout;
    if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
      throw new TypeErrorWithHint(
        `join's timeout must be a number of milliseconds ≥ 0, got ${describe(timeout)}`,
        'for example join({ timeout: 5000 })',
      );
    }
    const finished = this.#outcome.then(
      () => this.#exited,
      () => this.#exited,
    );
    if (timeout === undefined) {
      await finished;
    } else {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeout);
      });
      const first = await Promise.race([finished, expired]);
      clearTimeout(timer);
      if (first === 'timeout') {
        throw new TimeoutError(`${this.#label} did not finish within ${timeout} ms`);
      }
    }
    return this.#outcome;
  }

  /** Stops the worker now, whatever it is doing; resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.#exit) return;
    this.#killed = true;
    this.#fail(new CancelledError(`${this.#label} was stopped by kill()`));
    await this.#channel.terminate();
    await this.#exited;
  }

  #onMessage(message: FromWorker): void {
    if (message.op === 'initFailed') {
      this.#fail(new WorkerStartError('the worker could not start', rebuildError(message.error)));
      void this.#channel.terminate();
      return;
    }
    if (message.op !== 'done') return;
    const results = message.results;
    for (let i = 0; i < results.length; i += RESULT_STRIDE) {
      if (resultId(results, i) !== TASK_ID) continue;
      if (resultOk(results, i)) this.#succeed(resultValue(results, i) as R);
      else this.#fail(rebuildError(resultValue(results, i) as WireError));
      this.#stopSoon();
    }
  }

  /** The task is done: the worker may exit on its own (exit code 0), or is stopped after a grace. */
  #stopSoon(): void {
    if (this.#inline) {
      void this.#channel.terminate();
      return;
    }
    try {
      this.#channel.send({ op: 'stop' });
    } catch {
      // already gone
    }
    const timer = setTimeout(() => void this.#channel.terminate(), EXIT_GRACE_MS);
    timer.unref();
    void this.#exited.then(() => clearTimeout(timer));
  }

  #onExit(exit: WorkerExit): void {
    this.#exit = exit;
    if (!this.#settled && !this.#killed) {
      // Worded as a pool task's crash is, out-of-memory hint included (engine/crash.ts).
      this.#fail(crashError(this.#label, exit, describeExit(exit, this.#limits)));
    }
    this.#onExited();
  }

  #succeed(value: R): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle.resolve(value);
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle.reject(error);
  }
}

/**
 * Starts one worker for one call, with no pool: `multiprocessing.Process` and
 * `threading.Thread` in spindle's task model.
 *
 * ```ts
 * const w = spawn(tasks.render, [tile], { backend: 'processes' });
 * console.log(w.pid);
 * const image = await w.join({ timeout: 60_000 });
 * ```
 */
export function spawn<F extends AnyTask>(
  task: F,
  args?: Parameters<F>,
  options: SpawnOptions = {},
): SpawnedWorker<Awaited<ReturnType<F>>> {
  if (args !== undefined && !Array.isArray(args)) {
    throw new TypeErrorWithHint(
      `spawn takes the task's arguments as an array, got ${describe(args)}`,
      'pass spawn(task, [a, b]) for task(a, b)',
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `spawn options must be an object, got ${describe(options)}`,
      "pass spawn(task, args, { backend: 'processes' })",
    );
  }
  return new SpawnedWorker(task, args ?? [], options);
}
