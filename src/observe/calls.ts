import type { Scheduler } from '../engine/scheduler.js';
import type { ProgressReporter } from '../faces/map.js';
import type { TaskSpec } from '../tasks/types.js';

/** One call (`map`, `parallel`, `compute`, a bag) as the dashboard shows its progress. */
export interface CallProgress {
  id: number;
  kind: string;
  /** What runs: the task's name, or what the call was given. */
  name: string;
  done: number;
  failed: number;
  total: number | undefined;
  /** Epoch milliseconds. */
  startedAt: number;
  finishedAt?: number;
}

/** Finished calls the dashboard still lists, most recent last. */
const KEEP_FINISHED = 20;

/** The calls running on one pool, and the last few that finished. */
export class CallTracker {
  #nextId = 1;
  readonly running = new Map<number, CallProgress>();
  readonly finished: CallProgress[] = [];

  start(kind: string, name: string, total: number | undefined): CallProgress {
    const call: CallProgress = {
      id: this.#nextId++,
      kind,
      name,
      done: 0,
      failed: 0,
      total,
      startedAt: Date.now(),
    };
    this.running.set(call.id, call);
    return call;
  }

  finish(call: CallProgress): void {
    if (!this.running.delete(call.id)) return;
    call.finishedAt = Date.now();
    this.finished.push(call);
    if (this.finished.length > KEEP_FINISHED) this.finished.shift();
  }

  list(): CallProgress[] {
    return [...this.running.values(), ...this.finished];
  }
}

/**
 * The progress reporter a face gives its call: the caller's own (`progress` option) as it is
 * when nothing watches the pool, and otherwise one that also shows the call on the dashboard.
 */
export function trackCall(
  scheduler: Scheduler,
  kind: string,
  what: TaskSpec | string,
  reporter: ProgressReporter | undefined,
  total?: number,
): ProgressReporter | undefined {
  const tracker = scheduler.observer?.callTracker;
  if (!tracker) return reporter;
  const name = typeof what === 'string' ? what : shortName(what);
  const call = tracker.start(kind, name, total);
  return {
    update(done, failed, total) {
      call.done = done;
      call.failed = failed;
      if (total !== undefined) call.total = total;
      reporter?.update(done, failed, total);
    },
    finish() {
      tracker.finish(call);
      reporter?.finish();
    },
  };
}

function shortName(spec: TaskSpec): string {
  if (spec.def.t === 'm') return spec.def.name;
  return spec.fn?.name || spec.label.replace(/^inline /, '').slice(0, 40);
}
