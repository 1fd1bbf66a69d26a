import { readdirSync, readFileSync } from 'node:fs';

/**
 * Per thread of this process (Linux): [ms on a core, ms runnable but waiting for one], from
 * schedstat. A busy machine moves wall time far more than these, so the A/B benches compare them.
 */
export function threadTimes() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
      out.set(tid, [Number(run) / 1e6, Number(wait) / 1e6]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}
