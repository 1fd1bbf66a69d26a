import { sendFailure } from '../codec/send-failure.js';
import type { Transferable } from '../codec/transferable.js';
import type { CloneError } from '../errors.js';
import type { TaskDef } from '../tasks/types.js';
import { pushTask } from '../wire/protocol.js';
import { offer } from '../worker/claims.js';
import type { Slot } from './slot.js';
import type { Task } from './task.js';

type Definitions = Array<[number, TaskDef]> | undefined;

/**
 * Sends tasks that are already in the slot's in-flight list to its worker, as one message.
 * Each is offered for the take-back race first (worker/claims.ts), and numbered in the order
 * the worker receives it. A definition counts as sent only once a message carrying it left.
 * Returns the tasks that could not be sent, each with its CloneError, out of the slot.
 */
export function sendTasks(
  slot: Slot,
  tasks: Task[],
  wire: unknown[],
  defs: Definitions,
  transfer: Transferable[] | undefined,
): Array<[Task, CloneError]> {
  const claims = slot.channel.claims;
  if (claims) for (let k = 0; k < tasks.length; k++) offer(claims, slot.sent + k);
  try {
    slot.channel.send({ op: 'run', defs, tasks: wire }, transfer);
  } catch (error) {
    return sendOneByOne(slot, tasks, defs, error);
  }
  if (defs) for (const [id] of defs) slot.defined.add(id);
  for (const task of tasks) task.sentAs = slot.sent++;
  return [];
}

/** A batch that would not clone: each task goes alone, so only the bad ones fail. */
function sendOneByOne(
  slot: Slot,
  tasks: Task[],
  defs: Definitions,
  batchError: unknown,
): Array<[Task, CloneError]> {
  const failed: Array<[Task, CloneError]> = [];
  for (const task of tasks) {
    const own = defs?.filter(([id]) => id === task.spec.id && !slot.defined.has(id));
    const withDefs = own !== undefined && own.length > 0;
    if (slot.channel.claims) offer(slot.channel.claims, slot.sent);
    try {
      slot.channel.send(
        {
          op: 'run',
          defs: withDefs ? own : undefined,
          tasks: oneTask(task),
        },
        task.transfer,
      );
      if (withDefs) slot.defined.add(task.spec.id);
      task.sentAs = slot.sent++;
    } catch (error) {
      slot.inflight.delete(task.id);
      slot.inflightCost -= task.cost;
      failed.push([task, sendFailure(task, withDefs, error ?? batchError).error]);
    }
  }
  return failed;
}

function oneTask(task: Task): unknown[] {
  const tasks: unknown[] = [];
  pushTask(tasks, task.id, task.spec.id, task.kind, task.args);
  return tasks;
}
