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
