import { Deque } from '../engine/deque.js';
import type { TaskSink } from '../engine/future.js';
import type { Task } from '../engine/scheduler.js';
import { CancelledError } from '../errors.js';
import type { TaskSpec } from '../tasks/types.js';
import { ChunkReader, type RawChunk } from './chunk-reader.js';
import { type Chunk, ChunkSink } from './feed-chunk.js';
import {
  type FedChunk,
  type FeedPlan,
  nextChunkSizeOf,
  type SettledItem,
  settledItem,
  type TaskOrder,
  unpackResults,
} from './feed-plan.js';
import { abortError } from './refusals.js';
import { rerunOneByOne } from './rerun.js';

/**
 * The one layer between the faces and the scheduler. It pulls units with bounded look-ahead,
 * groups them into tasks, waits for queue room instead of throwing, and hands results back
 * per unit (`next`), per task (`nextChunk`) or all at once (`all`). A failure stops pulling
 * and withdraws the tasks after it; an abort withdraws queued tasks and stops running ones.
 */
export class Feeder<R = unknown> extends ChunkReader<R> {
  readonly #plan: FeedPlan;
  /** Tasks not handed out yet, in input order ('input' delivery). */
  readonly #outstanding = new Deque<Chunk>();
  /** Settled tasks not handed out yet, in completion order ('completion' delivery). */
  readonly #ready = new Deque<Chunk>();
  readonly #live = new Set<Chunk>();
  #unread = 0;
  /** Units pulled and not yet in a task. */
  #carry: unknown[] = [];
  /** Units placed in tasks so far: the number of the next task's first unit. */
  #placed = 0;
  /** Tasks submitted so far. */
  #tasks = 0;
  #lastSpec: TaskSpec | undefined;
  #exhausted = false;
  #filling = false;
  #failure: { error: unknown } | undefined;
  #finished = false;
  #wake: (() => void) | undefined;
  #done = 0;
  #failedUnits = 0;
  #abortListener: (() => void) | undefined;
  /** The earliest failed task; 'input' delivery raises it once the results before it are out. */
  #firstError: { error: unknown; first: number } | undefined;
  #failFast = false;
  /** The input itself threw: raised once the results of the units read before it are out. */
  #inputError: { error: unknown } | undefined;

  constructor(plan: FeedPlan) {
    super();
    this.#plan = plan;
    const signal = plan.signal;
    if (signal?.aborted) this.#fail(abortError(signal, plan.what));
    else if (signal) {
      // One listener per call, not one per task in flight (Node warns past ten).
      this.#abortListener = () => this.#abort(abortError(signal, plan.what));
      signal.addEventListener('abort', this.#abortListener, { once: true });
    }
    this.#fill();
  }

  /** Every result in input order; the first failure rejects at once. */
  all(): Promise<R[]> {
    this.#failFast = true;
    return this.readAll(this.#plan.delivery === 'input');
  }

  /** The next settled task, in the plan's delivery order; undefined at the end. */
  async nextChunk(): Promise<FedChunk | undefined> {
    const chunk = await this.#next();
    return (
      chunk && { first: chunk.first, units: chunk.units, results: unpackResults(chunk.results) }
    );
  }

  protected override nextRaw(): Promise<RawChunk | undefined> {
    return this.#next();
  }

  protected override expectedLength(): number | undefined {
    return this.#plan.source.length;
  }

  async #next(): Promise<(RawChunk & { units: unknown[] | undefined }) | undefined> {
    this.#fill();
    for (;;) {
      if (this.#finished && !this.#failure) return undefined;
      if (this.#inputError && (this.#failFast || (this.#exhausted && this.#unread === 0)))
        this.#fail(this.#inputError.error);
      if (this.#failure) {
        this.stop();
        throw this.#failure.error;
      }
      const inOrder = this.#plan.delivery === 'input';
      if (this.#firstError && (this.#failFast || !inOrder)) this.#fail(this.#firstError.error);
      const head = inOrder ? this.#outstanding.peek() : this.#ready.shift();
      const chunk = head?.settled ? head : undefined;
      if (chunk?.error !== undefined) this.#fail(chunk.error);
      else if (chunk) {
        if (inOrder) this.#outstanding.shift();
        // Room it frees is filled when the consumer asks again, once it has looked at this
        // one: a bag's take that has enough must not start another partition first.
        this.#unread--;
        const results = chunk.results!;
        chunk.results = undefined;
        return { first: chunk.first, units: chunk.units, results };
      }
      if (this.#failure) continue;
      if (this.#exhausted && this.#carry.length === 0 && this.#unread === 0) {
        this.stop();
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /**
   * Ends the run: no more input is pulled and queued tasks are withdrawn. Running tasks finish
   * unobserved, or, given a reason, are stopped with it (a bag's `take` that has enough).
   */
  stop(reason?: unknown): void {
    if (this.#finished) return;
    const stopRunning = reason !== undefined || this.#plan.endStopsRunning;
    const live = stopRunning ? [...this.#live] : [];
    reason ??= new CancelledError(`${this.#plan.what} ended`);
    this.#finished = true;
    this.#cancelOutstanding();
    for (const chunk of live) this.#cancelChunk(chunk, reason);
    if (this.#abortListener) this.#plan.signal!.removeEventListener('abort', this.#abortListener);
    this.#plan.reporter?.finish();
    // A consumer already waiting when the run is closed ends instead of hanging.
    this.#notify();
  }

  /** Reads more input now: for a growing input (`ItemSource.ended`), once the face added to it. */
  pull(): void {
    this.#fill();
  }

  #canSubmit(): boolean {
    const plan = this.#plan;
    return (
      !this.#failure &&
      !this.#finished &&
      !this.#firstError &&
      (this.#carry.length > 0 || !this.#exhausted) &&
      this.#live.size < plan.maxInFlight() &&
      this.#unread < plan.maxUnread()
    );
  }

  #fill(): void {
    if (this.#filling) return;
    this.#filling = true;
    this.#step();
  }

  /** Submits while there is room; made once, as it runs after every settled task. */
  readonly #step = (): void => {
    const scheduler = this.#plan.scheduler;
    while (this.#canSubmit()) {
      if (scheduler.queued >= scheduler.options.maxQueue) {
        scheduler.whenQueueHasRoom().then(this.#step, (error) => {
          this.#filling = false;
          this.#fail(error);
        });
        return;
      }
      // A run's first unit tells which task its chunk calls, and so what its items cost (known
      // to a pool that ran the task before): it is read alone, then the chunk is sized.
      const peek =
        this.#carry.length === 0 &&
        this.#lastSpec === undefined &&
        this.#plan.chunkSize === undefined;
      const size = peek ? 1 : this.#size();
      if (this.#carry.length < size && !this.#exhausted) {
        let taken: unknown[] | Promise<unknown[]>;
        try {
          taken = this.#plan.source.take(size - this.#carry.length);
        } catch (error) {
          this.#inputFailed(error);
          continue;
        }
        if (taken instanceof Promise) {
          taken.then(
            (units) => {
              this.#accept(units);
              this.#step();
            },
            (error) => {
              this.#inputFailed(error);
              this.#step();
            },
          );
          return;
        }
        if (taken.length === 0 && this.#plan.source.ended === false) {
          // None yet: the face calls pull() when it has added more.
          if (this.#carry.length > 0) this.#submit(size);
          break;
        }
        this.#accept(taken);
        if (peek) continue;
      }
      if (this.#carry.length > 0) this.#submit(size);
    }
    this.#filling = false;
  };

  #size(): number {
    return nextChunkSizeOf(this.#plan, this.#carry, this.#lastSpec, this.#placed);
  }

  #accept(units: unknown[]): void {
    if (units.length === 0) {
      this.#exhausted = true;
      this.#notify();
    } else if (this.#carry.length === 0) this.#carry = units;
    else for (const unit of units) this.#carry.push(unit);
  }

  #submit(size: number): void {
    const plan = this.#plan;
    const carry = this.#carry;
    const n = Math.max(1, Math.min(carry.length, plan.cut ? plan.cut(carry, size) : size));
    const units = n === carry.length ? carry : carry.slice(0, n);
    this.#carry = n === carry.length ? [] : carry.slice(n);
    const first = this.#placed;
    this.#placed += n;
    const keep = plan.settle || plan.keepUnits;
    const chunk: Chunk = {
      first,
      size: n,
      units: keep ? units : undefined,
      task: undefined,
      parts: undefined,
      results: undefined,
      error: undefined,
      settled: false,
    };
    if (plan.delivery === 'input') this.#outstanding.push(chunk);
    this.#unread++;
    this.#live.add(chunk);
    let order: TaskOrder;
    try {
      order = plan.order(units, first);
    } catch (error) {
      // Bad input fails the call; in settle mode only the units at fault (see rerunOneByOne).
      if (plan.settle) this._failed(chunk, error);
      else this.#fail(error);
      return;
    }
    this.#lastSpec = order.spec;
    try {
      chunk.task = this.#submitTask(order, n, new ChunkSink(this, chunk), false);
      // Once there is a task for each worker they leave, before the rest of the look-ahead
      // window is prepared (W3: ~6 ms of the caller for 6 chunks). All at once, not one by one:
      // a new pool starts as many workers as tasks are queued when it dispatches.
      const nth = ++this.#tasks;
      if (order.flush || nth === plan.scheduler.maxWorkers) plan.scheduler.flush();
    } catch (error) {
      this.#fail(error);
    }
  }

  #submitTask(order: TaskOrder, units: number, sink: TaskSink, isolated: boolean): Task {
    return this.#plan.scheduler.submit(order.spec, order.args, sink, {
      kind: order.kind,
      units,
      timeout: this.#plan.timeout,
      front: isolated,
      isolated,
      heavy: order.heavy,
    });
  }

  /** @internal A task of this run returned. */
  _done(chunk: Chunk, value: unknown): void {
    if (this.#dropped(chunk)) return;
    const plan = this.#plan;
    if (plan.results) this.#settle(chunk, plan.results(value, chunk.size));
    else if (plan.settle) this.#settle(chunk, unpackResults(value).map(settledItem));
    // Unpacked when handed out: map() copies a typed array straight into its result.
    else this.#settle(chunk, value as ArrayLike<unknown>);
  }

  /** @internal A task of this run failed (threw, crashed, timed out, would not clone). */
  _failed(chunk: Chunk, error: unknown): void {
    if (this.#dropped(chunk)) return;
    if (this.#plan.settle && chunk.units && !this.#failure && !this.#finished) {
      chunk.parts = rerunOneByOne(
        this.#plan,
        chunk.units,
        chunk.first,
        error,
        (order, sink) => this.#submitTask(order, 1, sink, true),
        (settled) => {
          if (!this.#dropped(chunk)) this.#settle(chunk, settled);
        },
      );
      return;
    }
    chunk.settled = true;
    this.#live.delete(chunk);
    chunk.error = error ?? new Error('a task failed with undefined');
    this.#failedUnits += chunk.size;
    this.#plan.annotate?.(chunk.error, chunk.units, chunk.first);
    this.#haltAfter(chunk);
    this.#report();
    if (typeof this.#plan.delivery === 'function') this.#fail(chunk.error);
    this.#notify();
  }

  /** A task that settles after the run ended is dropped: nobody reads it, nor its progress. */
  #dropped(chunk: Chunk): boolean {
    if (chunk.settled) return true;
    if (!this.#finished) return false;
    chunk.settled = true;
    this.#live.delete(chunk);
    return true;
  }

  #settle(chunk: Chunk, results: ArrayLike<unknown>): void {
    chunk.settled = true;
    chunk.results = results;
    this.#live.delete(chunk);
    if (this.#plan.settle) {
      for (const r of results as unknown[])
        if (!(r as SettledItem<unknown>).ok) this.#failedUnits++;
    }
    this.#done += results.length;
    const delivery = this.#plan.delivery;
    if (delivery === 'completion') this.#ready.push(chunk);
    else if (typeof delivery === 'function') {
      this.#unread--;
      chunk.results = undefined;
      try {
        delivery({ first: chunk.first, units: chunk.units, results: unpackResults(results) });
      } catch (error) {
        this.#fail(error);
      }
    }
    this.#report();
    this.#fill();
    this.#notify();
  }

  /** A progress callback that throws fails this call with its error, and nothing else. */
  #report(): void {
    try {
      this.#plan.reporter?.update(this.#done, this.#failedUnits, this.#plan.source.length);
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Stops pulling and withdraws queued tasks after a failed one; tasks before it still finish,
   * so 'input' delivery hands them out before raising the error where it happened.
   */
  #haltAfter(failed: Chunk): void {
    if (this.#firstError && this.#firstError.first < failed.first) return;
    this.#firstError = { error: failed.error, first: failed.first };
    for (const chunk of this.#live) {
      if (chunk.first > failed.first && chunk.task?.cancelQueued()) this.#live.delete(chunk);
    }
    this.#plan.source.close();
  }

  #abort(error: unknown): void {
    const live = [...this.#live];
    this.#fail(error);
    for (const chunk of live) this.#cancelChunk(chunk, error);
  }

  #cancelChunk(chunk: Chunk, reason: unknown): void {
    const scheduler = this.#plan.scheduler;
    if (chunk.task) scheduler.cancel(chunk.task, reason);
    if (chunk.parts) for (const part of chunk.parts) scheduler.cancel(part, reason);
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
    this.#plan.onFailure?.(error);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #cancelOutstanding(): void {
    for (const chunk of this.#live) {
      chunk.task?.cancelQueued();
      if (chunk.parts) for (const part of chunk.parts) part.cancelQueued();
    }
    this.#outstanding.drain();
    this.#carry = [];
    this.#plan.source.close();
  }
}
