import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Pool, type PoolOptions, WorkerCrashedError } from '../src/index.js';
import { broken } from './fixtures/fault-broken-module.js';
import { faults } from './fixtures/fault-tasks.js';

const dir = mkdtempSync(join(tmpdir(), 'spindle-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let markers = 0;

async function withPool<T>(options: PoolOptions, body: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ workers: 1, ...options });
  try {
    return await body(pool);
  } finally {
    await pool.terminate();
  }
}

async function crashOf(promise: Promise<unknown>): Promise<WorkerCrashedError> {
  const error = await promise.then(
    () => assert.fail('the task should have failed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkerCrashedError, `expected a WorkerCrashedError, got ${error}`);
  assert.equal(error.code, 'SPINDLE_WORKER_CRASHED');
  return error;
}

for (const backend of ['threads', 'processes'] as const) {
  describe(`a worker that dies mid-task (${backend})`, () => {
    test('an uncaught error in a timer fails the task with the error and exit code', async () => {
      await withPool({ backend }, async (pool) => {
        const error = await crashOf(pool.apply(faults.throwInTimer, 'boom in a timer'));
        assert.equal(error.exitCode, 1);
        assert.equal(error.signal, null);
        assert.match(error.message, /exited with code 1/);
        assert.match(error.message, /boom in a timer/);
        assert.match(error.message, /throwInTimer/);
      });
    });

    test('process.exit inside a task fails it with that exit code', async () => {
      await withPool({ backend }, async (pool) => {
        const error = await crashOf(pool.apply(faults.exit, 3));
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /exited with code 3/);
        assert.match(error.message, /set retries/);
      });
    });

    test('running out of memory under resourceLimits fails the task and the pool goes on', async () => {
      await withPool({ backend, resourceLimits: { maxOldGenerationSizeMb: 32 } }, async (pool) => {
        const error = await crashOf(pool.apply(faults.oom));
        if (backend === 'threads') {
          assert.equal(error.exitCode, 1);
          assert.match(error.message, /memory/);
        } else {
          // V8 aborts the process when --max-old-space-size is reached
          assert.ok(error.signal === 'SIGABRT' || error.exitCode === 134, error.message);
          assert.match(error.message, /out of memory/);
        }
        assert.equal(await pool.apply(faults.value, 'still here'), 'still here');
      });
    });

    test('a worker that dies while sending a result counts an attempt, so the task settles', async () => {
      // The result's getter runs while the result is serialised, after the task has finished.
      const diesInSend = () => ({
        get value() {
          return process.exit(9);
        },
      });
      await withPool({ backend }, async (pool) => {
        const error = await crashOf(pool.apply(diesInSend));
        assert.equal(error.exitCode, 9);
        assert.equal(pool.stats().crashes, 1);
      });
      await withPool({ backend, retries: 2 }, async (pool) => {
        const error = await crashOf(pool.apply(diesInSend));
        assert.match(error.message, /after 2 retries/);
        assert.equal(pool.stats().crashes, 3);
        assert.equal(await pool.apply(faults.value, 'still here'), 'still here');
      });
    });

    test('tasks queued behind a crashing task are not lost', async () => {
      await withPool({ backend }, async (pool) => {
        const crash = pool.apply(faults.exit, 5);
        const rest = [1, 2, 3, 4, 5].map((n) => pool.apply(faults.value, n));
        await crashOf(crash);
        assert.deepEqual(await Promise.all(rest), [1, 2, 3, 4, 5]);
        const stats = pool.stats();
        assert.equal(stats.crashes, 1);
        assert.equal(stats.completed, 5);
        assert.equal(stats.failed, 1);
      });
    });

    test('with retries, a crashed task re-runs on a new worker', async () => {
      await withPool({ backend, retries: 1 }, async (pool) => {
        const first = await pool.apply(faults.where);
        const marker = join(dir, `${backend}-${markers++}`);
        const rerun = await pool.apply(faults.crashOnce, marker);
        if (backend === 'threads') assert.notEqual(rerun.threadId, first.threadId);
        else assert.notEqual(rerun.pid, first.pid);
        const stats = pool.stats();
        assert.equal(stats.retried, 1);
        assert.equal(stats.crashes, 1);
        assert.equal(stats.failed, 0);
      });
    });

    test('a task that crashes on every try fails after its retries', async () => {
      await withPool({ backend, retries: 2 }, async (pool) => {
        const error = await crashOf(pool.apply(faults.exit, 4));
        assert.match(error.message, /after 2 retries/);
        assert.equal(pool.stats().crashes, 3);
      });
    });

    test('a task module that throws at import fails its tasks fast, naming the module', async () => {
      await withPool({ backend, workers: 2 }, async (pool) => {
        const started = performance.now();
        const errors = await Promise.all(
          [1, 2, 3].map(() =>
            pool.apply(broken.never).then(
              () => undefined,
              (e) => e,
            ),
          ),
        );
        for (const error of errors) {
          assert.equal(error?.code, 'SPINDLE_TASK_MODULE');
          assert.match(error.message, /fault-broken-module\.ts/);
          assert.match(error.message, /the config file is missing/);
        }
        assert.ok(performance.now() - started < 10_000);
        // the workers themselves are fine: no respawn loop, other modules still run
        assert.equal(pool.stats().crashes, 0);
        assert.equal(await pool.apply(faults.value, 1), 1);
      });
    });

    test('a failing initializer fails the waiting work with SPINDLE_WORKER_START', async () => {
      await withPool({ backend, workers: 2, initializer: faults.badInit }, async (pool) => {
        const results = await Promise.allSettled([1, 2, 3].map((n) => pool.apply(faults.value, n)));
        for (const r of results) {
          assert.equal(r.status, 'rejected');
          const error = (r as PromiseRejectedResult).reason;
          assert.equal(error.code, 'SPINDLE_WORKER_START');
          assert.match(error.message, /badInit/);
          assert.match(error.message, /the database is unreachable/);
        }
      });
    });

    test('workers that keep dying while starting fail the work instead of respawning forever', async () => {
      await withPool({ backend, workers: 2, initializer: faults.initExit }, async (pool) => {
        const error = await pool.apply(faults.value, 1).then(
          () => assert.fail('should not run'),
          (e) => e,
        );
        assert.equal(error.code, 'SPINDLE_WORKER_START');
        assert.match(error.message, /exited with code 9/);
      });
    });
  });
}

describe('a process worker killed from outside', () => {
  test('SIGKILL fails its task with the signal, and the pool replaces the worker', async () => {
    await withPool({ backend: 'processes' }, async (pool) => {
      const { pid } = await pool.apply(faults.where);
      const running = pool.apply(faults.sleep, 60_000);
      await waitFor(() => pool.stats().inFlight === 1);
      process.kill(pid, 'SIGKILL');
      const error = await crashOf(running);
      assert.equal(error.signal, 'SIGKILL');
      assert.equal(error.exitCode, null);
      assert.match(error.message, /killed by SIGKILL/);
      const next = await pool.apply(faults.where);
      assert.notEqual(next.pid, pid);
    });
  });
});

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
