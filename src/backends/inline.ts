import type { FromWorker, ToWorker } from '../wire/protocol.js';
import { WorkerRuntime } from '../worker/runtime.js';
import type { Backend, WorkerChannel, WorkerEvents, WorkerStartOptions } from './types.js';

/**
 * Tasks run in the caller's own thread, as async functions: for I/O-bound work, for stepping
 * through tasks in a debugger, and for pools made inside a worker (no oversubscription). The
 * same WorkerRuntime runs them; messages are delivered by reference, not cloned, on the next
 * turn of the event loop so timers and I/O keep running between batches.
 */
export class InlineBackend implements Backend {
  readonly name = 'inline';
  readonly sharesMemory = true;

  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel {
    let alive = true;
    const runtime = new WorkerRuntime(
      (message: FromWorker) => {
        if (alive) setImmediate(() => alive && events.message(message));
      },
      undefined,
      undefined,
      false,
    );
    const deliver = (message: ToWorker) => setImmediate(() => alive && runtime.handle(message));
    deliver(options.init);
    return {
      send: deliver,
      ref: () => {},
      unref: () => {},
      terminate: async () => {
        if (!alive) return;
        alive = false;
        setImmediate(() => events.exit({ code: 0, signal: null }));
      },
    };
  }
}
