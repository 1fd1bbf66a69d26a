import { builtin } from './builtin.js';

/** Cores this process may use: `os.availableParallelism()`, or the CPU count where that is missing. */
export function cpuCount(): number {
  const os = builtin<typeof import('node:os')>('node:os');
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length || 1;
}
