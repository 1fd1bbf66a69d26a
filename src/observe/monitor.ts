import type { PoolStats } from '../engine/stats.js';
import type { Pool } from '../faces/pool.js';
import type { CallProgress } from './calls.js';
import type { TaskEndEvent, WorkerCreateEvent, WorkerExitEvent } from './events.js';
import { type ObserverSink, observerOf, type PoolObserver } from './observer.js';

/** One finished task on the timeline: worker, name index, start (epoch ms), duration, items, ok. */
export type Span = [
  workerId: number,
  name: number,
  startedAt: number,
  durationMs: number,
  items: number,
  ok: 0 | 1,
];

export interface WorkerRow {
  id: number;
  threadId?: number;
  pid?: number;
  /** Tasks it holds now. */
  running: number;
  tasks: number;
  items: number;
  failed: number;
  /** Heap in use, bytes, as last reported. */
  heap?: number;
  startedAt: number;
  exitedAt?: number;
  exit?: { code: number | null; signal: string | null; crashed: boolean; reason?: string };
}

export interface ErrorRow {
  at: number;
  name: string;
  /** A pool's worker id; a cluster worker's `host:pid`. */
  workerId?: number | string;
  message: string;
}

/** Once a second: tasks and items finished in that second, queue length, tasks running. */
export type Sample = [at: number, tasks: number, items: number, queued: number, inFlight: number];

/** What the page draws for one pool. */
export interface PoolSnapshot {
  id: number;
  label: string;
  now: number;
  stats: PoolStats;
  workers: WorkerRow[];
  names: string[];
  spans: Span[];
  samples: Sample[];
  calls: CallProgress[];
  errors: ErrorRow[];
}

export interface MonitorOptions {
  /** Spans older than this are dropped (the live page shows the last minute). */
  keepMs: number;
  /** Spans kept at most; the oldest go first. */
  maxSpans: number;
  maxSamples: number;
}

const MAX_ERRORS = 50;
const MAX_EXITED = 32;
let nextPoolId = 1;
const poolIds = new WeakMap<Pool, number>();

/** The dashboard's and the report's record of one pool, fed by its observer. */
export class PoolMonitor implements ObserverSink {
  readonly pool: Pool;
  readonly id: number;
  readonly #observer: PoolObserver;
  readonly #options: MonitorOptions;
  readonly #names: string[] = [];
  readonly #nameIndex = new Map<string, number>();
  readonly #workers = new Map<number, WorkerRow>();
  readonly #errors: ErrorRow[] = [];
  /** Spans in arrival order; `#seq` counts every span ever added, so a reader can ask for the new ones. */
  #spans: Span[] = [];
  #seq = 0;
  readonly #samples: Sample[] = [];
  #tickTasks = 0;
  #tickItems = 0;
  readonly #timer: NodeJS.Timeout;
  #stopped = false;

  constructor(pool: Pool, options: MonitorOptions) {
    this.pool = pool;
    this.id = poolId(pool);
    this.#options = options;
    this.#observer = observerOf(pool._scheduler);
    for (const w of pool._scheduler.workerInfo()) {
      this.workerCreate({ workerId: w.id, threadId: w.threadId, pid: w.pid });
    }
    this.#observer.addSink(this);
    this.#timer = setInterval(() => this.sample(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.sample();
    this.#observer.removeSink(this);
  }

  // ---- sink -------------------------------------------------------------------------------

  taskEnd(e: TaskEndEvent): void {
    let n = this.#nameIndex.get(e.name);
    if (n === undefined) {
      n = this.#names.push(e.name) - 1;
      this.#nameIndex.set(e.name, n);
    }
    this.#spans.push([e.workerId, n, e.startedAt, e.durationMs, e.items, e.ok ? 1 : 0]);
    this.#seq++;
    if (this.#spans.length > this.#options.maxSpans * 1.25) this.#trim();
    this.#tickTasks++;
    this.#tickItems += e.items;
    const row = this.#workers.get(e.workerId);
    if (row) {
      row.tasks++;
      row.items += e.items;
      if (!e.ok) row.failed++;
    }
    if (!e.ok) this.#error(e.name, e.error, e.workerId);
  }

  workerCreate(e: WorkerCreateEvent): void {
    this.#workers.set(e.workerId, {
      id: e.workerId,
      threadId: e.threadId,
      pid: e.pid,
      running: 0,
      tasks: 0,
      items: 0,
      failed: 0,
      startedAt: Date.now(),
    });
  }

  workerExit(e: WorkerExitEvent): void {
    const row = this.#workers.get(e.workerId);
    if (!row) return;
    row.exitedAt = Date.now();
    row.exit = { code: e.exitCode, signal: e.signal, crashed: e.crashed, reason: e.reason };
    if (e.crashed) {
      this.#error(
        'worker',
        new Error(
          `worker ${e.workerId} died (exit code ${e.exitCode}${e.signal ? `, ${e.signal}` : ''})`,
        ),
        e.workerId,
      );
    }
    const exited = [...this.#workers.values()].filter((w) => w.exitedAt !== undefined);
    for (const old of exited.slice(0, Math.max(0, exited.length - MAX_EXITED)))
      this.#workers.delete(old.id);
  }

  heap(workerId: number, bytes: number): void {
    const row = this.#workers.get(workerId);
    if (row) row.heap = bytes;
  }

  failure(name: string, error: unknown): void {
    this.#error(name, error, undefined);
  }

  // ---- reading ----------------------------------------------------------------------------

  /** Takes this second's sample (the timer calls it; a report calls it once more at the end). */
  sample(): void {
    const scheduler = this.pool._scheduler;
    this.#samples.push([
      Date.now(),
      this.#tickTasks,
      this.#tickItems,
      scheduler.queued,
      scheduler.inFlight,
    ]);
    this.#tickTasks = 0;
    this.#tickItems = 0;
    if (this.#samples.length > this.#options.maxSamples) this.#samples.shift();
    this.#trim();
  }

  get seq(): number {
    return this.#seq;
  }

  /** Everything, or with `sinceSeq` only the spans added after that point. */
  snapshot(sinceSeq?: number): PoolSnapshot {
    const scheduler = this.pool._scheduler;
    const running = new Map(scheduler.workerInfo().map((w) => [w.id, w.busy]));
    for (const row of this.#workers.values()) row.running = running.get(row.id) ?? 0;
    const fresh =
      sinceSeq === undefined
        ? this.#spans.length
        : Math.min(this.#spans.length, this.#seq - sinceSeq);
    return {
      id: this.id,
      label: `pool ${this.id} (${this.pool._backend.name})`,
      now: Date.now(),
      stats: this.pool.stats(),
      workers: [...this.#workers.values()].map((w) => ({ ...w })),
      names: this.#names.slice(),
      spans: this.#spans.slice(this.#spans.length - fresh),
      samples: sinceSeq === undefined ? this.#samples.slice() : this.#samples.slice(-1),
      calls: this.#observer.calls.list().map((c) => ({ ...c })),
      errors: this.#errors.slice(),
    };
  }

  #trim(): void {
    const { keepMs, maxSpans } = this.#options;
    const cutoff = Date.now() - keepMs;
    let drop = Math.max(0, this.#spans.length - maxSpans);
    while (drop < this.#spans.length) {
      const s = this.#spans[drop];
      if (s[2] + s[3] >= cutoff) break;
      drop++;
    }
    if (drop > 0) this.#spans = this.#spans.slice(drop);
  }

  #error(name: string, error: unknown, workerId: number | undefined): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : errorText(error);
    this.#errors.push({ at: Date.now(), name, workerId, message: message.slice(0, 500) });
    if (this.#errors.length > MAX_ERRORS) this.#errors.shift();
  }
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    const e = error as { name?: unknown; message?: unknown };
    return `${typeof e.name === 'string' ? `${e.name}: ` : ''}${String(e.message)}`;
  }
  return String(error);
}

function poolId(pool: Pool): number {
  let id = poolIds.get(pool);
  if (id === undefined) {
    id = nextPoolId++;
    poolIds.set(pool, id);
  }
  return id;
}
