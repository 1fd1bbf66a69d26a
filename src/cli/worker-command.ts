import { CliError, ExitCode } from './exit.js';
import type { WorkerCommandOptions } from './worker.js';

/**
 * `spindle worker`: hands over to the cluster worker (cli/worker.ts), imported only here so
 * that no other command loads BullMQ. Resolves with the exit code once the worker has stopped
 * (SIGTERM or SIGINT).
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  let runWorkerCommand: (options: WorkerCommandOptions) => Promise<void>;
  try {
    ({ runWorkerCommand } = await import('./worker.js'));
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError(
        `the cluster worker cannot load: ${(error as Error).message}; reinstall spindle (npm install spindle)`,
      );
    }
    throw error;
  }
  try {
    await runWorkerCommand(options);
  } catch (error) {
    // It could not start (Redis unreachable, a task module that does not load): say why.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SPINDLE_')) {
      throw new CliError(`${(error as Error).message} (${code})`, ExitCode.USAGE);
    }
    throw error;
  }
  return ExitCode.OK;
}
