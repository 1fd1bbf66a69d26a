/**
 * Milliseconds from an arbitrary origin, for the worker's own durations. Not
 * `performance.now()`: its first use in a fresh worker loads Node's perf_hooks (~1.2 ms on
 * Node 20), on the path of a new pool's first result; `process.hrtime` is loaded already and
 * costs no more per call (~50–90 ns against ~80–130 ns here).
 */
const hrtime = process.hrtime;

export function now(): number {
  const [seconds, nanos] = hrtime();
  return seconds * 1e3 + nanos / 1e6;
}
