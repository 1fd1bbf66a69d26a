import type { Backend } from '../../backends/types.js';
import { type PrepareContext, prepareArgs } from '../../codec/prepare.js';
import { Deque } from '../../engine/deque.js';
import type { Scheduler } from '../../engine/scheduler.js';
import { trackCall } from '../../observe/calls.js';
import { Delayed } from '../delayed.js';
import type { ProgressReporter, TaskOrder } from '../feed-plan.js';
import { Feeder } from '../feeder.js';
import { abortError, inlineTaskRefusal } from '../refusals.js';
import type { ItemSource } from '../source.js';
import { collectGraph, type Graph, materialize } from './collect.js';

/** What a graph run needs from its pool. */
export interface GraphHost {
  readonly scheduler: Scheduler;
  readonly backend: Backend;
  /** Readies arguments to cross (views, auto-sharing); undefined for the inline backend. */
  readonly prepare: PrepareContext | undefined;
}

type LocalRun = (host: GraphHost, signal: AbortSignal | undefined) => Promise<unknown>;

/** Properties added to a node's error so the caller can tell which call failed, and why it ran. */
export interface GraphErrorInfo {
  /** Labels (`name#id`) from the call you asked for down to the one that failed. */
  nodePath: string[];
  /** The label of the call that failed. */
  node: string;
}

/**
 * Runs the graph behind `values` on a pool and resolves with `values`, lazy calls replaced by
 * their results. Rejects with the first failing node's error.
 */
export function runGraph(
  host: GraphHost,
  values: readonly unknown[],
  signal?: AbortSignal,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    new GraphRun(host, values, signal, resolve, reject).start();
  });
}

/**
 * Kahn's algorithm over the feeder: a node is handed to the feeder the moment its last input
 * arrives, independent nodes run side by side, each node runs once, and the whole run is
 * O(nodes + edges). A node's result is dropped once its last consumer has been submitted, so
 * a long pipeline does not hold every intermediate value.
 */
class GraphRun {
  readonly #graph: Graph;
  readonly #results: unknown[];
  /** Inputs each node still waits for. */
  readonly #waitingFor: Int32Array;
  /** Consumers not yet submitted, plus one for a root (the caller consumes it). */
  readonly #consumers: Int32Array;
  readonly #ready: ReadyNodes;
  /** Stops nodes that run here (a bag's reduction) once the run has failed or was aborted. */
  readonly #stopLocal = new AbortController();
  #feeder: Feeder | undefined;
  #finished = 0;
  #failed = false;
  /** Shows the run on a dashboard watching the pool; undefined otherwise. */
  #reporter: ProgressReporter | undefined;
  /** An abort withdraws the graph's queued nodes and stops its running ones. */
  readonly #onAbort = () => this.fail(abortError(this.signal!, 'the computation'), true);
  readonly resultOf = (call: Delayed) => this.#results[this.#graph.index.get(call)!];

  constructor(
    readonly host: GraphHost,
    readonly values: readonly unknown[],
    readonly signal: AbortSignal | undefined,
    readonly resolve: (results: unknown[]) => void,
    readonly reject: (error: unknown) => void,
  ) {
    this.#graph = collectGraph(values);
    const { nodes, roots } = this.#graph;
    const n = nodes.length;
    this.#results = new Array(n);
    this.#waitingFor = new Int32Array(n);
    this.#consumers = new Int32Array(n);
    let local = 0;
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      this.#waitingFor[i] = node.deps.length;
      this.#consumers[i] = node.dependents.length + (roots.has(i) ? 1 : 0);
      if (localRun(node.call)) local++;
    }
    this.#ready = new ReadyNodes(n - local);
  }

  start(): void {
    const { backend, scheduler } = this.host;
    if (backend.moduleTasksOnly) {
      for (const node of this.#graph.nodes) {
        if (node.call.spec.def.t !== 'm') {
          this.reject(inlineTaskRefusal(backend, node.call.label));
          return;
        }
      }
    }
    if (this.signal?.aborted) {
      this.reject(abortError(this.signal, 'the computation'));
      return;
    }
    this.signal?.addEventListener('abort', this.#onAbort, { once: true });
    const nodes = this.#graph.nodes;
    this.#reporter = trackCall(scheduler, 'compute', 'compute', undefined, nodes.length);
    if (nodes.length === 0) {
      this.#complete();
      return;
    }
    this.#feeder = new Feeder({
      scheduler,
      what: 'the computation',
      source: this.#ready,
      chunkSize: 1,
      specOf: (at) => nodes[at as number].call.spec,
      order: (units) => this.#order(units[0] as number),
      results: (value) => [value],
      delivery: (chunk) => this.onResult(chunk.units![0] as number, chunk.results[0]),
      onFailure: (error) => this.fail(error),
      keepUnits: true,
      // A graph bounds its own look-ahead: only nodes whose inputs are all there are ready.
      maxInFlight: () => Infinity,
      maxUnread: () => Infinity,
      annotate: (error, units) => this.#annotate(error, units![0] as number),
    });
    for (let i = 0; i < nodes.length; i++) if (nodes[i].deps.length === 0) this.#readied(i);
    this.#feeder.pull();
  }

  onResult(at: number, value: unknown): void {
    if (this.#failed) return;
    this.#results[at] = this.#consumers[at] > 0 ? value : undefined;
    this.#finished++;
    this.#reporter?.update(this.#finished, 0, this.#graph.nodes.length);
    const waitingFor = this.#waitingFor;
    for (const next of this.#graph.nodes[at].dependents)
      if (--waitingFor[next] === 0) this.#readied(next);
    if (this.#finished === this.#graph.nodes.length) this.#complete();
  }

  /** A failure withdraws the nodes not started; an abort also stops the running ones. */
  fail(error: unknown, aborted = false): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#reporter?.update(this.#finished, 1, this.#graph.nodes.length);
    this.#reporter?.finish();
    this.signal?.removeEventListener('abort', this.#onAbort);
    this.#feeder?.stop(aborted ? error : undefined);
    this.#stopLocal.abort(error);
    this.reject(error);
  }

  /** A node whose inputs are all there: to the feeder, or run here if it runs its own tasks. */
  #readied(at: number): void {
    const call = this.#graph.nodes[at].call;
    const local = localRun(call);
    if (!local) {
      this.#ready.push(at);
      return;
    }
    local.call(call, this.host, this.#stopLocal.signal).then(
      (value) => {
        this.onResult(at, value);
        // A worker node's result is followed by the feeder's own fill; this one is not.
        this.#feeder?.pull();
      },
      (error) => {
        this.#annotate(error, at);
        this.fail(error);
      },
    );
  }

  #order(at: number): TaskOrder {
    const node = this.#graph.nodes[at];
    let args = node.call.args;
    if (node.deps.length > 0) {
      args = args.map((arg, i) =>
        arg instanceof Delayed || node.nested?.includes(i) ? materialize(arg, this.resultOf) : arg,
      );
      const consumers = this.#consumers;
      for (const dep of node.deps) if (--consumers[dep] === 0) this.#results[dep] = undefined;
    }
    if (this.host.prepare) args = prepareArgs(args, this.host.prepare);
    return { spec: node.call.spec, args };
  }

  #complete(): void {
    this.#reporter?.finish();
    this.signal?.removeEventListener('abort', this.#onAbort);
    this.#feeder?.stop();
    this.resolve(this.values.map((value) => materialize(value, this.resultOf)));
  }

  /** Adds the node path to a task's error, keeping its class and message. */
  #annotate(error: unknown, at: number): void {
    if (error === null || typeof error !== 'object' || !Object.isExtensible(error)) return;
    const nodes = this.#graph.nodes;
    const path: string[] = [];
    for (let i = at; i >= 0; i = nodes[i].parent) path.push(nodes[i].call.label);
    path.reverse();
    const info: GraphErrorInfo = { nodePath: path, node: nodes[at].call.label };
    Object.assign(error, info);
  }
}

function localRun(call: Delayed): LocalRun | undefined {
  return (call as { _runLocal?: LocalRun })._runLocal;
}

/**
 * The feeder's input for a graph: nodes as they become ready. An empty take means none is
 * ready yet (the run calls `pull()` once some are); the input ends once every node that runs on
 * a worker was handed out.
 */
class ReadyNodes implements ItemSource<number> {
  readonly length = undefined;
  readonly #queue = new Deque<number>();
  #left: number;

  constructor(workerNodes: number) {
    this.#left = workerNodes;
  }

  get ended(): boolean {
    return this.#left === 0;
  }

  push(at: number): void {
    this.#queue.push(at);
  }

  take(size: number): number[] {
    const out: number[] = [];
    while (out.length < size && this.#queue.size > 0) out.push(this.#queue.shift()!);
    this.#left -= out.length;
    return out;
  }

  close(): void {
    this.#left = 0;
    this.#queue.drain();
  }
}
