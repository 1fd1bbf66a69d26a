/**
 * One behaviour suite, run on every backend, as CPython runs its executor tests over each
 * executor: submit, map, errors, cancel, timeout, crash, close. What a backend cannot do (a
 * crash inside the caller's own thread on inline) is left out for it, and says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Backend, Pool } from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { suite } from './fixtures/suite-tasks.js';
import {
  type RedisServer,
  redisSkip,
  startRedisServer,
  startWorker,
  stopAll,
  type WorkerProcess,
} from './helpers/redis-server.js';

const SUITE_TASKS = fileURLToPath(new URL('./fixtures/suite-tasks.ts', import.meta.url));

interface Target {
  name: string;
  backend: () => Promise<Backend | 'threads' | 'processes' | 'inline'>;
  /** Workers can die without taking the caller with them. */
  isolated: boolean;
  /** Inline functions are shipped as source. */
  inlineTasks: boolean;
  stop?: () => Promise<void>;
}

const targets: Target[] = [
  { name: 'threads', backend: async () => 'threads', isolated: true, inlineTasks: true },
  { name: 'processes', backend: async () => 'processes', isolated: true, inlineTasks: true },
  { name: 'inline', backend: async () => 'inline', isolated: false, inlineTasks: true },
];

if (!redisSkip) {
  let server: RedisServer | undefined;
  let worker: WorkerProcess | undefined;
  targets.push({
    name: 'redis',
    backend: async () => {
      server ??= await startRedisServer();
      // Four slots for the pool's two: a remote job runs to its end (abort and timeout settle
      // only the caller's side), so the cancel and timeout tests each leave a 30 s sleep
      // holding a slot, and with two slots the next call would wait for one to end.
      worker ??= await startWorker(server.url, { tasks: [SUITE_TASKS], workers: 4 });
      return redis({ connection: server.url, crashRetries: 0 });
    },
    isolated: true,
    inlineTasks: false,
    stop: () => stopAll(worker, server),
  });
} else if (process.env.CI) {
  throw new Error(
    'redis-server is not installed: CI must run the suite on the cluster backend too',
  );
}

for (const target of targets) {
  describe(`every backend: ${target.name}`, () => {
    let pool: Pool;
    before(async () => {
      pool = new Pool({ backend: await target.backend(), workers: 2 });
    });
    after(async () => {
      await pool.terminate();
      await target.stop?.();
    });

    test('submit resolves with the result, apply too', async () => {
      assert.equal(await pool.submit(suite.cube, 3), 27);
      assert.equal(await pool.apply(suite.add, 2, 5), 7);
    });

    test('map returns every result in input order', async () => {
      const xs = Array.from({ length: 500 }, (_, i) => i);
      assert.deepEqual(
        await pool.map(suite.cube, xs),
        xs.map((x) => x ** 3),
      );
    });

    test("a task's error arrives with its class, message and properties", async () => {
      const error = await pool.apply(suite.fail, 'on purpose').catch((e) => e);
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'on purpose');
      assert.equal((error as RangeError & { code: string }).code, 'E_SUITE');
    });

    test('an abort cancels a queued or running task with SPINDLE_CANCELLED', async () => {
      const controller = new AbortController();
      const running = pool.submitWith({ signal: controller.signal }, suite.sleep, 30_000);
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(running, { code: 'SPINDLE_CANCELLED' });
      assert.equal(await pool.apply(suite.cube, 2), 8);
    });

    test('a timeout rejects with SPINDLE_TIMEOUT and the pool goes on', async () => {
      await assert.rejects(pool.submitWith({ timeout: 200 }, suite.sleep, 30_000), {
        code: 'SPINDLE_TIMEOUT',
      });
      assert.equal(await pool.apply(suite.cube, 4), 64);
    });

    test('imapSettled reports each item on its own', async () => {
      const out: boolean[] = [];
      for await (const r of pool.imapSettled(suite.cube, [1, 2, 3])) out.push(r.ok);
      assert.deepEqual(out, [true, true, true]);
    });

    if (target.isolated) {
      test('a worker that dies fails its task with SPINDLE_WORKER_CRASHED, and the pool goes on', async () => {
        await assert.rejects(pool.apply(suite.exit, 7), { code: 'SPINDLE_WORKER_CRASHED' });
        assert.equal(await pool.apply(suite.cube, 5), 125);
      });
    }

    if (target.inlineTasks) {
      test('an inline function runs as a task', async () => {
        assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2]), [2, 3]);
      });

      test('an inline function may import() what it needs', async () => {
        const joined = await pool.submit(
          async (a: string, b: string) => (await import('node:path')).posix.join(a, b),
          'x',
          'y',
        );
        assert.equal(joined, 'x/y');
      });
    }

    test('close finishes queued work, then refuses new work with SPINDLE_POOL_CLOSED', async () => {
      const own = new Pool({ backend: await target.backend(), workers: 2 });
      const pending = [1, 2, 3].map((x) => own.submit(suite.cube, x));
      await own.close();
      assert.deepEqual(await Promise.all(pending), [1, 8, 27]);
      assert.throws(() => own.submit(suite.cube, 1), { code: 'SPINDLE_POOL_CLOSED' });
    });
  });
}
