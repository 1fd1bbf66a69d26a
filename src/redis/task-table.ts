import { realpathSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TaskModuleError } from '../errors.js';
import { registeredTask } from '../tasks/define.js';
import type { TaskDef, TaskSpec } from '../tasks/types.js';

/**
 * Spec ids for tasks a cluster worker runs. Far above what defineTasks hands out in this
 * process, so the local pool's per-spec caches never confuse the two.
 */
let nextId = 1_000_000_000;

export type Resolution =
  | { spec: TaskSpec; error?: undefined; refused?: undefined }
  | { spec?: undefined; error: TaskModuleError; refused?: undefined }
  | { spec?: undefined; error?: undefined; refused: string };

/**
 * The task modules a cluster worker was started with, and the only code it runs. A job names
 * a task by the caller's module URL; the worker maps it to one of its own modules: the same
 * URL, or else the module whose path ends the same way (the caller and the workers may live in
 * different directories). A task from any other module is refused, whatever the job says.
 */
export class TaskTable {
  readonly urls: readonly string[];
  readonly #byCallerUrl = new Map<string, string | undefined>();
  readonly #specs = new Map<string, TaskSpec>();

  private constructor(urls: string[]) {
    this.urls = urls;
  }

  /** Imports every module once, so a typo fails at start, not at the first job. */
  static async load(modules: readonly string[]): Promise<TaskTable> {
    if (!Array.isArray(modules) || modules.length === 0) {
      throw new TypeError(
        'a spindle worker needs the task modules it may run; pass --tasks ./tasks.js (or tasks: [...])',
      );
    }
    const urls = modules.map(toUrl);
    for (const url of urls) {
      try {
        await import(url);
      } catch (error) {
        throw new TaskModuleError(
          `could not load the task module ${url}: ${(error as Error).message}`,
          url,
          error,
        );
      }
    }
    return new TaskTable([...new Set(urls)]);
  }

  resolve(def: TaskDef): Resolution {
    if (def.t !== 'm') {
      return { refused: 'it carries inline code, and cluster workers run only module tasks' };
    }
    const url = this.#localUrl(def.url);
    if (!url) {
      return {
        refused: `it names a task in ${def.url}, which is not one of the modules this worker runs (${this.urls.join(', ')}); start the worker with --tasks for that module`,
      };
    }
    const key = `${url}#${def.name}`;
    let spec = this.#specs.get(key);
    if (!spec) {
      const fn = registeredTask(url, def.name);
      if (!fn) {
        return {
          error: new TaskModuleError(
            `the module ${url} has no task '${def.name}' defined with defineTasks in this worker; deploy the same version of the module as the caller`,
            url,
          ),
        };
      }
      spec = {
        id: nextId++,
        def: { t: 'm', url, name: def.name },
        label: `${def.name} (${url})`,
        fn,
      };
      this.#specs.set(key, spec);
    }
    return { spec };
  }

  #localUrl(callerUrl: string): string | undefined {
    if (this.#byCallerUrl.has(callerUrl)) return this.#byCallerUrl.get(callerUrl);
    let found: string | undefined;
    if (this.urls.includes(callerUrl)) found = callerUrl;
    else {
      const wanted = segments(callerUrl);
      let best = 0;
      let tie = false;
      for (const url of this.urls) {
        const n = commonSuffix(wanted, segments(url));
        if (n > best) {
          best = n;
          found = url;
          tie = false;
        } else if (n === best && n > 0) tie = true;
      }
      if (tie) found = undefined;
    }
    this.#byCallerUrl.set(callerUrl, found);
    return found;
  }
}

function toUrl(module: string): string {
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(`a task module must be a path or a file URL, got ${String(module)}`);
  }
  const path = module.startsWith('file:') ? fileURLToPath(module) : resolvePath(module);
  // Node imports a module under its real path, and defineTasks records import.meta.url.
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // a missing file: the import below says so
  }
  return pathToFileURL(real).href;
}

function segments(url: string): string[] {
  try {
    return new URL(url).pathname.split('/').filter(Boolean);
  } catch {
    return [];
  }
}

function commonSuffix(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}
