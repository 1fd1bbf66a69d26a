import type { TaskSink } from '../engine/future.js';
import type { Task } from '../engine/scheduler.js';
import {
  type FeedPlan,
  type SettledItem,
  settledItem,
  type TaskOrder,
  unpackResults,
} from './feed-plan.js';

/**
 * In settle mode every unit settles on its own, so a task that failed whole (its worker
 * crashed, it timed out, it would not clone, a unit could not be prepared) runs again one unit
 * per task, each alone on its worker: only the unit at fault fails, with its own error, or the
 * task's kind of error. `done` hears every unit's outcome at once, in input order.
 */
export function rerunOneByOne(
  plan: FeedPlan,
  units: unknown[],
  first: number,
  error: unknown,
  submit: (order: TaskOrder, sink: TaskSink) => Task,
  done: (settled: SettledItem<unknown>[]) => void,
): Task[] {
  const out: SettledItem<unknown>[] = new Array(units.length);
  let left = units.length;
  const settleOne = (i: number, item: SettledItem<unknown>) => {
    if (out[i] !== undefined) return;
    out[i] = item;
    if (--left === 0) done(out);
  };
  const parts: Task[] = [];
  if (units.length === 1) {
    settleOne(0, { ok: false, error });
    return parts;
  }
  // Queued at the front one after another, so the last submitted runs first: go backwards.
  for (let i = units.length - 1; i >= 0; i--) {
    const sink: TaskSink = {
      onStart() {},
      onResult: (value) => {
        const results = plan.results ? plan.results(value, 1) : unpackResults(value);
        settleOne(i, settledItem(results[0]));
      },
      onError: (partError) => settleOne(i, { ok: false, error: partError }),
    };
    try {
      parts.push(submit(plan.order([units[i]], first + i), sink));
    } catch (partError) {
      settleOne(i, { ok: false, error: partError });
    }
  }
  return parts;
}
