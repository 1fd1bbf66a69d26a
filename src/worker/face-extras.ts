/**
 * What a task may use from `import 'spindle'` that spindle's worker runtime does not: loaded in
 * a worker on first use (see face.ts), from the same modules the index uses.
 */
// One chunk for the worker's code: see kernel.ts.
import './kernel.js';

export { shared } from '../codec/shared.js';
export { cpuCount } from '../cpu.js';
export { Future } from '../engine/future.js';
export { asCompleted, wait } from '../faces/futures.js';
