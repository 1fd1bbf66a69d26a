/**
 * The first code a worker runs, in a worker thread or a child process: it connects a
 * WorkerRuntime to the channel it was started with.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ToWorker } from '../wire/protocol.js';
// What a task module's `import 'spindle'` resolves to in a worker (see face.ts), loaded with
// the runtime's own files instead of one more level of files after the task module: the
// worker's part of a new pool's first result went from ~39 to ~31 ms on a quiet machine.
import './face.js';
import { WorkerRuntime } from './runtime.js';
import { adoptTsOnce } from './ts-once.js';
import { markWorker } from './where.js';

markWorker();
if (!isMainThread && parentPort) {
  const port = parentPort;
  const data = workerData as {
    init: ToWorker;
    running?: Float64Array;
    claims?: Int32Array;
    tsOnce?: Parameters<typeof adoptTsOnce>[0];
  };
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
} else if (typeof process.send === 'function') {
  const { startProcessWorker } = await import('./process-entry.js');
  startProcessWorker();
}
