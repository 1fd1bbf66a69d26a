import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Pool } from '../faces/pool.js';

/** How often a `spindle worker` says it is alive; its record expires after HEARTBEAT_TTL_MS. */
export const HEARTBEAT_MS = 1000;
export const HEARTBEAT_TTL_MS = 5000;
const MAX_ERRORS = 50;
type Counter = 'tasks' | 'items' | 'failed' | 'jobs' | 'refused';

/** Where a queue's cluster records live (under the queue's BullMQ prefix, like its reply lists). */
export function clusterKeys(prefix: string, queue: string) {
  const base = `${prefix}:${queue}:spindle-`;
  return {
    /** One key per live worker, `…worker:<host>:<pid>`, a JSON {@link WorkerBeat}, expiring. */
    worker: (id: string) => `${base}worker:${id}`,
    workerPattern: `${base}worker:*`,
    /** A hash of totals over every worker that ever ran: tasks, failed, jobs, refused. */
    totals: `${base}totals`,
    /** The latest failures and refusals, newest first: JSON {@link ClusterError}. */
    errors: `${base}errors`,
  };
}

/** What one heartbeat says about its worker. */
export interface WorkerBeat {
  id: string;
  host: string;
  pid: number;
  threads: number;
  startedAt: number;
  at: number;
  /** Tasks (and their items) done since the worker started, failed ones included. */
  tasks: number;
  items: number;
  failed: number;
  jobs: number;
  refused: number;
  /** Tasks running now. */
  running: number;
  rss: number;
}

export interface ClusterError {
  at: number;
  worker: string;
  name: string;
  message: string;
}

/**
 * Counts what a `spindle worker` does (from its local pool's events) and writes it to Redis
 * once a second: the worker's own record, which expires when the worker stops beating, and
 * the queue's totals, which outlive it. Failures go to a short list for the dashboard.
 */
export class Heartbeat {
  readonly id = `${hostname()}:${process.pid}`;
  readonly #client: Redis;
  readonly #keys: ReturnType<typeof clusterKeys>;
  readonly #pool: Pool;
  readonly #beat: WorkerBeat;
  /** Counted since the last beat, added to the totals with it. */
  #delta: Record<Counter, number> = { tasks: 0, items: 0, failed: 0, jobs: 0, refused: 0 };
  #pending = false;
  #errors: ClusterError[] = [];
  readonly #timer: NodeJS.Timeout;
  #writing: Promise<void> = Promise.resolve();

  constructor(client: Redis, prefix: string, queue: string, pool: Pool, threads: number) {
    this.#client = client;
    this.#keys = clusterKeys(prefix, queue);
    this.#pool = pool;
    const now = Date.now();
    this.#beat = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      threads,
      startedAt: now,
      at: now,
      tasks: 0,
      items: 0,
      failed: 0,
      jobs: 0,
      refused: 0,
      running: 0,
      rss: 0,
    };
    pool.on('taskEnd', (e) => {
      this.#count('tasks');
      this.#count('items', e.items);
      if (!e.ok) {
        this.#count('failed');
        this.#error(e.name, e.error);
      }
    });
    this.#timer = setInterval(() => this.#write(), HEARTBEAT_MS);
    this.#timer.unref();
    this.#write();
  }

  jobDone(): void {
    this.#count('jobs');
  }

  refused(message: string): void {
    this.#count('refused');
    this.#errors.push({ at: Date.now(), worker: this.id, name: 'refused job', message });
  }

  /** Writes the last counts and removes this worker's record: it is leaving on purpose. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#writing;
    await this.#flush(false).catch(() => {});
  }

  #count(field: Counter, by = 1): void {
    this.#delta[field] += by;
    this.#beat[field] += by;
  }

  #error(name: string, error: unknown): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.#errors.push({ at: Date.now(), worker: this.id, name, message: message.slice(0, 500) });
  }

  #write(): void {
    // One write at a time: while Redis is away, beats are skipped rather than piled up.
    if (this.#pending) return;
    this.#pending = true;
    this.#writing = this.#flush(true)
      .catch(() => {})
      .finally(() => {
        this.#pending = false;
      });
  }

  async #flush(alive: boolean): Promise<void> {
    const delta = this.#delta;
    this.#delta = { tasks: 0, items: 0, failed: 0, jobs: 0, refused: 0 };
    const errors = this.#errors.splice(0);
    const stats = this.#pool.stats();
    this.#beat.at = Date.now();
    this.#beat.running = stats.inFlight;
    this.#beat.rss = process.memoryUsage.rss();
    const multi = this.#client.multi();
    if (alive)
      multi.set(this.#keys.worker(this.id), JSON.stringify(this.#beat), 'PX', HEARTBEAT_TTL_MS);
    else multi.del(this.#keys.worker(this.id));
    for (const [field, n] of Object.entries(delta))
      if (n > 0) multi.hincrby(this.#keys.totals, field, n);
    if (errors.length > 0) {
      multi.lpush(this.#keys.errors, ...errors.map((e) => JSON.stringify(e)));
      multi.ltrim(this.#keys.errors, 0, MAX_ERRORS - 1);
    }
    try {
      await multi.exec();
    } catch {
      // Redis is away: keep the counts for the next beat.
      for (const [field, n] of Object.entries(delta)) this.#delta[field as Counter] += n;
      this.#errors.unshift(...errors);
    }
  }
}
