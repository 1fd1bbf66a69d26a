import { rebuildError } from '../codec/errors.js';
import { packItems, unpackResults } from '../codec/pack.js';
import { nextChunkSize } from '../engine/batching.js';
import { Deque } from '../engine/deque.js';
import type { TaskSink } from '../engine/future.js';
import { TaskKind } from '../engine/protocol.js';
import type { Scheduler, Task } from '../engine/scheduler.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import type { TaskSpec } from '../tasks/types.js';
import { abortError } from './refusals.js';
import { type ItemSource, itemSource } from './source.js';
import { checkSignal } from './validate.js';

/** Options of `map`, `imap`, `imapUnordered` and `starmap`. */
export interface MapOptions {
  /** Items per message: a number, or `'auto'` (the default) to adapt to task duration. */
  chunksize?: number | 'auto';
  /** Aborting drops queued work and rejects with `SPINDLE_CANCELLED`. */
  signal?: AbortSignal;
  /** Milliseconds each task may run (from its start); a task over it rejects with `SPINDLE_TIMEOUT`. With a timeout and no chunksize, every item is its own task. */
  timeout?: number;
  /** `true` draws a bar on stderr; a function receives the counts as they change. */
  progress?: boolean | ProgressCallback;
}

export interface ProgressInfo {
  done: number;
  total?: number;
  failed: number;
  elapsedMs: number;
  etaMs?: number;
}
export type ProgressCallback = (info: ProgressInfo) => void;

/** Reports progress; faces create one per call (see cli/progress). */
export interface ProgressReporter {
  update(done: number, failed: number, total: number | undefined): void;
  finish(): void;
}

export interface MapRunOptions extends MapOptions {
  star?: boolean;
  ordered: boolean;
  /** Each item settles alone, as `{ ok, value }` or `{ ok: false, error }`, and failures do not stop the run. */
  settle?: boolean;
  reporter?: ProgressReporter;
  /** Items cross a real boundary (not inline), so packing all-number chunks pays. */
  pack?: boolean;
  /** Readies a chunk's items to cross to a worker (views, shared memory). */
  prepare?: (items: unknown[]) => unknown[];
}

interface Chunk {
  index: number;
  size: number;
  task?: Task;
  /** settle mode: the items, kept so a chunk that fails whole can re-run them one by one */
  items?: unknown[];
  /** settle mode: the one-item tasks a failed chunk was split into */
  parts?: Task[];
  results?: unknown[];
  error?: unknown;
  settled: boolean;
}

/**
 * Feeds chunks of an input to the scheduler with bounded look-ahead and hands back results,
 * either per chunk (map collects them into one array) or per item (imap's iterator).
 */
export class MapRun<R> implements AsyncIterableIterator<R> {
  readonly #scheduler: Scheduler;
  readonly #spec: TaskSpec;
  readonly #source: ItemSource<unknown>;
  readonly #options: MapRunOptions;
  readonly #kind: number;
  readonly #fixed: number | undefined;
  /** Chunks submitted and not yet handed out, in input order (ordered mode). */
  readonly #outstanding = new Deque<Chunk>();
  /** Chunks submitted and not yet settled, to cancel them. */
  readonly #live = new Set<Chunk>();
  /** Chunks submitted and not yet handed out: what look-ahead is counted in. */
  #unconsumed = 0;
  /** Settled chunks waiting to be handed out (unordered mode). */
  readonly #ready = new Deque<Chunk>();
  #pulled = 0;
  #chunks = 0;
  #exhausted = false;
  #filling = false;
  #failure: { error: unknown } | undefined;
  #finished = false;
  #wake: (() => void) | undefined;
  #current: unknown[] | undefined;
  #currentAt = 0;
  #done = 0;
  #failedCount = 0;
  #abortListener: (() => void) | undefined;
  /** The first failed chunk's error; imap raises it when it reaches that chunk, map at once. */
  #firstError: { error: unknown; index: number } | undefined;
  #failFast = false;
  /** The input itself threw: raised once the results of the items read before it are out. */
  #inputError: { error: unknown } | undefined;

  constructor(scheduler: Scheduler, spec: TaskSpec, items: unknown, options: MapRunOptions) {
    if (options.chunksize !== undefined && options.chunksize !== 'auto') {
      if (!Number.isInteger(options.chunksize) || options.chunksize < 1) {
        throw new RangeErrorWithHint(
          `chunksize must be a whole number ≥ 1 or 'auto', got ${options.chunksize}`,
          "leave it out for 'auto'",
        );
      }
    }
    checkSignal(options.signal);
    this.#scheduler = scheduler;
    this.#spec = spec;
    this.#options = options;
    this.#source = itemSource(items);
    this.#kind =
      TaskKind.MAP | (options.star ? TaskKind.STAR : 0) | (options.settle ? TaskKind.SETTLE : 0);
    this.#fixed =
      typeof options.chunksize === 'number'
        ? options.chunksize
        : options.timeout !== undefined && options.chunksize === undefined
          ? 1
          : undefined;
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) this.#fail(abortError(signal, 'the map'));
      else {
        // One listener per call, not one per chunk in flight (Node warns past ten).
        this.#abortListener = () => this.#abort(abortError(signal, 'the map'));
        signal.addEventListener('abort', this.#abortListener, { once: true });
      }
    }
    this.#fill();
  }

  /** Look-ahead in chunks; read each time, since `concurrency: 'auto'` moves it. */
  #window(): number {
    const scheduler = this.#scheduler;
    return Math.max(4, 3 * scheduler.maxWorkers * Math.max(1, scheduler.options.concurrency));
  }

  /** Collects every result into one array, in input order (the `map` face). */
  async all(): Promise<R[]> {
    this.#failFast = true;
    const out: R[] = [];
    for (;;) {
      const chunk = await this.#nextChunk();
      if (!chunk) return out;
      const results = chunk.results!;
      for (let i = 0; i < results.length; i++) out.push(results[i] as R);
    }
  }

  async next(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#current && this.#currentAt < this.#current.length) {
        const value = this.#current[this.#currentAt] as R;
        this.#current[this.#currentAt++] = undefined;
        return { done: false, value };
      }
      this.#current = undefined;
      const chunk = await this.#nextChunk();
      if (!chunk) return { done: true, value: undefined };
      this.#current = chunk.results!;
      this.#currentAt = 0;
    }
  }

  async return(): Promise<IteratorResult<R>> {
    this.#stop();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<R>> {
    this.#stop();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }

  async #nextChunk(): Promise<Chunk | undefined> {
    for (;;) {
      if (this.#finished && !this.#failure) return undefined;
      if (this.#inputError && (this.#failFast || (this.#exhausted && this.#unconsumed === 0)))
        this.#fail(this.#inputError.error);
      if (this.#failure) {
        this.#stop();
        throw this.#failure.error;
      }
      if (this.#firstError && (this.#failFast || !this.#options.ordered))
        this.#fail(this.#firstError.error);
      const chunk = this.#options.ordered ? this.#peekOrdered() : this.#ready.shift();
      if (chunk?.error !== undefined) this.#fail(chunk.error);
      else if (chunk) {
        if (this.#options.ordered) this.#outstanding.shift();
        this.#unconsumed--;
        this.#fill();
        return chunk;
      }
      if (this.#failure) continue;
      if (this.#exhausted && this.#unconsumed === 0) {
        this.#stop();
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #peekOrdered(): Chunk | undefined {
    const head = this.#outstanding.peek();
    return head?.settled ? head : undefined;
  }

  #fill(): void {
    if (this.#filling || this.#exhausted || this.#failure || this.#finished || this.#firstError)
      return;
    this.#filling = true;
    const step = (): void => {
      while (
        !this.#exhausted &&
        !this.#failure &&
        !this.#finished &&
        this.#outstanding.size < this.#window()
      ) {
        if (this.#scheduler.queued >= this.#scheduler.options.maxQueue) {
          this.#scheduler.whenQueueHasRoom().then(step, (e) => this.#fail(e));
          return;
        }
        const size = nextChunkSize(
          {
            fixed: this.#fixed,
            length: this.#source.length,
            workers: this.#scheduler.maxWorkers,
            estimate: () => this.#scheduler.estimatePerUnit(this.#spec),
          },
          this.#pulled,
        );
        let items: unknown[] | Promise<unknown[]>;
        try {
          items = this.#source.take(size);
        } catch (error) {
          this.#inputFailed(error);
          break;
        }
        if (items instanceof Promise) {
          items.then(
            (resolved) => {
              this.#submit(resolved);
              step();
            },
            (error) => {
              this.#inputFailed(error);
              this.#filling = false;
            },
          );
          return;
        }
        this.#submit(items);
      }
      this.#filling = false;
    };
    step();
  }

  #submit(items: unknown[]): void {
    if (items.length === 0) {
      this.#exhausted = true;
      this.#notify();
      return;
    }
    if (this.#failure || this.#finished) return;
    if (this.#options.star) {
      const bad = items.findIndex((item) => !Array.isArray(item));
      if (bad >= 0) {
        this.#fail(
          new TypeErrorWithHint(
            `starmap items must be argument lists (arrays), but item ${this.#pulled + bad} is ${describe(items[bad])}`,
            'pass [[a, b], [c, d]] for task(a, b) and task(c, d), or use map for one argument',
          ),
        );
        return;
      }
    }
    this.#pulled += items.length;
    const chunk: Chunk = { index: this.#chunks++, size: items.length, settled: false };
    if (this.#options.settle) chunk.items = items;
    const sink: TaskSink = {
      onStart: () => {},
      onResult: (value) => this.#settleChunk(chunk, value as unknown[], undefined),
      onError: (error) => this.#settleChunk(chunk, undefined, error),
    };
    if (this.#options.ordered) this.#outstanding.push(chunk);
    this.#unconsumed++;
    this.#live.add(chunk);
    try {
      const payload =
        (this.#options.pack && packItems(items)) ||
        (this.#options.prepare ? this.#options.prepare(items) : items);
      chunk.task = this.#submitTask(payload, items.length, sink);
    } catch (error) {
      this.#fail(error);
    }
  }

  #submitTask(payload: unknown, units: number, sink: TaskSink, isolated = false): Task {
    return this.#scheduler.submit(this.#spec, [payload], sink, {
      kind: this.#kind,
      units,
      timeout: this.#options.timeout,
      front: isolated,
      isolated,
    });
  }

  /**
   * In settle mode every item settles on its own, so a chunk that failed whole (its worker
   * crashed, it timed out, it would not clone) runs again one item per task: only the item
   * at fault fails, with the chunk's kind of error.
   */
  #splitFailedChunk(chunk: Chunk, error: unknown): void {
    const items = chunk.items!;
    const out: SettledItem<unknown>[] = new Array(items.length);
    let left = items.length;
    const settleOne = (i: number, item: SettledItem<unknown>) => {
      if (out[i] !== undefined) return;
      out[i] = item;
      if (--left === 0) this.#settleChunk(chunk, undefined, undefined, out);
    };
    chunk.parts = [];
    // Queued at the front one after another, so the last submitted runs first: go backwards.
    for (let i = items.length - 1; i >= 0; i--) {
      const sink: TaskSink = {
        onStart: () => {},
        onResult: (value) => settleOne(i, settledItem((value as unknown[])[0])),
        onError: (partError) => settleOne(i, { ok: false, error: partError }),
      };
      try {
        const payload = this.#options.prepare ? this.#options.prepare([items[i]]) : [items[i]];
        chunk.parts.push(this.#submitTask(payload, 1, sink, true));
      } catch {
        settleOne(i, { ok: false, error });
      }
    }
  }

  #settleChunk(
    chunk: Chunk,
    packed: unknown[] | Float64Array | Int32Array | undefined,
    error: unknown,
    settled?: SettledItem<unknown>[],
  ): void {
    if (chunk.settled) return;
    if (!packed && !settled && chunk.items && !this.#failure && !this.#finished) {
      this.#splitFailedChunk(chunk, error);
      return;
    }
    // Workers send an all-number chunk back packed; unpack so callers see plain arrays.
    const results = packed && unpackResults(packed);
    chunk.settled = true;
    this.#live.delete(chunk);
    if (settled) {
      chunk.results = settled;
      for (const r of settled) if (!r.ok) this.#failedCount++;
      this.#done += settled.length;
      if (!this.#options.ordered) this.#ready.push(chunk);
    } else if (results) {
      if (this.#options.settle) {
        chunk.results = results.map(settledItem);
        for (const r of chunk.results) if (!(r as SettledItem<unknown>).ok) this.#failedCount++;
      } else chunk.results = results;
      this.#done += results.length;
      if (!this.#options.ordered) this.#ready.push(chunk);
    } else {
      chunk.error = error ?? new Error('a task failed with undefined');
      this.#failedCount += chunk.size;
      this.#haltAfter(chunk);
    }
    try {
      this.#options.reporter?.update(this.#done, this.#failedCount, this.#source.length);
    } catch (reportError) {
      // A progress callback that throws fails this call with its error, and nothing else.
      this.#fail(reportError);
    }
    this.#notify();
  }

  /**
   * Stops pulling and drops queued chunks after a failed one; chunks before it still finish,
   * so ordered iteration yields them before raising the error where it happened.
   */
  #haltAfter(failed: Chunk): void {
    if (this.#firstError && this.#firstError.index < failed.index) return;
    this.#firstError = { error: failed.error, index: failed.index };
    for (const chunk of this.#live) {
      if (chunk.index > failed.index && chunk.task?.cancelQueued()) this.#live.delete(chunk);
    }
    this.#source.close();
  }

  /** An abort withdraws the call's queued chunks and stops its running ones. */
  #abort(error: unknown): void {
    const live = [...this.#live];
    this.#fail(error);
    for (const chunk of live) {
      if (chunk.task) this.#scheduler.cancel(chunk.task, error);
      if (chunk.parts) for (const part of chunk.parts) this.#scheduler.cancel(part, error);
    }
  }

  #inputFailed(error: unknown): void {
    this.#inputError = { error };
    this.#exhausted = true;
    this.#notify();
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#finished) return;
    this.#failure = { error };
    this.#cancelOutstanding();
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #cancelOutstanding(): void {
    for (let c = this.#outstanding.shift(); c; c = this.#outstanding.shift()) {
      c.task?.cancelQueued();
      if (c.parts) for (const part of c.parts) part.cancelQueued();
    }
    // Unordered runs keep no `outstanding` list: their unsettled chunks are all in `live`.
    for (const c of this.#live) {
      c.task?.cancelQueued();
      if (c.parts) for (const part of c.parts) part.cancelQueued();
    }
    this.#source.close();
  }

  #stop(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cancelOutstanding();
    if (this.#abortListener)
      this.#options.signal!.removeEventListener('abort', this.#abortListener);
    this.#options.reporter?.finish();
    // A next() already waiting when the iterator is closed ends instead of hanging.
    this.#notify();
  }
}

/** What `SETTLE` mode yields per item. */
export type SettledItem<R> = { ok: true; value: R } | { ok: false; error: unknown };

function settledItem(raw: unknown): SettledItem<unknown> {
  const [ok, value] = raw as [boolean, unknown];
  if (ok) return { ok: true, value };
  return { ok: false, error: rebuildError(value as any) };
}
