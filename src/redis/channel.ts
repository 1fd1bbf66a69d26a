import type { WorkerChannel, WorkerEvents } from '../backends/types.js';
import { PoolClosedError } from '../errors.js';
import type { TaskDef } from '../tasks/types.js';
import type { ToWorker } from '../wire/protocol.js';

/** What a channel needs of its backend: to send a batch, to withdraw its jobs, to hold the sockets. */
export interface ChannelHost {
  submit(channel: RedisChannel, message: Extract<ToWorker, { op: 'run' }>): void;
  forget(channel: RedisChannel): Promise<void>;
  ref(delta: number): void;
}

/** One virtual worker: what it sends becomes jobs on the shared queue. */
export class RedisChannel implements WorkerChannel {
  alive = true;
  #refed = true;
  /** Task definitions the scheduler has sent this worker, by the caller's spec id. */
  readonly defs = new Map<number, TaskDef>();

  constructor(
    readonly backend: ChannelHost,
    readonly events: WorkerEvents,
  ) {
    backend.ref(1);
  }

  send(message: ToWorker): void {
    if (!this.alive) throw new PoolClosedError('this worker was stopped');
    // 'abort' and 'limit' have no remote counterpart: a job runs to its end, and the scheduler
    // has already settled what it cancelled or timed out.
    if (message.op === 'run') this.backend.submit(this, message);
  }

  ref(): void {
    if (this.#refed || !this.alive) return;
    this.#refed = true;
    this.backend.ref(1);
  }

  unref(): void {
    if (!this.#refed || !this.alive) return;
    this.#refed = false;
    this.backend.ref(-1);
  }

  async terminate(): Promise<void> {
    if (!this.alive) return;
    this.alive = false;
    await this.backend.forget(this);
    // only now: withdrawing its jobs needs the sockets to keep the process alive
    if (this.#refed) {
      this.#refed = false;
      this.backend.ref(-1);
    }
    setImmediate(() => this.events.exit({ code: 0, signal: null }));
  }
}
