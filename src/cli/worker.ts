import { startRedisWorker } from '../redis/consumer.js';

/** What `spindle worker` takes on its command line. */
export interface WorkerCommandOptions {
  /** `--redis URL` */
  redis: string;
  /** `--tasks MODULE...`: the only modules whose tasks this worker runs. */
  tasks: string[];
  /** `--queue Q`, default `'spindle'`. */
  queue?: string;
  /** `--workers N`: threads that run tasks, default the number of cores. */
  workers?: number;
  /** `--secret S`, default `SPINDLE_SECRET`: refuse jobs not signed with it. */
  secret?: string;
  /** `--allow-read DIR...`: folders whose files bag partitions may read. */
  allowRead?: string[];
  /** `--allow-write DIR...`: folders bag partitions may write into (`toTextFiles`). */
  allowWrite?: string[];
  /** `--lock-duration MS`, default 2000: how soon a dead worker's jobs run elsewhere. */
  lockDuration?: number;
  /** Where status lines go. Default: stderr. */
  log?: (line: string) => void;
  /** Stops the worker gracefully when it fires (tests); SIGTERM and SIGINT always do. */
  signal?: AbortSignal;
}

/**
 * Runs `spindle worker` until SIGTERM or SIGINT: consumes the queue, runs jobs on a local
 * thread pool, and on the first signal stops taking jobs and finishes the ones it holds. A
 * second signal stops at once; the jobs it held run on another worker once their locks
 * expire. Resolves when the worker has stopped; rejects (SPINDLE_REDIS_UNAVAILABLE,
 * SPINDLE_TASK_MODULE) if it cannot start.
 */
export async function runWorkerCommand(options: WorkerCommandOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const handle = await startRedisWorker({
    connection: options.redis,
    tasks: options.tasks,
    queue: options.queue,
    workers: options.workers,
    secret: options.secret,
    lockDuration: options.lockDuration,
    allowRead: options.allowRead,
    allowWrite: options.allowWrite,
    log,
  });
  const queue = options.queue ?? 'spindle';
  log(
    `spindle worker ${process.pid}: consuming queue '${queue}' with ${threads(options.workers)}; tasks from ${handle.modules.join(', ')}; ${handle.files}`,
  );
  await new Promise<void>((resolve, reject) => {
    let stops = 0;
    const stop = () => {
      stops++;
      const force = stops > 1;
      log(
        force
          ? `spindle worker ${process.pid}: stopping now; held jobs run elsewhere once their locks expire`
          : `spindle worker ${process.pid}: finishing held jobs, then stopping (signal again to stop now)`,
      );
      handle.close({ force }).then(() => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        options.signal?.removeEventListener('abort', stop);
        resolve();
      }, reject);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
  });
}

function threads(n: number | undefined): string {
  if (n === undefined) return 'a thread per core';
  return n === 1 ? '1 thread' : `${n} threads`;
}
