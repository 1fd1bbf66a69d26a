/**
 * Tasks per second through Redis: spindle's cluster backend next to raw BullMQ, in the same
 * run, on a fresh redis-server (127.0.0.1, no persistence) with 2 local worker processes.
 *
 *   npx tsx bench/redis.ts [--tasks 100000] [--raw-jobs 20000] [--reps 3] [--json]
 *
 * spindle: `pool.map(noop, items)` with default options (chunks travel as single jobs), each
 * worker process with one task thread. Raw BullMQ: one job per task, added with addBulk,
 * each worker process a BullMQ Worker with concurrency 100 running the same no-op.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { tasks } from '../test/fixtures/redis-tasks.js';
import { startRedisServer, startWorker, type WorkerProcess } from '../test/helpers/redis-server.js';

export interface RedisBenchResult {
  nproc: number;
  spindle: { tasks: number; ms: number[]; medianMs: number; tasksPerSec: number };
  bullmq: { jobs: number; ms: number[]; medianMs: number; tasksPerSec: number };
}

const RAW_WORKER = `
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
const connection = new Redis(process.argv[1], { maxRetriesPerRequest: null });
const worker = new Worker(process.argv[2], async (job) => job.data.x, { connection, concurrency: 100 });
await worker.waitUntilReady();
console.log('ready');
process.on('SIGTERM', async () => { await worker.close(); process.exit(0); });
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function rawWorker(url: string, queue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RAW_WORKER, url, queue], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: new URL('..', import.meta.url),
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`raw BullMQ worker exited with ${code}`)));
  });
  return child;
}

async function benchSpindle(url: string, n: number, reps: number): Promise<number[]> {
  const pool = new Pool({
    backend: redis({ connection: url, queue: 'bench-spindle' }),
    workers: 2,
  });
  const items = Array.from({ length: n }, (_, i) => i);
  const times: number[] = [];
  try {
    await pool.map(tasks.noop, items.slice(0, 10_000)); // warm: workers load the module, estimates settle
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      const out = await pool.map(tasks.noop, items);
      times.push(performance.now() - t);
      if (out.length !== n || out[n - 1] !== n - 1)
        throw new Error('spindle returned wrong results');
    }
  } finally {
    await pool.close();
  }
  return times;
}

async function benchRaw(url: string, n: number, reps: number): Promise<number[]> {
  const name = 'bench-raw';
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: connection as never });
  const workers = await Promise.all([rawWorker(url, name), rawWorker(url, name)]);
  const times: number[] = [];
  const run = async (count: number) => {
    await queue.obliterate({ force: true });
    const jobs = Array.from({ length: count }, (_, x) => ({
      name: 'noop',
      data: { x },
      opts: { removeOnComplete: false },
    }));
    const t = performance.now();
    for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
    while ((await queue.getCompletedCount()) < count) await new Promise((r) => setTimeout(r, 20));
    return performance.now() - t;
  };
  try {
    await run(1000);
    for (let r = 0; r < reps; r++) times.push(await run(n));
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    connection.disconnect();
  }
  return times;
}

export async function runRedisBench(
  options: { tasks?: number; rawJobs?: number; reps?: number } = {},
): Promise<RedisBenchResult> {
  const n = options.tasks ?? 100_000;
  const rawN = options.rawJobs ?? 20_000;
  const reps = options.reps ?? 3;
  const server = await startRedisServer();
  const workers: WorkerProcess[] = [];
  try {
    workers.push(
      ...(await Promise.all([
        startWorker(server.url, { queue: 'bench-spindle', workers: 1 }),
        startWorker(server.url, { queue: 'bench-spindle', workers: 1 }),
      ])),
    );
    const spindleMs = await benchSpindle(server.url, n, reps);
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exit()));
    const rawMs = await benchRaw(server.url, rawN, reps);
    const s = median(spindleMs);
    const b = median(rawMs);
    return {
      nproc: os.availableParallelism?.() ?? os.cpus().length,
      spindle: { tasks: n, ms: spindleMs, medianMs: s, tasksPerSec: (n / s) * 1000 },
      bullmq: { jobs: rawN, ms: rawMs, medianMs: b, tasksPerSec: (rawN / b) * 1000 },
    };
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string' },
      'raw-jobs': { type: 'string' },
      reps: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const result = await runRedisBench({
    tasks: values.tasks ? Number(values.tasks) : undefined,
    rawJobs: values['raw-jobs'] ? Number(values['raw-jobs']) : undefined,
    reps: values.reps ? Number(values.reps) : undefined,
  });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    const row = (
      name: string,
      count: number,
      r: { ms: number[]; medianMs: number; tasksPerSec: number },
    ) =>
      `${name.padEnd(34)} ${String(count).padStart(8)} ${r.medianMs.toFixed(0).padStart(8)} ms  ${Math.round(r.tasksPerSec).toLocaleString('en').padStart(10)} tasks/s   (runs: ${r.ms.map((m) => m.toFixed(0)).join(', ')} ms)`;
    console.log(
      `redis: 2 local worker processes, nproc ${result.nproc}, median of ${result.spindle.ms.length}`,
    );
    console.log(row('spindle pool.map(noop) via Redis', result.spindle.tasks, result.spindle));
    console.log(row('raw BullMQ, one job per task', result.bullmq.jobs, result.bullmq));
    console.log(
      `goal: spindle ≥ 50,000 tasks/s — ${result.spindle.tasksPerSec >= 50_000 ? 'met' : 'NOT met'}`,
    );
  }
}
