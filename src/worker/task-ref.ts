import type { TaskDef } from '../tasks/types.js';
import { compileInline } from './compile.js';
import { loadModuleTask } from './load-module.js';

type AnyFn = (...args: any[]) => unknown;

/**
 * Turns a task definition that arrived as data (inside another task's arguments) into the
 * function, the way the runtime loads the tasks it is sent: module tasks by import (cached
 * per module), inline ones compiled with their captures. Faces whose worker-side code calls
 * user tasks by reference (a bag partition runs its map/filter steps) use this.
 */
export function resolveTask(def: TaskDef): AnyFn | Promise<AnyFn> {
  return def.t === 'i' ? compileInline(def, resolveTask) : loadModuleTask(def);
}
