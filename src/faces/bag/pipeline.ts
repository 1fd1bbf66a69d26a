import { isThenable } from '../../worker/chunk.js';
import { type LineResult, STOP } from './lines.js';

/**
 * The fused steps of one partition, run in the worker: each item goes through every step and
 * into the reduction before the next item is read, so no step builds an array of the
 * partition (only `mapPartitions`, which asks for one). The synchronous path allocates
 * nothing per step; a step that returns a promise is awaited and the rest of that item's
 * path continues after it, keeping the items in order.
 */

type AnyFn = (...args: any[]) => unknown;

export const Op = { MAP: 0, FILTER: 1, FLAT_MAP: 2, MAP_PARTITIONS: 3, PLUCK: 4 } as const;
export type Op = (typeof Op)[keyof typeof Op];

export interface Step {
  readonly op: Op;
  readonly fn: AnyFn | undefined;
  readonly key: string | number | undefined;
}

/** Where items end: a per-partition reduction. `add` may ask to stop (take) or return a promise. */
export interface Sink {
  add(item: unknown): LineResult;
  result(): unknown | Promise<unknown>;
}

export class Pipeline {
  readonly #steps: readonly Step[];
  readonly #sink: Sink;
  /** Items waiting at each mapPartitions step, by step index. */
  readonly #held: Array<unknown[] | undefined>;

  constructor(steps: readonly Step[], sink: Sink) {
    this.#steps = steps;
    this.#sink = sink;
    this.#held = steps.map((s) => (s.op === Op.MAP_PARTITIONS ? [] : undefined));
  }

  /** Sends one source item down the steps. */
  readonly push = (item: unknown): LineResult => this.#from(0, item);

  #from(at: number, item: unknown): LineResult {
    const steps = this.#steps;
    let x = item;
    for (let s = at; s < steps.length; s++) {
      const step = steps[s];
      switch (step.op) {
        case Op.MAP:
          x = step.fn!(x);
          if (isThenable(x)) return x.then((v) => this.#from(s + 1, v));
          break;
        case Op.FILTER: {
          const keep = step.fn!(x);
          if (isThenable(keep)) {
            const held = x;
            return keep.then((k) => (k ? this.#from(s + 1, held) : undefined));
          }
          if (!keep) return undefined;
          break;
        }
        case Op.PLUCK:
          x = (x as any)[step.key!];
          break;
        case Op.FLAT_MAP: {
          const out = step.fn!(x);
          if (isThenable(out)) return out.then((v) => this.#all(s + 1, v, 'flatMap'));
          return this.#all(s + 1, out, 'flatMap');
        }
        case Op.MAP_PARTITIONS:
          this.#held[s]!.push(x);
          return undefined;
      }
    }
    return this.#sink.add(x);
  }

  /** Sends each of `items` on from step `at`, in order, waiting where a step is async. */
  #all(at: number, items: unknown, what: string): LineResult {
    if (Array.isArray(items)) {
      if (at === this.#steps.length) {
        // The last step: straight into the reduction, one call per item (word count's path).
        const sink = this.#sink;
        for (let i = 0; i < items.length; i++) {
          const r = sink.add(items[i]);
          if (r === undefined) continue;
          if (r === STOP) return STOP;
          return this.#rest(at, items, i + 1, r);
        }
        return undefined;
      }
      for (let i = 0; i < items.length; i++) {
        const r = this.#from(at, items[i]);
        if (r === undefined) continue;
        if (r === STOP) return STOP;
        return this.#rest(at, items, i + 1, r);
      }
      return undefined;
    }
    if (items === null || typeof (items as any)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`a ${what} task must return an iterable (an array), got ${typeof items}`);
    }
    return this.#all(at, Array.from(items as Iterable<unknown>), what);
  }

  async #rest(
    at: number,
    items: unknown[],
    from: number,
    pending: PromiseLike<unknown>,
  ): Promise<unknown> {
    if ((await pending) === STOP) return STOP;
    for (let i = from; i < items.length; i++) {
      let r = this.#from(at, items[i]);
      if (isThenable(r)) r = (await r) as LineResult;
      if (r === STOP) return STOP;
    }
    return undefined;
  }

  /** Runs held mapPartitions steps in order, then resolves with the partition's partial result. */
  async finish(stopped: boolean): Promise<unknown> {
    if (!stopped) {
      for (let s = 0; s < this.#steps.length; s++) {
        const held = this.#held[s];
        if (!held) continue;
        this.#held[s] = undefined;
        const out = await this.#steps[s].fn!(held);
        let r = this.#all(s + 1, out, 'mapPartitions');
        if (isThenable(r)) r = (await r) as LineResult;
        if (r === STOP) break;
      }
    }
    return this.#sink.result();
  }
}
