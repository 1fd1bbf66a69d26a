/**
 * The entry of spindle's workers (dist/worker/entry.js): the runtime, and, under the
 * `spindle-worker` condition, what a task module's `import 'spindle'` is (face.ts). One module
 * for both, so a new worker reads one file less before its first task. The same source is also
 * built as a classic script (dist/worker/runtime.script.js), which threads on Node run instead
 * (see backends/script-runtime.ts).
 */
import { startWorker } from './start.js';

export * from './face.js';

startWorker();
