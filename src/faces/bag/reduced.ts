import { taskSpec } from '../../tasks/define.js';
import { Delayed } from '../delayed.js';
import type { GraphHost } from '../graph/run.js';
import { type BagComputeOptions, withContext } from './context.js';
import { bagTasks } from './partition-task.js';
import type { RunContext } from './run.js';

/**
 * A bag reduced to one value (`count()`, `frequencies()`, `fold(...)`): lazy until computed.
 * It is a lazy call, so it stands wherever one can: in `compute(...)`, in `delayed` arguments.
 * In a graph it is one node that runs its partitions on the graph's pool and combines their
 * partials in the caller.
 */
export class Reduced<R> extends Delayed<R> {
  readonly #run: (ctx: RunContext) => Promise<R>;

  /** @internal made by a bag's reductions */
  constructor(run: (ctx: RunContext) => Promise<R>, name: string) {
    super(taskSpec(bagTasks.runPartition), [], name);
    this.#run = run;
  }

  /** Runs the partitions and combines their results. */
  override compute(options: BagComputeOptions = {}): Promise<R> {
    return withContext(this.name, options, this.#run);
  }

  /** @internal the graph face runs this node here, in the caller, instead of sending it to a worker. */
  _runLocal(host: GraphHost, signal: AbortSignal | undefined): Promise<R> {
    return this.#run({ host, signal, reporter: undefined });
  }
}
