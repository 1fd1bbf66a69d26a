import { createRequire } from 'node:module';

/**
 * A Node builtin loaded on first use instead of at import. `import 'spindle'` in a task module
 * evaluates the whole library in every worker, where each builtin outside Node's startup
 * snapshot (child_process, crypto, zlib) costs a few milliseconds that most programs never use.
 * Synchronous, so callers stay synchronous: `process.getBuiltinModule` (Node 20.16+, Bun, Deno),
 * or `require` where a runtime lacks it.
 */
const load: (id: string) => unknown =
  (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.bind(process) ??
  createRequire(import.meta.url);

export function builtin<T>(id: string): T {
  return load(id) as T;
}
