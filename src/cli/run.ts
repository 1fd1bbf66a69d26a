import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import type { BackendName } from '../backends/resolve.js';
import { Deque } from '../engine/deque.js';
import { ErrorCodes } from '../errors.js';
import { describeFailure, failureRecord, lineFailure } from '../faces/bag/settle-sink.js';
import type { ProgressInfo } from '../faces/map.js';
import { Pool } from '../faces/pool.js';
import { progressBar } from '../faces/progress.js';
import { CliError, ExitCode } from './exit.js';
import { LineWriter, readLines } from './lines.js';
import { readsInWorkers, runFileCommand } from './run-file.js';
import { loadTask, parseTaskRef } from './task-ref.js';

/** The options of `spindle run`, as parsed from the command line. */
export interface RunOptions {
  /** A file, or `-` for standard input (the default). */
  input?: string;
  /** Each input line is a JSON value; each output line is the result as JSON. */
  jsonl?: boolean;
  /** Workers. Default: one per core. */
  jobs?: number;
  backend?: BackendName;
  /** Items per message to a worker; default adaptive. */
  chunksize?: number | 'auto';
  /** Items in flight per worker, for tasks that wait on I/O, or `'auto'`. Default 1. */
  concurrency?: number | 'auto';
  /** Draw a progress bar on stderr. */
  progress?: boolean;
  /** A file to write results to, instead of standard output. */
  output?: string;
  /** Record a failing line's error and go on, instead of stopping. */
  keepGoing?: boolean;
}

/** Where the command reads and writes; tests and embedders may pass their own streams. */
export interface RunIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: NodeJS.WriteStream;
}

const FLUSH_LINES = 256;

/**
 * `spindle run <module>#<task>`: maps the task over the input's lines on a pool, in order,
 * streaming, and returns the exit code (see {@link ExitCode}).
 */
export async function runCommand(
  ref: string,
  options: RunOptions,
  io: RunIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const task = await loadTask(parseTaskRef(ref));
  // A file is read by the workers themselves, each its own block (see run-file.ts).
  if (readsInWorkers(options)) return runFileCommand(task, options, io);
  const input = await openInput(options.input ?? '-', io);
  const out = options.output ? await openOutput(options.output) : io.stdout;
  const writer = new LineWriter(out);
  const lineNumbers = new Deque<number>();
  let inputFailure: CliError | undefined;
  let linesRead = 0;
  let itemCount = 0;
  let bytesRead = 0;
  let inputDone = false;

  async function* items(): AsyncGenerator<unknown> {
    try {
      for await (const text of readLines(input.stream)) {
        const line = ++linesRead;
        // Bytes of the lines taken so far (characters, near enough), for the progress estimate.
        bytesRead += text.length + 1;
        if (!options.jsonl) {
          lineNumbers.push(line);
          itemCount++;
          yield text;
          continue;
        }
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          inputFailure = new CliError(
            `line ${line} is not JSON (${(error as Error).message}); with --jsonl every non-blank line must be a JSON value`,
            ExitCode.IO,
          );
          return;
        }
        lineNumbers.push(line);
        itemCount++;
        yield value;
      }
    } catch (error) {
      inputFailure = new CliError(
        `could not read ${input.name}: ${(error as Error).message}`,
        ExitCode.IO,
      );
    } finally {
      inputDone = true;
    }
  }

  const bar = options.progress ? progressBar({ stream: io.stderr }) : undefined;
  const sameTerminal = bar !== undefined && io.stderr.isTTY && out === io.stdout && io.stdout.isTTY;
  const progress = bar
    ? (info: ProgressInfo) => {
        const total = inputDone ? itemCount : estimateTotal(input.size, bytesRead, linesRead);
        const etaMs =
          total !== undefined && info.done > 0
            ? (info.elapsedMs / info.done) * Math.max(0, total - info.done)
            : undefined;
        bar.update({
          ...info,
          total: total === undefined ? undefined : Math.max(total, info.done),
          etaMs,
        });
      }
    : undefined;

  const pool = new Pool({
    backend: options.backend ?? 'threads',
    workers: options.jobs,
    concurrency: options.concurrency,
  });
  let failures = 0;
  let stopped: { line: number; error: unknown } | undefined;
  const flush = async () => {
    if (!sameTerminal || writer.pending === 0) return writer.flush();
    // Results and the bar share the terminal: results above, the bar on the line below them.
    bar!.clear();
    await writer.flush();
    bar!.redraw();
  };
  try {
    const results = pool.imapSettled(task, items(), { chunksize: options.chunksize, progress });
    let scheduled = false;
    for await (const item of results) {
      const line = lineNumbers.shift() ?? 0;
      let text: string | undefined;
      let error: unknown;
      if (item.ok) {
        try {
          text = formatResult(item.value, options.jsonl === true);
        } catch (e) {
          error = e;
        }
      } else error = item.error;
      if (error === undefined) writer.push(text!);
      else if (options.keepGoing && !isSetupError(error)) {
        failures++;
        io.stderr.write(
          `spindle: line ${line} failed: ${describeFailure(lineFailure(line, error))}\n`,
        );
        writer.push(
          options.jsonl
            ? JSON.stringify({ error: failureRecord(line, lineFailure(line, error)) })
            : '',
        );
      } else {
        stopped = { line, error };
        break;
      }
      if (writer.failure) break;
      if (writer.pending >= FLUSH_LINES) await flush();
      else if (!scheduled) {
        // Lines trickling in (stdin typed by hand, slow tasks) still show up promptly.
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          void flush();
        });
      }
    }
  } catch (error) {
    stopped = { line: 0, error };
  } finally {
    // The last results first, then the bar's final line below them.
    await flush();
    bar?.stop();
    if (stopped || writer.failure) await pool.terminate();
    else await pool.close();
  }
  await writer.end(out !== io.stdout);

  const written = writer.outcome();
  if (written !== undefined) return written;
  if (inputFailure) throw inputFailure;
  if (stopped) {
    if (isSetupError(stopped.error)) {
      throw new CliError((stopped.error as Error).message, ExitCode.USAGE);
    }
    const where = stopped.line ? `line ${stopped.line} failed` : 'the run failed';
    io.stderr.write(
      `spindle: ${where}: ${describeFailure(lineFailure(stopped.line, stopped.error))}\n`,
    );
    return ExitCode.TASK_FAILED;
  }
  if (failures > 0) {
    const total = linesRead;
    io.stderr.write(`spindle: ${failures} of ${total} lines failed\n`);
    return ExitCode.TASK_FAILED;
  }
  return ExitCode.OK;
}

async function openInput(
  name: string,
  io: RunIO,
): Promise<{ stream: Readable; name: string; size?: number }> {
  if (name === '-') {
    if (io.stdin.isTTY) {
      io.stderr.write(
        'spindle: reading lines from the terminal; end with Ctrl-D (or pass --input FILE)\n',
      );
    }
    return { stream: io.stdin, name: 'standard input' };
  }
  let size: number;
  try {
    const info = await stat(name);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    throw new CliError(`cannot read the input ${name}: ${reason}`, ExitCode.IO);
  }
  return { stream: createReadStream(name), name, size };
}

async function openOutput(name: string): Promise<Writable> {
  try {
    const handle = await open(name, 'w');
    return handle.createWriteStream();
  } catch (error) {
    throw new CliError(`cannot write the output ${name}: ${(error as Error).message}`, ExitCode.IO);
  }
}

/** Lines in a file, estimated from the bytes read so far: enough for a percentage and an ETA. */
function estimateTotal(size: number | undefined, bytes: number, lines: number): number | undefined {
  if (size === undefined || bytes === 0 || lines === 0) return undefined;
  return Math.round((lines / bytes) * size);
}

/** Plain mode: a string as it is, anything else as JSON. JSON lines mode: always JSON. */
export function formatResult(value: unknown, jsonl: boolean): string {
  if (!jsonl) {
    if (typeof value === 'string') return value;
    if (value === undefined) return '';
    if (typeof value === 'bigint') return String(value);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`the result cannot be written as JSON: ${(error as Error).message}`);
  }
  return text ?? 'null';
}

/** A task that cannot be loaded in a worker is a usage problem, not a failing line. */
function isSetupError(error: unknown): boolean {
  return (error as { code?: string })?.code === ErrorCodes.TASK_MODULE;
}
