// One chunk for the worker's code: see worker/kernel.ts.
import '../worker/kernel.js';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PageSnapshot } from '../observe/page.js';
import { type Dashboard, type DashboardOptions, serveDashboard } from '../observe/server.js';
import { connectWithin, createClient, describeConnection } from '../redis/connection.js';
import { type ClusterError, clusterKeys, type WorkerBeat } from '../redis/heartbeat.js';
import { queueName } from '../redis/options.js';

export interface ClusterDashboardOptions extends DashboardOptions {
  redis: string;
  queue?: string;
  prefix?: string;
}

/** Samples kept: ten minutes at one a second. */
const MAX_SAMPLES = 600;

/**
 * `spindle dashboard --redis URL`: the cluster behind a queue, read from Redis once a second:
 * the `spindle worker` processes that beat (busy or idle, tasks done, memory), the queue's
 * depth, throughput, failures and refused jobs. The same page as `pool.dashboard()`.
 */
export async function openClusterDashboard(options: ClusterDashboardOptions): Promise<Dashboard> {
  const queue = queueName(options.queue ?? 'spindle');
  const prefix = options.prefix ?? 'bull';
  const where = describeConnection(options.redis);
  const client = createClient(options.redis, { maxRetriesPerRequest: null });
  client.on('error', () => {});
  await connectWithin(client, 3000, where);
  const jobs = new Queue(queue, { connection: client as never, prefix });
  const reader = new ClusterReader(
    client,
    jobs,
    clusterKeys(prefix, queue),
    `queue '${queue}' on ${where}`,
  );
  await reader.read();
  const timer = setInterval(() => void reader.read(), options.intervalMs ?? 1000);
  timer.unref();
  try {
    return await serveDashboard(
      'spindle cluster dashboard',
      {
        snapshot: () => ({ pools: [reader.latest!], cursor: 0 }),
        async stop() {
          clearInterval(timer);
          await reader.idle();
          await jobs.close().catch(() => {});
          await client.quit().catch(() => client.disconnect());
        },
      },
      options,
    );
  } catch (error) {
    clearInterval(timer);
    client.disconnect();
    throw error;
  }
}

class ClusterReader {
  latest: PageSnapshot | undefined;
  readonly #samples: Array<[number, number, number, number, number]> = [];
  #last: { at: number; tasks: number; items: number } | undefined;
  #reading: Promise<void> | undefined;

  constructor(
    readonly client: Redis,
    readonly jobs: Queue,
    readonly keys: ReturnType<typeof clusterKeys>,
    readonly label: string,
  ) {}

  idle(): Promise<void> {
    return this.#reading ?? Promise.resolve();
  }

  read(): Promise<void> {
    // A slow Redis skips samples rather than stacking reads.
    this.#reading ??= this.#read()
      .catch(() => {})
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }

  async #read(): Promise<void> {
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.client.scan(
        cursor,
        'MATCH',
        this.keys.workerPattern,
        'COUNT',
        200,
      );
      cursor = next;
      ids.push(...found);
    } while (cursor !== '0');
    const beats = (ids.length > 0 ? await this.client.mget(ids) : [])
      .filter((b): b is string => b !== null)
      .map((b) => JSON.parse(b) as WorkerBeat)
      .sort((a, b) => a.startedAt - b.startedAt);
    const totals = await this.client.hgetall(this.keys.totals);
    const errors = (await this.client.lrange(this.keys.errors, 0, 49)).map(
      (e) => JSON.parse(e) as ClusterError,
    );
    const counts = await this.jobs.getJobCounts(
      'waiting',
      'prioritized',
      'delayed',
      'active',
      'failed',
    );
    const now = Date.now();
    const total = (field: string) => Number(totals[field] ?? 0);
    const tasks = total('tasks');
    const items = total('items');
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
    if (this.#last) {
      const seconds = Math.max(0.001, (now - this.#last.at) / 1000);
      this.#samples.push([
        now,
        Math.round((tasks - this.#last.tasks) / seconds),
        Math.round((items - this.#last.items) / seconds),
        waiting,
        counts.active ?? 0,
      ]);
      if (this.#samples.length > MAX_SAMPLES) this.#samples.shift();
    }
    this.#last = { at: now, tasks, items };
    const running = beats.reduce((n, b) => n + b.running, 0);
    this.latest = {
      id: 'cluster',
      label: `cluster: ${this.label}`,
      now,
      stats: {
        workers: beats.length,
        busy: beats.filter((b) => b.running > 0).length,
        idle: beats.filter((b) => b.running === 0).length,
        queued: waiting,
        inFlight: running,
        completed: tasks - total('failed'),
        failed: total('failed'),
        cancelled: 0,
        retried: 0,
        crashes: 0,
        rebalanced: 0,
        concurrency: 0,
        runTime: { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 },
        waitTime: { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 },
      },
      extra: {
        'refused jobs': total('refused'),
        'jobs done': total('jobs'),
        'jobs running': counts.active ?? 0,
        'jobs failed in BullMQ': counts.failed ?? 0,
        threads: beats.reduce((n, b) => n + b.threads, 0),
      },
      workers: beats.map((b) => ({
        id: b.id,
        state: b.running > 0 ? 'busy' : 'idle',
        running: b.running,
        tasks: b.tasks,
        items: b.items,
        failed: b.failed,
        heap: b.rss,
        startedAt: b.startedAt,
      })),
      names: [],
      spans: [],
      samples: this.#samples.slice(),
      calls: [],
      errors: errors.map((e) => ({
        at: e.at,
        name: e.name,
        workerId: e.worker,
        message: e.message,
      })),
    };
  }
}

/** The command: serves until SIGINT or SIGTERM, then closes; resolves with the exit code. */
export async function dashboardCommand(
  options: ClusterDashboardOptions & { log?: (line: string) => void; signal?: AbortSignal },
): Promise<number> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dashboard = await openClusterDashboard(options);
  log(
    `spindle dashboard of queue '${options.queue ?? 'spindle'}': ${dashboard.url} (Ctrl-C to stop)`,
  );
  // The server itself never holds the process open (see observe/server.ts); this command does.
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
  });
  clearInterval(keepAlive);
  await dashboard.close();
  return 0;
}
