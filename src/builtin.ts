/**
 * A Node builtin, loaded on first use instead of imported. `import 'spindle'` in a task module
 * evaluates spindle's modules in every worker, and a builtin imported as an ES module costs that
 * thread the builtin's ES module wrapper, which reads every export: `import 'node:fs'` loads
 * fs/promises and its streams (~3.5 ms in a fresh worker on Node 20), `node:v8` ~1 ms, and
 * builtins outside Node's startup snapshot (child_process, crypto, zlib) a few ms each. The
 * object `process.getBuiltinModule` returns (Node ≥ 20.16, Bun, Deno) is the one CommonJS
 * shares, with no wrapper. Synchronous, so callers stay synchronous.
 */
export function builtin<T>(id: string): T {
  return (process as unknown as { getBuiltinModule(id: string): T }).getBuiltinModule(id);
}

/** Node itself: Bun and Deno also give `process.versions.node`, and add their own name beside it. */
export const onNode = !('bun' in process.versions) && !('deno' in process.versions);
