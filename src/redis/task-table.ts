import { realpathSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TaskModuleError } from '../errors.js';
import { registeredTask } from '../tasks/define.js';
import type { TaskDef, TaskSpec } from '../tasks/types.js';
import { JobRefusedError } from './errors.js';
import { FileRoots } from './file-roots.js';
import { isPartitionTask, partitionTaskDef, preparePartition } from './partition-guard.js';

/**
 * Spec ids for tasks a cluster worker runs. Far above what defineTasks hands out in this
 * process, so the local pool's per-spec caches never confuse the two.
 */
let nextId = 1_000_000_000;

export type Resolution =
  | {
      spec: TaskSpec;
      error?: undefined;
      refused?: undefined;
      /** Checks and rewrites a task's arguments before it runs (spindle's bag partition). */
      prepare?: (args: unknown[]) => Promise<unknown[]>;
    }
  | { spec?: undefined; error: TaskModuleError; refused?: undefined; prepare?: undefined }
  | { spec?: undefined; error?: undefined; refused: string; prepare?: undefined };

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
  readonly #roots: FileRoots;
  #partition: Resolution | undefined;

  private constructor(urls: string[], roots: FileRoots) {
    this.urls = urls;
    this.#roots = roots;
  }

  /**
   * Imports every module once, so a typo fails at start, not at the first job. `roots` are the
   * folders bag partitions may read and write; spindle's own partition task is always allowed,
   * and runs only the tasks of these modules, on files under those folders.
   */
  static async load(
    modules: readonly string[],
    roots: FileRoots = FileRoots.none(),
  ): Promise<TaskTable> {
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
    return new TaskTable([...new Set(urls)], roots);
  }

  resolve(def: TaskDef): Resolution {
    if (def.t !== 'm') {
      return { refused: 'it carries inline code, and cluster workers run only module tasks' };
    }
    if (!this.urls.includes(def.url) && isPartitionTask(def)) return this.#partitionTask();
    const url = this.#localUrl(def.url);
    if (!url) {
      return {
        refused: `it names a task in ${def.url}, which is not one of the modules this worker runs (${this.urls.join(', ')}); start the worker with --tasks for that module`,
      };
    }
    const spec = this.#specFor(url, def.name);
    if (!spec) {
      return {
        error: new TaskModuleError(
          `the module ${url} has no task '${def.name}' defined with defineTasks in this worker; deploy the same version of the module as the caller`,
          url,
        ),
      };
    }
    return { spec };
  }

  #specFor(url: string, name: string): TaskSpec | undefined {
    const key = `${url}#${name}`;
    let spec = this.#specs.get(key);
    if (spec) return spec;
    const fn = registeredTask(url, name);
    if (!fn) return undefined;
    spec = { id: nextId++, def: { t: 'm', url, name }, label: `${name} (${url})`, fn };
    this.#specs.set(key, spec);
    return spec;
  }

  #partitionTask(): Resolution {
    if (this.#partition) return this.#partition;
    // The tasks a partition calls come from its job; each must be one of this worker's own.
    const local = (def: TaskDef, what: string): TaskDef => {
      const resolved = this.resolve(def);
      if (resolved.refused)
        throw new JobRefusedError(`a bag partition's ${what} was refused: ${resolved.refused}`);
      if (!resolved.spec) throw resolved.error;
      if (resolved.prepare)
        throw new JobRefusedError(`a bag partition's ${what} is itself a bag partition`);
      return resolved.spec.def;
    };
    const spec = this.#specFor(partitionTaskDef.url, partitionTaskDef.name)!;
    this.#partition = {
      spec,
      prepare: async (args) => [
        await preparePartition(args[0], local, this.#roots),
        ...args.slice(1),
      ],
    };
    return this.#partition;
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
