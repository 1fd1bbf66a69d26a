import { Worker } from 'node:worker_threads';
import { builtin } from '../builtin.js';
import type { ToWorker } from '../wire/protocol.js';
import { WorkerRuntime } from './runtime.js';

/**
 * A process worker must not outlive its parent, even when the parent is SIGKILLed and this
 * process is stuck in a CPU loop inside a task (its own event loop then never runs). A tiny
 * watchdog thread polls the parent pid and kills the whole process when it changes. Polling
 * `process.ppid` is the portable way: Linux's PR_SET_PDEATHSIG is not reachable from Node,
 * and a closed IPC channel is only noticed by the (possibly stuck) main thread.
 */
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.ppid) process.kill(process.pid, 'SIGKILL');
}, 200);
`;

/** The extra pipe (stdio index 4) on which a dying worker says what it was running; see processes.ts. */
export const REPORT_FD = 4;

/** What a process worker writes to REPORT_FD as it dies. */
export interface DeathReport {
  running: number[] | null;
  /** tasks taken off the queue since the worker started (see running-slots.ts) */
  taken?: number;
  error?: { name: string; message: string; stack?: string; code?: unknown };
}

export function startProcessWorker(): void {
  const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { ppid: process.ppid } });
  watchdog.unref();
  const runtime = new WorkerRuntime((message) => {
    process.send!(message);
  });
  // IPC is asynchronous and is lost when the process exits; a synchronous write to a pipe is
  // not, so the caller learns which tasks were running even after process.exit() in a task.
  let reported = false;
  const report = (error?: unknown) => {
    if (reported) return;
    reported = true;
    const death: DeathReport = {
      running: runtime.runningTasks() ?? null,
      taken: runtime.takenTasks(),
    };
    if (error instanceof Error) {
      death.error = {
        name: error.name,
        message: error.message,
        stack: error.stack,
        code: (error as { code?: unknown }).code,
      };
    } else if (error !== undefined) {
      death.error = { name: 'Error', message: String(error) };
    }
    try {
      const { writeSync } = builtin<typeof import('node:fs')>('node:fs');
      writeSync(REPORT_FD, JSON.stringify(death));
    } catch {
      // started without the report pipe (by hand): nothing to tell
    }
  };
  // As in a worker thread, an uncaught error ends the worker and is reported to the caller,
  // which puts it in the tasks' WorkerCrashedError, instead of being printed here.
  process.on('uncaughtException', (error) => {
    report(error);
    process.exit(1);
  });
  process.on('exit', () => report());
  process.on('message', (message: ToWorker) => {
    if (message.op === 'stop') process.exit(0);
    runtime.handle(message);
  });
  process.on('disconnect', () => process.exit(0));
}
