import type {
  Backend,
  WorkerChannel,
  WorkerEvents,
  WorkerExit,
  WorkerStartOptions,
} from '../backends/types.js';
import type { ToWorker } from '../wire/protocol.js';
import { guard } from './guard.js';

type InitMessage = Extract<ToWorker, { op: 'init' }>;

/**
 * Something outside the engine that must hear of every worker's life. It is called as a worker
 * starts, with the init message it may add to; what it returns runs once that worker has
 * exited, before the engine handles the exit. sync/ registers one so that locks record which
 * worker holds them and are freed when it dies (sync/registry.ts): the engine knows nothing of
 * locks.
 */
export type WorkerStartHook = (init: InitMessage) => ((exit: WorkerExit) => void) | undefined;

const hooks: WorkerStartHook[] = [];

export function onWorkerStart(hook: WorkerStartHook): void {
  hooks.push(hook);
}

/**
 * Starts one worker on `backend`, with the registered hooks around it: the one way a pool's
 * scheduler and `spawn` start workers. Throws what `backend.start` throws.
 */
export function startWorker(
  backend: Backend,
  options: WorkerStartOptions,
  events: WorkerEvents,
): WorkerChannel {
  let exits: Array<(exit: WorkerExit) => void> | undefined;
  for (const hook of hooks) {
    const onExit = hook(options.init);
    if (onExit) (exits ??= []).push(onExit);
  }
  if (!exits) return backend.start(options, events);
  const heard = exits;
  return backend.start(options, {
    ...events,
    exit: (exit) => {
      // A hook that throws must not keep the engine from handling the exit.
      for (const onExit of heard) guard(() => onExit(exit));
      events.exit(exit);
    },
  });
}
