import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineTasks } from '../tasks/define.js';
import { CliError } from './exit.js';

type AnyFn = (...args: any[]) => unknown;

/** The defineTasks registry (see tasks/define.ts), read to find where a handle was defined. */
const REGISTRY_KEY = Symbol.for('spindle.taskRegistry');

export interface TaskRef {
  /** The module as the user wrote it, for messages. */
  module: string;
  url: string;
  name: string;
}

/**
 * Splits `<module>#<task>`. The module is a path (relative to the working directory) or a
 * `file:` URL; without `#task`, the module's default export is the task.
 */
export function parseTaskRef(ref: string, cwd = process.cwd()): TaskRef {
  const hash = ref.lastIndexOf('#');
  const module = hash < 0 ? ref : ref.slice(0, hash);
  const name = hash < 0 ? 'default' : ref.slice(hash + 1);
  if (!module || !name) {
    throw new CliError(
      `'${ref}' is not a task reference; write <module>#<task>, for example ./tasks.ts#cube`,
    );
  }
  let path: string;
  try {
    path = module.startsWith('file:') ? fileURLToPath(module) : resolve(cwd, module);
  } catch {
    throw new CliError(`'${module}' is neither a file path nor a file: URL`);
  }
  if (!existsSync(path)) {
    throw new CliError(`the task module ${module} does not exist (looked for ${path})`);
  }
  // Node imports a module by its real path, and import.meta.url (what defineTasks records)
  // follows: the same here, or a symlinked module would not match its own registrations.
  return { module, url: pathToFileURL(realpathSync(path)).href, name };
}

/**
 * Imports the module in this process and finds the task: a name given to `defineTasks`, an
 * exported function, or `object.name` for a property of an exported object. Returns a task
 * handle workers can load by module URL.
 */
export async function loadTask(ref: TaskRef): Promise<AnyFn> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(ref.url)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`could not load the task module ${ref.module}: ${loadFailure(ref, error)}`);
  }
  const found = findTask(mod, ref);
  if (!found) {
    const known = taskNames(mod, ref.url);
    throw new CliError(
      `the module ${ref.module} has no task '${ref.name}'` +
        (known.length ? `; its tasks: ${known.join(', ')}` : '; it exports no functions') +
        '. Name a task given to defineTasks or an exported function',
    );
  }
  const where =
    registeredAs(found.fn) ?? (found.exported ? { url: ref.url, name: ref.name } : undefined);
  if (!where) {
    throw new CliError(
      `${ref.name} in ${ref.module} is not a module task: workers find a task by module and name, ` +
        'so define it with defineTasks(import.meta.url, { ... }) or export it as a function',
    );
  }
  // Tags the function as a module task in this copy of spindle too (a globally installed CLI
  // and the project's own spindle are two copies); a handle already tagged keeps its tag.
  return defineTasks(where.url, { [where.name]: found.fn })[where.name]!;
}

function findTask(
  mod: Record<string, unknown>,
  ref: TaskRef,
): { fn: AnyFn; exported: boolean } | undefined {
  const exported = mod[ref.name];
  if (typeof exported === 'function') return { fn: exported as AnyFn, exported: true };
  const registered = registry().get(ref.url)?.[ref.name];
  if (registered) return { fn: registered, exported: false };
  // `tasks.cube`, or just `cube` when it sits in one exported object such as `tasks`.
  const path = ref.name.split('.');
  if (path.length > 1) {
    let value: unknown = mod;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    return typeof value === 'function' ? { fn: value as AnyFn, exported: false } : undefined;
  }
  for (const value of Object.values(mod)) {
    if (value !== null && typeof value === 'object') {
      const inner = (value as Record<string, unknown>)[ref.name];
      if (typeof inner === 'function') return { fn: inner as AnyFn, exported: false };
    }
  }
  return undefined;
}

/** Where `defineTasks` recorded this function, if it did. */
function registeredAs(fn: AnyFn): { url: string; name: string } | undefined {
  for (const [url, table] of registry()) {
    for (const [name, candidate] of Object.entries(table)) {
      if (candidate === fn) return { url, name };
    }
  }
  return undefined;
}

function taskNames(mod: Record<string, unknown>, url: string): string[] {
  const names = new Set(Object.keys(registry().get(url) ?? {}));
  for (const [key, value] of Object.entries(mod)) {
    if (typeof value === 'function') names.add(key);
  }
  return [...names].sort();
}

function registry(): Map<string, Record<string, AnyFn>> {
  return ((globalThis as any)[REGISTRY_KEY] as Map<string, Record<string, AnyFn>>) ?? new Map();
}

function loadFailure(ref: TaskRef, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string })?.code;
  if (/\.[mc]?tsx?$/.test(ref.url) && code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    return (
      'a TypeScript task module needs tsx in the command and its workers: run ' +
      '`node --import tsx node_modules/.bin/spindle run ...` (npm install --save-dev tsx), ' +
      'or compile the module to JavaScript'
    );
  }
  return message;
}
