import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { ErrorCodes } from '../errors.js';
import { bag } from '../faces/bag/index.js';
import type { SettledPartition } from '../faces/bag/settle-sink.js';
import { describeFailure, failureRecord, lineFailure } from '../faces/bag/settle-sink.js';
import { Pool } from '../faces/pool.js';
import { progressBar } from '../faces/progress.js';
import { taskSpec } from '../tasks/define.js';
import { CliError, ExitCode } from './exit.js';
import { LineWriter } from './lines.js';
import type { RunIO, RunOptions } from './run.js';

type AnyFn = (...args: any[]) => unknown;

/** Lines per worker-side block: small enough that a few blocks keep every worker busy. */
const BLOCKSIZE = 8 * 2 ** 20;

/** Worker-side reading needs a file, and lines that run one at a time in each worker. */
export function readsInWorkers(options: RunOptions): boolean {
  const input = options.input ?? '-';
  return input !== '-' && (options.concurrency === undefined || options.concurrency === 1);
}

/**
 * `spindle run --input FILE`: each worker reads its own block of the file (src/faces/bag),
 * runs the task over its lines and sends back only the output text; the caller writes the
 * blocks in order. Line numbers, --keep-going, --jsonl and exit codes are those of the
 * streaming path in run.ts.
 */
export async function runFileCommand(task: AnyFn, options: RunOptions, io: RunIO): Promise<number> {
  const name = options.input!;
  const size = await inputSize(name);
  const out = options.output ? await openOutput(options.output) : io.stdout;
  const writer = new LineWriter(out);
  const jsonl = options.jsonl === true;
  const keepGoing = options.keepGoing === true;
  const spec = taskSpec(task);
  const lines = bag.readText(name, { blocksize: BLOCKSIZE });
  const pool = new Pool({ backend: options.backend ?? 'threads', workers: options.jobs });
  const bar = options.progress ? progressBar({ stream: io.stderr }) : undefined;
  const started = performance.now();
  let before = 0;
  let bytesDone = 0;
  let failures = 0;
  let stopped: { line: number; message: string } | undefined;
  let inputFailure: CliError | undefined;
  let runFailure: unknown;
  const blocks = lines.npartitions ?? 1;

  const onBlock = (value: unknown): boolean => {
    const part = value as SettledPartition;
    let f = 0;
    for (const text of part.out) {
      if (text !== null) {
        writer.push(text);
        continue;
      }
      const failed = part.failures[f++];
      failures++;
      const line = before + failed.line;
      io.stderr.write(`spindle: line ${line} failed: ${describeFailure(failed)}\n`);
      writer.push(jsonl ? JSON.stringify({ error: failureRecord(line, failed) }) : '');
    }
    if (part.badJson) {
      inputFailure = new CliError(
        `line ${before + part.badJson.line} is not JSON (${part.badJson.message}); with --jsonl every non-blank line must be a JSON value`,
        ExitCode.IO,
      );
    }
    if (part.stop) stopped = { line: before + part.stop.line, message: describeFailure(part.stop) };
    before += part.lines;
    bytesDone += size / blocks;
    if (bar) {
      const elapsedMs = performance.now() - started;
      const total = Math.max(before, Math.round((before / bytesDone) * size));
      const etaMs = before > 0 ? (elapsedMs / before) * Math.max(0, total - before) : undefined;
      bar.update({ done: before, failed: failures, total, elapsedMs, etaMs });
    }
    void writer.flush();
    return stopped !== undefined || inputFailure !== undefined || writer.failure !== undefined;
  };

  try {
    await lines._partials(
      {
        host: { scheduler: pool._scheduler, backend: pool._backend },
        signal: undefined,
        reporter: undefined,
      },
      () => ({ kind: 'settle', task: spec.def, jsonl, keepGoing }),
      undefined,
      onBlock,
    );
  } catch (error) {
    runFailure = error;
  } finally {
    await writer.flush();
    bar?.stop();
    if (runFailure || stopped || inputFailure || writer.failure) await pool.terminate();
    else await pool.close();
  }
  await writer.end(out !== io.stdout);

  const written = writer.outcome();
  if (written !== undefined) return written;
  if (inputFailure) throw inputFailure;
  if (runFailure) {
    const code = (runFailure as { code?: string })?.code;
    if (code === ErrorCodes.TASK_MODULE) {
      throw new CliError((runFailure as Error).message, ExitCode.USAGE);
    }
    if (code === ErrorCodes.INPUT_FILE) {
      throw new CliError(
        `cannot read the input ${name}: ${(runFailure as Error).message}`,
        ExitCode.IO,
      );
    }
    io.stderr.write(`spindle: the run failed: ${describeFailure(lineFailure(0, runFailure))}\n`);
    return ExitCode.TASK_FAILED;
  }
  if (stopped) {
    io.stderr.write(`spindle: line ${stopped.line} failed: ${stopped.message}\n`);
    return ExitCode.TASK_FAILED;
  }
  if (failures > 0) {
    io.stderr.write(`spindle: ${failures} of ${before} lines failed\n`);
    return ExitCode.TASK_FAILED;
  }
  return ExitCode.OK;
}

async function inputSize(name: string): Promise<number> {
  try {
    const info = await stat(name);
    if (!info.isFile()) throw new Error('not a file');
    return info.size;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    throw new CliError(`cannot read the input ${name}: ${reason}`, ExitCode.IO);
  }
}

async function openOutput(name: string): Promise<Writable> {
  try {
    const handle = await open(name, 'w');
    return handle.createWriteStream();
  } catch (error) {
    throw new CliError(`cannot write the output ${name}: ${(error as Error).message}`, ExitCode.IO);
  }
}
