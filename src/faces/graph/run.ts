import type { Backend } from '../../backends/types.js';
import { type PrepareContext, prepareArgs } from '../../codec/prepare.js';
import { Deque } from '../../engine/deque.js';
import type { TaskSink } from '../../engine/future.js';
import type { Scheduler, Task } from '../../engine/scheduler.js';
import { CancelledError, UnsupportedError } from '../../errors.js';
import { Delayed } from '../delayed.js';
import { collectGraph, type GraphNode, materialize } from './collect.js';

/** What a graph run needs from its pool. */
export interface GraphHost {
  readonly scheduler: Scheduler;
  readonly backend: Backend;
  /** Readies arguments to cross (views, auto-sharing); undefined for the inline backend. */
  readonly prepare: PrepareContext | undefined;
}

/** Properties added to a node's error so the caller can tell which call failed, and why it ran. */
export interface GraphErrorInfo {
  /** Labels (`name#id`) from the call you asked for down to the one that failed. */
  nodePath: string[];
  /** The label of the call that failed. */
  node: string;
}

const UNSET = Symbol('unset');

/**
 * Runs the graph behind `values` on a pool: Kahn's algorithm, so a node is submitted the
 * moment its last input arrives, independent nodes run side by side, and each node runs once.
 * The whole run is O(nodes + edges). A node's result is dropped as soon as its last consumer
 * has been submitted, so a long pipeline does not hold every intermediate value.
 * Resolves with `values`, lazy calls replaced by their results.
 */
export function runGraph(
  host: GraphHost,
  values: readonly unknown[],
  signal?: AbortSignal,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const { nodes, roots } = collectGraph(values);
    if (host.backend.moduleTasksOnly) {
      for (const node of nodes) {
        if (node.call.spec.def.t !== 'm') {
          throw new UnsupportedError(
            `the ${host.backend.name} backend runs only module tasks, and ${node.call.label} calls an inline function; ` +
              'define it with defineTasks(import.meta.url, { ... }) in a module the workers load',
          );
        }
      }
    }
    const n = nodes.length;
    const results: unknown[] = new Array(n).fill(UNSET);
    const waitingFor = new Int32Array(n);
    /** Consumers not yet submitted, plus one for a root (the caller consumes it). */
    const consumers = new Int32Array(n);
    const ready = new Deque<number>();
    const running = new Set<Task>();
    let finished = 0;
    let failed = false;
    let pumping = false;
    const indexOf = new Map<Delayed, number>();
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      indexOf.set(node.call, i);
      waitingFor[i] = node.deps.length;
      consumers[i] = node.dependents.length + (roots.has(i) ? 1 : 0);
      if (node.deps.length === 0) ready.push(i);
    }
    const resultOf = (call: Delayed) => results[indexOf.get(call)!];

    const onAbort = () => fail(abortError(signal!), -1);
    const cleanup = () => signal?.removeEventListener('abort', onAbort);

    const fail = (error: unknown, at: number) => {
      if (failed) return;
      failed = true;
      cleanup();
      for (const task of running) task.cancelQueued();
      running.clear();
      if (at >= 0) annotate(error, nodes, at);
      reject(error);
    };

    const complete = () => {
      cleanup();
      resolve(values.map((value) => materialize(value, resultOf)));
    };

    const submit = (at: number) => {
      const node = nodes[at];
      let args = node.call.args;
      if (node.deps.length > 0) {
        args = args.map((arg, i) =>
          arg instanceof Delayed || node.nested?.includes(i) ? materialize(arg, resultOf) : arg,
        );
        for (const dep of node.deps) {
          if (--consumers[dep] === 0) results[dep] = undefined;
        }
      }
      if (host.prepare) args = prepareArgs(args, host.prepare);
      let task: Task | undefined;
      const sink: TaskSink = {
        onStart() {},
        onResult(value) {
          if (failed) return;
          if (task) running.delete(task);
          results[at] = consumers[at] > 0 ? value : undefined;
          finished++;
          for (const next of node.dependents) if (--waitingFor[next] === 0) ready.push(next);
          if (finished === n) complete();
          else pump();
        },
        onError(error) {
          fail(error, at);
        },
      };
      task = host.scheduler.submit(node.call.spec, args, sink);
      running.add(task);
    };

    const pump = () => {
      if (pumping) return;
      pumping = true;
      try {
        while (!failed && ready.size > 0) {
          if (host.scheduler.queued >= host.scheduler.options.maxQueue) {
            host.scheduler.whenQueueHasRoom().then(pump, (e) => fail(e, -1));
            return;
          }
          submit(ready.shift()!);
        }
      } catch (error) {
        fail(error, -1);
      } finally {
        pumping = false;
      }
    };

    if (signal?.aborted) return reject(abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (n === 0) return complete();
    pump();
  });
}

/** Adds the node path to a task's error, keeping its class and message. */
function annotate(error: unknown, nodes: GraphNode[], at: number): void {
  if (error === null || typeof error !== 'object' || !Object.isExtensible(error)) return;
  const path: string[] = [];
  for (let i = at; i >= 0; i = nodes[i].parent) path.push(nodes[i].call.label);
  path.reverse();
  const info: GraphErrorInfo = { nodePath: path, node: nodes[at].call.label };
  Object.assign(error, info);
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason instanceof CancelledError
    ? signal.reason
    : new CancelledError('the computation was aborted', signal.reason);
}
