import { Worker } from 'node:worker_threads';
import type { ToWorker } from '../engine/protocol.js';
import { WorkerRuntime } from './runtime.js';

/**
 * A process worker must not outlive its parent, even when the parent is SIGKILLed and this
 * process is stuck in a CPU loop inside a task (its own event loop then never runs). A tiny
 * watchdog thread polls the parent pid and kills the whole process when it changes.
 */
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.ppid) process.kill(process.pid, 'SIGKILL');
}, 200);
`;

export function startProcessWorker(): void {
  const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { ppid: process.ppid } });
  watchdog.unref();
  const runtime = new WorkerRuntime((message) => {
    process.send!(message);
  });
  process.on('message', (message: ToWorker) => {
    if (message.op === 'stop') process.exit(0);
    runtime.handle(message);
  });
  process.on('disconnect', () => process.exit(0));
}
