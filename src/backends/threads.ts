import { Worker } from 'node:worker_threads';
import { type FromWorker, fromWorkerFromWire, toWorkerWire } from '../wire/protocol.js';
import { newClaims } from '../worker/claims.js';
import { RUNNING_LENGTH, readRunning, readTaken } from '../worker/running-slots.js';
import { workerEntryUrl } from './entry-url.js';
import { scriptCache, scriptFile } from './script-runtime.js';
import { failedStart } from './start-failure.js';
import { type TsOnceStart, tsOnceStart } from './ts-once/service.js';
import {
  type Backend,
  type ResourceLimits,
  type WorkerChannel,
  type WorkerEvents,
  type WorkerStartOptions,
  withYoungGeneration,
} from './types.js';
import { tsxApiUrl } from './typescript.js';
import { startThread, underScriptCondition } from './worker-condition.js';

/**
 * Loads the runtime, registering tsx first when the caller runs under tsx (see typescript.ts):
 * on Node as a classic script compiled with V8's code cache (see script-runtime.ts), else (Bun,
 * Deno, spindle's sources under tsx) by importing the entry. `import()` (and a
 * `Function` whose code has it, for inline tasks) and `process.getBuiltinModule`, and `require`
 * only if there is one: an eval'd worker inherits
 * `--input-type=module` from a caller started with `node --input-type=module -e`, and then runs
 * this as a module. In one arrow function, so that none of its names becomes a global of the
 * thread. On Node ≥ 22.1 the thread keeps V8's compiled code of the ES modules it imports in
 * Node's compile cache (in the temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off). Where
 * Node has module hooks that run in the thread (`registerHooks`, 22.15+ and 23.5+), `spindle` and
 * `spindle/tasks` are the script's face at once, as the export condition would make them, without
 * resolving them through package.json (~1–3 ms of a task module's first import in a new thread).
 */
const BOOTSTRAP = `(() => {
const load = typeof process.getBuiltinModule === 'function' ? (name) => process.getBuiltinModule(name) : undefined;
const modules = Number.parseInt(process.versions.node) >= 22 ? load?.('node:module') : undefined;
modules?.enableCompileCache?.();
const lentRequire = typeof require === 'function' ? require : undefined;
const runScript = (file, threads, first) => {
  const { init, source, cache, cacheFile } = first;
  threads.workerData.init = init;
  const { readFileSync, renameSync, unlinkSync, writeFileSync } = load('node:fs');
  const script = new (load('node:vm').Script)(source ?? readFileSync(file, 'utf8'), { filename: file, cachedData: cache });
  globalThis[Symbol.for('spindle.import')] = (url) => import(url);
  globalThis[Symbol.for('spindle.function')] = (...parts) => new Function(...parts);
  if (lentRequire) globalThis[Symbol.for('spindle.require')] = lentRequire;
  if (modules?.registerHooks) {
    const face = new URL('face-proxy.js', threads.workerData.entry).href;
    const faces = ['spindle', 'spindle/tasks'];
    modules.registerHooks({
      resolve: (specifier, context, next) => faces.includes(specifier) ? { url: face, format: 'module', shortCircuit: true } : next(specifier, context),
    });
  }
  if (cacheFile && (cache === undefined || script.cachedDataRejected)) {
    globalThis[Symbol.for('spindle.beforeFirstResult')] = () => {
      const temporary = cacheFile + '.' + process.pid + '-' + threads.threadId;
      try {
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
      } catch {
        try { unlinkSync(temporary); } catch {}
      }
    };
  }
  // The script requires only builtins, and publishes its face itself (see scripts/build.mjs).
  const module = { exports: {} };
  script.runInThisContext()(module.exports, load, module, file, file.slice(0, file.lastIndexOf('/')));
};
const start = async (threads) => {
  const { workerData } = threads;
  if (workerData.tsx) (await import(workerData.tsx)).register();
  if (!workerData.script) return import(workerData.entry);
  // Its first message carries the worker's init (and the script's source and cache); a thread
  // started before its pool had read its options may start before it is sent.
  const first = threads.receiveMessageOnPort(threads.parentPort);
  if (first) runScript(workerData.script, threads, first.message);
  else threads.parentPort.once('message', (message) => runScript(workerData.script, threads, message));
};
const threads = load?.('node:worker_threads');
if (threads) start(threads);
else import('node:worker_threads').then(start);
})();
`;

/** Workers are `worker_threads`: cheap to start, and they share memory with the caller. */
export class ThreadBackend implements Backend {
  readonly name = 'threads';
  readonly sharesMemory = true;
  /** A thread is cheap; one started with the pool is ready about when its first task is. */
  readonly prestart = 1;

  /** A thread started before its pool had read its options (see {@link startEarly}). */
  #early: Thread | undefined;

  /**
   * Starts the thread of this backend's next worker now, before the pool that will own it has
   * read its options and made its scheduler: that set-up (~2.5 ms of cold code on a new pool's
   * path) then runs beside the thread's own start instead of before it. Only a thread on the
   * worker script can wait for its start message (see the bootstrap); elsewhere this does nothing.
   */
  startEarly(): void {
    if (this.#early) return;
    let entry: URL;
    try {
      entry = workerEntryUrl();
    } catch {
      return;
    }
    this.#early = spawnThread(entry, undefined, undefined);
  }

  /** Stops a thread from {@link startEarly} that no worker took (the options were refused). */
  dropEarly(): void {
    if (this.#early) stopUnused(this.#early);
    this.#early = undefined;
  }

  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel {
    let thread = this.#early;
    this.#early = undefined;
    // Limits are set when a thread starts: an early one started without them.
    if (thread && options.resourceLimits !== undefined) {
      stopUnused(thread);
      thread = undefined;
    }
    if (!thread) {
      let entry: URL;
      try {
        entry = workerEntryUrl();
      } catch (error) {
        return failedStart(events, error as Error);
      }
      thread = spawnThread(entry, options.init, options.resourceLimits) as Thread;
    }
    const { worker, running, claims, script, ts } = thread;
    // After new Worker, so that finding and reading the cache overlaps the thread's own start;
    // the first message on the thread's port, which its bootstrap takes before the runtime
    // listens.
    if (script) {
      try {
        worker.postMessage({ init: options.init, ...scriptCache(script) });
      } catch (error) {
        // initArgs that do not clone: the caller hears why (see Workers.start), and this thread,
        // which would wait for its init, goes.
        stopUnused(thread);
        throw error;
      }
    }
    let uncaught: Error | undefined;
    worker.on('message', (message: FromWorker) => events.message(fromWorkerFromWire(message)));
    worker.on('error', (error) => {
      uncaught = error;
    });
    // The results in a message that cannot be read here are lost; the scheduler asks the
    // worker which tasks it still holds and fails the others (see Scheduler#resync).
    worker.on('messageerror', (error) => events.messageError?.(error));
    let exited: Promise<void> | undefined;
    const gone = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        ts?.close();
        events.exit({
          code,
          signal: null,
          error: uncaught,
          running: readRunning(running),
          taken: readTaken(running),
        });
        resolve();
      });
    });
    return {
      threadId: worker.threadId,
      claims,
      send: (message, transfer) => worker.postMessage(toWorkerWire(message), transfer as any),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      terminate: () => {
        exited ??= worker.terminate().then(() => gone);
        return exited;
      },
      running: () => readRunning(running),
    };
  }
}

/** A started thread, and what its worker's channel needs of it. */
interface Thread {
  worker: Worker;
  /**
   * The worker notes here which tasks it is running; it survives the thread, so a crash (even
   * out of memory) blames only those tasks.
   */
  running: Float64Array;
  claims: Int32Array;
  /** The worker script the thread runs; it then takes its init from its first message. */
  script?: string;
  ts?: TsOnceStart;
}

function stopUnused(thread: Thread): void {
  thread.worker.on('error', () => {});
  thread.worker.terminate();
  thread.ts?.close();
}

/**
 * Starts a thread. On the worker script its init comes later, in its first message; elsewhere
 * it is in workerData, so without `init` a thread that would not run the script is not started.
 */
function spawnThread(
  entry: URL,
  init: WorkerStartOptions['init'] | undefined,
  resourceLimits: ResourceLimits | undefined,
): Thread | undefined {
  const running = new Float64Array(
    new SharedArrayBuffer(RUNNING_LENGTH * Float64Array.BYTES_PER_ELEMENT),
  );
  const claims = newClaims();
  const ts = tsOnceStart(entry);
  const file = scriptFile(entry);
  let script: string | undefined;
  const worker = startThread(ts?.execArgv, file !== undefined, (execArgv) => {
    // A second try, without flags the thread refused, runs no script.
    script = file && underScriptCondition(execArgv) ? file : undefined;
    if (!script && !init) return undefined;
    return new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {
        init: script ? undefined : init,
        entry: entry.href,
        script,
        tsx: ts ? undefined : tsxApiUrl(),
        tsOnce: ts?.workerData,
        running,
        claims,
      },
      transferList: ts ? [ts.transfer] : [],
      execArgv,
      resourceLimits: withYoungGeneration(resourceLimits),
    });
  });
  if (!worker) {
    ts?.close();
    return undefined;
  }
  return { worker, running, claims, script, ts };
}
