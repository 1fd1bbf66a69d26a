import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { tasks } from './fixtures/redis-tasks.js';
import { tasks as otherTasks } from './fixtures/tasks.js';
import {
  type RedisServer,
  redisSkip,
  startRedisServer,
  startWorker,
  stopAll,
  TASKS_MODULE,
  type WorkerProcess,
} from './helpers/redis-server.js';

describe('redis backend security', { skip: redisSkip }, () => {
  let server: RedisServer;
  const workers: WorkerProcess[] = [];
  const pools: Pool[] = [];

  before(async () => {
    server = await startRedisServer();
    workers.push(
      ...(await Promise.all([
        startWorker(server.url, { queue: 'signed', secret: 's3cret' }),
        startWorker(server.url, { queue: 'open' }),
      ])),
    );
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.terminate()));
    await stopAll(...workers, server);
  });

  function pool(queue: string, secret?: string): Pool {
    const p = new Pool({ backend: redis({ connection: server.url, queue, secret }), workers: 2 });
    pools.push(p);
    return p;
  }

  test('a worker with a secret runs jobs signed with the same secret', async () => {
    assert.deepEqual(await pool('signed', 's3cret').map(tasks.cube, [1, 2, 3]), [1, 8, 27]);
  });

  test('a worker with a secret refuses an unsigned job with SPINDLE_JOB_REFUSED', async () => {
    const saved = process.env.SPINDLE_SECRET;
    delete process.env.SPINDLE_SECRET;
    try {
      await assert.rejects(pool('signed').apply(tasks.cube, 2), (error: any) => {
        assert.equal(error.code, 'SPINDLE_JOB_REFUSED');
        assert.match(error.message, /not signed/);
        assert.match(error.message, /SPINDLE_SECRET/);
        return true;
      });
    } finally {
      if (saved !== undefined) process.env.SPINDLE_SECRET = saved;
    }
  });

  test('a job signed with another secret is refused', async () => {
    await assert.rejects(pool('signed', 'wrong').apply(tasks.cube, 2), (error: any) => {
      assert.equal(error.code, 'SPINDLE_JOB_REFUSED');
      assert.match(error.message, /signature does not match/);
      return true;
    });
  });

  test('SPINDLE_SECRET signs jobs when no secret option is given', async () => {
    const saved = process.env.SPINDLE_SECRET;
    process.env.SPINDLE_SECRET = 's3cret';
    try {
      assert.equal(await pool('signed').apply(tasks.cube, 4), 64);
    } finally {
      if (saved === undefined) delete process.env.SPINDLE_SECRET;
      else process.env.SPINDLE_SECRET = saved;
    }
  });

  test('a task from a module the worker was not started with is refused', async () => {
    await assert.rejects(pool('open').apply(otherTasks.cube, 2), (error: any) => {
      assert.equal(error.code, 'SPINDLE_JOB_REFUSED');
      assert.match(error.message, /not one of the modules this worker runs/);
      assert.match(error.message, /--tasks/);
      return true;
    });
  });

  test('a signing caller does not trust results from a worker without a secret', async () => {
    await assert.rejects(pool('open', 's3cret').apply(tasks.cube, 2), (error: any) => {
      assert.equal(error.code, 'SPINDLE_JOB_REFUSED');
      assert.match(error.message, /has no secret/);
      return true;
    });
  });
});

describe('cluster worker task table', () => {
  test('a task from the same module at another path is found by its path suffix', async () => {
    const { TaskTable } = await import('../src/redis/task-table.js');
    const table = await TaskTable.load([TASKS_MODULE]);
    const found = table.resolve({
      t: 'm',
      url: 'file:///somewhere/else/test/fixtures/redis-tasks.ts',
      name: 'cube',
    });
    assert.equal(found.spec?.fn(3), 27);
    assert.equal(found.spec?.def.t === 'm' && found.spec.def.url, table.urls[0]);
  });

  test('inline code and foreign modules are refused, a missing task is a TaskModuleError', async () => {
    const { TaskTable } = await import('../src/redis/task-table.js');
    const table = await TaskTable.load([TASKS_MODULE]);
    assert.match(
      table.resolve({ t: 'i', src: '() => 1', names: [], values: [] }).refused ?? '',
      /inline code/,
    );
    assert.match(
      table.resolve({ t: 'm', url: 'file:///x/other.ts', name: 'cube' }).refused ?? '',
      /not one of the modules/,
    );
    assert.equal(
      table.resolve({ t: 'm', url: table.urls[0]!, name: 'nope' }).error?.code,
      'SPINDLE_TASK_MODULE',
    );
  });
});
