import { hostname } from 'node:os';
import { serialize } from 'node:v8';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { findUncloneable } from '../codec/clone-path.js';
import { serializeError } from '../codec/errors.js';
import { cpuCount } from '../cpu.js';
import { CloneError, WorkerCrashedError } from '../errors.js';
import { Pool } from '../faces/pool.js';
import {
  failResult,
  RESULT_STRIDE,
  ResultStatus,
  resultValue,
  setResult,
  TASK_STRIDE,
  TaskKind,
  taskArgs,
  taskFnId,
  taskId,
  taskKind,
} from '../wire/protocol.js';
import {
  connectWithin,
  createClient,
  describeConnection,
  type RedisConnection,
} from './connection.js';
import { JobRefusedError } from './errors.js';
import { FileRoots } from './file-roots.js';
import { Heartbeat } from './heartbeat.js';
import { ms, queueName } from './options.js';
import { bullmq } from './peers.js';
import { TaskTable } from './task-table.js';
import {
  decodePayload,
  encodeReply,
  isJobData,
  type JobData,
  type ReplyBody,
  replyKeyPrefix,
  sameSignature,
  secretFrom,
  signJob,
} from './wire.js';

/** Options of {@link startRedisWorker}, the engine of `spindle worker`. */
export interface RedisWorkerOptions {
  /** Where Redis is: a URL such as `redis://127.0.0.1:6379`, or ioredis options. */
  connection: RedisConnection;
  /** The task modules this worker runs (paths or file URLs). Tasks from any other module are refused. */
  tasks: string[];
  /** The queue to consume. Default `'spindle'`. */
  queue?: string;
  /** BullMQ's key prefix. Default `'bull'`. */
  prefix?: string;
  /** Threads that run tasks. Default `cpuCount()`. */
  workers?: number;
  /** Jobs held at once. Default 2 × workers, so a thread never waits for Redis. */
  concurrency?: number;
  /** Refuse jobs not signed with this secret. Default: `SPINDLE_SECRET`. */
  secret?: string;
  /** Milliseconds a job's lock lasts without renewal; a dead worker's jobs run elsewhere after about this long. Default 2000. */
  lockDuration?: number;
  /** Milliseconds between checks for jobs whose worker died. Default 1000. */
  stalledInterval?: number;
  /** Milliseconds to reach Redis at start before giving up. Default 3000. */
  connectTimeout?: number;
  /**
   * Folders whose files bag partitions may read (`--allow-read`): a job naming a file outside
   * them (its real path, symlinks resolved) fails with `SPINDLE_PATH_NOT_ALLOWED`. Default: none.
   */
  allowRead?: string[];
  /** Folders bag partitions may write into (`--allow-write`, for `toTextFiles`). Default: none. */
  allowWrite?: string[];
  /** Where log lines go. Default: stderr. */
  log?: (line: string) => void;
}

/** A running cluster worker. */
export interface RedisWorkerHandle {
  /** The task modules it runs, as resolved file URLs. */
  readonly modules: readonly string[];
  /** The folders bag partitions may read and write, in words (for the log). */
  readonly files: string;
  /** Stops taking jobs and finishes the ones it holds; with `force`, drops them now (they run elsewhere once their lock expires). */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * Consumes a spindle queue: each job is one batch of tasks, run on a local thread pool so the
 * event loop stays free for BullMQ's lock renewal, and answered on the caller's reply list.
 */
export async function startRedisWorker(options: RedisWorkerOptions): Promise<RedisWorkerHandle> {
  const queue = queueName(options.queue ?? 'spindle');
  const prefix = options.prefix ?? 'bull';
  const secret = secretFrom(options.secret);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const host = hostname();
  const roots = await FileRoots.load(options.allowRead, options.allowWrite, host);
  const table = await TaskTable.load(options.tasks, roots);
  const threads = options.workers ?? cpuCount();
  const where = describeConnection(options.connection);
  // BullMQ's blocking reads must wait out a Redis restart rather than fail.
  const client = createClient(options.connection, { maxRetriesPerRequest: null });
  let lastLogged = '';
  client.on('error', (error: Error) => {
    if (error.message !== lastLogged) log(`spindle worker: Redis at ${where}: ${error.message}`);
    lastLogged = error.message;
  });
  client.on('ready', () => {
    lastLogged = '';
  });
  await connectWithin(client, ms(options.connectTimeout, 3000, 'connectTimeout'), where);

  const pool = new Pool({ workers: threads });
  const replyPrefix = replyKeyPrefix(prefix, queue);
  // What `spindle dashboard` shows of this worker.
  const heartbeat = new Heartbeat(client, prefix, queue, pool, threads);
  const processor = (job: Job) =>
    runJob(job, { table, pool, client, secret, replyPrefix, host, heartbeat });
  const worker = new bullmq.Worker(queue, processor, {
    connection: client as never,
    prefix,
    concurrency: options.concurrency ?? 2 * threads,
    lockDuration: ms(options.lockDuration, 2000, 'lockDuration'),
    stalledInterval: ms(options.stalledInterval, 1000, 'stalledInterval'),
    // Re-runs after a crash are counted per job against the caller's crashRetries (runJob),
    // so BullMQ itself never gives up on a stalled job.
    maxStalledCount: 1_000_000,
    removeOnComplete: { count: 0 },
  });
  worker.on('error', (error) => {
    if (error.message !== lastLogged) log(`spindle worker: ${error.message}`);
    lastLogged = error.message;
  });
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    modules: table.urls,
    files: roots.describe(),
    close({ force = false } = {}) {
      closing ??= (async () => {
        await worker.close(force);
        await (force ? pool.terminate() : pool.close());
        await heartbeat.stop();
        await client.quit().catch(() => client.disconnect());
      })();
      return closing;
    },
  };
}

interface JobContext {
  table: TaskTable;
  pool: Pool;
  client: Redis;
  secret: string | undefined;
  replyPrefix: string;
  host: string;
  heartbeat: Heartbeat;
}

async function runJob(job: Job, ctx: JobContext): Promise<void> {
  const data = job.data as unknown;
  const id = job.id!;
  if (!isJobData(data))
    throw new bullmq.UnrecoverableError('not a spindle job: its data has the wrong shape');
  // The reply key comes from the job, so it must stay inside the queue's namespace.
  if (!data.r.startsWith(ctx.replyPrefix)) {
    ctx.heartbeat.refused(`job ${id}: its reply key is not under ${ctx.replyPrefix}`);
    throw new bullmq.UnrecoverableError(`refused: the reply key is not under ${ctx.replyPrefix}`);
  }
  const reply = (body: ReplyBody) => pushReply(ctx, data, encodeReply(id, body, ctx.secret));
  const refuse = async (message: string): Promise<never> => {
    ctx.heartbeat.refused(message);
    await reply({ error: serializeError(new JobRefusedError(message)) });
    throw new bullmq.UnrecoverableError(message);
  };

  if (ctx.secret) {
    if (data.s === undefined) {
      await refuse(
        `the spindle worker on ${ctx.host} refused job ${id}: it is not signed, and this worker runs only jobs signed with its secret; give the caller the same secret (redis({ secret }) or SPINDLE_SECRET)`,
      );
    }
    if (!sameSignature(signJob(ctx.secret, id, data), data.s)) {
      await refuse(
        `the spindle worker on ${ctx.host} refused job ${id}: its signature does not match; the caller's secret differs from this worker's`,
      );
    }
  }
  if (job.stalledCounter > data.m) {
    const error = new WorkerCrashedError(
      `job ${id} was held by spindle workers that died ${job.stalledCounter} times (killed, or out of memory), and crashRetries is ${data.m}`,
      null,
      null,
    );
    await reply({ error: serializeError(error) });
    return;
  }

  const payload = decodePayload(data);
  const specs = new Map<number, ReturnType<TaskTable['resolve']>>();
  for (const [fnId, def] of payload.defs) {
    const resolved = ctx.table.resolve(def);
    if (resolved.refused)
      await refuse(`the spindle worker on ${ctx.host} refused job ${id}: ${resolved.refused}`);
    specs.set(fnId, resolved);
  }
  const results = await runTasks(ctx.pool, payload.tasks, specs);
  await reply({ ...results, unsigned: ctx.secret ? undefined : true });
  ctx.heartbeat.jobDone();
}

async function pushReply(ctx: JobContext, data: JobData, bytes: Buffer): Promise<void> {
  // A caller that went away leaves its list behind; let Redis drop it after a day.
  await ctx.client.pipeline().rpush(data.r, bytes).expire(data.r, 86_400).exec();
}

function runTasks(
  pool: Pool,
  tasks: unknown[],
  specs: Map<number, ReturnType<TaskTable['resolve']>>,
): Promise<{ results: unknown[]; busyMs: number }> {
  const scheduler = pool._scheduler;
  const count = tasks.length / TASK_STRIDE;
  const results = new Array<unknown>(count * RESULT_STRIDE);
  let busyMs = 0;
  let left = count;
  return new Promise((resolve) => {
    const settle = (at: number, status: number, value: unknown, ms: number) => {
      setResult(results, (at / TASK_STRIDE) * RESULT_STRIDE, taskId(tasks, at), status, value, ms);
      busyMs += ms;
      if (--left === 0) resolve({ results: cloneable(results), busyMs });
    };
    if (count === 0) resolve({ results, busyMs });
    for (let at = 0; at < tasks.length; at += TASK_STRIDE) {
      const resolved = specs.get(taskFnId(tasks, at));
      const kind = taskKind(tasks, at);
      const args = taskArgs(tasks, at);
      if (!resolved?.spec) {
        settle(at, ResultStatus.ERROR, serializeError(resolved?.error), 0);
        continue;
      }
      const run = (args: unknown[]) => {
        let started = performance.now();
        try {
          scheduler.submit(
            resolved.spec!,
            args,
            {
              onStart: () => {
                started = performance.now();
              },
              onResult: (value) => settle(at, ResultStatus.OK, value, performance.now() - started),
              onError: (error) =>
                settle(at, ResultStatus.ERROR, serializeError(error), performance.now() - started),
            },
            { kind, units: kind & TaskKind.MAP ? (args[0] as unknown[]).length : 1 },
          );
        } catch (error) {
          settle(at, ResultStatus.ERROR, serializeError(error), 0);
        }
      };
      if (!resolved.prepare) run(args);
      else if (kind & TaskKind.MAP) {
        const error = new JobRefusedError(
          'a bag partition came as a map chunk, which no caller sends',
        );
        settle(at, ResultStatus.ERROR, serializeError(error), 0);
      } else {
        resolved.prepare(args).then(run, (error) => {
          settle(at, ResultStatus.ERROR, serializeError(error), 0);
        });
      }
    }
  });
}

/** v8.serialize refuses a little more than postMessage (SharedArrayBuffer): fail only those results. */
function cloneable(results: unknown[]): unknown[] {
  try {
    serialize(results);
    return results;
  } catch {
    for (let i = 0; i < results.length; i += RESULT_STRIDE) {
      try {
        serialize(resultValue(results, i));
      } catch (error) {
        const found = findUncloneable(resultValue(results, i), 'result');
        const path = found?.path ?? 'result';
        failResult(
          results,
          i,
          serializeError(
            new CloneError(
              `the task's ${path} cannot be sent back through Redis: ${found?.reason ?? (error as Error).message}`,
              path,
            ),
          ),
        );
      }
    }
    return results;
  }
}
