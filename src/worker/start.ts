/**
 * The first code a worker runs, in a worker thread or a child process: it connects a
 * WorkerRuntime to the channel it was started with.
 */
import { isMainThread, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { onNode } from '../builtin.js';
import { fromWorkerWire, type ToWorker, toWorkerFromWire } from '../wire/protocol.js';
import { startProcessWorker } from './process-entry.js';
import { WorkerRuntime } from './runtime.js';
import { adoptTsOnce } from './ts-once.js';
import { markWorker, PROCESS_ENTRY } from './where.js';

/** Set once a runtime runs in this thread: two copies of spindle (src/ and dist/) may both try. */
const STARTED = Symbol.for('spindle.workerStarted');

/**
 * Starts the runtime in a thread or process that spindle started, once. The worker's entry is
 * also what a task module's `import 'spindle'` resolves to (see face.ts), and the flag that makes
 * it so is inherited by threads and processes a task starts itself: there it must only be a
 * library. A spindle thread is told by its workerData, a spindle process by an environment
 * variable that is removed at once, so the processes it forks do not inherit it. (Not by
 * comparing the entry's URL with `import.meta.url`: that is the real path, and a temporary
 * folder or a package may be reached through a symbolic link.)
 */
export function startWorker(): void {
  const global = globalThis as { [STARTED]?: boolean };
  if (global[STARTED]) return;
  if (!isMainThread && parentPort) {
    const data = workerData as {
      init?: ToWorker;
      entry?: unknown;
      running?: Float64Array;
      claims?: Int32Array;
      tsOnce?: Parameters<typeof adoptTsOnce>[0];
    } | null;
    if (typeof data?.entry !== 'string' || data.init?.op !== 'init') return;
    global[STARTED] = true;
    markWorker();
    const port = parentPort;
    adoptTsOnce(data.tsOnce);
    const runtime = new WorkerRuntime(
      (message, transfer) => port.postMessage(fromWorkerWire(message), transfer as never),
      data.running,
      data.claims,
    );
    let stopped = false;
    const onMessage = (wire: ToWorker) => {
      const message = toWorkerFromWire(wire);
      // Closing the port lets the thread end on its own, with exit code 0, once its tasks'
      // timers and handles are done (a one-off spawned worker that has answered).
      if (message.op === 'stop') {
        stopped = true;
        port.close();
      } else runtime.handle(message);
    };
    runtime.handle(data.init);
    // What the caller sent while the thread started (a new pool's first tasks) is taken now, not
    // on a later turn of the event loop through the port's message events: ~1.2 ms sooner on a
    // new thread. Node only: Bun's and Deno's parent ports are not Node's MessagePort.
    if (onNode) {
      for (
        let next = receiveMessageOnPort(port);
        next && !stopped;
        next = receiveMessageOnPort(port)
      )
        onMessage(next.message as ToWorker);
    }
    if (!stopped) port.on('message', onMessage);
  } else if (typeof process.send === 'function' && process.env[PROCESS_ENTRY] !== undefined) {
    delete process.env[PROCESS_ENTRY];
    global[STARTED] = true;
    markWorker();
    startProcessWorker();
  }
}
