import { type EventLoopUtilization, performance } from 'node:perf_hooks';

const IDLE: EventLoopUtilization = { idle: 0, active: 0, utilization: 0 };

/**
 * `eventLoopUtilization` from `node:perf_hooks`, not from the global `performance`: in Bun's
 * and Deno's workers the global one lacks it, and a worker must start there too. Where neither
 * has it, the loop reads as idle, which only leaves `concurrency: 'auto'` without that hint.
 */
export function eventLoopUtilization(
  current?: EventLoopUtilization,
  previous?: EventLoopUtilization,
): EventLoopUtilization {
  if (typeof performance?.eventLoopUtilization !== 'function') return IDLE;
  return performance.eventLoopUtilization(current, previous);
}
