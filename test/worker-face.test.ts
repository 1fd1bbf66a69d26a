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
};
await pool.close();
console.log(JSON.stringify(out));
`;

describe("import 'spindle' in a worker", () => {
  before(() => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(root, '.tmp', 'worker-face-'));
    writeFileSync(join(dir, 'tasks.mjs'), TASKS);
    writeFileSync(join(dir, 'main.mjs'), MAIN);
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
    });
  }

  test('a caller started with a flag workers refuse still gets working workers', async () => {
    const out = await runMain(['--max-old-space-size=512']);
    assert.deepEqual(out.names, out.callerNames);
    assert.deepEqual(out.nested.map, [1, 4, 9]);
  });
});
