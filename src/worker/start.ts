/**
 * The first code a worker runs, in a worker thread or a child process: it connects a
 * WorkerRuntime to the channel it was started with.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ToWorker } from '../wire/protocol.js';
import { startProcessWorker } from './process-entry.js';
import { WorkerRuntime } from './runtime.js';
import { adoptTsOnce } from './ts-once.js';
import { markWorker, PROCESS_ENTRY } from './where.js';

/**
 * Starts the runtime when `entryUrl`, the module calling this, is what spindle started this
 * thread or process with. The worker graph's entry is also what a task module's `import
 * 'spindle'` resolves to (see face.ts), and the flag that makes it so is inherited by threads
 * and processes a task starts itself: there it must only be a library.
 */
export function startWorker(entryUrl: string): void {
  if (!isMainThread && parentPort) {
    const data = workerData as {
      init: ToWorker;
      entry?: string;
      running?: Float64Array;
      claims?: Int32Array;
      tsOnce?: Parameters<typeof adoptTsOnce>[0];
    } | null;
    if (data?.entry !== entryUrl || !data.init) return;
    markWorker();
    const port = parentPort;
    adoptTsOnce(data.tsOnce);
    const runtime = new WorkerRuntime(
      (message) => port.postMessage(message),
      data.running,
      data.claims,
    );
    port.on('message', (message: ToWorker) => {
      // Closing the port lets the thread end on its own, with exit code 0, once its tasks'
      // timers and handles are done (a one-off spawned worker that has answered).
      if (message.op === 'stop') port.close();
      else runtime.handle(message);
    });
    runtime.handle(data.init);
  } else if (typeof process.send === 'function' && process.env[PROCESS_ENTRY] === entryUrl) {
    // Read once and removed: a process this worker's tasks fork inherits the environment.
    delete process.env[PROCESS_ENTRY];
    markWorker();
    startProcessWorker();
  }
}
