import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { builtin } from '../builtin.js';
import type { FromWorker } from '../wire/protocol.js';
import type { DeathReport } from '../worker/process-entry.js';
import { PROCESS_ENTRY } from '../worker/where.js';
import { workerEntryUrl } from './entry-url.js';
import { failedStart } from './start-failure.js';
import {
  type Backend,
  type WorkerChannel,
  type WorkerEvents,
  type WorkerStartOptions,
  withYoungGeneration,
} from './types.js';
import { withCondition } from './worker-condition.js';

/** How long to wait, after a worker exits, for its death report (see process-entry.ts). */
const REPORT_WAIT_MS = 100;

/**
 * Workers are child processes (`child_process.fork`) speaking the same protocol with
 * structured-clone ("advanced") serialization. They share no memory with the caller, and each
 * one watches its parent so none outlives it (see worker/process-entry.ts).
 */
export class ProcessBackend implements Backend {
  readonly name = 'processes';
  readonly sharesMemory = false;

  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel {
    const execArgv = withCondition(workerExecArgv(process.execArgv));
    const limits = withYoungGeneration(options.resourceLimits);
    const heap = limits.maxOldGenerationSizeMb;
    if (heap !== undefined) execArgv.push(`--max-old-space-size=${heap}`);
    const young = limits.maxYoungGenerationSizeMb!;
    execArgv.push(`--max-semi-space-size=${Math.max(1, Math.round(young / 3))}`);
    const stack = limits.stackSizeMb;
    if (stack !== undefined) execArgv.push(`--stack-size=${Math.floor(stack * 1024)}`);
    let entry: URL;
    try {
      entry = workerEntryUrl();
    } catch (error) {
      return failedStart(events, error as Error);
    }
    const { fork } = builtin<typeof import('node:child_process')>('node:child_process');
    const child: ChildProcess = fork(fileURLToPath(entry), [], {
      serialization: 'advanced',
      execArgv,
      // fd 4: the death report pipe
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
      env: { ...process.env, SPINDLE_WORKER: '1', [PROCESS_ENTRY]: entry.href },
    });
    const reportPipe = child.stdio[4] as Readable | null;
    let reportText = '';
    const reportEnded = new Promise<void>((resolve) => {
      if (!reportPipe) return resolve();
      reportPipe.setEncoding('utf8');
      reportPipe.on('data', (chunk: string) => {
        reportText += chunk;
      });
      reportPipe.on('end', resolve);
      reportPipe.on('error', () => resolve());
    });
    child.on('message', (message: FromWorker) => events.message(message));
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    const gone = new Promise<void>((resolve) => {
      child.once('exit', async (code, signal) => {
        // A grandchild may hold the pipe open, so the report is awaited only briefly.
        await Promise.race([reportEnded, delay(REPORT_WAIT_MS)]);
        const report = parseReport(reportText);
        events.exit({
          code,
          signal,
          error: spawnError ?? report?.error,
          running: report ? report.running : undefined,
          taken: report?.taken,
        });
        resolve();
      });
    });
    child.send(options.init);
    let stopping: Promise<void> | undefined;
    const ref = () => {
      child.ref();
      (child.channel as any)?.ref?.();
      (reportPipe as any)?.ref?.();
    };
    return {
      pid: child.pid,
      send: (message) => {
        if (!child.connected) throw new Error('the worker process is gone');
        child.send(message);
      },
      ref,
      unref: () => {
        child.unref();
        (child.channel as any)?.unref?.();
        (reportPipe as any)?.unref?.();
      },
      terminate: () => {
        stopping ??= (async () => {
          // Referenced again, or an idle (unreferenced) child's exit would never be heard.
          ref();
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await gone;
        })();
        return stopping;
      },
    };
  }
}

/** Flags of the caller's node that must not reach a worker, and which of them take a value. */
const DROP =
  /^(-e|--eval|-p|--print|-pe|--input-type|--test|--test-.*|--watch|--watch-.*|--inspect.*|--debug.*|--cpu-prof.*|--heap-prof.*|--prof)$/;
const WITH_VALUE =
  /^(-e|--eval|-p|--print|-pe|--input-type|--watch-path|--test-reporter|--test-reporter-destination|--test-name-pattern|--test-skip-pattern|--test-concurrency|--test-shard|--test-timeout|--cpu-prof-dir|--cpu-prof-name|--heap-prof-dir|--heap-prof-name)$/;

/**
 * The caller's node flags (loaders such as tsx, --conditions, heap flags) minus the ones that
 * describe the caller's own run: an `-e` script would run in every worker instead of the entry
 * (and start pools of its own), a debugger port would clash, test and watch modes are the
 * caller's.
 */
export function workerExecArgv(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (!DROP.test(name)) {
      out.push(arg);
      continue;
    }
    if (name === arg && WITH_VALUE.test(name)) i++;
  }
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseReport(
  text: string,
): { running?: number[]; taken?: number; error?: Error } | undefined {
  if (!text) return undefined;
  try {
    const report = JSON.parse(text) as DeathReport;
    let error: Error | undefined;
    if (report.error) {
      error = new Error(report.error.message);
      error.name = report.error.name;
      if (report.error.stack) error.stack = report.error.stack;
      if (report.error.code !== undefined) (error as { code?: unknown }).code = report.error.code;
    }
    return { running: report.running ?? undefined, taken: report.taken, error };
  } catch {
    return undefined;
  }
}
