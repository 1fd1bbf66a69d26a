import { isMainThread } from 'node:worker_threads';

const KEY = Symbol.for('spindle.inWorker');

/** The environment variable naming a process worker's entry (see start.ts). */
export const PROCESS_ENTRY = 'SPINDLE_WORKER_ENTRY';

/** Called by the worker entry: this thread runs spindle tasks. */
export function markWorker(): void {
  (globalThis as any)[KEY] = true;
}

/**
 * True inside a spindle worker (thread or process). A pool made there defaults to the inline
 * backend, so nested parallelism neither oversubscribes the cores nor deadlocks.
 */
export function inWorker(): boolean {
  return (globalThis as any)[KEY] === true || !isMainThread;
}
