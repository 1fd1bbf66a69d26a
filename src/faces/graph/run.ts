import type { Backend } from '../../backends/types.js';
import { type PrepareContext, prepareArgs } from '../../codec/prepare.js';
import { Deque } from '../../engine/deque.js';
import type { TaskSink } from '../../engine/future.js';
import type { Scheduler, Task } from '../../engine/scheduler.js';
import { trackCall } from '../../observe/calls.js';
import { Delayed } from '../delayed.js';
import type { ProgressReporter } from '../map.js';
import { abortError, inlineTaskRefusal } from '../refusals.js';
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
 * Kahn's algorithm: a node is submitted the moment its last input arrives, independent nodes
 * run side by side, each node runs once, and the whole run is O(nodes + edges). A node's
 * result is dropped once its last consumer has been submitted, so a long pipeline does not
 * hold every intermediate value. Per node it allocates one small sink and nothing else that
 * outlives the node, which keeps 100,000-node graphs out of the garbage collector's way.
 */
class GraphRun {
  readonly #graph: Graph;
  readonly #results: unknown[];
  /** Inputs each node still waits for. */
  readonly #waitingFor: Int32Array;
  /** Consumers not yet submitted, plus one for a root (the caller consumes it). */
  readonly #consumers: Int32Array;
  readonly #ready = new Deque<number>();
  readonly #running = new Set<Task>();
  /** Stops nodes that run here (a bag's reduction) once the run has failed or was aborted. */
  readonly #stopLocal = new AbortController();
  #finished = 0;
  #failed = false;
  #pumping = false;
  /** Shows the run on a dashboard watching the pool; undefined otherwise. */
  #reporter: ProgressReporter | undefined;
  /** An abort withdraws the graph's queued nodes and stops its running ones. */
  readonly #onAbort = () => {
    const running = [...this.#running];
    const error = abortError(this.signal!, 'the computation');
    this.fail(error, -1);
    for (const task of running) this.host.scheduler.cancel(task, error);
  };
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
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      this.#waitingFor[i] = node.deps.length;
      this.#consumers[i] = node.dependents.length + (roots.has(i) ? 1 : 0);
      if (node.deps.length === 0) this.#ready.push(i);
    }
  }

  start(): void {
    const { backend } = this.host;
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
    const n = this.#graph.nodes.length;
    this.#reporter = trackCall(this.host.scheduler, 'compute', 'compute', undefined, n);
    if (n === 0) this.#complete();
    else this.pump();
  }

  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    const scheduler = this.host.scheduler;
    try {
      while (!this.#failed && this.#ready.size > 0) {
        if (scheduler.queued >= scheduler.options.maxQueue) {
          scheduler.whenQueueHasRoom().then(
            () => this.pump(),
            (e) => this.fail(e, -1),
          );
          return;
        }
        this.#submit(this.#ready.shift()!);
      }
    } catch (error) {
      this.fail(error, -1);
    } finally {
      this.#pumping = false;
    }
  }

  onResult(at: number, value: unknown, task: Task | undefined): void {
    if (this.#failed) return;
    if (task) this.#running.delete(task);
    this.#results[at] = this.#consumers[at] > 0 ? value : undefined;
    this.#finished++;
    this.#reporter?.update(this.#finished, 0, this.#graph.nodes.length);
    const waitingFor = this.#waitingFor;
    for (const next of this.#graph.nodes[at].dependents)
      if (--waitingFor[next] === 0) this.#ready.push(next);
    if (this.#finished === this.#graph.nodes.length) this.#complete();
    else this.pump();
  }

  fail(error: unknown, at: number): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#reporter?.update(this.#finished, 1, this.#graph.nodes.length);
    this.#reporter?.finish();
    this.signal?.removeEventListener('abort', this.#onAbort);
    for (const task of this.#running) task.cancelQueued();
    this.#running.clear();
    this.#stopLocal.abort(error);
    if (at >= 0) this.#annotate(error, at);
    this.reject(error);
  }

  #submit(at: number): void {
    const node = this.#graph.nodes[at];
    // A node that runs its own tasks on this pool (a bag's reduction) runs here, not on a worker.
    const local = (node.call as { _runLocal?: LocalRun })._runLocal;
    if (local) {
      const sink = new NodeSink(this, at);
      local.call(node.call, this.host, this.#stopLocal.signal).then(
        (value) => sink.onResult(value),
        (error) => sink.onError(error),
      );
      return;
    }
    let args = node.call.args;
    if (node.deps.length > 0) {
      args = args.map((arg, i) =>
        arg instanceof Delayed || node.nested?.includes(i) ? materialize(arg, this.resultOf) : arg,
      );
      const consumers = this.#consumers;
      for (const dep of node.deps) if (--consumers[dep] === 0) this.#results[dep] = undefined;
    }
    if (this.host.prepare) args = prepareArgs(args, this.host.prepare);
    const sink = new NodeSink(this, at);
    sink.task = this.host.scheduler.submit(node.call.spec, args, sink);
    // A sink may have settled during submit (an aborted signal); only live tasks are tracked.
    if (!sink.settled) this.#running.add(sink.task);
  }

  #complete(): void {
    this.#reporter?.finish();
    this.signal?.removeEventListener('abort', this.#onAbort);
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

/** One node's link to the scheduler: a small object with its methods on the prototype. */
class NodeSink implements TaskSink {
  task: Task | undefined;
  settled = false;
  constructor(
    readonly run: GraphRun,
    readonly at: number,
  ) {}
  onStart(): void {}
  onResult(value: unknown): void {
    this.settled = true;
    this.run.onResult(this.at, value, this.task);
  }
  onError(error: unknown): void {
    this.settled = true;
    this.run.fail(error, this.at);
  }
}
