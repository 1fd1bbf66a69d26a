import { TaskModuleError } from '../errors.js';

/** Global, not module state: the worker runtime may be a bundled copy (see entry-url.ts). */
const KEY = Symbol.for('spindle.callerMainModule');

/** Called by the worker entry with the URL of the caller's main module, when it has one. */
export function noteCallerMain(url: unknown): void {
  if (typeof url === 'string' && url) (globalThis as any)[KEY] = url;
}

/**
 * Refuses to import the caller's own main module as a task module: it would run the whole
 * program again in every worker (which then waits for tasks of its own, and the caller's tasks
 * time out). It happens when tasks are defined in the program's main file, most often because
 * a bundler folded the task module into it.
 */
export function refuseCallerMain(url: string): void {
  if ((globalThis as any)[KEY] !== url) return;
  throw new TaskModuleError(
    `the tasks are defined in the program's main module ${url}, which every worker would run again from the top; ` +
      'move them into a module of their own (defineTasks(import.meta.url, ...) there), and when bundling, ' +
      'make that module an entry point of its own (esbuild main.ts tasks.ts --bundle --splitting --format=esm --outdir=out): ' +
      'see "Bundling" in the README',
    url,
  );
}
