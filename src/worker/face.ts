/**
 * What `import 'spindle'` gives code in the workers spindle starts: the same names as the
 * package's index, with the caller-side faces loaded on first use.
 *
 * Why: every task module imports spindle (`defineTasks`), so every new worker evaluated the
 * whole library, ~330 KB of modules a task never runs: ~20 ms of a new worker's ~60 on Node 20
 * (V8 compiles each module and the ES loader links it, with no compile cache there). Workers are
 * started with the export condition `spindle-worker` (see `WORKER_CONDITION`), under which the
 * package's "." export is the worker's entry, which re-exports this file and is loaded already.
 * What a task uses (defining tasks, errors, the sync primitives) is the real thing from the same
 * modules the index uses, so identities hold (`instanceof Lock`, `catch (e) { e instanceof
 * TimeoutError }`). A caller face (a pool nested in a task, `parallel`, `compute`, …) is a
 * stand-in that loads the index synchronously (`require` of an ES module, Node ≥ 20.19) when
 * first called, constructed or read, and from then on forwards to the real one: `new Pool()` is
 * a real Pool, `instanceof` and subclassing work, statics read through. `shared`, `cpuCount` and
 * the futures load the same way from face-extras.ts, a few files instead of the index.
 */
import { builtin } from '../builtin.js';
import type * as Index from '../index.js';
import type * as Extras from './face-extras.js';

// errors.ts exports the public errors and nothing else; the index names each of them.
export * from '../errors.js';
export { Barrier } from '../sync/barrier.js';
export { Channel } from '../sync/channel.js';
export { Lock } from '../sync/lock.js';
export { Semaphore } from '../sync/semaphore.js';
export { defineTasks, inline } from '../tasks/define.js';
export { taskSignal } from './runtime.js';
export { transfer } from './transfer.js';
export { inWorker } from './where.js';

let index: typeof Index | undefined;
function loadIndex(): typeof Index {
  index ??= requireHere('../index.js') as typeof Index;
  return index;
}

let extras: typeof Extras | undefined;
function loadExtras(): typeof Extras {
  extras ??= requireHere('./face-extras.js') as typeof Extras;
  return extras;
}

function requireHere(path: string): unknown {
  const { createRequire } = builtin<typeof import('node:module')>('node:module');
  return createRequire(import.meta.url)(path);
}

/**
 * A stand-in for an export of the index (or of face-extras.ts), forwarding every operation to
 * it. `object`: the real one is an object (`shared`), not a function.
 */
function onFirstUse<K extends keyof typeof Index>(
  name: K,
  load: () => object = loadIndex,
  object = false,
): (typeof Index)[K] {
  const real = (): any => (load() as Record<string, unknown>)[name];
  // A plain function: constructible, and its own `prototype` is writable, so `get` may answer
  // with the real class's prototype without breaking a proxy invariant.
  const target = object ? {} : function spindleFace() {};
  const face: any = new Proxy(target, {
    apply: (_t, self, args) => Reflect.apply(real(), self, args),
    construct: (_t, args, newTarget) =>
      Reflect.construct(real(), args, newTarget === face ? real() : newTarget),
    get: (_t, key) => Reflect.get(real(), key),
    set: (_t, key, value) => Reflect.set(real(), key, value),
    has: (_t, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
    ...(object && {
      ownKeys: () => Reflect.ownKeys(real()),
      // Reported configurable: the target lacks them, and a proxy may not call those fixed.
      getOwnPropertyDescriptor: (_t: object, key: string | symbol) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    }),
  });
  return face;
}

// Used by tasks but not by the runtime: a module that only the index shares with the worker's
// entry is one more file for every new worker to read (see scripts/build.mjs), so these load
// with face-extras.ts on first use: a few files, not the whole index.
export const shared = onFirstUse('shared', loadExtras, true);
export const cpuCount = onFirstUse('cpuCount', loadExtras);
export const Future = onFirstUse('Future', loadExtras);
export const wait = onFirstUse('wait', loadExtras);
export const asCompleted = onFirstUse('asCompleted', loadExtras);
export const ALL_COMPLETED = 'ALL_COMPLETED' satisfies typeof Index.ALL_COMPLETED;
export const FIRST_COMPLETED = 'FIRST_COMPLETED' satisfies typeof Index.FIRST_COMPLETED;
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION' satisfies typeof Index.FIRST_EXCEPTION;

export const Bag = onFirstUse('Bag');
export const bag = onFirstUse('bag');
export const Reduced = onFirstUse('Reduced');
export const Delayed = onFirstUse('Delayed');
export const delayed = onFirstUse('delayed');
export const Executor = onFirstUse('Executor');
export const ProcessPoolExecutor = onFirstUse('ProcessPoolExecutor');
export const ThreadPoolExecutor = onFirstUse('ThreadPoolExecutor');
export const compute = onFirstUse('compute');
export const toDot = onFirstUse('toDot');
export const parallel = onFirstUse('parallel');
export const parallelFor = onFirstUse('parallelFor');
export const Pool = onFirstUse('Pool');
export const SpawnedWorker = onFirstUse('SpawnedWorker');
export const spawn = onFirstUse('spawn');
export const performanceReport = onFirstUse('performanceReport');
