import { formatResult } from '../../cli/run.js';
import { isThenable } from '../../worker/chunk.js';
import { type LineResult, STOP } from './lines.js';
import type { Sink } from './pipeline.js';

type AnyFn = (...args: any[]) => unknown;

/** A failing line, by its number within the partition (1-based, blank lines counted). */
export interface LineFailure {
  readonly line: number;
  readonly name: string;
  readonly message: string;
  readonly code?: unknown;
}

/** What a `spindle run` partition sends back: its output lines, already formatted. */
export interface SettledPartition {
  /** Input lines the partition read (up to where it stopped). */
  readonly lines: number;
  /** One entry per output line; null where a failing line's entry is left to the caller. */
  readonly out: Array<string | null>;
  readonly failures: LineFailure[];
  /** The line that stopped the partition (without --keep-going). */
  readonly stop?: LineFailure;
  /** A line that is not JSON under --jsonl. */
  readonly badJson?: { readonly line: number; readonly message: string };
}

/**
 * `spindle run --input FILE` in the worker: the task over each line of the block, each line
 * settling on its own, results formatted here so only output text crosses back. Without
 * keep-going the first failure ends the partition, as it ends the run.
 */
export function settleSink(fn: AnyFn, jsonl: boolean, keepGoing: boolean): Sink {
  let line = 0;
  const out: Array<string | null> = [];
  const failures: LineFailure[] = [];
  let stop: LineFailure | undefined;
  let badJson: SettledPartition['badJson'];

  const fail = (at: number, error: unknown): LineResult => {
    const record = lineFailure(at, error);
    if (!keepGoing) {
      stop = record;
      return STOP;
    }
    failures.push(record);
    out.push(null);
    return undefined;
  };
  const ok = (at: number, value: unknown): LineResult => {
    try {
      out.push(formatResult(value, jsonl));
      return undefined;
    } catch (error) {
      return fail(at, error);
    }
  };
  return {
    add(item) {
      const at = ++line;
      let text = item as string;
      let value: unknown = text;
      if (jsonl) {
        if (text.trim() === '') return undefined;
        try {
          value = JSON.parse(text);
        } catch (error) {
          badJson = { line: at, message: (error as Error).message };
          return STOP;
        }
      } else if (text.endsWith('\r')) {
        // A last line without '\n' ends in a bare '\r' only here; stdin reading drops it too.
        text = text.slice(0, -1);
        value = text;
      }
      let r: unknown;
      try {
        r = fn(value);
      } catch (error) {
        return fail(at, error);
      }
      if (isThenable(r))
        return Promise.resolve(r).then(
          (v) => ok(at, v),
          (e) => fail(at, e),
        );
      return ok(at, r);
    },
    result: (): SettledPartition => ({ lines: line, out, failures, stop, badJson }),
  };
}

/** A line's error as `spindle run` reports it, the same whether the caller or a worker read the line. */
export function lineFailure(line: number, error: unknown): LineFailure {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      line,
      name: error.name,
      message: error.message,
      ...(code === undefined ? {} : { code }),
    };
  }
  return { line, name: '', message: String(error) };
}

/** `Name: message` for stderr, or the message alone for a thrown non-Error. */
export function describeFailure(failure: Pick<LineFailure, 'name' | 'message'>): string {
  return failure.name ? `${failure.name}: ${failure.message}` : failure.message;
}

/** The `{ error: ... }` record of a failed line under --jsonl, at its line in the whole input. */
export function failureRecord(line: number, failure: LineFailure): Record<string, unknown> {
  if (!failure.name) return { line, message: failure.message };
  return {
    line,
    name: failure.name,
    message: failure.message,
    ...(failure.code === undefined ? {} : { code: failure.code }),
  };
}
