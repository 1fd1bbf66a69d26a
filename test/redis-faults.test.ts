import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Pool } from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { crashing, tasks } from './fixtures/redis-tasks.js';
import {
  freePort,
  type RedisServer,
  redisSkip,
  startRedisServer,
  startWorker,
  stopAll,
  type WorkerProcess,
} from './helpers/redis-server.js';

describe('redis backend faults', { skip: redisSkip }, () => {
  let server: RedisServer;
  const workers: WorkerProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'spindle-redis-faults-'));

  before(async () => {
    server = await startRedisServer();
  });

  after(async () => {
    await stopAll(...workers, server);
    rmSync(dir, { recursive: true, force: true });
  });

  async function worker(queue: string): Promise<WorkerProcess> {
    const w = await startWorker(server.url, { queue });
    workers.push(w);
    return w;
  }

  test('a worker killed with SIGKILL mid-run loses nothing and duplicates nothing', async () => {
    const [victim] = await Promise.all([worker('kill'), worker('kill')]);
    const pool = new Pool({
      backend: redis({ connection: server.url, queue: 'kill' }),
      workers: 4,
    });
    const file = join(dir, 'kill.log');
    writeFileSync(file, '');
    const n = 40;
    const items = Array.from({ length: n }, (_, x) => ({ file, x, ms: 150 }));
    const lines = () => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
    // Killed while it runs a job (started, not ended): that job must run again elsewhere.
    const midJob = () => {
      const open = new Set<string>();
      for (const line of lines()) {
        const [what, x, pid] = line.split(' ');
        if (Number(pid) !== victim!.pid) continue;
        if (what === 'start') open.add(x!);
        else open.delete(x!);
      }
      return open.size > 0;
    };
    let killed = false;
    const watch = setInterval(() => {
      if (!killed && midJob()) {
        killed = true;
        victim!.kill('SIGKILL');
      }
    }, 5);
    const seen: number[] = [];
    try {
      for await (const x of pool.imapUnordered(tasks.logged, items, { chunksize: 2 })) seen.push(x);
    } finally {
      clearInterval(watch);
      await pool.close();
    }
    assert.ok(killed, 'the victim ran a job');
    assert.deepEqual(
      seen.sort((p, q) => p - q),
      items.map((i) => i.x),
    );
    const starts = lines().filter((line) => line.startsWith('start '));
    assert.ok(starts.length > n, 'the jobs the killed worker held ran again elsewhere');
  });

  test('a job whose workers keep dying fails with SPINDLE_WORKER_CRASHED after crashRetries', async () => {
    await Promise.all([worker('die'), worker('die')]);
    const pool = new Pool({
      backend: redis({ connection: server.url, queue: 'die', crashRetries: 0 }),
      workers: 1,
    });
    try {
      await assert.rejects(pool.apply(crashing.die), (error: any) => {
        assert.equal(error.code, 'SPINDLE_WORKER_CRASHED');
        assert.match(error.message, /died 1 times/);
        return true;
      });
    } finally {
      await pool.close();
    }
  });

  test("without crashRetries, the pool's retries sets how often a crashed job re-runs", async () => {
    // Each run kills its worker: three runs die, and a fourth worker finds the budget spent.
    await Promise.all(Array.from({ length: 4 }, () => worker('die-retries')));
    const pool = new Pool({
      backend: redis({ connection: server.url, queue: 'die-retries' }),
      workers: 1,
      retries: 2,
    });
    try {
      await assert.rejects(pool.apply(crashing.die), (error: any) => {
        assert.equal(error.code, 'SPINDLE_WORKER_CRASHED');
        assert.match(error.message, /died 3 times.*crashRetries is 2/);
        return true;
      });
    } finally {
      await pool.close();
    }
  });

  test('SIGTERM lets a worker finish the job it holds, then exit 0', async () => {
    const w = await worker('drain');
    const pool = new Pool({
      backend: redis({ connection: server.url, queue: 'drain' }),
      workers: 1,
    });
    try {
      const result = pool.apply(tasks.slow, 5, 1500);
      await new Promise((r) => setTimeout(r, 500));
      w.kill('SIGTERM');
      assert.equal(await result, 5);
      assert.equal(await w.exit(), 0);
      assert.match(w.output(), /finishing held jobs/);
    } finally {
      await pool.close();
    }
  });

  test('Redis restarted mid-run: the map finishes, or fails with a clear error', async () => {
    await Promise.all([worker('restart'), worker('restart')]);
    const pool = new Pool({
      backend: redis({ connection: server.url, queue: 'restart' }),
      workers: 4,
    });
    const xs = Array.from({ length: 30 }, (_, i) => i);
    try {
      const run = pool.map(tasks.slow, xs, { chunksize: 1 });
      await new Promise((r) => setTimeout(r, 400));
      await server.restart();
      try {
        assert.deepEqual(await run, xs);
      } catch (error: any) {
        assert.equal(error.code, 'SPINDLE_REDIS_UNAVAILABLE', String(error));
      }
    } finally {
      await pool.terminate();
    }
  });

  test('Redis gone for longer than reconnectTimeout fails the run with SPINDLE_REDIS_UNAVAILABLE', async () => {
    const doomed = await startRedisServer();
    const w = await startWorker(doomed.url);
    workers.push(w);
    const pool = new Pool({
      backend: redis({ connection: doomed.url, reconnectTimeout: 1500 }),
      workers: 2,
    });
    try {
      const run = pool.map(tasks.slow, [1, 2, 3, 4, 5, 6], { chunksize: 1 });
      await new Promise((r) => setTimeout(r, 300));
      await doomed.stop();
      await assert.rejects(run, (error: any) => {
        assert.equal(error.code, 'SPINDLE_REDIS_UNAVAILABLE');
        assert.match(error.message, /reconnectTimeout/);
        return true;
      });
    } finally {
      await pool.terminate();
      w.kill('SIGKILL');
    }
  });

  test('a worker that cannot reach Redis exits with a clear error instead of hanging', async () => {
    const port = await freePort();
    const w = await startWorker(`redis://127.0.0.1:${port}`, { wait: false });
    workers.push(w);
    assert.equal(await w.exit(), 1);
    assert.match(w.output(), /SPINDLE_REDIS_UNAVAILABLE/);
    assert.match(w.output(), new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});
