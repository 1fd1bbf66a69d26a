import { ErrorCodes, SpindleError } from '../errors.js';

/** Redis cannot be reached, stayed down too long, or lost jobs it held. */
export class RedisUnavailableError extends SpindleError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.REDIS_UNAVAILABLE, message, { cause });
    this.name = 'RedisUnavailableError';
  }
}

/**
 * A cluster worker refused a job: the job's signature is missing or wrong, or it names a task
 * module the worker was not started with. Refusals are never retried.
 */
export class JobRefusedError extends SpindleError {
  constructor(message: string) {
    super(ErrorCodes.JOB_REFUSED, message);
    this.name = 'JobRefusedError';
  }
}

/**
 * `spindle/redis` was imported where bullmq or ioredis is not installed: they are optional peer
 * dependencies, so that the core install stays small for everyone who never uses a cluster.
 */
export class MissingDependencyError extends SpindleError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.MISSING_DEPENDENCY, message, { cause });
    this.name = 'MissingDependencyError';
  }
}

/**
 * A job asked a cluster worker to read or write a path outside the folders it was started
 * with (`--allow-read`, `--allow-write`); `path` names it, `flag` says what to start it with.
 */
export class PathNotAllowedError extends SpindleError {
  readonly path: string;
  readonly flag: '--allow-read' | '--allow-write';
  constructor(message: string, path: string, flag: '--allow-read' | '--allow-write') {
    super(ErrorCodes.PATH_NOT_ALLOWED, message);
    this.name = 'PathNotAllowedError';
    this.path = path;
    this.flag = flag;
  }
}
