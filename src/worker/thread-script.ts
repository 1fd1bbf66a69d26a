/**
 * What the worker runtime shares with the bootstrap of a thread that runs it as a classic script
 * (see backends/script-runtime.ts). On globalThis: the bootstrap is not a module.
 */
const LENT_IMPORT = Symbol.for('spindle.import');
const LENT_FUNCTION = Symbol.for('spindle.function');
const FIRST_RESULT = Symbol.for('spindle.beforeFirstResult');

type Global = {
  [LENT_IMPORT]?: (url: string) => Promise<Record<string, unknown>>;
  [LENT_FUNCTION]?: (...parts: string[]) => (...args: unknown[]) => unknown;
  [FIRST_RESULT]?: () => void;
};
const global = globalThis as Global;

/**
 * `import()` of an absolute URL (a task module, tsx). A script compiled from V8's code cache has
 * no `import()` of its own (Node: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so the thread's
 * bootstrap lends its own.
 */
export function importUrl(url: string): Promise<Record<string, unknown>> {
  const lent = global[LENT_IMPORT];
  return lent ? lent(url) : (import(url) as Promise<Record<string, unknown>>);
}

/**
 * `new Function(...parts)` whose code may use `import()` (an inline task's `await
 * import('node:fs')`): V8 gives code made by `Function` the `import()` of its caller, and the
 * script's has none, so the bootstrap's `Function` makes it.
 */
export function makeFunction(...parts: string[]): (...args: unknown[]) => unknown {
  const lent = global[LENT_FUNCTION];
  return lent ? lent(...parts) : (new Function(...parts) as (...args: unknown[]) => unknown);
}

/**
 * Once, as the first results are about to be posted: the bootstrap writes the code cache then,
 * with what the runtime has compiled so far (~1 ms, only when there was no usable cache).
 */
export function beforeFirstResult(): void {
  const hook = global[FIRST_RESULT];
  if (!hook) return;
  delete global[FIRST_RESULT];
  try {
    hook();
  } catch {
    // A cache not written is only a slower start next time.
  }
}
