import { describe, TypeErrorWithHint } from '../hints.js';
import { checkInlineSource } from './inline-check.js';
import type { TaskDef, TaskSpec } from './types.js';

/**
 * Module tasks are found in a worker by (module URL, name). A registry on globalThis (not a
 * module-level map) keeps that lookup working when the task module and the worker runtime load
 * two copies of spindle, for example `dist/` beside `src/` under tsx.
 */
const REGISTRY_KEY = Symbol.for('spindle.taskRegistry');
type Registry = Map<string, Record<string, (...args: any[]) => unknown>>;
const registry: Registry = ((globalThis as any)[REGISTRY_KEY] ??= new Map());

/**
 * Task handles and their ids, on globalThis for the same reason: in a thread, a task module's
 * `defineTasks` is the worker runtime's copy, and a pool the task makes is the index's, which
 * must know those handles (not take them for inline functions) and never reuse their ids.
 */
const SPECS_KEY = Symbol.for('spindle.taskSpecs');
const handles: { specs: WeakMap<(...args: any[]) => unknown, TaskSpec>; nextId: number } = ((
  globalThis as any
)[SPECS_KEY] ??= { specs: new WeakMap(), nextId: 1 });
const specs = handles.specs;

/** Looks up a task registered by `defineTasks` in this thread (used by workers). */
export function registeredTask(
  url: string,
  name: string,
): ((...args: any[]) => unknown) | undefined {
  return registry.get(url)?.[name];
}

/**
 * Declares the tasks of a module so workers can import them by URL.
 *
 * ```ts
 * export const tasks = defineTasks(import.meta.url, { cube: (x: number) => x ** 3 });
 * await pool.map(tasks.cube, [1, 2, 3]); // Promise<number[]>
 * ```
 * Returns the same functions, still callable directly; only their identity is recorded.
 * The module is imported once in every worker that runs one of its tasks, so keep its
 * top level free of side effects (guard a script's main code with `isMainThread`).
 */
export function defineTasks<const T extends Record<string, (...args: any[]) => any>>(
  moduleUrl: string,
  fns: T,
): T {
  if (typeof moduleUrl !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(moduleUrl)) {
    throw new TypeErrorWithHint(
      `defineTasks needs the module's URL as its first argument, got ${describe(moduleUrl)}`,
      'call it as defineTasks(import.meta.url, { ...tasks })',
    );
  }
  if (fns === null || typeof fns !== 'object') {
    throw new TypeErrorWithHint(
      `defineTasks needs an object of functions as its second argument, got ${describe(fns)}`,
      'call it as defineTasks(import.meta.url, { cube: (x) => x ** 3 })',
    );
  }
  const table = registry.get(moduleUrl) ?? {};
  for (const [name, fn] of Object.entries(fns)) {
    if (typeof fn !== 'function') {
      throw new TypeErrorWithHint(
        `defineTasks: '${name}' is ${describe(fn)}, not a function`,
        'every value given to defineTasks must be a function',
      );
    }
    table[name] = fn;
    if (!specs.has(fn)) {
      specs.set(fn, {
        id: handles.nextId++,
        def: { t: 'm', url: moduleUrl, name },
        label: `${name} (${moduleUrl})`,
        fn,
      });
    }
  }
  registry.set(moduleUrl, table);
  return fns;
}

/**
 * An inline task that closes over values. The function's source travels to the worker and
 * `captures` supply the names it uses that are not its own:
 *
 * ```ts
 * const k = 3;
 * await pool.map(inline((x: number) => x * k, { k }), xs);
 * ```
 * Captured values are cloned once per worker; a captured function travels as an inline task
 * of its own (or as a module task, if it is one).
 */
export function inline<F extends (...args: any[]) => any>(
  fn: F,
  captures: Record<string, unknown> = {},
): F {
  if (typeof fn !== 'function') {
    throw new TypeErrorWithHint(
      `inline() needs a function, got ${describe(fn)}`,
      'pass the function to run: inline((x) => x * k, { k })',
    );
  }
  if (captures === null || typeof captures !== 'object') {
    throw new TypeErrorWithHint(
      `inline() captures must be an object, got ${describe(captures)}`,
      'name each captured variable: inline(fn, { k })',
    );
  }
  const wrapper = function (this: unknown, ...args: unknown[]) {
    return fn.apply(this, args);
  } as unknown as F;
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  specs.set(wrapper, inlineSpec(fn, captures));
  return wrapper;
}

/** The spec of a task handle, a plain function (inline), or an `inline()` wrapper. */
export function taskSpec(task: unknown, where = 'task'): TaskSpec {
  if (typeof task !== 'function') {
    throw new TypeErrorWithHint(
      `${where} must be a function or a task from defineTasks, got ${describe(task)}`,
      'pass tasks.name from defineTasks(import.meta.url, {...}), or a self-contained function',
    );
  }
  const fn = task as (...args: any[]) => unknown;
  let spec = specs.get(fn);
  if (!spec) {
    spec = inlineSpec(fn, {});
    specs.set(fn, spec);
  }
  return spec;
}

/** True when the task's code can be found by module URL (what remote workers need). */
export function isModuleTask(task: unknown): boolean {
  return typeof task === 'function' && specs.get(task as any)?.def.t === 'm';
}

function inlineSpec(fn: (...args: any[]) => unknown, captures: Record<string, unknown>): TaskSpec {
  const names = Object.keys(captures);
  const src = checkInlineSource(fn, names);
  const values = names.map((name) => captureValue(captures[name]));
  const def: TaskDef = { t: 'i', src, names, values };
  const shortSrc = src.length > 60 ? `${src.slice(0, 57)}...` : src;
  return { id: handles.nextId++, def, label: `inline ${fn.name || shortSrc}`, fn };
}

function captureValue(value: unknown): unknown {
  if (typeof value === 'function')
    return { __spindleTask: taskSpec(value, 'a captured function').def };
  return value;
}
