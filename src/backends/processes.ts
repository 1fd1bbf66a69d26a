import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker } from '../engine/protocol.js';
import { workerEntryUrl } from './entry-url.js';
import type { Backend, WorkerChannel, WorkerEvents, WorkerStartOptions } from './types.js';

/**
 * Workers are child processes (`child_process.fork`) speaking the same protocol with
 * structured-clone ("advanced") serialization. They share no memory with the caller, and each
 * one watches its parent so none outlives it (see worker/process-entry.ts).
 */
export class ProcessBackend implements Backend {
  readonly name = 'processes';
  readonly sharesMemory = false;

  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel {
    const execArgv = [...process.execArgv];
    const heap = options.resourceLimits?.maxOldGenerationSizeMb;
    if (heap !== undefined) execArgv.push(`--max-old-space-size=${heap}`);
    const child: ChildProcess = fork(fileURLToPath(workerEntryUrl()), [], {
      serialization: 'advanced',
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, SPINDLE_WORKER: '1' },
    });
    child.on('message', (message: FromWorker) => events.message(message));
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    const gone = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        events.exit({ code, signal, error: spawnError });
        resolve();
      });
    });
    child.send(options.init);
    let stopping: Promise<void> | undefined;
    return {
      pid: child.pid,
      send: (message) => {
        if (!child.connected) throw new Error('the worker process is gone');
        child.send(message);
      },
      ref: () => {
        child.ref();
        (child.channel as any)?.ref?.();
      },
      unref: () => {
        child.unref();
        (child.channel as any)?.unref?.();
      },
      terminate: () => {
        stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await gone;
        })();
        return stopping;
      },
    };
  }
}
