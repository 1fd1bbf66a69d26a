import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pool } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';

for (const backend of ['threads', 'processes'] as const) {
  const workerOf = (r: { pid: number; threadId: number }) =>
    backend === 'threads' ? r.threadId : r.pid;

  describe(`worker lifecycle (${backend})`, () => {
    test('the initializer runs once in each worker, with initArgs, before its first task', async () => {
      const pool = new Pool({
        backend,
        workers: 2,
        initializer: faults.init,
        initArgs: [{ db: 'memory' }],
      });
      try {
        const states = await Promise.all(
          Array.from({ length: 12 }, () => pool.apply(faults.initState)),
        );
        for (const state of states) {
          assert.equal(state.inits, 1);
          assert.deepEqual(state.initArg, { db: 'memory' });
        }
        assert.ok(new Set(states.map(workerOf)).size <= 2);
      } finally {
        await pool.close();
      }
    });

    if (backend === 'threads') {
      test('a task sent to a new worker that dies before it is ready runs on the next one', async () => {
        // A new pool sends its first task to a worker still starting (it waits in the port).
        // That worker never became ready, so the task never ran there: no crash, no retry used.
        const starts = new Int32Array(new SharedArrayBuffer(4));
        const pool = new Pool({
          backend,
          workers: 1,
          retries: 0,
          initializer: faults.initExitFirst,
          initArgs: [starts],
        });
        try {
          const state = await pool.apply(faults.initState);
          assert.equal(typeof state.threadId, 'number');
          assert.equal(Atomics.load(starts, 0), 2);
          assert.equal(pool.stats().crashes, 0);
        } finally {
          await pool.close();
        }
      });
    }

    test('maxTasksPerWorker replaces a worker after that many tasks, each new one initialised once', async () => {
      const pool = new Pool({
        backend,
        workers: 1,
        maxTasksPerWorker: 3,
        initializer: faults.init,
        initArgs: ['x'],
      });
      try {
        // submitted at once, so the pool is tempted to pipeline past the limit
        const states = await Promise.all(
          Array.from({ length: 9 }, () => pool.apply(faults.initState)),
        );
        const byWorker = new Map<number, number>();
        for (const state of states) {
          assert.equal(state.inits, 1);
          byWorker.set(workerOf(state), (byWorker.get(workerOf(state)) ?? 0) + 1);
        }
        assert.deepEqual([...byWorker.values()], [3, 3, 3]);
        assert.equal(pool.stats().crashes, 0);
      } finally {
        await pool.close();
      }
    });

    test('idleTimeout stops idle workers and the pool restarts them on demand', async () => {
      const pool = new Pool({ backend, workers: 1, idleTimeout: 100 });
      try {
        const first = await pool.apply(faults.where);
        assert.equal(pool.stats().workers, 1);
        const end = Date.now() + 10_000;
        while (pool.stats().workers > 0 && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.equal(pool.stats().workers, 0);
        const second = await pool.apply(faults.where);
        assert.notEqual(workerOf(second), workerOf(first));
        assert.equal(pool.stats().crashes, 0);
      } finally {
        await pool.close();
      }
    });

    test('a busy worker is not stopped by idleTimeout', async () => {
      const pool = new Pool({ backend, workers: 1, idleTimeout: 50 });
      try {
        const first = await pool.apply(faults.where);
        await pool.apply(faults.sleep, 300);
        const second = await pool.apply(faults.where);
        assert.equal(workerOf(second), workerOf(first));
      } finally {
        await pool.close();
      }
    });

    test('close waits for running work, then stops every worker', async () => {
      const pool = new Pool({ backend, workers: 2 });
      const running = pool.map(faults.sleep, [50, 50, 50, 50], { chunksize: 1 });
      await pool.close();
      assert.deepEqual(await running, [50, 50, 50, 50]);
      assert.equal(pool.stats().workers, 0);
    });

    test('terminate rejects queued and running work with SPINDLE_POOL_CLOSED', async () => {
      const pool = new Pool({ backend, workers: 1 });
      const codeOf = (p: Promise<unknown>) =>
        p.then(
          () => 'resolved',
          (e) => e?.code,
        );
      const running = codeOf(pool.apply(faults.hang));
      const queued = codeOf(pool.apply(faults.value, 1));
      while (pool.stats().inFlight === 0) await new Promise((r) => setTimeout(r, 10));
      await pool.terminate();
      assert.equal(await running, 'SPINDLE_POOL_CLOSED');
      assert.equal(await queued, 'SPINDLE_POOL_CLOSED');
    });
  });
}

test('resourceLimits reach thread workers (a deep recursion overflows a small stack)', async () => {
  const pool = new Pool({ workers: 1, resourceLimits: { stackSizeMb: 1 } });
  const big = new Pool({ workers: 1, resourceLimits: { stackSizeMb: 32 } });
  try {
    const depth = (n: number): number => {
      const go = (k: number): number => (k === 0 ? 0 : 1 + go(k - 1));
      return go(n);
    };
    await assert.rejects(pool.apply(depth, 100_000), RangeError);
    assert.equal(await big.apply(depth, 100_000), 100_000);
  } finally {
    await Promise.all([pool.close(), big.close()]);
  }
});

test('a worker gets a 192 MB young generation unless resourceLimits sets one, on threads and processes', async () => {
  const youngOf = () => {
    const { getBuiltinModule } = process as unknown as { getBuiltinModule(id: string): any };
    const { isMainThread, resourceLimits } = getBuiltinModule('node:worker_threads');
    if (!isMainThread) return resourceLimits.maxYoungGenerationSizeMb as number;
    const flag = process.execArgv.find((a) => a.startsWith('--max-semi-space-size='));
    return flag ? 3 * Number(flag.split('=')[1]) : undefined;
  };
  const pools = [
    new Pool({ workers: 1 }),
    new Pool({ workers: 1, resourceLimits: { maxYoungGenerationSizeMb: 48 } }),
    new Pool({ workers: 1, backend: 'processes' }),
    new Pool({
      workers: 1,
      backend: 'processes',
      resourceLimits: { maxYoungGenerationSizeMb: 48 },
    }),
  ];
  try {
    const got = await Promise.all(pools.map((pool) => pool.apply(youngOf)));
    assert.deepEqual(got, [192, 48, 192, 48]);
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
});
