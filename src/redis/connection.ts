import type { Redis, RedisOptions } from 'ioredis';
import { RedisUnavailableError } from './errors.js';
import { ioredis } from './peers.js';

/** Where Redis is: a URL (`redis://user:pass@host:6379/0`) or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** `host:port` of a connection, without credentials, for messages. */
export function describeConnection(connection: RedisConnection): string {
  if (typeof connection === 'string') {
    try {
      const url = new URL(connection);
      return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    } catch {
      return 'the given Redis URL';
    }
  }
  if (connection.path) return connection.path;
  return `${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}

/**
 * A client that connects only when asked. ioredis retries forever by default, which is what a
 * long run wants after Redis restarts, but at start a wrong address must fail fast: see
 * {@link connectWithin}.
 */
export function createClient(connection: RedisConnection, extra: RedisOptions): Redis {
  if (typeof connection === 'string')
    return new ioredis.Redis(connection, { ...extra, lazyConnect: true });
  if (connection === null || typeof connection !== 'object') {
    throw new TypeError(
      `the Redis connection must be a URL string or ioredis options, got ${String(connection)}; ` +
        "pass for example { connection: 'redis://127.0.0.1:6379' }",
    );
  }
  return new ioredis.Redis({ ...connection, ...extra, lazyConnect: true });
}

/** Connects, or gives up after `timeoutMs` with a RedisUnavailableError that says where and why. */
export function connectWithin(client: Redis, timeoutMs: number, where: string): Promise<Redis> {
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (error: Error) => {
      lastError = error;
    };
    const onReady = () => {
      clearTimeout(timer);
      client.off('error', onError);
      resolve(client);
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      client.off('error', onError);
      client.disconnect();
      const why = lastError ? ` (${lastError.message})` : '';
      reject(
        new RedisUnavailableError(
          `cannot reach Redis at ${where} within ${timeoutMs} ms${why}; check that redis-server runs there and the connection option (or raise connectTimeout)`,
          lastError,
        ),
      );
    }, timeoutMs);
    client.on('error', onError);
    client.once('ready', onReady);
    client.connect().catch((error: Error) => {
      // ioredis keeps retrying after a failed first attempt; the timer decides when to stop
      lastError = error;
    });
  });
}
