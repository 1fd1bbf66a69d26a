import { packItems, packViews } from '../codec/pack.js';
import { type PrepareContext, preparationError, prepareValue } from '../codec/prepare.js';
import type { Scheduler } from '../engine/scheduler.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import type { TaskSpec } from '../tasks/types.js';
import { TaskKind } from '../wire/protocol.js';
import type { ProgressCallback, ProgressReporter } from './feed-plan.js';
import { Feeder } from './feeder.js';
import { itemSource } from './source.js';
import { checkSignal } from './validate.js';

export type { ProgressCallback, ProgressInfo, ProgressReporter, SettledItem } from './feed-plan.js';

/** Options of `map`, `imap`, `imapUnordered` and `starmap`. */
export interface MapOptions {
  /** Items per message: a number, or `'auto'` (the default) to adapt to task duration. */
  chunksize?: number | 'auto';
  /** Aborting drops queued work, stops running work, and rejects with `SPINDLE_CANCELLED`. */
  signal?: AbortSignal;
  /** Milliseconds each task may run (from its start); a task over it rejects with `SPINDLE_TIMEOUT`. With a timeout and no chunksize, every item is its own task. */
  timeout?: number;
  /** `true` draws a bar on stderr; a function receives the counts as they change. */
  progress?: boolean | ProgressCallback;
}

export interface MapRunOptions extends MapOptions {
  star?: boolean;
  /** Results in input order; otherwise as they finish. */
  ordered: boolean;
  /** Each item settles alone, as `{ ok, value }` or `{ ok: false, error }`, and failures do not stop the run. */
  settle?: boolean;
  reporter?: ProgressReporter;
  /** Items cross a real boundary (not inline), so packing all-number chunks pays. */
  pack?: boolean;
  /** How a chunk's items are readied to cross to a worker (views, shared memory); none inline. */
  prepare?: PrepareContext;
}

/**
 * The map family's policy over the feeder: one task is a chunk of items (fixed, or sized by
 * the task's measured cost), sent as one MAP message; look-ahead is three chunks per task
 * slot, read each time because `concurrency: 'auto'` moves it.
 */
export function mapFeeder<R>(
  scheduler: Scheduler,
  spec: TaskSpec,
  items: unknown,
  options: MapRunOptions,
): Feeder<R> {
  if (options.chunksize !== undefined && options.chunksize !== 'auto') {
    if (!Number.isInteger(options.chunksize) || options.chunksize < 1) {
      throw new RangeErrorWithHint(
        `chunksize must be a whole number ≥ 1 or 'auto', got ${options.chunksize}`,
        "leave it out for 'auto'",
      );
    }
  }
  const signal = checkSignal(options.signal);
  const kind =
    TaskKind.MAP | (options.star ? TaskKind.STAR : 0) | (options.settle ? TaskKind.SETTLE : 0);
  const chunkSize =
    typeof options.chunksize === 'number'
      ? options.chunksize
      : options.timeout !== undefined && options.chunksize === undefined
        ? 1
        : undefined;
  const window = () =>
    Math.max(4, 3 * scheduler.maxWorkers * Math.max(1, scheduler.options.concurrency));
  const { star, pack, prepare } = options;
  const input = Array.isArray(items) ? (items as unknown[]) : undefined;
  return new Feeder<R>({
    scheduler,
    what: 'the map',
    source: itemSource(items),
    chunkSize,
    specOf: () => spec,
    order(units, first) {
      if (star) checkArgLists(units, first);
      if (prepare) prepare.heavy = false;
      const payload = pack || prepare ? readyChunk(units, first, pack, prepare, input) : units;
      const heavy = prepare?.heavy === true;
      // Packed rows and views were copied into shared memory: worth sending before the next.
      const flush =
        heavy || (payload !== units && !Array.isArray(payload) && !ArrayBuffer.isView(payload));
      return { spec, args: [payload], kind, flush, heavy };
    },
    // map() collects everything, so a slow chunk at the head need not hold back the rest.
    delivery: options.ordered ? 'input' : 'completion',
    settle: options.settle,
    timeout: options.timeout,
    signal,
    reporter: options.reporter,
    maxInFlight: window,
    maxUnread: window,
  });
}

function checkArgLists(units: unknown[], first: number): void {
  const bad = units.findIndex((item) => !Array.isArray(item));
  if (bad < 0) return;
  throw new TypeErrorWithHint(
    `starmap items must be argument lists (arrays), but item ${first + bad} is ${describe(units[bad])}`,
    'pass [[a, b], [c, d]] for task(a, b) and task(c, d), or use map for one argument',
  );
}

/**
 * A chunk as it crosses: packed numbers, rows or records, views of one buffer as one copy plus
 * offsets, anything else through prepareValue. A value that cannot be read or sent fails the
 * call with SPINDLE_CLONE and its place in the whole input (`items[5012].name`).
 */
function readyChunk(
  units: unknown[],
  first: number,
  pack: boolean | undefined,
  ctx: PrepareContext | undefined,
  input: unknown[] | undefined,
): unknown {
  try {
    return (
      (pack && packItems(units, ctx)) ||
      (ctx ? (packViews(units, ctx, input && { input, first }) ?? prepareValue(units, ctx)) : units)
    );
  } catch (error) {
    throw preparationError(error, units, 'items', first);
  }
}
