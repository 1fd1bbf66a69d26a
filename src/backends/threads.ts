import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { FromWorker } from '../wire/protocol.js';
import { newClaims } from '../worker/claims.js';
import { RUNNING_LENGTH, readRunning, readTaken } from '../worker/running-slots.js';
import { workerEntryUrl } from './entry-url.js';
import { type ScriptStart, scriptCache, scriptFile } from './script-runtime.js';
import { failedStart } from './start-failure.js';
import { tsOnceStart } from './ts-once/service.js';
import type { Backend, WorkerChannel, WorkerEvents, WorkerStartOptions } from './types.js';
import { tsxApiUrl } from './typescript.js';
import { startThread, underScriptCondition } from './worker-condition.js';

/**
 * Loads the runtime, registering tsx first when the caller runs under tsx (see typescript.ts):
 * on Node as a classic script compiled with V8's code cache (see script-runtime.ts), else (Bun,
 * Deno, spindle's sources under tsx) by importing the entry. Only `import()` and
 * `process.getBuiltinModule`, no `require`: an eval'd worker inherits `--input-type=module` from
 * a caller started with `node --input-type=module -e`, and then runs this as a module. In one
 * arrow function, so that none of its names becomes a global of the thread. On Node ≥ 22.1 the
 * thread keeps V8's compiled code of the ES modules it imports in Node's compile cache (in the
 * temp folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off).
 */
const BOOTSTRAP = `(() => {
const load = typeof process.getBuiltinModule === 'function' ? (name) => process.getBuiltinModule(name) : undefined;
load?.('node:module').enableCompileCache?.();
const runScript = ({ file, port }) => {
  const { source, cache, cacheFile } = (port && load('node:worker_threads').receiveMessageOnPort(port)?.message) ?? {};
  port?.close();
  const { readFileSync, renameSync, unlinkSync, writeFileSync } = load('node:fs');
  const script = new (load('node:vm').Script)(source ?? readFileSync(file, 'utf8'), { filename: file, cachedData: cache });
  globalThis[Symbol.for('spindle.import')] = (url) => import(url);
  if (cacheFile && (cache === undefined || script.cachedDataRejected)) {
    globalThis[Symbol.for('spindle.beforeFirstResult')] = () => {
      const temporary = cacheFile + '.' + process.pid + '-' + load('node:worker_threads').threadId;
      try {
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
      } catch {
        try { unlinkSync(temporary); } catch {}
      }
    };
  }
  const module = { exports: {} };
  const require = load('node:module').createRequire(file);
  script.runInThisContext()(module.exports, require, module, file, load('node:path').dirname(file));
  // What the thread's \`import 'spindle'\` is (dist/worker/face-proxy.js).
  globalThis[Symbol.for('spindle.workerFace')] = module.exports;
};
const start = async ({ workerData }) => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  if (workerData.script) runScript(workerData.script);
  else await import(workerData.entry);
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

  start(options: WorkerStartOptions, events: WorkerEvents): WorkerChannel {
    // The worker notes here which tasks it is running; it survives the thread, so a crash
    // (even out of memory) blames only those tasks.
    const running = new Float64Array(
      new SharedArrayBuffer(RUNNING_LENGTH * Float64Array.BYTES_PER_ELEMENT),
    );
    let entry: URL;
    try {
      entry = workerEntryUrl();
    } catch (error) {
      return failedStart(events, error as Error);
    }
    const claims = newClaims();
    const ts = tsOnceStart(entry);
    const file = scriptFile(entry);
    let sendCache: (() => void) | undefined;
    const worker = startThread(ts?.execArgv, file !== undefined, (execArgv) => {
      const transferList: MessagePort[] = ts ? [ts.transfer] : [];
      let script: ScriptStart | undefined;
      sendCache = undefined; // a second try, without flags the thread refused, runs no script
      if (file && underScriptCondition(execArgv)) {
        const channel = new MessageChannel();
        script = { file, port: channel.port2 };
        transferList.push(channel.port2);
        sendCache = () => {
          channel.port1.postMessage(scriptCache(file));
          channel.port1.close();
        };
      }
      return new Worker(BOOTSTRAP, {
        eval: true,
        workerData: {
          init: options.init,
          entry: entry.href,
          script,
          tsx: ts ? undefined : tsxApiUrl(),
          tsOnce: ts?.workerData,
          running,
          claims,
        },
        transferList,
        execArgv,
        resourceLimits: options.resourceLimits,
      });
    });
    // After new Worker: finding and reading the cache overlaps the thread's own start.
    sendCache?.();
    let uncaught: Error | undefined;
    worker.on('message', (message: FromWorker) => events.message(message));
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
      send: (message, transfer) => worker.postMessage(message, transfer as any),
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
