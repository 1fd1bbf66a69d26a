import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openClusterDashboard } from '../src/cli/cluster-dashboard.js';
import { Pool } from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { tasks } from './fixtures/redis-tasks.js';
import {
  type RedisServer,
  startRedisServer,
  startWorker,
  stopAll,
  type WorkerProcess,
} from './helpers/redis-server.js';

let server: RedisServer;
let a: WorkerProcess;
let b: WorkerProcess;

before(async () => {
  server = await startRedisServer();
  [a, b] = await Promise.all([
    startWorker(server.url, { queue: 'watched', secret: 's3cret' }),
    startWorker(server.url, { queue: 'watched', secret: 's3cret' }),
  ]);
});
after(() => stopAll(a, b, server));

/** The dashboard's state as its page receives it, once `ready` holds (read every 200 ms). */
async function stateWhen(url: string, ready: (s: any) => boolean, ms = 15_000): Promise<any> {
  const deadline = Date.now() + ms;
  let last: any;
  while (Date.now() < deadline) {
    [last] = (await (await fetch(new URL('state.json', url))).json()) as any[];
    if (ready(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`the dashboard never showed it; last state: ${JSON.stringify(last).slice(0, 1500)}`);
}

test('spindle dashboard shows the cluster: workers, tasks done, failures and refused jobs', async () => {
  const dash = await openClusterDashboard({ redis: server.url, queue: 'watched', intervalMs: 200 });
  const signed = new Pool({
    backend: redis({ connection: server.url, queue: 'watched', secret: 's3cret' }),
    workers: 2,
  });
  const unsigned = new Pool({
    backend: redis({ connection: server.url, queue: 'watched' }),
    workers: 1,
  });
  try {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const workers = await stateWhen(dash.url, (s) => s.workers.length === 2);
    const ids = workers.workers.map((w: any) => w.id).sort();
    assert.deepEqual(ids, [a.pid, b.pid].map((pid) => `${ids[0].split(':')[0]}:${pid}`).sort());

    assert.deepEqual(
      await signed.map(tasks.cube, [1, 2, 3, 4, 5, 6, 7, 8], { chunksize: 1 }),
      [1, 8, 27, 64, 125, 216, 343, 512],
    );
    await assert.rejects(signed.apply(tasks.failLogged, '/dev/null'), /task failed on purpose/);
    await assert.rejects(unsigned.apply(tasks.cube, 2), { code: 'SPINDLE_JOB_REFUSED' });

    const state = await stateWhen(
      dash.url,
      (s) => s.stats.completed === 8 && s.stats.failed === 1 && s.extra['refused jobs'] === 1,
    );
    assert.equal(state.stats.workers, 2);
    assert.equal(
      state.workers.reduce((n: number, w: any) => n + w.tasks, 0),
      9,
    );
    assert.ok(
      state.workers.every((w: any) => w.heap > 0),
      'each worker reports its memory',
    );
    assert.ok(state.errors.some((e: any) => /task failed on purpose/.test(e.message)));
    assert.ok(
      state.errors.some((e: any) => /refused job/.test(e.name) && /not signed/.test(e.message)),
    );
    assert.equal(state.stats.queued, 0);
    assert.ok(state.samples.length > 0, 'throughput and queue depth are sampled');
    assert.ok(
      state.samples.some((s: number[]) => s[1] > 0),
      'throughput was seen',
    );

    // A worker that stops leaves the list.
    a.kill('SIGTERM');
    await a.exit();
    await stateWhen(dash.url, (s) => s.workers.length === 1);
  } finally {
    await signed.close();
    await unsigned.close();
    await dash.close();
  }
});
