import { onNode } from '../builtin.js';

/**
 * The export condition spindle's workers run under: with it, `import 'spindle'` (and
 * `spindle/tasks`) in a task module is the worker entry itself, whose exports are
 * `worker/face.ts`'s, which leave the caller's faces unevaluated until a task uses one.
 */
export const WORKER_CONDITION = 'spindle-worker';
const FLAG = `--conditions=${WORKER_CONDITION}`;
/**
 * A thread that runs the worker script (see script-runtime.ts) also gets this one, listed first
 * in package.json, under which `import 'spindle'` is dist/worker/face-proxy.js, the script's
 * face; a process and a thread on the ES entry resolve it to the entry itself, one file less.
 */
const SCRIPT_FLAG = '--conditions=spindle-worker-script';

/** Bun and Deno take no Node flags for their workers; they load the whole index there. */
const takesFlags = onNode;

/** Set once a thread refused flags the caller was started with (see `threadArgv`). */
let threadsRefuseArgv = false;

/** A child process's flags: the caller's (already filtered) plus the condition. */
export function withCondition(execArgv: string[], script = false): string[] {
  if (takesFlags && !execArgv.includes(FLAG)) execArgv.push(FLAG);
  if (takesFlags && script && !execArgv.includes(SCRIPT_FLAG)) execArgv.push(SCRIPT_FLAG);
  return execArgv;
}

/**
 * True when a thread started with these flags resolves `import 'spindle'` to the script's face.
 * Without them it is the index, whose copy of spindle the thread's runtime must share (the ES
 * entry, not the script), or a Lock sent to a task would not be an `instanceof` the task's Lock.
 */
export function underScriptCondition(execArgv: string[] | undefined): boolean {
  return execArgv?.includes(SCRIPT_FLAG) === true;
}

/**
 * Starts a worker thread under the condition. A thread given `execArgv` gets exactly those
 * flags instead of inheriting the caller's, and Node refuses process-wide ones
 * (`--max-old-space-size`, `--expose-gc`, `--title`, … ERR_WORKER_INVALID_EXEC_ARGV) that the
 * caller may carry in `process.execArgv`; then the thread starts inheriting the caller's flags,
 * without the condition (it loads the whole index, which is only slower), and so do later ones.
 * `base` is the flags the thread needs instead of the caller's, if any (see ts-once); `script`:
 * the thread runs the worker script.
 */
export function startThread<T>(
  base: string[] | undefined,
  script: boolean,
  start: (execArgv?: string[]) => T,
): T {
  if (threadsRefuseArgv) return start(undefined);
  if (!takesFlags) return start(base);
  try {
    return start(withCondition([...(base ?? process.execArgv)], script));
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    threadsRefuseArgv = true;
    return start(undefined);
  }
}
