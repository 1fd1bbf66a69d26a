import { RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import type { RedisConnection } from './connection.js';
import { secretFrom } from './wire.js';

/** Options of {@link redis}; only `connection` is required. */
export interface RedisBackendOptions {
  /** Where Redis is: a URL such as `redis://127.0.0.1:6379`, or ioredis options. */
  connection: RedisConnection;
  /** The BullMQ queue the workers consume. Default `'spindle'`. */
  queue?: string;
  /** BullMQ's key prefix. Default `'bull'`. */
  prefix?: string;
  /** Signs every job (HMAC-SHA256); workers started with the same secret refuse anything else. Default: `SPINDLE_SECRET`. */
  secret?: string;
  /** Milliseconds to reach Redis before tasks fail with `SPINDLE_REDIS_UNAVAILABLE`. Default 3000. */
  connectTimeout?: number;
  /** Milliseconds sent work waits for a lost Redis to come back before it fails. Default 30000. */
  reconnectTimeout?: number;
  /**
   * Re-runs of a job whose worker died (killed, out of memory) before it answered. Default:
   * the pool's `retries` when that is set above 0, else 1 (a cluster loses machines; a job
   * whose worker vanished runs again elsewhere unless you say otherwise).
   */
  crashRetries?: number;
  /** Milliseconds between checks on jobs that have not answered. Default 1000. */
  pollInterval?: number;
}

export interface ResolvedRedisOptions {
  connection: RedisConnection;
  queue: string;
  prefix: string;
  secret: string | undefined;
  connectTimeout: number;
  reconnectTimeout: number;
  /** Undefined when not given: the pool's `retries` decides (see RedisBackendOptions). */
  crashRetries: number | undefined;
  pollInterval: number;
}

export function resolveRedisOptions(options: RedisBackendOptions): ResolvedRedisOptions {
  if (options === null || typeof options !== 'object' || options.connection === undefined) {
    throw new TypeErrorWithHint(
      'redis() needs an options object with a connection',
      "pass redis({ connection: 'redis://127.0.0.1:6379' })",
    );
  }
  return {
    connection: options.connection,
    queue: queueName(options.queue ?? 'spindle'),
    prefix: options.prefix ?? 'bull',
    secret: secretFrom(options.secret),
    connectTimeout: ms(options.connectTimeout, 3000, 'connectTimeout'),
    reconnectTimeout: ms(options.reconnectTimeout, 30_000, 'reconnectTimeout'),
    crashRetries:
      options.crashRetries === undefined
        ? undefined
        : count(options.crashRetries, 1, 'crashRetries'),
    pollInterval: ms(options.pollInterval, 1000, 'pollInterval'),
  };
}

export function queueName(queue: unknown): string {
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) {
    throw new TypeErrorWithHint(
      `the queue name must be a non-empty string without ':', got ${String(queue)}`,
      "use for example queue: 'spindle'",
    );
  }
  return queue;
}

export function ms(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeErrorWithHint(
      `${name} must be a positive number of milliseconds, got ${String(value)}`,
      `leave it out for ${fallback}`,
    );
  }
  return value;
}

export function count(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeErrorWithHint(
      `${name} must be a whole number ≥ 0, got ${String(value)}`,
      `leave it out for ${fallback}`,
    );
  }
  return value;
}
