import { builtin } from '../builtin.js';
import { TaskModuleError } from '../errors.js';
import { importUrl } from './thread-script.js';

/**
 * Tasks defined in the program's entry file (the Python habit of one script) make each worker
 * import that file, which re-runs the program's main code there: it starts pools of its own,
 * waits on tasks of the module still being imported, and everything hangs. A guarded main
 * (`if (!inWorker()) { ... }`) is fine. What is not fine is found here and turned into an
 * error naming the file and the two fixes, within seconds, never a silent hang:
 * - a Pool made in a worker while that worker is importing the entry file is the main code
 *   running again (the Pool constructor asks `refuseMainCodeInWorker`);
 * - an entry file whose import does not finish within ENTRY_IMPORT_MS is main code that waits
 *   for something (a server, a prompt) in every worker.
 */
const ENTRY_IMPORT_MS = 5_000;
const KEY = Symbol.for('spindle.entryGuard');

interface GuardState {
  /** The file URL of the caller's entry script, as workers are told at their start. */
  entry: string | undefined;
  /** Set while this thread imports the entry file to find its tasks. */
  importing: string | undefined;
}

const state: GuardState = ((globalThis as any)[KEY] ??= { entry: undefined, importing: undefined });

/** The URL of this program's entry script, as `import.meta.url` spells it there. */
export function programEntryUrl(): string | undefined {
  if (state.entry) return state.entry;
  // Once per process: each new worker's start message carries it.
  if (argvEntry === undefined) argvEntry = entryOfArgv() ?? null;
  return argvEntry ?? undefined;
}

let argvEntry: string | null | undefined;

function entryOfArgv(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  try {
    const { realpathSync } = builtin<typeof import('node:fs')>('node:fs');
    const { pathToFileURL } = builtin<typeof import('node:url')>('node:url');
    // One realpath(3) call, not a JavaScript walk of the path.
    return pathToFileURL((realpathSync.native ?? realpathSync)(script)).href;
  } catch {
    return undefined;
  }
}

/** A worker learns its caller's entry script from its start message. */
export function adoptProgramEntry(url: string | undefined): void {
  if (url) state.entry = url;
}

export function isProgramEntry(url: string): boolean {
  return url === programEntryUrl();
}

/**
 * Imports the entry file as a task module, with the guard up while it evaluates; `target` is
 * what to import for it (its compiled JavaScript, for a TypeScript entry: see ts-once.ts).
 */
export function importEntryModule(url: string, target = url): Promise<Record<string, unknown>> {
  state.importing = url;
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(entryError(url, 'its import did not finish within 5 s')),
      ENTRY_IMPORT_MS,
    );
    timer.unref();
  });
  const loading = importUrl(target);
  return Promise.race([loading, stuck]).finally(() => {
    clearTimeout(timer);
    if (state.importing === url) state.importing = undefined;
  });
}

/** Called by `new Pool()`: refuses to start the program again inside one of its workers. */
export function refuseMainCodeInWorker(): void {
  const url = state.importing;
  if (url) throw entryError(url, 'its main code ran again there and created a Pool');
}

function entryError(url: string, what: string): TaskModuleError {
  return new TaskModuleError(
    `the tasks live in the program's entry file ${url}, so each worker imports that file to find them, and ${what}. ` +
      "Move the tasks to a module of their own (tasks.ts with defineTasks(import.meta.url, { ... })), or guard the main code with if (!inWorker()) { ... } (import { inWorker } from 'spindle')",
    url,
  );
}
