import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Barrier, Pool, PoolClosedError } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';
import { tasks as syncTasks } from './fixtures/sync-tasks.js';
import { tasks } from './fixtures/tasks.js';

const run = promisify(execFile);
const script = (name: string) =>
  fileURLToPath(new URL(`./fixtures/scripts/${name}`, import.meta.url));

describe('pool lifecycle', () => {
  test('close finishes queued work, then stops', async () => {
    const pool = new Pool({ workers: 1 });
    const pending = [
      pool.apply(tasks.sleep, 30),
      pool.apply(tasks.sleep, 30),
      pool.apply(tasks.cube, 3),
    ];
    await pool.close();
    assert.deepEqual(await Promise.all(pending), [30, 30, 27]);
    assert.equal(pool.stats().workers, 0);
  });

  test('after close, new work is refused with SPINDLE_POOL_CLOSED', async () => {
    const pool = new Pool({ workers: 1 });
    await pool.close();
    assert.throws(
      () => pool.submit(tasks.cube, 1),
      (e: unknown) => e instanceof PoolClosedError && e.code === 'SPINDLE_POOL_CLOSED',
    );
    await assert.rejects(pool.map(tasks.cube, [1]), PoolClosedError);
  });

  test('terminate stops now and rejects pending work with SPINDLE_POOL_CLOSED', async () => {
    const pool = new Pool({ workers: 1 });
    const running = pool.apply(tasks.sleep, 5_000).catch((e) => e);
    const queued = pool.apply(tasks.cube, 2).catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await pool.terminate();
    assert.ok(Date.now() - started < 2_000);
    assert.equal((await running).code, 'SPINDLE_POOL_CLOSED');
    assert.equal((await queued).code, 'SPINDLE_POOL_CLOSED');
    assert.throws(() => pool.submit(tasks.cube, 1), PoolClosedError);
  });

  test('close resolves when the last task fails at send time after close was asked', async () => {
    const pool = new Pool({ workers: 1 });
    const bad = pool.apply((x: unknown) => x, { callback: () => 1 });
    const closed = pool.close();
    await assert.rejects(bad, { code: 'SPINDLE_CLONE' });
    await closed;
  });

  test('close of an unused pool resolves without starting workers', async () => {
    const pool = new Pool({ prestart: 0 });
    await pool.close();
    assert.equal(pool.stats().workers, 0);
  });

  test('close of an unused pool stops the worker it started with', async () => {
    const pool = new Pool({ workers: 2 });
    assert.equal(pool.stats().workers, 1);
    await pool.close();
    assert.equal(pool.stats().workers, 0);
  });

  test('a thread pool starts one worker when it is made, the others as the work needs them', async () => {
    const pool = new Pool({ workers: 4 });
    assert.equal(pool.stats().workers, 1);
    await pool.apply(tasks.cube, 1);
    assert.equal(pool.stats().workers, 1);
    assert.deepEqual(
      await pool.map(tasks.sleep, [40, 40, 40, 40], { chunksize: 1 }),
      [40, 40, 40, 40],
    );
    assert.equal(pool.stats().workers, 4);
    await pool.close();
  });

  test("a new pool's first two tasks, submitted together, run at once on two workers", async () => {
    // Each waits at a barrier for the other: they pass only if both run at the same time.
    const pool = new Pool({ workers: 2 });
    try {
      const barrier = new Barrier(2);
      const clock = new Int32Array(new SharedArrayBuffer(4));
      const running = [
        pool.apply(syncTasks.arrive, barrier, clock, 0),
        pool.apply(syncTasks.arrive, barrier, clock, 0),
      ];
      // The tick's dispatch starts the second worker at once, not when the first is up.
      await null;
      assert.equal(pool.stats().workers, 2);
      const both = await Promise.all(running);
      assert.deepEqual(both.map((r) => r.index).sort(), [0, 1]);
    } finally {
      await pool.close();
    }
  });

  test('with prestart: 0 workers start only as the work needs them', async () => {
    const pool = new Pool({ workers: 4, prestart: 0 });
    assert.equal(pool.stats().workers, 0);
    await pool.apply(tasks.cube, 1);
    assert.equal(pool.stats().workers, 1);
    await pool.close();
  });

  test('prestart starts that many workers; each runs the initializer before its first task', async () => {
    const pool = new Pool({
      workers: 3,
      prestart: 3,
      initializer: faults.init,
      initArgs: [{ db: 'memory' }],
    });
    assert.equal(pool.stats().workers, 3);
    const states = await Promise.all(Array.from({ length: 6 }, () => pool.apply(faults.initState)));
    for (const state of states) {
      assert.equal(state.inits, 1);
      assert.deepEqual(state.initArg, { db: 'memory' });
    }
    assert.equal(pool.stats().workers, 3);
    await pool.close();
  });

  test('prestart beyond workers, or not a whole number, is refused at the call', () => {
    assert.throws(() => new Pool({ workers: 2, prestart: 3 }), {
      name: 'RangeError',
      message: /prestart must be a whole number from 0 to workers \(2\), got number 3; use 0/,
    });
    assert.throws(() => new Pool({ prestart: 1.5 }), RangeError);
    assert.throws(() => new Pool({ prestart: -1 }), RangeError);
  });

  test('the processes and inline backends start no worker before work comes', async () => {
    for (const backend of ['processes', 'inline'] as const) {
      const pool = new Pool({ backend, workers: 2 });
      assert.equal(pool.stats().workers, 0, backend);
      await pool.close();
    }
  });

  test('a script that makes a pool and never uses or closes it exits by itself', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script('never-uses.ts')], {
      timeout: 20_000,
    });
    assert.equal(stdout.trim(), 'made, 1 worker starting');
  });

  test('await using closes the pool at the end of the block', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script('closes.ts')], {
      timeout: 20_000,
    });
    assert.equal(stdout.trim(), '64\ndisposed');
  });

  test('a script that never closes its pool still exits by itself', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', script('forgets-close.ts')],
      { timeout: 20_000 },
    );
    assert.match(stdout, /\[ 1, 8, 27 \]/);
  });

  test('thread workers start when the caller is `node --input-type=module -e`', async () => {
    const index = new URL('../src/index.ts', import.meta.url).href;
    const code = `import { Pool } from '${index}'; const p = new Pool({ workers: 1 }); console.log(await p.apply((x) => x * 2, 21)); await p.close();`;
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', code],
      { timeout: 20_000 },
    );
    assert.equal(stdout.trim(), '42');
  });

  test('a main script can run its own module tasks on the inline backend', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', script('inline-self-tasks.ts')],
      {
        timeout: 20_000,
      },
    );
    assert.equal(stdout.trim(), '[3,6,9]');
  });

  test('the queue handles a million queued tasks', async () => {
    const pool = new Pool({ workers: 2 });
    const futures = [];
    for (let i = 0; i < 1_000_000; i++) futures.push(pool.submit(tasks.identity, i));
    const results = await Promise.all(futures);
    assert.equal(results.length, 1_000_000);
    assert.equal(results[999_999], 999_999);
    await pool.close();
  });

  test('maxQueue makes submit throw SPINDLE_QUEUE_FULL and map wait', async () => {
    const pool = new Pool({ workers: 1, maxQueue: 2 });
    const held = [pool.submit(tasks.sleep, 50), pool.submit(tasks.sleep, 50)];
    let error: any;
    try {
      for (let i = 0; i < 10; i++) held.push(pool.submit(tasks.sleep, 1));
    } catch (e) {
      error = e;
    }
    assert.equal(error?.code, 'SPINDLE_QUEUE_FULL');
    assert.deepEqual(
      await pool.map(tasks.cube, [1, 2, 3, 4, 5], { chunksize: 1 }),
      [1, 8, 27, 64, 125],
    );
    await Promise.all(held);
    await pool.close();
  });
});
