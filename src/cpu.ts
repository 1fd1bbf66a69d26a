/**
 * Cores this process may use: `os.availableParallelism()`, or the CPU count where that is
 * missing. `node:os` is loaded on first use, as builtin.ts does (not imported from it: this module
 * is also a part of face-extras.ts, and a module shared by one more entry is one more chunk).
 */
export function cpuCount(): number {
  const os = (
    process as unknown as { getBuiltinModule(id: string): typeof import('node:os') }
  ).getBuiltinModule('node:os');
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length || 1;
}
