import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Pool } from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { tasks } from './fixtures/redis-tasks.js';
import {
  freePort,
  type RedisServer,
  redisSkip,
  startRedisServer,
  startWorker,
  stopAll,
  type WorkerProcess,
} from './helpers/redis-server.js';

describe('redis backend', { skip: redisSkip }, () => {
  let server: RedisServer | undefined;
  let a: WorkerProcess | undefined;
  let b: WorkerProcess | undefined;
  let pool: Pool;
  const dir = mkdtempSync(join(tmpdir(), 'spindle-redis-test-'));

  before(async () => {
    server = await startRedisServer();
    [a, b] = await Promise.all([startWorker(server.url), startWorker(server.url)]);
    pool = new Pool({ backend: redis({ connection: server.url }), workers: 4 });
  });

  after(async () => {
    await pool?.terminate();
    await stopAll(a, b, server);
    rmSync(dir, { recursive: true, force: true });
  });

  test('map over a module task returns every result in input order', async () => {
    const xs = Array.from({ length: 2000 }, (_, i) => i);
    assert.deepEqual(
      await pool.map(tasks.cube, xs),
      xs.map((x) => x ** 3),
    );
  });

  test('results keep structured-clone types (Map, Date) across Redis', async () => {
    const out = await pool.apply(tasks.where, 7);
    assert.equal(out.x, 7);
    assert.ok(out.at instanceof Date);
    assert.ok(out.tags instanceof Map);
    assert.notEqual(out.pid, process.pid);
  });

  test('arrays of numbers and records cross the cluster whole, both ways', async () => {
    const numbers = Array.from({ length: 5000 }, (_, i) => (i === 3 ? -0 : i / 4));
    const rows = Array.from({ length: 300 }, (_, r) => [r, -r, r / 2]);
    const records = Array.from({ length: 500 }, (_, i) => ({
      id: i,
      name: `n${i}`,
      ok: i % 2 === 0,
    }));
    for (const value of [numbers, rows, records]) {
      const out = await pool.apply(tasks.echo, value);
      assert.deepStrictEqual(out, { x: value, array: true, length: value.length });
    }
    const seen = await pool.map(tasks.echo, records);
    assert.deepStrictEqual(
      seen.map((o) => o.x),
      records,
    );
  });

  test('many single submits all resolve', async () => {
    const futures = Array.from({ length: 500 }, (_, i) => pool.submit(tasks.cube, i));
    const out = await Promise.all(futures);
    assert.deepEqual(
      out,
      Array.from({ length: 500 }, (_, i) => i ** 3),
    );
  });

  test('an inline function is refused with SPINDLE_UNSUPPORTED, saying why and what to do', async () => {
    await assert.rejects(
      pool.map((x: number) => x + 1, [1, 2]),
      (error: any) => {
        assert.equal(error.code, 'SPINDLE_UNSUPPORTED');
        assert.match(error.message, /never shipped/);
        assert.match(error.message, /defineTasks\(import\.meta\.url/);
        return true;
      },
    );
  });

  test('a task that throws rejects with its own error and is not re-run', async () => {
    const file = join(dir, 'fail.log');
    await assert.rejects(pool.apply(tasks.failLogged, file), (error: any) => {
      assert.ok(error instanceof RangeError);
      assert.equal((error as { code?: string }).code, 'E_PURPOSE');
      assert.match(error.message, /on purpose/);
      return true;
    });
    // Long enough for a re-run to have happened, if there were one (locks last 2 s).
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(readFileSync(file, 'utf8'), 'ran\n');
  });

  test('an unreachable Redis fails fast with SPINDLE_REDIS_UNAVAILABLE', async () => {
    const port = await freePort();
    const lonely = new Pool({
      backend: redis({ connection: `redis://127.0.0.1:${port}`, connectTimeout: 1500 }),
      workers: 2,
    });
    const started = performance.now();
    try {
      await assert.rejects(lonely.map(tasks.cube, [1, 2, 3]), (error: any) => {
        assert.equal(error.code, 'SPINDLE_REDIS_UNAVAILABLE');
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        return true;
      });
      assert.ok(performance.now() - started < 15_000, 'the error came within seconds');
    } finally {
      await lonely.terminate();
    }
  });
});
