/**
 * `spindle/redis`: the cluster backend. A subpath of its own, so `spindle` never loads BullMQ.
 *
 * ```ts
 * import { Pool } from 'spindle';
 * import { redis } from 'spindle/redis';
 * await using pool = new Pool({ backend: redis({ connection: 'redis://10.0.0.5:6379' }), workers: 16 });
 * const cubes = await pool.map(tasks.cube, xs);
 * ```
 * Workers run `spindle worker --redis redis://10.0.0.5:6379 --tasks ./tasks.js`.
 *
 * @module spindle/redis
 */
import type { Backend } from '../backends/types.js';
import { RedisBackend } from './backend.js';
import { type RedisBackendOptions, resolveRedisOptions } from './options.js';

export type { RedisConnection } from './connection.js';
export {
  type RedisWorkerHandle,
  type RedisWorkerOptions,
  startRedisWorker,
} from './consumer.js';
export {
  JobRefusedError,
  MissingDependencyError,
  PathNotAllowedError,
  RedisUnavailableError,
} from './errors.js';
export type { RedisBackendOptions } from './options.js';

/**
 * A backend for `new Pool({ backend: redis({ connection }) })` that runs tasks on `spindle
 * worker` processes anywhere that can reach the same Redis, through BullMQ.
 *
 * - Module tasks only (`defineTasks`): code never travels through Redis; each worker runs
 *   only the task modules it was started with.
 * - Each batch the pool sends (a chunk of a `map`, or a burst of `submit`s) is one job.
 *   `workers` in the Pool options is how many batches are in flight at once: set it to the
 *   threads of all your workers together.
 * - A worker that dies mid-job: the job runs again elsewhere (up to `crashRetries` times),
 *   and each result is delivered once. A task that throws is not re-run: its error is its result.
 * - With `secret` (or `SPINDLE_SECRET`), every job is signed with HMAC-SHA256, and workers
 *   started with the same secret refuse any other.
 */
export function redis(options: RedisBackendOptions): Backend {
  return new RedisBackend(resolveRedisOptions(options));
}
