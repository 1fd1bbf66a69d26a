#!/usr/bin/env node
/**
 * The `spindle` command. Each subcommand's code is imported only when it runs, so `--help`
 * stays instant and `spindle run` never loads the demo, the bench or the cluster backend.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, ExitCode } from './exit.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const EXIT_CODES = `
Exit codes:
  0  every line succeeded
  1  a task failed (the line number and the task's message are on stderr);
     with --keep-going, some lines failed
  2  bad usage: unknown option, bad <module>#<task>, a module or task that cannot be loaded
  3  the input could not be read (missing file, a line that is not JSON) or the output written`;

/** Builds the command line; each action reports its exit code through `done`. */
export function buildProgram(done: (exitCode: number) => void = () => {}): Command {
  const program = new Command('spindle')
    .description('Use every core, then every machine: run tasks in parallel from the command line.')
    .version(version, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description(
      'map a task over the lines of a file or of standard input, in parallel, results in input order',
    )
    .argument(
      '<module#task>',
      "the task: a module path, '#', and a name given to defineTasks in it or an exported function",
    )
    .option('-i, --input <file>', "lines to read ('-' for standard input)", '-')
    .option('-o, --output <file>', 'write results to a file instead of standard output')
    .option('--jsonl', 'each input line is a JSON value, and each output line the result as JSON')
    .option('-j, --jobs <n>', 'workers (default: one per core)', positiveInt)
    .addOption(
      new Option('-b, --backend <name>', 'where tasks run')
        .choices(['threads', 'processes', 'inline'])
        .default('threads'),
    )
    .option(
      '-c, --chunksize <n>',
      "items per message to a worker, or 'auto' (adaptive)",
      countOrAuto,
    )
    .option(
      '--concurrency <n>',
      "tasks in flight per worker for tasks that wait on I/O, or 'auto' to find it",
      countOrAuto,
    )
    .option('-p, --progress', 'draw a progress bar on stderr (count, rate, ETA)')
    .option('-k, --keep-going', "report a failing line's error and go on instead of stopping")
    .addHelpText(
      'after',
      `
Each input line is passed to the task as a string (with --jsonl, as the parsed JSON value).
Results are written one per line: a string as it is, anything else as JSON. Input streams
through with bounded memory. A failing line stops the run with its line number and the task's
message; with --keep-going its output line is empty (with --jsonl, {"error": {...}}).
A TypeScript task module needs tsx: node --import tsx node_modules/.bin/spindle run ...
${EXIT_CODES}

Examples:
  seq 1 1000 | spindle run ./tasks.js#cube
  spindle run ./tasks.js#title --input urls.txt --concurrency auto --progress -o titles.txt
  spindle run ./tasks.js#score --jsonl --input records.jsonl --keep-going > scores.jsonl`,
    )
    .action(async (ref: string, options) => {
      const { runCommand } = await import('./run.js');
      done(await runCommand(ref, options));
    });

  program
    .command('demo')
    .description(
      'run the seed workloads sequentially and with spindle, and print a table of speed-ups',
    )
    .argument('[names...]', 'run only these workloads (see the list below)')
    .option('-q, --quick', 'small inputs: a smoke test that takes a few seconds')
    .option('--out <dir>', 'where the Mandelbrot PNG files go', 'spindle-demo')
    .option('-j, --jobs <n>', 'workers per pool (default: one per core)', positiveInt)
    .option('--dashboard-port <n>', 'port of the live dashboard (default: any free port)', port)
    .option('--no-dashboard', 'do not serve the live dashboard')
    .addHelpText(
      'after',
      `
Workloads: cubes, sleep, titles, sumsq, words, mandelbrot.
Each runs sequentially, on a thread pool, on a process pool, and with the spindle face that
fits it best; every result is checked against the sequential answer.`,
    )
    .action(async (names: string[], options, command: Command) => {
      const { demoCommand } = await import('./demo-command.js');
      const demo = {
        names,
        quick: options.quick,
        outDir: options.out,
        workers: options.jobs,
        dashboard: options.dashboard,
        dashboardPort: options.dashboardPort,
      };
      done(await demoCommand(demo, ['demo', ...command.args, ...demoFlags(options)]));
    });

  program
    .command('bench')
    .description('run the benchmark suite (from a spindle checkout) and print the comparison table')
    .argument('[names...]', 'run only these workloads, for example W1 W2')
    .option(
      '--compare <peers>',
      'peers to compare with, comma-separated (default: piscina,tinypool,workerpool)',
    )
    .option('-q, --quick', 'tiny sizes, one repetition: a smoke test whose figures mean nothing')
    .option('--reps <n>', 'timed repetitions per row (default 5)', positiveInt)
    .addHelpText(
      'after',
      `
Workloads: W1 W1' W2 W3 W4 W5 W6 scale memory (see BENCH.md). The full suite takes minutes.`,
    )
    .action(async (names: string[], options) => {
      const { benchCommand } = await import('./bench.js');
      done(await benchCommand(names, options));
    });

  program
    .command('worker')
    .description('serve tasks from a Redis queue: a cluster worker for the redis backend')
    .requiredOption('--redis <url>', 'the Redis server, for example redis://10.0.0.5:6379')
    .requiredOption('--tasks <modules...>', 'task modules this worker may run')
    .option('--queue <name>', 'the queue to serve', 'spindle')
    .option('-w, --workers <n>', 'tasks run at once (default: one per core)', positiveInt)
    .option('--secret <secret>', 'refuse jobs not signed with it (default: $SPINDLE_SECRET)')
    .option(
      '--lock-duration <ms>',
      "how soon a dead worker's jobs run elsewhere (default 2000)",
      positiveInt,
    )
    .option('--allow-read <dirs...>', 'folders whose files bag partitions may read (default: none)')
    .option('--allow-write <dirs...>', 'folders bag partitions may write into (default: none)')
    .addHelpText(
      'after',
      `
Runs until SIGTERM or Ctrl-C: the first signal finishes the jobs held, a second stops at once.
Bags on the cluster read and write files at the paths the caller names: the files must be at
those paths on this machine, inside a folder given to --allow-read (--allow-write for
toTextFiles); anything else is refused with SPINDLE_PATH_NOT_ALLOWED.

Example:
  SPINDLE_SECRET=s3cret spindle worker --redis redis://10.0.0.5:6379 --tasks ./tasks.js
  spindle worker --redis redis://10.0.0.5:6379 --tasks ./tasks.js --allow-read /data --allow-write /data/out`,
    )
    .action(async (options) => {
      const { workerCommand } = await import('./worker-command.js');
      done(await workerCommand(options));
    });

  program
    .command('dashboard')
    .description(
      'serve a live web page of a Redis cluster: workers, queue depth, throughput, failures',
    )
    .requiredOption('--redis <url>', 'the Redis server, for example redis://10.0.0.5:6379')
    .option('--queue <name>', 'the queue to watch', 'spindle')
    .option('--port <n>', 'port to listen on (default: any free port)', port, 0)
    .option('--host <address>', 'address to bind (default 127.0.0.1: this machine only)')
    .option('--token <token>', 'require this token on every request (set one for any other host)')
    .action(async (options) => {
      const { dashboardCommand } = await import('./cluster-dashboard.js');
      done(await dashboardCommand(options));
    });

  return program;
}

/** The demo's options again as flags, for a child process that runs it. */
function demoFlags(options: {
  quick?: boolean;
  out?: string;
  jobs?: number;
  dashboard?: boolean;
  dashboardPort?: number;
}): string[] {
  const flags: string[] = [];
  if (options.dashboard === false) flags.push('--no-dashboard');
  if (options.dashboardPort !== undefined)
    flags.push('--dashboard-port', String(options.dashboardPort));
  if (options.quick) flags.push('--quick');
  if (options.out !== undefined) flags.push('--out', options.out);
  if (options.jobs !== undefined) flags.push('--jobs', String(options.jobs));
  return flags;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1.');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port from 0 to 65535.');
  return n;
}

function countOrAuto(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : positiveInt(value);
}

/** Runs the command line and resolves with the exit code; prints errors itself. */
export async function main(argv = process.argv): Promise<number> {
  let outcome: number = ExitCode.OK;
  const program = buildProgram((o) => {
    outcome = o;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the message; its own exit code is 0 for --help and --version.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (error instanceof CliError) {
      process.stderr.write(`spindle: ${error.message}\n`);
      return error.exitCode;
    }
    if ((error as { code?: unknown }).code === 'SPINDLE_MISSING_DEPENDENCY') {
      // `spindle worker` without bullmq/ioredis: the message says what to install.
      process.stderr.write(`spindle: ${(error as Error).message}\n`);
      return ExitCode.USAGE;
    }
    process.stderr.write(
      `spindle: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.TASK_FAILED;
  }
  return outcome;
}

// A reader that goes away (`spindle run --help | head -1`) is not a crash: without a listener,
// the EPIPE of the help text written into the closed pipe is an uncaught 'error' event. `run`
// watches its own output as well (see lines.ts) and stops the run.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.exitCode = ExitCode.IO;
  });
}

const exitCode = await main();
process.exitCode = exitCode;
// Whatever a task module left running (a timer, a socket) must not keep the command alive.
setTimeout(() => process.exit(exitCode), 2000).unref();
