import { describe, TypeErrorWithHint } from '../hints.js';
import { taskSpec } from '../tasks/define.js';
import type { TaskSpec } from '../tasks/types.js';
import { toDot } from './graph/dot.js';
import { type ComputeOptions, compute } from './graph.js';

type AnyTask = (...args: any[]) => any;

let nextId = 1;

/**
 * A lazy call, `delayed(task)(...args)`: nothing runs until it is given to `parallel()` or
 * `compute()`. An argument that is itself a lazy call (also inside arrays and plain objects)
 * is a dependency: it runs first and its result takes its place.
 */
export class Delayed<R = unknown> {
  /** Unique in this process; names the node in error paths and `toDot()`. */
  readonly id: number;
  /** @internal */
  readonly spec: TaskSpec;
  /** @internal */
  readonly args: unknown[];
  /** A name for messages and pictures: the one given to `delayed`, or the task's. */
  readonly name: string;
  /** @internal never set; keeps R in the type so results infer. */
  declare readonly __result?: R;

  /** @internal use `delayed(task)(...args)` */
  constructor(spec: TaskSpec, args: unknown[], name: string) {
    this.id = nextId++;
    this.spec = spec;
    this.args = args;
    this.name = name;
  }

  /** `name#id`, unique among the calls of this process. */
  get label(): string {
    return `${this.name}#${this.id}`;
  }

  /** Runs this call and what it depends on; the same as `compute(call, options)`. */
  compute(options: ComputeOptions = {}): Promise<R> {
    return compute(this, options) as Promise<unknown> as Promise<R>;
  }

  /** A Graphviz picture of this call and what it depends on. */
  toDot(): string {
    return toDot(this);
  }

  toString(): string {
    return `Delayed(${this.label})`;
  }
}

/** A value, or a lazy call (or a structure holding some) that computes it. */
export type Lazy<T> =
  | T
  | Delayed<T>
  | (T extends ArrayBufferView | ((...args: any[]) => any)
      ? never
      : T extends readonly unknown[]
        ? { [K in keyof T]: Lazy<T[K]> }
        : T extends object
          ? { [K in keyof T]: Lazy<T[K]> }
          : never);

/** The parameters of a task, each of which may be given as a lazy call. */
export type LazyArgs<P extends readonly unknown[]> = { [K in keyof P]: Lazy<P[K]> };

/** Options of `delayed`. */
export interface DelayedOptions {
  /** The node's name in error paths and `toDot()`; default: the function's name. */
  name?: string;
}

/**
 * Makes a task lazy: `delayed(task)(...args)` records the call instead of running it.
 *
 * ```ts
 * const total = delayed(tasks.add)(delayed(tasks.cube)(2), delayed(tasks.cube)(3));
 * await compute(total);                                    // 35
 * await parallel({ nJobs: -1 })(xs.map((x) => delayed(tasks.cube)(x)));
 * ```
 * The task is checked now (an inline function's captures too), so mistakes surface here.
 */
export function delayed<F extends AnyTask>(
  task: F,
  options: DelayedOptions = {},
): (...args: LazyArgs<Parameters<F>>) => Delayed<Awaited<ReturnType<F>>> {
  if (task instanceof Delayed) {
    throw new TypeErrorWithHint(
      `delayed() needs a task function, got a lazy call (${task.label})`,
      'write delayed(f)(x), not delayed(delayed(f)(x))',
    );
  }
  const spec = taskSpec(task, 'delayed(task)');
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `delayed options must be an object, got ${describe(options)}`,
      "pass { name: 'load' }",
    );
  }
  const name = options.name ?? (task.name || 'task');
  return (...args) => new Delayed(spec, args, name);
}

/** True for a lazy call. */
export function isDelayed(value: unknown): value is Delayed {
  return value instanceof Delayed;
}
