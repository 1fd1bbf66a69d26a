import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type {
  Backend,
  WorkerChannel,
  WorkerEvents,
  WorkerStartOptions,
} from '../backends/types.js';
import { serializeError, type WireError } from '../codec/errors.js';
import { PoolClosedError, UnsupportedError, WorkerCrashedError } from '../errors.js';
import type { TaskDef } from '../tasks/types.js';
import {
  pushResult,
  ResultStatus,
  TASK_STRIDE,
  type ToWorker,
  taskFnId,
  taskId,
} from '../wire/protocol.js';
import { connectWithin, createClient, describeConnection } from './connection.js';
import { JobRefusedError, RedisUnavailableError } from './errors.js';
import type { ResolvedRedisOptions } from './options.js';
import { bullmq } from './peers.js';
import { decodeReply, encodeJob, type JobData, replyKeyPrefix } from './wire.js';

interface Links {
  client: Redis;
  reader: Redis;
  queue: Queue;
}

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
/** Closing waits at most this long for each Redis round trip. */
const CLOSE_WAIT_MS = 1000;

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
  #links: Promise<Links> | undefined;
  #open: Links | undefined;
  #failure: { error: unknown; at: number } | undefined;
  readonly #pending = new Map<string, PendingJob>();
  #closed = false;
  #refs = 0;
  #downSince: number | undefined;
  #poller: NodeJS.Timeout | undefined;
  #polling = false;
  #reading: Promise<void> | undefined;

  constructor(options: ResolvedRedisOptions) {
    this.#options = options;
    this.#where = describeConnection(options.connection);
    this.#replyKey = `${replyKeyPrefix(options.prefix, options.queue)}${this.#idPrefix}`;
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
    this.#connect().then(ready, ready);
    return channel;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#poller) clearInterval(this.#poller);
    const links = await this.#links?.catch(() => undefined);
    if (!links) return;
    // Someone awaits this close: the sockets must hold the process until it is done, or an
    // idle pool's unref'd sockets let Node exit with the close still pending.
    this.#refs++;
    this.#applyRef();
    links.reader.disconnect();
    // A BLPOP queued while Redis is away is not always rejected by disconnect()
    if (this.#reading) await within(this.#reading, CLOSE_WAIT_MS);
    // A polite QUIT waits for Redis; with Redis away it would wait for ever.
    if (links.client.status !== 'ready') links.client.disconnect();
    await within(links.queue.close(), CLOSE_WAIT_MS);
    await within(links.client.quit(), CLOSE_WAIT_MS);
    links.client.disconnect();
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
    if (this.#downTooLong()) {
      queueMicrotask(() => this.#failJob(job, this.#downError()));
      return;
    }
    this.#connect().then(
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
      if (job.added && this.#open?.client.status === 'ready') {
        removals.push(within(this.#open.queue.remove(job.id), CLOSE_WAIT_MS));
      }
    }
    await Promise.all(removals);
  }

  /** @internal an idle pool must not keep the process alive through its Redis sockets */
  ref(delta: number): void {
    this.#refs += delta;
    this.#applyRef();
  }

  #applyRef(): void {
    const links = this.#open;
    if (!links) return;
    for (const client of [links.client, links.reader]) {
      const stream = (client as unknown as { stream?: { ref(): void; unref(): void } }).stream;
      if (!stream) continue;
      if (this.#refs > 0) stream.ref();
      else stream.unref();
    }
  }

  #connect(): Promise<Links> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    if (this.#links) return this.#links;
    const failure = this.#failure;
    // Right after a failed attempt, fail at once instead of waiting out the timeout again
    if (failure && performance.now() - failure.at < this.#options.connectTimeout) {
      return Promise.reject(failure.error);
    }
    this.#links = this.#openLinks().then(
      (links) => {
        this.#failure = undefined;
        this.#open = links;
        this.#startLoops(links);
        return links;
      },
      (error) => {
        this.#links = undefined;
        this.#failure = { error, at: performance.now() };
        throw error;
      },
    );
    return this.#links;
  }

  async #openLinks(): Promise<Links> {
    const { connection, connectTimeout } = this.#options;
    // Commands give up after some reconnect attempts instead of queueing forever; the poller
    // bounds the wait for work already sent (reconnectTimeout).
    const client = createClient(connection, {
      maxRetriesPerRequest: 20,
      enableAutoPipelining: true,
    });
    this.#watch(client);
    try {
      await connectWithin(client, connectTimeout, this.#where);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    const reader = client.duplicate({ maxRetriesPerRequest: null, lazyConnect: true });
    reader.on('error', () => {});
    try {
      await connectWithin(reader, connectTimeout, this.#where);
    } catch (error) {
      client.disconnect();
      reader.disconnect();
      throw error;
    }
    const queue = new bullmq.Queue(this.#options.queue, {
      connection: client as never,
      prefix: this.#options.prefix,
    });
    queue.on('error', () => {});
    return { client, reader, queue };
  }

  #watch(client: Redis): void {
    client.on('error', () => {});
    client.on('close', () => {
      this.#downSince ??= performance.now();
    });
    client.on('ready', () => {
      this.#downSince = undefined;
      this.#applyRef();
    });
  }

  #startLoops(links: Links): void {
    this.#reading = this.#readReplies(links.reader);
    this.#poller = setInterval(() => void this.#poll(links), this.#options.pollInterval);
    this.#poller.unref();
    links.reader.on('ready', () => this.#applyRef());
    this.#applyRef();
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
    while (!this.#closed) {
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
        if (this.#closed) return;
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
    if (this.#closed || this.#pending.size === 0) return;
    // Before the in-progress check: a poll sent just before Redis went away waits for it.
    const down = this.#downSince;
    if (this.#downTooLong()) {
      const error = this.#downError();
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

  #downTooLong(): boolean {
    const down = this.#downSince;
    return down !== undefined && performance.now() - down > this.#options.reconnectTimeout;
  }

  #downError(): RedisUnavailableError {
    return new RedisUnavailableError(
      `lost the connection to Redis at ${this.#where} for more than ${this.#options.reconnectTimeout} ms; the unfinished tasks fail (raise reconnectTimeout to wait longer)`,
    );
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

/** Waits for `promise`, but not longer than `ms`, and never fails. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function errorResults(job: PendingJob, error: WireError): unknown[] {
  const results: unknown[] = [];
  for (const id of job.taskIds) pushResult(results, id, ResultStatus.ERROR, error, 0);
  return results;
}

/** One virtual worker: what it sends becomes jobs on the shared queue. */
export class RedisChannel implements WorkerChannel {
  alive = true;
  #refed = true;
  /** Task definitions the scheduler has sent this worker, by the caller's spec id. */
  readonly defs = new Map<number, TaskDef>();

  constructor(
    readonly backend: RedisBackend,
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
