/**
 * `import 'spindle'` inside spindle's workers is src/worker/face.ts (the `spindle-worker` export
 * condition): the index's names, with the caller's faces loaded on first use. Each program runs
 * as a user runs it, plain `node main.mjs`, from a folder inside this package so that
 * `import 'spindle'` is this package's build (npm test builds first).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

async function runMain(nodeArgs: string[], backend = 'threads') {
  const { stdout } = await run(process.execPath, [...nodeArgs, 'main.mjs', backend], {
    cwd: dir,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

const TASKS = `import * as spindle from 'spindle';
import { defineTasks, delayed, Lock, parallel, Pool, TimeoutError } from 'spindle';
import { ALL_COMPLETED, asCompleted, cpuCount, FIRST_COMPLETED, FIRST_EXCEPTION, Future, shared, wait } from 'spindle';
export const tasks = defineTasks(import.meta.url, {
  names: () => Object.keys(spindle).sort(),
  nested: async () => {
    class Counting extends Pool {
      count() { return 'counted'; }
    }
    const pool = new Counting({ workers: 2 });
    try {
      return {
        isPool: pool instanceof Pool && pool instanceof Counting,
        method: pool.count(),
        name: Pool.name,
        map: await pool.map(tasks.square, [1, 2, 3]),
        parallel: await parallel({ nJobs: 2 })([4, 5].map((x) => delayed(tasks.square)(x))),
      };
    } finally {
      await pool.close();
    }
  },
  square: (x) => x * x,
  isLock: (lock) => lock instanceof Lock,
  timeoutClass: () => new TimeoutError('x') instanceof spindle.SpindleError,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  // The nested pool is the index's code; the task's TimeoutError is what its import gave it.
  nestedTimeout: async () => {
    const pool = new Pool({ workers: 1 });
    try {
      await pool.submitWith({ timeout: 50 }, tasks.sleep, 5_000);
      return 'no error';
    } catch (error) {
      return [error instanceof TimeoutError, error instanceof spindle.SpindleError, error.code];
    } finally {
      await pool.close();
    }
  },
  // What loads on first use from face-extras.ts: the same code as the index's.
  extras: async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const future = pool.submit(tasks.square, 3);
      const { done } = await wait([future], { returnWhen: FIRST_COMPLETED });
      const array = shared.float64(2);
      return {
        isFuture: future instanceof Future,
        done: await Promise.all([...done].map((f) => f.result())),
        completed: await (async () => {
          const values = [];
          for await (const f of asCompleted([pool.submit(tasks.square, 4)])) values.push(await f.result());
          return values;
        })(),
        sharedArray: array instanceof Float64Array && array.buffer instanceof SharedArrayBuffer,
        sharedKeys: Object.keys(shared).sort(),
        cores: Number.isInteger(cpuCount()) && cpuCount() > 0,
        constants: [ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION],
      };
    } finally {
      await pool.close();
    }
  },
});
`;

const MAIN = `import * as spindle from 'spindle';
import { Lock, Pool } from 'spindle';
import { tasks } from './tasks.mjs';
const backend = process.argv[2] ?? 'threads';
const pool = new Pool({ workers: 1, backend });
const out = {
  names: await pool.submit(tasks.names),
  callerNames: Object.keys(spindle).sort(),
  nested: await pool.submit(tasks.nested),
  isLock: backend === 'threads' ? await pool.submit(tasks.isLock, new Lock()) : true,
  timeoutClass: await pool.submit(tasks.timeoutClass),
  nestedTimeout: await pool.submit(tasks.nestedTimeout),
  extras: await pool.submit(tasks.extras),
  callerExtras: {
    sharedKeys: Object.keys(spindle.shared).sort(),
    constants: [spindle.ALL_COMPLETED, spindle.FIRST_COMPLETED, spindle.FIRST_EXCEPTION],
  },
};
await pool.close();
console.log(JSON.stringify(out));
`;

// A task's own thread and child process inherit the workers' flags (and so the condition): they
// must get spindle as a library, not start a spindle worker of their own.
const OWN_TASKS = `import { defineTasks } from 'spindle';
import { Worker } from 'node:worker_threads';
import { fork } from 'node:child_process';
export const tasks = defineTasks(import.meta.url, {
  children: async () => {
    const worker = new Worker(new URL('./own-thread.mjs', import.meta.url), { workerData: 'data' });
    const thread = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage('hello');
    });
    await worker.terminate();
    const child = await new Promise((resolve, reject) => {
      const proc = fork(new URL('./own-child.mjs', import.meta.url), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let out = '';
      proc.stdout.on('data', (d) => { out += d; });
      proc.once('message', () => proc.send({ say: 'child' }));
      proc.once('error', reject);
      proc.once('exit', (code) => resolve({ code, out: out.trim() }));
    });
    return { thread, child };
  },
});
`;
const OWN_THREAD = `import { defineTasks } from 'spindle';
import { parentPort } from 'node:worker_threads';
parentPort.once('message', (got) => parentPort.postMessage({ got, defineTasks: typeof defineTasks }));
`;
const OWN_CHILD = `import { defineTasks, inWorker } from 'spindle';
process.once('message', (message) => {
  console.log(message.say, typeof defineTasks, inWorker());
  process.disconnect();
});
process.send('ready');
`;
const OWN_MAIN = `import { Pool } from 'spindle';
import { tasks } from './own-tasks.mjs';
const pool = new Pool({ workers: 1, backend: process.argv[2] });
console.log(JSON.stringify(await pool.submit(tasks.children)));
await pool.close();
`;

describe("import 'spindle' in a worker", () => {
  before(() => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(root, '.tmp', 'worker-face-'));
    writeFileSync(join(dir, 'tasks.mjs'), TASKS);
    writeFileSync(join(dir, 'main.mjs'), MAIN);
    writeFileSync(join(dir, 'own-tasks.mjs'), OWN_TASKS);
    writeFileSync(join(dir, 'own-thread.mjs'), OWN_THREAD);
    writeFileSync(join(dir, 'own-child.mjs'), OWN_CHILD);
    writeFileSync(join(dir, 'own-children.mjs'), OWN_MAIN);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const backend of ['threads', 'processes']) {
    test(`has every name of the index, and a pool nested in a task works (${backend})`, async () => {
      const out = await runMain([], backend);
      assert.deepEqual(out.names, out.callerNames);
      assert.deepEqual(out.nested, {
        isPool: true,
        method: 'counted',
        name: 'Pool',
        map: [1, 4, 9],
        parallel: [16, 25],
      });
      assert.equal(out.isLock, true);
      assert.equal(out.timeoutClass, true);
      assert.deepEqual(out.nestedTimeout, [true, true, 'SPINDLE_TIMEOUT']);
      assert.deepEqual(out.extras, {
        isFuture: true,
        done: [9],
        completed: [16],
        sharedArray: true,
        sharedKeys: out.callerExtras.sharedKeys,
        cores: true,
        constants: out.callerExtras.constants,
      });
    });
  }

  test('a caller started with a flag workers refuse still gets working workers', async () => {
    const out = await runMain(['--max-old-space-size=512']);
    assert.deepEqual(out.names, out.callerNames);
    assert.deepEqual(out.nested.map, [1, 4, 9]);
    // Those workers start from the library's own graph: one copy of spindle there too.
    assert.equal(out.isLock, true);
    assert.equal(out.timeoutClass, true);
  });

  for (const backend of ['threads', 'processes']) {
    test(`a thread or process a task starts itself gets spindle as a library (${backend})`, async () => {
      const { stdout } = await run(process.execPath, ['own-children.mjs', backend], {
        cwd: dir,
        timeout: 60_000,
      });
      assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), {
        thread: { got: 'hello', defineTasks: 'function' },
        child: { code: 0, out: 'child function false' },
      });
    });
  }
});
