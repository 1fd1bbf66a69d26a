import { unpackResults } from '../codec/pack.js';
import { type PrepareContext, prepareValue } from '../codec/prepare.js';
import { nextChunkSize } from '../engine/batching.js';
import { Deque } from '../engine/deque.js';
import type { TaskSink } from '../engine/future.js';
import { TaskKind } from '../engine/protocol.js';
import type { Scheduler, Task } from '../engine/scheduler.js';
import { describe, TypeErrorWithHint } from '../hints.js';
import type { TaskSpec } from '../tasks/types.js';
import { Delayed } from './delayed.js';
import type { ProgressReporter } from './map.js';
import { abortError, inlineTaskRefusal } from './refusals.js';
import { type ItemSource, itemSource } from './source.js';

export interface ParallelRunOptions {
  scheduler: Scheduler;
  moduleTasksOnly: boolean;
  backendName: string;
  prepare: PrepareContext | undefined;
  /** Calls per batch, or undefined to adapt. */
  batchSize: number | undefined;
  /** Batches in flight at most (dispatched, not yet finished). */
  preDispatch: number;
  /** 'array' writes results in place; generators hand them out in input or completion order. */
  mode: 'array' | 'generator' | 'generatorUnordered';
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  reporter: ProgressReporter | undefined;
}

interface Batch {
  start: number;
  size: number;
  settled: boolean;
  results?: unknown[];
  task?: Task;
}

/** In generator modes, finished batches nobody has read yet also hold back dispatch beyond this many. */
const BUFFERED_PER_PREDISPATCH = 4;

/**
 * The engine of `parallel()`: pulls lazy calls, groups consecutive calls of one task into a
 * batch (one message, run as a MAP|STAR chunk in the worker), keeps at most `preDispatch`
 * batches in flight, and hands results back in input or completion order. The first failure
 * stops it: no more input is pulled, queued batches are withdrawn, and the error is raised.
 */
export class ParallelRun {
  readonly #o: ParallelRunOptions;
  readonly #source: ItemSource<unknown>;
  /** Calls pulled but not yet in a batch (the next task's calls, or a partial take). */
  #carry: Delayed[] = [];
  readonly #ordered = new Deque<Batch>();
  readonly #ready = new Deque<Batch>();
  readonly #live = new Set<Batch>();
  /** Results by input position, in 'array' mode. */
  readonly results: unknown[] = [];
  #pulled = 0;
  #inFlight = 0;
  #buffered = 0;
  #exhausted = false;
  #pulling = false;
  #failure: { error: unknown } | undefined;
  #stopped = false;
  #done = 0;
  #failed = 0;
  #wake: (() => void) | undefined;
  #lastSpec: TaskSpec | undefined;
  #abortListener: (() => void) | undefined;

  constructor(calls: unknown, options: ParallelRunOptions) {
    this.#o = options;
    this.#source = itemSource(calls, 'parallel() calls');
    if (options.mode === 'array' && this.#source.length !== undefined)
      this.results.length = this.#source.length;
    const signal = options.signal;
    if (signal?.aborted) this.#fail(abortError(signal, 'parallel()'));
    else if (signal) {
      this.#abortListener = () => {
        // An abort withdraws the call's queued batches and stops its running ones.
        const live = [...this.#live];
        const error = abortError(signal, 'parallel()');
        this.#fail(error);
        for (const batch of live) if (batch.task) this.#o.scheduler.cancel(batch.task, error);
      };
      signal.addEventListener('abort', this.#abortListener, { once: true });
    }
    this.#fill();
  }

  /** Resolves once every call has finished ('array' mode); rejects with the first failure. */
  async finished(): Promise<unknown[]> {
    for (;;) {
      if (this.#failure) throw this.#failure.error;
      if (this.#exhausted && this.#inFlight === 0 && this.#carry.length === 0) {
        this.stop();
        this.results.length = this.#pulled;
        return this.results;
      }
      await this.#sleep();
    }
  }

  /** The next finished batch's results (generator modes); undefined at the end. */
  async nextBatch(): Promise<unknown[] | undefined> {
    for (;;) {
      if (this.#failure) throw this.#failure.error;
      const batch = this.#o.mode === 'generator' ? this.#headIfSettled() : this.#ready.shift();
      if (batch) {
        this.#buffered--;
        this.#fill();
        const out = batch.results!;
        batch.results = undefined;
        return out;
      }
      if (this.#exhausted && this.#live.size === 0 && this.#carry.length === 0) return undefined;
      await this.#sleep();
    }
  }

  /** Withdraws queued batches and closes the input; running batches finish unobserved. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const batch of this.#live) batch.task?.cancelQueued();
    this.#live.clear();
    this.#source.close();
    if (this.#abortListener) this.#o.signal!.removeEventListener('abort', this.#abortListener);
    this.#o.reporter?.finish();
    this.#notify();
  }

  #headIfSettled(): Batch | undefined {
    const head = this.#ordered.peek();
    if (!head?.settled) return undefined;
    return this.#ordered.shift();
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #hasRoom(): boolean {
    if (this.#inFlight >= this.#o.preDispatch) return false;
    if (this.#o.mode === 'array') return true;
    return this.#buffered < BUFFERED_PER_PREDISPATCH * this.#o.preDispatch;
  }

  #fill(): void {
    if (this.#pulling) return;
    this.#pulling = true;
    const step = (): void => {
      while (!this.#failure && !this.#stopped && this.#hasRoom()) {
        const scheduler = this.#o.scheduler;
        if (scheduler.queued >= scheduler.options.maxQueue) {
          scheduler.whenQueueHasRoom().then(step, (e) => this.#fail(e));
          return;
        }
        const size = this.#batchSize();
        if (this.#carry.length < size && !this.#exhausted) {
          let taken: unknown[] | Promise<unknown[]>;
          try {
            taken = this.#source.take(size - this.#carry.length);
          } catch (error) {
            this.#fail(error);
            break;
          }
          if (taken instanceof Promise) {
            taken.then(
              (items) => {
                this.#accept(items);
                step();
              },
              (error) => {
                this.#pulling = false;
                this.#fail(error);
              },
            );
            return;
          }
          this.#accept(taken);
        }
        if (this.#carry.length === 0) break;
        this.#submit(size);
      }
      this.#pulling = false;
      this.#notify();
    };
    step();
  }

  #batchSize(): number {
    const spec = this.#carry[0]?.spec ?? this.#lastSpec;
    const scheduler = this.#o.scheduler;
    return nextChunkSize(
      {
        fixed: this.#o.batchSize,
        length: this.#source.length,
        workers: scheduler.maxWorkers,
        estimate: () => (spec ? scheduler.estimatePerUnit(spec) : undefined),
      },
      this.#pulled,
    );
  }

  #accept(items: unknown[]): void {
    if (items.length === 0) this.#exhausted = true;
    for (const item of items) {
      if (!(item instanceof Delayed)) {
        this.#fail(
          new TypeErrorWithHint(
            `parallel() takes lazy calls, got ${describe(item)} at position ${this.#pulled + this.#carry.length}`,
            'pass delayed(task)(...args) for each call: parallel()(xs.map((x) => delayed(task)(x)))',
          ),
        );
        return;
      }
      this.#carry.push(item);
    }
  }

  /** Submits the longest run of calls to one task at the head of the carry, up to `size`. */
  #submit(size: number): void {
    const carry = this.#carry;
    const spec = carry[0].spec;
    let n = 1;
    while (n < carry.length && n < size && carry[n].spec === spec) n++;
    const calls = n === carry.length ? carry : carry.slice(0, n);
    this.#carry = n === carry.length ? [] : carry.slice(n);
    this.#lastSpec = spec;
    const tuples = new Array(n);
    for (let i = 0; i < n; i++) {
      const args = calls[i].args;
      for (const arg of args) {
        if (arg instanceof Delayed) {
          this.#fail(
            new TypeErrorWithHint(
              `parallel() runs independent calls, and ${calls[i].label} takes another lazy call (${arg.label}) as an argument`,
              'use compute(...) for calls that depend on each other',
            ),
          );
          return;
        }
      }
      tuples[i] = args;
    }
    if (this.#o.moduleTasksOnly && spec.def.t !== 'm') {
      this.#fail(inlineTaskRefusal({ name: this.#o.backendName }, spec.label));
      return;
    }
    const batch: Batch = { start: this.#pulled, size: n, settled: false };
    this.#pulled += n;
    this.#inFlight++;
    this.#live.add(batch);
    if (this.#o.mode === 'generator') this.#ordered.push(batch);
    const sink: TaskSink = {
      onStart() {},
      onResult: (value) => this.#settle(batch, value as unknown[]),
      onError: (error) => {
        this.#failed += batch.size;
        this.#fail(error);
      },
    };
    try {
      const payload = this.#o.prepare ? prepareValue(tuples, this.#o.prepare) : tuples;
      batch.task = this.#o.scheduler.submit(spec, [payload], sink, {
        kind: TaskKind.MAP | TaskKind.STAR,
        units: n,
        timeout: this.#o.timeout,
      });
    } catch (error) {
      this.#fail(error);
    }
  }

  #settle(batch: Batch, raw: unknown[] | Float64Array): void {
    if (batch.settled || this.#stopped) return;
    batch.settled = true;
    this.#inFlight--;
    this.#live.delete(batch);
    // A worker may send an all-number batch back packed as one Float64Array.
    const results = unpackResults(raw);
    this.#done += results.length;
    if (this.#o.mode === 'array') {
      const out = this.results;
      for (let i = 0; i < results.length; i++) out[batch.start + i] = results[i];
    } else {
      batch.results = results;
      this.#buffered++;
      if (this.#o.mode === 'generatorUnordered') this.#ready.push(batch);
    }
    this.#report();
    this.#fill();
    this.#notify();
  }

  /** A progress callback that throws fails this call with its error, and nothing else. */
  #report(): void {
    try {
      this.#o.reporter?.update(this.#done, this.#failed, this.#source.length);
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#stopped) return;
    this.#failure = { error };
    try {
      this.#o.reporter?.update(this.#done, this.#failed, this.#source.length);
    } catch {
      // the call already fails with its first error
    }
    this.stop();
  }
}
