/**
 * spindle: use every core, then every machine. This file is the public API and nothing else.
 */

export type {
  Backend,
  ResourceLimits,
  WorkerChannel,
  WorkerEvents,
  WorkerExit,
  WorkerStartOptions,
} from './backends/types.js';
export { cpuCount } from './cpu.js';
export { Future } from './engine/future.js';
export type { DurationSummary } from './engine/histogram.js';
export type { PoolStats } from './engine/stats.js';
export {
  CancelledError,
  CloneError,
  type ErrorCode,
  ErrorCodes,
  InlineCaptureError,
  InlineSourceError,
  PoolClosedError,
  QueueFullError,
  SpindleError,
  TaskModuleError,
  TimeoutError,
  UnsupportedError,
  WorkerCrashedError,
  WorkerStartError,
} from './errors.js';
export type { MapOptions, ProgressCallback, ProgressInfo, SettledItem } from './faces/map.js';
export { Pool, type PoolOptions, type SubmitOptions } from './faces/pool.js';
export { defineTasks, inline } from './tasks/define.js';
export { taskSignal } from './worker/runtime.js';
export { inWorker } from './worker/where.js';
