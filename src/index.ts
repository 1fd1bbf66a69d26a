/**
 * spindle: use every core, then every machine. This file is the public API and nothing else.
 *
 * @module spindle
 */

export type {
  Backend,
  ResourceLimits,
  WorkerChannel,
  WorkerEvents,
  WorkerExit,
  WorkerStartOptions,
} from './backends/types.js';
export { type SharedArrays, shared, type TypedArray } from './codec/shared.js';
export { cpuCount } from './cpu.js';
export { Future } from './engine/future.js';
export type { DurationSummary } from './engine/histogram.js';
export type { PoolStats } from './engine/stats.js';
export {
  CancelledError,
  ChannelClosedError,
  CloneError,
  type ErrorCode,
  ErrorCodes,
  InlineCaptureError,
  InlineSourceError,
  InputFileError,
  PoolClosedError,
  QueueFullError,
  SpindleError,
  TaskModuleError,
  TimeoutError,
  UnsupportedError,
  WorkerCrashedError,
  WorkerStartError,
} from './errors.js';
export {
  Bag,
  type BagComputeOptions,
  bag,
  type FromSequenceOptions,
  type PartitionErrorInfo,
  type ReadTextOptions,
  Reduced,
} from './faces/bag/index.js';
export {
  Delayed,
  type DelayedOptions,
  delayed,
  type Lazy,
  type LazyArgs,
} from './faces/delayed.js';
export {
  Executor,
  type ExecutorMapOptions,
  type ExecutorOptions,
  ProcessPoolExecutor,
  type ShutdownOptions,
  ThreadPoolExecutor,
} from './faces/executor.js';
export {
  ALL_COMPLETED,
  type AsCompletedOptions,
  asCompleted,
  type CompletedFuture,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  type WaitOptions,
  type WaitResult,
  wait,
} from './faces/futures.js';
export {
  type Computed,
  type ComputeOptions,
  type ComputeResult,
  compute,
  type GraphErrorInfo,
  toDot,
} from './faces/graph.js';
export type { MapOptions, ProgressCallback, ProgressInfo, SettledItem } from './faces/map.js';
export {
  type ParallelGeneratorRunner,
  type ParallelOptions,
  type ParallelRunner,
  parallel,
} from './faces/parallel.js';
export { type ParallelForOptions, parallelFor } from './faces/parallel-for.js';
export { Pool, type PoolOptions, type SubmitOptions } from './faces/pool.js';
export { SpawnedWorker, type SpawnOptions, spawn } from './faces/spawn.js';
export type {
  PoolEventMap,
  PoolEventName,
  PoolListener,
  TaskEndEvent,
  TaskStartEvent,
  WorkerCreateEvent,
  WorkerExitEvent,
  WorkerExitReason,
} from './observe/events.js';
export { performanceReport } from './observe/report.js';
export type { Dashboard, DashboardOptions } from './observe/server.js';
export { Barrier } from './sync/barrier.js';
export { Channel, type ChannelOptions } from './sync/channel.js';
export { Lock } from './sync/lock.js';
export { Semaphore } from './sync/semaphore.js';
export type { BlockingWaitOptions, CoordinationWaitOptions } from './sync/wait.js';
export { defineTasks, inline } from './tasks/define.js';
export { taskSignal } from './worker/runtime.js';
export { transfer } from './worker/transfer.js';
export { inWorker } from './worker/where.js';
