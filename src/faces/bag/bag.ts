import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../../hints.js';
import { taskSpec } from '../../tasks/define.js';
import type { TaskSpec } from '../../tasks/types.js';
import * as combine from './combine.js';
import { type BagComputeOptions, checkBackend, withContext } from './context.js';
import { knownPartitions, type Source, sourceParts } from './plan.js';
import { Reduced } from './reduced.js';
import { type RunContext, runPartitions } from './run.js';
import type { PartitionWire, SinkWire, StepWire } from './wire.js';

type Step =
  | { readonly op: 'map' | 'filter' | 'flatMap' | 'mapPartitions'; readonly spec: TaskSpec }
  | { readonly op: 'pluck'; readonly key: string | number };

/**
 * A lazy, partitioned collection (Dask's bag). Methods record steps and return a new bag;
 * nothing runs until `compute`, `take`, `toTextFiles`, or the `compute` of a reduction. Each
 * partition is one task: its worker reads its own items, runs every step fused in one pass,
 * and sends back only the partition's result (its items, or a partial reduction).
 */
export class Bag<T> {
  readonly #source: Source;
  readonly #steps: readonly Step[];
  /** @internal never set; keeps T in the type. */
  declare readonly __item?: T;

  /** @internal use `bag.readText` or `bag.fromSequence` */
  constructor(source: Source, steps: readonly Step[]) {
    this.#source = source;
    this.#steps = steps;
  }

  /** Partitions: known at once for files and arrays; for an async iterable, once computed. */
  get npartitions(): number | undefined {
    return knownPartitions(this.#source);
  }

  map<R>(task: (x: T) => R | Promise<R>): Bag<Awaited<R>> {
    return this.#then({ op: 'map', spec: taskSpec(task, 'bag.map(task)') });
  }

  filter(task: (x: T) => boolean | Promise<boolean>): Bag<T> {
    return this.#then({ op: 'filter', spec: taskSpec(task, 'bag.filter(task)') });
  }

  flatMap<R>(task: (x: T) => Iterable<R> | Promise<Iterable<R>>): Bag<R> {
    return this.#then({ op: 'flatMap', spec: taskSpec(task, 'bag.flatMap(task)') });
  }

  /** `task` gets a whole partition as an array: for work that pays once per partition. */
  mapPartitions<R>(task: (xs: T[]) => R[] | Promise<R[]>): Bag<R> {
    return this.#then({ op: 'mapPartitions', spec: taskSpec(task, 'bag.mapPartitions(task)') });
  }

  pluck<K extends keyof T>(key: K): Bag<T[K]> {
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw new TypeErrorWithHint(
        `bag.pluck needs a property name or an index, got ${describe(key)}`,
        "pass bag.pluck('name') or bag.pluck(0)",
      );
    }
    return this.#then({ op: 'pluck', key });
  }

  count(): Reduced<number> {
    return this.#reduce('count', { kind: 'count' }, combine.add);
  }

  sum(): Reduced<number> {
    return this.#reduce('sum', { kind: 'sum' }, combine.add);
  }

  /** The smallest item (by `<`); undefined for an empty bag. */
  min(): Reduced<T> {
    return this.#reduce('min', { kind: 'min' }, combine.extreme(false));
  }

  /** The largest item (by `>`); undefined for an empty bag. */
  max(): Reduced<T> {
    return this.#reduce('max', { kind: 'max' }, combine.extreme(true));
  }

  /** NaN for an empty bag. */
  mean(): Reduced<number> {
    return this.#reduce('mean', { kind: 'mean' }, combine.mean);
  }

  /** How often each distinct item occurs; each partition sends its own Map. */
  frequencies(): Reduced<Map<T, number>> {
    return this.#reduce('frequencies', { kind: 'frequencies' }, combine.frequencies);
  }

  /** The distinct items (by SameValueZero), in no particular order, as one partition. */
  distinct(): Bag<T> {
    return new Bag<T>(
      {
        kind: 'derived',
        load: (ctx) => this._partials(ctx, () => ({ kind: 'distinct' })).then(combine.distinct),
      },
      [],
    );
  }

  /** The k largest items, largest first (by `key`, or by `>` on the items); ties keep their order. */
  topk(k: number, key?: (x: T) => number): Reduced<T[]> {
    if (!Number.isInteger(k) || k < 1) {
      throw new RangeErrorWithHint(
        `topk needs a whole number k ≥ 1, got ${describe(k)}`,
        'topk(10)',
      );
    }
    const keyDef = key === undefined ? undefined : taskSpec(key, 'topk key');
    return this.#reduce('topk', { kind: 'topk', k, key: keyDef?.def }, combine.topk(k));
  }

  /**
   * `binop` folds each partition from `initial`, in the worker; `combine` folds the
   * partitions' results in order, in the caller. An empty bag gives `initial`.
   */
  fold<A>(binop: (acc: A, x: T) => A, combineFn: (a: A, b: A) => A, initial: A): Reduced<A> {
    const bin = taskSpec(binop, 'fold binop');
    const join = taskSpec(combineFn, 'fold combine');
    return this.#reduce(
      'fold',
      { kind: 'fold', binop: bin.def, initial },
      combine.fold(join.fn, initial),
    );
  }

  /** Groups by `key`, folds each group with `binop` from `initial`; `combine` merges groups across partitions. */
  foldBy<K, A>(
    key: (x: T) => K,
    binop: (acc: A, x: T) => A,
    initial: A,
    combineFn: (a: A, b: A) => A,
  ): Reduced<Map<K, A>> {
    const keyDef = taskSpec(key, 'foldBy key');
    const bin = taskSpec(binop, 'foldBy binop');
    const join = taskSpec(combineFn, 'foldBy combine');
    return this.#reduce(
      'foldBy',
      { kind: 'foldBy', key: keyDef.def, binop: bin.def, initial },
      combine.foldBy(join.fn),
    );
  }

  /** The first n items in order, running partitions in order and stopping once it has them. */
  take(n: number, options: BagComputeOptions = {}): Promise<T[]> {
    if (!Number.isInteger(n) || n < 0) {
      return Promise.reject(
        new RangeErrorWithHint(`take needs a whole number n ≥ 0, got ${describe(n)}`, 'take(10)'),
      );
    }
    if (n === 0) return Promise.resolve([]);
    return withContext('bag.take', options, async (ctx) => {
      const parts = await this._partials(
        ctx,
        () => ({ kind: 'collect', limit: n }),
        (prefix) => prefix.reduce((total: number, p) => total + (p as unknown[]).length, 0) >= n,
      );
      return (combine.concat(parts) as T[]).slice(0, n);
    });
  }

  /** Each worker writes its partition to `dir/part-00000.txt`, …: one item per line, non-strings as JSON. */
  toTextFiles(dir: string, options: BagComputeOptions = {}): Promise<string[]> {
    if (typeof dir !== 'string' || dir === '') {
      return Promise.reject(
        new TypeErrorWithHint(
          `toTextFiles needs a folder, got ${describe(dir)}`,
          "toTextFiles('out')",
        ),
      );
    }
    return withContext('bag.toTextFiles', options, async (ctx) => {
      mkdirSync(dir, { recursive: true });
      const name = (i: number) => `part-${String(i).padStart(5, '0')}.txt`;
      const absolute = resolve(dir);
      const parts = await this._partials(ctx, (i) => ({
        kind: 'write',
        path: join(absolute, name(i)),
      }));
      return parts.map((_, i) => join(dir, name(i)));
    });
  }

  /** All items, in order. */
  compute(options: BagComputeOptions = {}): Promise<T[]> {
    return withContext('bag.compute', options, async (ctx) =>
      combine.concat(await this._partials(ctx, () => ({ kind: 'collect' }))),
    ) as Promise<T[]>;
  }

  /** @internal runs every partition with the reduction `sinkFor(index)`; the partials in order. */
  async _partials(
    ctx: RunContext,
    sinkFor: (index: number) => SinkWire,
    enough?: (prefix: readonly unknown[]) => boolean,
    ordered?: (value: unknown, index: number) => boolean | undefined,
  ): Promise<unknown[]> {
    const steps: StepWire[] = this.#steps.map((step) =>
      step.op === 'pluck' ? step : { op: step.op, task: step.spec.def },
    );
    checkBackend(ctx, steps, sinkFor(0));
    const sources = await sourceParts(this.#source, ctx);
    const partitions: PartitionWire[] = sources.map((source, i) => ({
      source,
      steps,
      sink: sinkFor(i),
    }));
    return runPartitions(ctx, { partitions, enough, ordered });
  }

  #then<R>(step: Step): Bag<R> {
    return new Bag<R>(this.#source, [...this.#steps, step]);
  }

  #reduce<R>(name: string, sink: SinkWire, merge: combine.Combine): Reduced<R> {
    return new Reduced<R>(
      async (ctx) => (await merge(await this._partials(ctx, () => sink))) as R,
      `bag.${name}`,
    );
  }
}
