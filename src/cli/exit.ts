/**
 * What the `spindle` command's exit status means. Scripts branch on these, so they are stable.
 */
export const ExitCode = {
  /** Every item succeeded. */
  OK: 0,
  /** A task failed on some item (the line number and the task's message are on stderr). */
  TASK_FAILED: 1,
  /** Bad usage: an unknown option, a bad `<module>#<task>`, a module or task that cannot be loaded. */
  USAGE: 2,
  /** The input could not be read (missing file, a line that is not JSON) or the output written. */
  IO: 3,
} as const;

/** An error the command reports as one line on stderr, then exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.USAGE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
