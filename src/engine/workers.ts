import type { WorkerChannel, WorkerExit } from '../backends/types.js';
import { rebuildError, type WireError } from '../codec/errors.js';
import { WorkerStartError } from '../errors.js';
import type { FromWorker } from '../wire/protocol.js';
import { programEntryUrl } from '../worker/entry-guard.js';
import { guard } from './guard.js';
import { newSlot, type Slot } from './slot.js';
import type { SchedulerOptions } from './task.js';
import { startWorker } from './worker-start.js';

/** Workers that die this many times in a row before they are ready mean a broken setup. */
const MAX_START_FAILURES = 3;

/** What the scheduler hears from its workers, each with the worker's slot. */
export interface SlotEvents {
  message(slot: Slot, message: FromWorker): void;
  exit(slot: Slot, exit: WorkerExit): void;
  messageError(slot: Slot, error: Error): void;
}

/**
 * A scheduler's workers: starting them, the list of those in the pool, idling, and telling a
 * broken setup (workers that keep dying before they are ready) from a crash. What becomes of
 * their tasks is the scheduler's business.
 */
export class Workers {
  readonly list: Slot[] = [];
  #nextId = 1;
  #startFailures = 0;
  #lastStartError: unknown;

  constructor(
    readonly options: SchedulerOptions,
    readonly events: SlotEvents,
  ) {}

  /**
   * Workers started, not yet ready, and given no task: each takes a queued one once it is up.
   * One that took a task while starting is busy with it then (a worker the pool started with
   * holds the first task of a burst; the second needs a worker of its own).
   */
  startingFree(): number {
    let n = 0;
    for (const slot of this.list) if (slot.state === 'starting' && slot.inflight.size === 0) n++;
    return n;
  }

  /** Starts one worker; throws a WorkerStartError when the options cannot reach one. */
  start(): Slot {
    const id = this.#nextId++;
    const { initializer, initArgs, concurrency, resourceLimits } = this.options;
    let slot: Slot | undefined;
    let channel: WorkerChannel;
    try {
      channel = startWorker(
        this.options.backend,
        {
          init: {
            op: 'init',
            workerId: id,
            concurrency,
            init: initializer?.def,
            initArgs,
            entry: programEntryUrl(),
          },
          resourceLimits,
          retries: this.options.retries,
        },
        {
          message: (message) => guard(() => this.events.message(slot!, message)),
          exit: (exit) => guard(() => this.events.exit(slot!, exit)),
          messageError: (error) => guard(() => this.events.messageError(slot!, error)),
        },
      );
    } catch (error) {
      // Options that cannot reach a worker (initArgs that do not clone) fail the work that
      // waits for one, with the reason, instead of throwing out of the dispatch.
      const message = error instanceof Error ? error.message : String(error);
      throw new WorkerStartError(`a worker could not start: ${message}`, error);
    }
    slot = newSlot(id, channel);
    this.list.push(slot);
    return slot;
  }

  /** The worker finished starting. */
  ready(slot: Slot): void {
    slot.state = 'ready';
    this.#startFailures = 0;
  }

  remove(slot: Slot): void {
    const index = this.list.indexOf(slot);
    if (index >= 0) this.list.splice(index, 1);
  }

  /** A worker died before it was ready: the error to fail the queue with once that is a pattern. */
  startFailed(exit: WorkerExit, how: string): WorkerStartError | undefined {
    this.#startFailures++;
    this.#lastStartError = exit.error;
    if (this.#startFailures < MAX_START_FAILURES) return undefined;
    this.#startFailures = 0;
    return new WorkerStartError(
      `workers keep dying before they are ready (last one ${how}); check the task module's top-level code, the initializer and resourceLimits`,
      this.#lastStartError,
    );
  }

  /** The initializer threw in a worker: nothing will run there. */
  initFailed(wire: WireError): WorkerStartError {
    const cause = rebuildError(wire);
    const label = this.options.initializer?.label ?? 'the initializer';
    const message = cause instanceof Error ? cause.message : String(cause);
    return new WorkerStartError(`a worker could not start: ${label} failed: ${message}`, cause);
  }

  /**
   * A ready worker with nothing to do: it must not keep alive a script that forgot to close its
   * pool, and after `idleTimeout` it is retired.
   */
  markIdleIfEmpty(slot: Slot, retire: (slot: Slot) => void): void {
    if (slot.inflight.size > 0 || slot.state !== 'ready') return;
    if (slot.refed) {
      slot.channel.unref();
      slot.refed = false;
    }
    const idle = this.options.idleTimeout;
    if (idle !== undefined && !slot.idleTimer) {
      slot.idleTimer = setTimeout(() => {
        slot.idleTimer = undefined;
        if (slot.inflight.size === 0) guard(() => retire(slot));
      }, idle);
      slot.idleTimer.unref();
    }
  }

  /** A worker about to be sent tasks: it keeps the process alive again and is no longer idle. */
  markBusy(slot: Slot): void {
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    if (!slot.refed) {
      slot.channel.ref();
      slot.refed = true;
    }
  }

  /** Tasks handed to workers and not yet answered. */
  inFlight(): number {
    let n = 0;
    for (const slot of this.list) n += slot.inflight.size;
    return n;
  }
}
