import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { WorkerChannel, WorkerEvents } from './types.js';

/**
 * A worker that could not even be started (its runtime cannot be found or written): it "exits"
 * on the next turn with the reason, so the scheduler reports it as it reports any worker that
 * dies before it is ready (WorkerStartError, with this message), instead of an exception
 * thrown into whatever code happened to dispatch.
 */
export function failedStart(events: WorkerEvents, error: Error): WorkerChannel {
  setImmediate(() => events.exit({ code: 1, signal: null, error }));
  return {
    send: () => {},
    ref: () => {},
    unref: () => {},
    terminate: async () => {},
  };
}

let main: string | null | undefined;

/**
 * The URL of the program's main module, which a worker must never import: a task module that
 * is the main script (tasks bundled into the program's own file) would run the whole program
 * again in every worker (see worker/load-module.ts).
 */
export function mainModuleUrl(): string | undefined {
  if (main === undefined) {
    main = null;
    const script = process.argv[1];
    if (script) {
      try {
        main = pathToFileURL(realpathSync(script)).href;
      } catch {
        // not a file (node -e, a REPL): nothing to guard
      }
    }
  }
  return main ?? undefined;
}
