import type { EventLoopUtilization } from 'node:perf_hooks';
import { builtin } from '../builtin.js';

const IDLE: EventLoopUtilization = { idle: 0, active: 0, utilization: 0 };

type Elu = (
  current?: EventLoopUtilization,
  previous?: EventLoopUtilization,
) => EventLoopUtilization;
let elu: Elu | null | undefined;

/**
 * `eventLoopUtilization` of the global `performance` where it has one (Node, loaded with it),
 * else from `node:perf_hooks`, loaded only then: in Bun's and Deno's workers the global one
 * lacks it, and a worker must start there too. Where neither has it, the loop reads as idle,
 * which only leaves `concurrency: 'auto'` without that hint.
 */
export function eventLoopUtilization(
  current?: EventLoopUtilization,
  previous?: EventLoopUtilization,
): EventLoopUtilization {
  elu ??= findElu();
  return elu ? elu(current, previous) : IDLE;
}

function findElu(): Elu | null {
  const own = (globalThis.performance as { eventLoopUtilization?: Elu } | undefined)
    ?.eventLoopUtilization;
  if (typeof own === 'function') return own.bind(globalThis.performance);
  try {
    const { performance } = builtin<typeof import('node:perf_hooks')>('node:perf_hooks');
    const fn = performance?.eventLoopUtilization;
    return typeof fn === 'function' ? fn.bind(performance) : null;
  } catch {
    return null;
  }
}
