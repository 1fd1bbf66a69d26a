import type { ResourceLimits, WorkerExit } from '../backends/types.js';
import { WorkerCrashedError } from '../errors.js';
import type { Task } from './task.js';

export interface CrashOutcome {
  /** Tasks that were running, out of retries: they reject with this error. */
  fail: Array<[Task, WorkerCrashedError]>;
  /** Tasks to queue again, in their original order (retried ones and ones that never started). */
  requeue: Task[];
  /** How many of `requeue` are retries (they count against `retries`). */
  retried: number;
}

/**
 * Decides what becomes of the tasks a dead worker held. Only the tasks it had started are
 * blamed, including one that finished but whose result never left the worker; the ones queued
 * behind them never started and go back as they are. The backend usually knows how many it
 * took on (WorkerExit.taken, against each task's place in the order it was sent) or which ran
 * (WorkerExit.running); otherwise the first `concurrency` unanswered ones are assumed to.
 * Tasks already settled by a timeout or abort (zombies) are dropped.
 */
export function blameCrash(
  held: Task[],
  exit: WorkerExit,
  options: { concurrency: number; retries: number; how: string },
): CrashOutcome {
  const running = Math.max(1, options.concurrency);
  const known = exit.running ? new Set(exit.running) : undefined;
  const outcome: CrashOutcome = { fail: [], requeue: [], retried: 0 };
  const taken = exit.taken;
  held.forEach((task, index) => {
    if (task.zombie) return;
    const started =
      taken !== undefined ? task.sentAs < taken : known ? known.has(task.id) : index < running;
    if (!started) {
      outcome.requeue.push(task);
      return;
    }
    if (task.attempts < options.retries) {
      task.attempts++;
      outcome.retried++;
      outcome.requeue.push(task);
      return;
    }
    const advice =
      options.retries > 0
        ? ` (after ${task.attempts} retries)`
        : '; set retries to re-run tasks whose worker dies';
    outcome.fail.push([task, crashError(task.spec.label, exit, options.how, advice)]);
  });
  return outcome;
}

/** The error of a call whose worker died; `how` is from {@link describeExit}. */
export function crashError(
  label: string,
  exit: WorkerExit,
  how: string,
  advice = '',
): WorkerCrashedError {
  return new WorkerCrashedError(
    `the worker running ${label} ${how}${advice}`,
    exit.code,
    exit.signal,
    exit.error,
  );
}

/**
 * How a worker ended, for messages: its signal or exit code, a likely reason, and the error it
 * died of, if any.
 */
export function describeExit(exit: WorkerExit, limits: ResourceLimits | undefined): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  if (exit.error) return `${how}: ${exit.error.name}: ${exit.error.message}`;
  // V8 aborts a process that reaches --max-old-space-size; say so, since nothing else will.
  const heap = limits?.maxOldGenerationSizeMb;
  if (heap !== undefined && (exit.signal === 'SIGABRT' || exit.code === 134))
    return `${how} (out of memory? its heap is limited to ${heap} MB by resourceLimits)`;
  return how;
}
