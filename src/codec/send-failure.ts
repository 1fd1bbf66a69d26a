import { CloneError } from '../errors.js';
import type { TaskSpec } from '../tasks/types.js';
import { TaskKind } from '../wire/protocol.js';
import { findUncloneable } from './clone-path.js';

interface Unsendable {
  readonly id: number;
  readonly spec: TaskSpec;
  readonly kind: number;
  readonly args: unknown[];
}

/**
 * The error for a task whose message would not clone: which argument (or, when its
 * definition travelled with it, which captured value) is at fault, and what to send instead.
 */
export function sendFailure(
  task: Unsendable,
  withDefinition: boolean,
  cause: unknown,
): { error: CloneError; inDefinition: boolean } {
  const inArgs = findUncloneable(task.args, task.kind === TaskKind.CALL ? 'args' : 'items');
  const inDefs = inArgs || !withDefinition ? undefined : uncloneableCapture(task.spec);
  const found = inArgs ?? inDefs;
  const where = found ? found.path : 'args';
  const reason = (found ? found.reason : String(cause)).replace(/\.+$/, '');
  const what = inDefs
    ? `a value captured by ${task.spec.label} (${where}) cannot be sent to a worker: ${reason}. Captured values travel by structured clone`
    : `${where} of a call to ${task.spec.label} cannot be sent to a worker: ${reason}. Arguments travel by structured clone`;
  const error = new CloneError(
    `${what}: pass plain data, typed arrays or shared arrays, not functions or class instances with private state`,
    where,
    cause,
  );
  return { error, inDefinition: inDefs !== undefined };
}

/** Which captured value of an inline task cannot be cloned, as `captures.name.path`. */
function uncloneableCapture(spec: TaskSpec): { path: string; reason: string } | undefined {
  const def = spec.def;
  if (def.t !== 'i') return findUncloneable(def, 'definition');
  for (let i = 0; i < def.names.length; i++) {
    const found = findUncloneable(def.values[i], `captures.${def.names[i]}`);
    if (found) return found;
  }
  return undefined;
}
