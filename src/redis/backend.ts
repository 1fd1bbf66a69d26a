import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  Backend,
  WorkerChannel,
  WorkerEvents,
  WorkerStartOptions,
} from '../backends/types.js';
import { serializeError, type WireError } from '../codec/errors.js';
import { UnsupportedError, WorkerCrashedError } from '../errors.js';
import type { TaskDef } from '../tasks/types.js';
import {
  pushResult,
  ResultStatus,
  TASK_STRIDE,
  type ToWorker,
  taskFnId,
  taskId,
} from '../wire/protocol.js';
import { RedisChannel } from './channel.js';
import { describeConnection } from './connection.js';
import { JobRefusedError, RedisUnavailableError } from './errors.js';
import { CLOSE_WAIT_MS, type Links, RedisLinks, within } from './links.js';
import type { ResolvedRedisOptions } from './options.js';
import { decodeReply, encodeJob, type JobData, replyKeyPrefix } from './wire.js';

interface PendingJob {
  readonly id: string;
  readonly channel: RedisChannel;
  readonly taskIds: number[];
  readonly data: JobData;
  added: boolean;
  /** polls in a row that found no job and no reply */
  missing: number;
  resubmits: number;
  /** replies dropped because their signature did not match */
  badReplies: number;
}

/** Replies taken off the list per round trip once one has arrived. */
const DRAIN_BATCH = 256;
/** A lost job (Redis restarted without persistence) is added again at most this often. */
const MAX_RESUBMITS = 3;

/**
 * The caller's side of the cluster backend. The scheduler sees ordinary workers: each is a
 * virtual channel, and each batch it sends becomes one BullMQ job. Results come back on a
 * reply list of this caller's own (BLPOP), and a poller checks jobs it has not heard about,
 * so nothing depends on BullMQ's events, which Redis trims under load. Replies are matched to
 * jobs by id, so a job that ran twice (its worker stalled or died) answers once.
 */
export class RedisBackend implements Backend {
  readonly name = 'redis';
  readonly sharesMemory = false;
  readonly moduleTasksOnly = true;
  readonly #options: ResolvedRedisOptions;
  /** The pool's `retries`, the default for crash re-runs when `crashRetries` is not given. */
  #poolRetries = 0;
  readonly #where: string;
  readonly #replyKey: string;
  readonly #idPrefix = randomUUID();
  #seq = 0;
  readonly #links: RedisLinks;
  readonly #pending = new Map<string, PendingJob>();
  #poller: NodeJS.Timeout | undefined;
  #polling = false;
  #reading: Promise<void> | undefined;

  constructor(options: ResolvedRedisOptions) {
    this.#options = options;
    this.#where = describeConnection(options.connection);
    this.#replyKey = `${replyKeyPrefix(options.prefix, options.queue)}${this.#idPrefix}`;
    this.#links = new RedisLinks(options, this.#where, (links) => this.#startLoops(links));
  }

  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel {
    this.#poolRetries = options.retries ?? 0;
    const channel = new RedisChannel(this, events);
    if (options.init.init) {
      const error = new UnsupportedError(
        'the redis backend does not run an initializer: jobs go to whichever worker is free. ' +
          'Do per-process setup at the top level of the task module, which every `spindle worker` imports',
      );
      setImmediate(() => events.message({ op: 'initFailed', error: serializeError(error) }));
      return channel;
    }
    // A failed connection still reports ready: the tasks sent then fail with the reason, which
    // reads better than a worker that "died before it was ready".
    const ready = () => {
      if (channel.alive) events.message({ op: 'ready' });
    };
    this.#links.connect().then(ready, ready);
    return channel;
  }

  async close(): Promise<void> {
    if (this.#links.closed) return;
    if (this.#poller) clearInterval(this.#poller);
    await this.#links.close(() => this.#reading);
  }

  /** @internal one batch from the scheduler becomes one job */
  submit(channel: RedisChannel, message: Extract<ToWorker, { op: 'run' }>): void {
    if (message.defs) for (const [id, def] of message.defs) channel.defs.set(id, def);
    const tasks = message.tasks;
    const defs: Array<[number, TaskDef]> = [];
    const seen = new Set<number>();
    const taskIds: number[] = [];
    for (let i = 0; i < tasks.length; i += TASK_STRIDE) {
      taskIds.push(taskId(tasks, i));
      const fnId = taskFnId(tasks, i);
      if (seen.has(fnId)) continue;
      seen.add(fnId);
      defs.push([fnId, channel.defs.get(fnId)!]);
    }
    const id = `${this.#idPrefix}-${++this.#seq}`;
    const { secret } = this.#options;
    const crashRetries =
      this.#options.crashRetries ?? (this.#poolRetries > 0 ? this.#poolRetries : 1);
    const data = encodeJob(id, this.#replyKey, { defs, tasks }, crashRetries, secret);
    const job: PendingJob = {
      id,
      channel,
      taskIds,
      data,
      added: false,
      missing: 0,
      resubmits: 0,
      badReplies: 0,
    };
    this.#pending.set(id, job);
    if (this.#links.downTooLong()) {
      queueMicrotask(() => this.#failJob(job, this.#links.downError()));
      return;
    }
    this.#links.connect().then(
      (links) => this.#add(links, job),
      (error) => this.#failJob(job, error),
    );
  }

  /** @internal a channel stopped: its jobs' answers are no longer wanted */
  async forget(channel: RedisChannel): Promise<void> {
    const removals: Array<Promise<unknown>> = [];
    for (const job of this.#pending.values()) {
      if (job.channel !== channel) continue;
      this.#pending.delete(job.id);
      // A job still waiting is withdrawn; one already running finishes and its reply is dropped.
      const open = this.#links.open;
      if (job.added && open?.client.status === 'ready') {
        removals.push(within(open.queue.remove(job.id), CLOSE_WAIT_MS));
      }
    }
    await Promise.all(removals);
  }

  /** @internal an idle pool must not keep the process alive through its Redis sockets */
  ref(delta: number): void {
    this.#links.ref(delta);
  }

  #startLoops(links: Links): void {
    this.#reading = this.#readReplies(links.reader);
    this.#poller = setInterval(() => void this.#poll(links), this.#options.pollInterval);
    this.#poller.unref();
  }

  async #add(links: Links, job: PendingJob): Promise<void> {
    try {
      await links.queue.add('spindle', job.data, {
        jobId: job.id,
        removeOnComplete: true,
        removeOnFail: { age: 3600 },
        attempts: 1,
      });
      job.added = true;
    } catch (error) {
      this.#failJob(
        job,
        new RedisUnavailableError(
          `could not add a job to the queue '${this.#options.queue}' at ${this.#where}: ${(error as Error).message}`,
          error,
        ),
      );
    }
  }

  async #readReplies(reader: Redis): Promise<void> {
    const key = this.#replyKey;
    while (!this.#links.closed) {
      try {
        const first = await reader.blpopBuffer(key, 1);
        if (!first) continue;
        this.#onReply(first[1]);
        for (;;) {
          const more = (await reader.lpopBuffer(key, DRAIN_BATCH)) as unknown as Buffer[] | null;
          if (!more || more.length === 0) break;
          for (const bytes of more) this.#onReply(bytes);
          if (more.length < DRAIN_BATCH) break;
        }
      } catch {
        if (this.#links.closed) return;
        // Redis is away; ioredis reconnects, and the poller decides when waiting is over.
        await new Promise((resolve) => setTimeout(resolve, 200).unref());
      }
    }
  }

  #onReply(bytes: Buffer): void {
    let reply: ReturnType<typeof decodeReply>;
    try {
      reply = decodeReply(bytes, this.#options.secret);
    } catch {
      return;
    }
    const job = this.#pending.get(reply.jobId);
    if (!job) return; // a duplicate (the job ran twice), or a job of a stopped channel
    const { body } = reply;
    if (body.error) {
      // An error carries no result to forge, so it is accepted unsigned: a worker with another
      // secret can still say why it refused.
      this.#finishJob(job, errorResults(job, body.error), 0);
      return;
    }
    if (this.#options.secret && body.unsigned) {
      this.#failJob(
        job,
        new JobRefusedError(
          `job ${job.id} was run by a spindle worker that has no secret, while this caller signs its jobs, so its results are not trusted; start the workers with the same secret (--secret or SPINDLE_SECRET)`,
        ),
      );
      return;
    }
    if (!reply.trusted) {
      // A forged or corrupted result: wait for a real one (the poller re-adds a job that
      // finished without a reply it could trust).
      job.badReplies++;
      return;
    }
    this.#finishJob(job, body.results ?? [], body.busyMs ?? 0);
  }

  #finishJob(job: PendingJob, results: unknown[], busyMs: number): void {
    if (!this.#pending.delete(job.id)) return;
    if (job.channel.alive) job.channel.events.message({ op: 'done', results, busyMs });
  }

  #failJob(job: PendingJob, error: unknown): void {
    this.#finishJob(job, errorResults(job, serializeError(error)), 0);
  }

  /**
   * Checks jobs whose reply has not come: failed in BullMQ, gone from Redis (restarted without
   * persistence: add it again), or Redis down too long (fail them all).
   */
  async #poll(links: Links): Promise<void> {
    if (this.#links.closed || this.#pending.size === 0) return;
    // Before the in-progress check: a poll sent just before Redis went away waits for it.
    const down = this.#links.downSince;
    if (this.#links.downTooLong()) {
      const error = this.#links.downError();
      for (const job of [...this.#pending.values()]) this.#failJob(job, error);
      return;
    }
    if (this.#polling || down !== undefined) return;
    const jobs = [...this.#pending.values()].filter((job) => job.added);
    if (jobs.length === 0) return;
    this.#polling = true;
    try {
      const base = `${this.#options.prefix}:${this.#options.queue}:`;
      const pipeline = links.client.pipeline();
      for (const job of jobs)
        pipeline.hmget(base + job.id, 'timestamp', 'finishedOn', 'failedReason');
      const answers = (await pipeline.exec()) ?? [];
      answers.forEach(([error, value], index) => {
        if (error) return;
        const job = jobs[index]!;
        if (!this.#pending.has(job.id)) return;
        const [timestamp, finishedOn, failedReason] = value as Array<string | null>;
        if (timestamp === null) this.#onMissing(links, job);
        else if (finishedOn !== null && failedReason !== null) this.#onFailed(job, failedReason);
        else job.missing = 0;
      });
    } catch {
      // Redis is away; try again next time
    } finally {
      this.#polling = false;
    }
  }

  #onMissing(links: Links, job: PendingJob): void {
    // A finished job is removed right after its reply is pushed, so one miss may only mean the
    // reply is on its way; two in a row mean Redis lost the job.
    if (++job.missing < 2) return;
    if (job.resubmits >= MAX_RESUBMITS) {
      if (job.badReplies > 0) {
        this.#failJob(
          job,
          new JobRefusedError(
            `job ${job.id} was answered ${job.badReplies} times with results whose signature does not match this caller's secret; check that the workers use the same secret, and who else can write to this Redis`,
          ),
        );
        return;
      }
      this.#failJob(
        job,
        new RedisUnavailableError(
          `Redis at ${this.#where} lost job ${job.id} ${MAX_RESUBMITS + 1} times (restarted without persistence, or the job was deleted); its tasks fail`,
        ),
      );
      return;
    }
    job.resubmits++;
    job.missing = 0;
    job.added = false;
    void this.#add(links, job);
  }

  #onFailed(job: PendingJob, reason: string): void {
    const text = reason.replace(/^"|"$/g, '');
    const error = /stalled/.test(text)
      ? new WorkerCrashedError(
          `the spindle workers running job ${job.id} kept dying: ${text}`,
          null,
          null,
        )
      : new JobRefusedError(`job ${job.id} failed in a spindle worker: ${text}`);
    this.#failJob(job, error);
  }
}

function errorResults(job: PendingJob, error: WireError): unknown[] {
  const results: unknown[] = [];
  for (const id of job.taskIds) pushResult(results, id, ResultStatus.ERROR, error, 0);
  return results;
}
