import os from 'node:os';

/** Cores this process may use: `os.availableParallelism()`, or the CPU count where that is missing. */
export function cpuCount(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length || 1;
}
