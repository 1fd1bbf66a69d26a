/**
 * `spindle/tasks`: what a task module needs, and nothing else. A worker already holds these
 * modules when it imports a task module, so a task module that imports from here adds almost
 * nothing to a worker's start, where `spindle` would load the whole library (every face).
 * Both entries share one copy of each module, so a task defined here is the same as one
 * defined through `spindle`.
 *
 * @module spindle/tasks
 */
export { taskSignal } from '../worker/runtime.js';
export { transfer } from '../worker/transfer.js';
export { inWorker } from '../worker/where.js';
export { defineTasks, inline } from './define.js';
