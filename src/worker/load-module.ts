import { builtin } from '../builtin.js';
import { TaskModuleError } from '../errors.js';
import { registeredTask } from '../tasks/define.js';
import type { ModuleTaskDef } from '../tasks/types.js';
import { importEntryModule, isProgramEntry } from './entry-guard.js';
import { requireOrImport } from './require-module.js';
import { moduleTarget } from './ts-once.js';

type AnyFn = (...args: any[]) => unknown;

const modules = new Map<string, Promise<Record<string, unknown>>>();

/** Imports a task module once per worker and finds the task in it. */
export async function loadModuleTask(def: ModuleTaskDef): Promise<AnyFn> {
  let loading = modules.get(def.url);
  if (!loading) {
    // Registered in this thread without this runtime importing it (the inline backend runs in
    // the caller's thread): use it as it is. Importing it again could wait forever on a
    // module still evaluating, such as a main script with top-level await that defines its
    // own tasks. Once an import was tried, its outcome decides, even a failed one.
    const known = registeredTask(def.url, def.name);
    if (known) return known as AnyFn;
    // A failure is kept, not retried: re-importing a module whose top-level code threw can
    // resolve with a half-evaluated module (Node, modules with top-level await), and would run
    // tasks from it. Every task of the module fails the same way instead.
    const imported = moduleTarget(def.url).then((target) =>
      isProgramEntry(def.url) ? importEntryModule(def.url, target) : requireOrImport(target),
    );
    loading = imported.catch((error: unknown) => {
      throw error instanceof TaskModuleError ? error : moduleLoadError(def.url, error);
    });
    modules.set(def.url, loading);
  }
  const mod = await loading;
  const fn = registeredTask(def.url, def.name) ?? mod[def.name];
  if (typeof fn !== 'function') {
    const known = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new TaskModuleError(
      `the module ${def.url} has no task '${def.name}'${known.length ? ` (its exported functions: ${known.join(', ')})` : ''}; ` +
        'define it with defineTasks(import.meta.url, { ... }) or export it as a function',
      def.url,
    );
  }
  return fn as AnyFn;
}

function moduleLoadError(url: string, error: unknown): TaskModuleError {
  const reason = error instanceof Error ? error.message : String(error);
  const hint =
    /\.[mc]?tsx?$/.test(url) && /Unknown file extension/.test(reason)
      ? '; a TypeScript task module needs the caller to run under tsx (node --import tsx), so workers can load it too'
      : isMissingFile(url)
        ? `; there is no file at that URL. In a bundled program the tasks' URL must name the task module's own output file: webpack replaces import.meta.url with the source file's path unless module.parser.javascript.importMeta is false (see the README's "Bundling")`
        : '';
  return new TaskModuleError(
    `could not load the task module ${url} in a worker: ${reason}${hint}`,
    url,
    error,
  );
}

/** Only on the error path: a task module's URL that names no file at all. */
function isMissingFile(url: string): boolean {
  if (!url.startsWith('file:')) return false;
  try {
    const { existsSync } = builtin<typeof import('node:fs')>('node:fs');
    const { fileURLToPath } = builtin<typeof import('node:url')>('node:url');
    return !existsSync(fileURLToPath(url));
  } catch {
    return false;
  }
}
