import { CliError } from './exit.js';

export interface WorkerCommandOptions {
  redis: string;
  tasks: string[];
  queue?: string;
  workers?: number;
  secret?: string;
}

/**
 * `spindle worker`: hands over to the cluster worker (cli/worker.ts), imported only here so
 * that no other command loads BullMQ. Resolves with an exit code, or `'serve'` while the worker
 * keeps serving after its start function returns.
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<number | 'serve'> {
  // A variable specifier: the cluster worker is an optional part of the build.
  const specifier = './worker.js';
  let mod: { runWorkerCommand?: (options: WorkerCommandOptions) => unknown };
  try {
    mod = await import(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'ERR_MODULE_NOT_FOUND' &&
      /worker\.(js|ts)/.test(String((error as Error).message))
    ) {
      throw new CliError(
        'this build of spindle has no cluster worker (cli/worker.js is missing); reinstall spindle',
      );
    }
    throw error;
  }
  if (typeof mod.runWorkerCommand !== 'function') {
    throw new CliError(
      'this build of spindle has a cluster worker without runWorkerCommand; reinstall spindle',
    );
  }
  const result = await mod.runWorkerCommand(options);
  return typeof result === 'number' ? result : 'serve';
}
