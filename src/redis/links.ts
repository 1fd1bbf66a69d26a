import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PoolClosedError } from '../errors.js';
import { connectWithin, createClient } from './connection.js';
import { RedisUnavailableError } from './errors.js';
import type { ResolvedRedisOptions } from './options.js';
import { bullmq } from './peers.js';

/** The caller's connections: commands and the queue on one, blocking reads of replies on the other. */
export interface Links {
  client: Redis;
  reader: Redis;
  queue: Queue;
}

/** Closing waits at most this long for each Redis round trip. */
export const CLOSE_WAIT_MS = 1000;

/**
 * The life of the cluster backend's connections: opened once on first use (a failed attempt
 * is remembered for `connectTimeout`, so tasks sent right after fail at once instead of each
 * waiting it out), watched for how long Redis has been away, held or let go for the process's
 * lifetime with the pool's refs, and closed without waiting for ever on a Redis that is gone.
 */
export class RedisLinks {
  readonly #options: ResolvedRedisOptions;
  readonly #where: string;
  readonly #onOpen: (links: Links) => void;
  #links: Promise<Links> | undefined;
  #open: Links | undefined;
  #failure: { error: unknown; at: number } | undefined;
  #closed = false;
  #refs = 0;
  #downSince: number | undefined;

  constructor(options: ResolvedRedisOptions, where: string, onOpen: (links: Links) => void) {
    this.#options = options;
    this.#where = where;
    this.#onOpen = onOpen;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The connections once open, for work that must not wait for them. */
  get open(): Links | undefined {
    return this.#open;
  }

  /** When the command connection went away, or undefined while it is up. */
  get downSince(): number | undefined {
    return this.#downSince;
  }

  connect(): Promise<Links> {
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
        this.#onOpen(links);
        links.reader.on('ready', () => this.#applyRef());
        this.#applyRef();
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

  /** An idle pool must not keep the process alive through its Redis sockets. */
  ref(delta: number): void {
    this.#refs += delta;
    this.#applyRef();
  }

  downTooLong(): boolean {
    const down = this.#downSince;
    return down !== undefined && performance.now() - down > this.#options.reconnectTimeout;
  }

  downError(): RedisUnavailableError {
    return new RedisUnavailableError(
      `lost the connection to Redis at ${this.#where} for more than ${this.#options.reconnectTimeout} ms; the unfinished tasks fail (raise reconnectTimeout to wait longer)`,
    );
  }

  /** `reading()` is the loop of blocking reads, awaited (bounded) once the reader is cut. */
  async close(reading: () => Promise<void> | undefined): Promise<void> {
    this.#closed = true;
    const links = await this.#links?.catch(() => undefined);
    if (!links) return;
    // Someone awaits this close: the sockets must hold the process until it is done, or an
    // idle pool's unref'd sockets let Node exit with the close still pending.
    this.#refs++;
    this.#applyRef();
    links.reader.disconnect();
    // A BLPOP queued while Redis is away is not always rejected by disconnect()
    const loop = reading();
    if (loop) await within(loop, CLOSE_WAIT_MS);
    // A polite QUIT waits for Redis; with Redis away it would wait for ever.
    if (links.client.status !== 'ready') links.client.disconnect();
    await within(links.queue.close(), CLOSE_WAIT_MS);
    await within(links.client.quit(), CLOSE_WAIT_MS);
    links.client.disconnect();
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
}

/** Waits for `promise`, but not longer than `ms`, and never fails. */
export function within(promise: Promise<unknown>, ms: number): Promise<void> {
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
