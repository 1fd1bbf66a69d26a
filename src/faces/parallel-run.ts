import { type PrepareContext, prepareValue } from '../codec/prepare.js';
import type { Scheduler } from '../engine/scheduler.js';
import { describe, TypeErrorWithHint } from '../hints.js';
import { TaskKind } from '../wire/protocol.js';
import { Delayed } from './delayed.js';
import type { ProgressReporter } from './feed-plan.js';
import { Feeder } from './feeder.js';
import { inlineTaskRefusal } from './refusals.js';
import { itemSource } from './source.js';

export interface ParallelRunOptions {
  scheduler: Scheduler;
  moduleTasksOnly: boolean;
  backendName: string;
  prepare: PrepareContext | undefined;
  /** Calls per batch, or undefined to adapt. */
  batchSize: number | undefined;
  /** Batches in flight at most (dispatched, not yet finished). */
  preDispatch: number;
  /** 'array' collects every result; generators hand them out in input or completion order. */
  mode: 'array' | 'generator' | 'generatorUnordered';
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  reporter: ProgressReporter | undefined;
}

/** In generator modes, finished batches nobody has read yet also hold back dispatch beyond this many. */
const BUFFERED_PER_PREDISPATCH = 4;

/**
 * `parallel()`'s policy over the feeder: consecutive lazy calls of one task make a batch (one
 * message, run as a MAP|STAR chunk in the worker), and at most `preDispatch` batches are in
 * flight, joblib's `pre_dispatch`.
 */
export function parallelFeeder(calls: unknown, o: ParallelRunOptions): Feeder {
  const inFlight = () => o.preDispatch;
  const unread =
    o.mode === 'array' ? () => Infinity : () => (1 + BUFFERED_PER_PREDISPATCH) * o.preDispatch;
  return new Feeder({
    scheduler: o.scheduler,
    what: 'parallel()',
    source: itemSource(calls, 'parallel() calls'),
    chunkSize: o.batchSize,
    specOf: (call) => (call instanceof Delayed ? call.spec : undefined),
    cut(carry, size) {
      const spec = (carry[0] as Delayed).spec;
      let n = 1;
      while (n < carry.length && n < size && (carry[n] as Delayed).spec === spec) n++;
      return n;
    },
    order(units, first) {
      const tuples = new Array(units.length);
      for (let i = 0; i < units.length; i++) tuples[i] = argsOf(units[i], first + i);
      const spec = (units[0] as Delayed).spec;
      if (o.moduleTasksOnly && spec.def.t !== 'm')
        throw inlineTaskRefusal({ name: o.backendName }, spec.label);
      return {
        spec,
        args: [o.prepare ? prepareValue(tuples, o.prepare) : tuples],
        kind: TaskKind.MAP | TaskKind.STAR,
      };
    },
    delivery: o.mode === 'generator' ? 'input' : 'completion',
    timeout: o.timeout,
    signal: o.signal,
    reporter: o.reporter,
    maxInFlight: inFlight,
    maxUnread: unread,
  });
}

function argsOf(call: unknown, at: number): unknown[] {
  if (!(call instanceof Delayed)) {
    throw new TypeErrorWithHint(
      `parallel() takes lazy calls, got ${describe(call)} at position ${at}`,
      'pass delayed(task)(...args) for each call: parallel()(xs.map((x) => delayed(task)(x)))',
    );
  }
  for (const arg of call.args) {
    if (arg instanceof Delayed) {
      throw new TypeErrorWithHint(
        `parallel() runs independent calls, and ${call.label} takes another lazy call (${arg.label}) as an argument`,
        'use compute(...) for calls that depend on each other',
      );
    }
  }
  return call.args;
}
