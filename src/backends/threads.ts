import { Worker } from 'node:worker_threads';
import type { FromWorker } from '../wire/protocol.js';
import { newClaims } from '../worker/claims.js';
import { RUNNING_LENGTH, readRunning, readTaken } from '../worker/running-slots.js';
import { workerEntryUrl } from './entry-url.js';
import { failedStart } from './start-failure.js';
import { tsOnceStart } from './ts-once/service.js';
import type { Backend, WorkerChannel, WorkerEvents, WorkerStartOptions } from './types.js';
import { tsxApiUrl } from './typescript.js';
import { startThread } from './worker-condition.js';

/**
 * Loads the entry, registering tsx first when the caller runs under it (see typescript.ts).
 * Only `import()`, no `require`: an eval'd worker inherits `--input-type=module` from a caller
 * started with `node --input-type=module -e`, and then runs this as a module. On Node ≥ 22.1
 * the thread keeps V8's compiled code of what it imports in Node's compile cache (in the temp
 * folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off): a new pool's first result came ~4 ms
 * sooner on Node 22. Node 20 has no such cache.
 */
const BOOTSTRAP = `
process.getBuiltinModule?.('node:module').enableCompileCache?.();
import('node:worker_threads').then(async ({ workerData }) => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
});
`;

/** Workers are `worker_threads`: cheap to start, and they share memory with the caller. */
export class ThreadBackend implements Backend {
  readonly name = 'threads';
  readonly sharesMemory = true;

  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel {
    // The worker notes here which tasks it is running; it survives the thread, so a crash
    // (even out of memory) blames only those tasks.
    const running = new Float64Array(
      new SharedArrayBuffer(RUNNING_LENGTH * Float64Array.BYTES_PER_ELEMENT),
    );
    let entry: URL;
    try {
      entry = workerEntryUrl();
    } catch (error) {
      return failedStart(events, error as Error);
    }
    const claims = newClaims();
    const ts = tsOnceStart(entry);
    const worker = startThread(
      ts?.execArgv,
      (execArgv) =>
        new Worker(BOOTSTRAP, {
          eval: true,
          workerData: {
            init: options.init,
            entry: entry.href,
            tsx: ts ? undefined : tsxApiUrl(),
            tsOnce: ts?.workerData,
            running,
            claims,
          },
          transferList: ts ? [ts.transfer] : undefined,
          execArgv,
          resourceLimits: options.resourceLimits,
        }),
    );
    let uncaught: Error | undefined;
    worker.on('message', (message: FromWorker) => events.message(message));
    worker.on('error', (error) => {
      uncaught = error;
    });
    // The results in a message that cannot be read here are lost; the scheduler asks the
    // worker which tasks it still holds and fails the others (see Scheduler#resync).
    worker.on('messageerror', (error) => events.messageError?.(error));
    let exited: Promise<void> | undefined;
    const gone = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        ts?.close();
        events.exit({
          code,
          signal: null,
          error: uncaught,
          running: readRunning(running),
          taken: readTaken(running),
        });
        resolve();
      });
    });
    return {
      threadId: worker.threadId,
      claims,
      send: (message, transfer) => worker.postMessage(message, transfer as any),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      terminate: () => {
        exited ??= worker.terminate().then(() => gone);
        return exited;
      },
      running: () => readRunning(running),
    };
  }
}
