import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';

test('a new pool reports no workers and no work', async () => {
  const pool = new Pool({ workers: 2, prestart: 0 });
  const stats = pool.stats();
  assert.equal(stats.workers, 0);
  assert.equal(stats.busy, 0);
  assert.equal(stats.queued, 0);
  assert.equal(stats.completed, 0);
  assert.equal(stats.failed, 0);
  assert.equal(stats.retried, 0);
  assert.equal(stats.runTime.count, 0);
  assert.equal(stats.runTime.p50, 0);
  await pool.close();
});

test('stats count completed and failed tasks', async () => {
  const pool = new Pool({ workers: 2 });
  try {
    await pool.map(faults.value, [1, 2, 3, 4, 5, 6], { chunksize: 1 });
    await Promise.allSettled([pool.apply(faults.fail, 'a'), pool.apply(faults.fail, 'b')]);
    const stats = pool.stats();
    assert.equal(stats.completed, 6);
    assert.equal(stats.failed, 2);
    assert.equal(stats.queued, 0);
    assert.equal(stats.busy, 0);
    assert.ok(stats.workers >= 1 && stats.workers <= 2);
  } finally {
    await pool.close();
  }
});

test('stats show busy workers and queued tasks while work waits', async () => {
  const pool = new Pool({ workers: 2 });
  try {
    const work = Array.from({ length: 6 }, () => pool.apply(faults.sleep, 300));
    const end = Date.now() + 10_000;
    while (pool.stats().busy < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const stats = pool.stats();
    assert.equal(stats.workers, 2);
    assert.equal(stats.busy, 2);
    assert.equal(stats.inFlight, 2);
    // a slow second worker start may let the first finish a task or two meanwhile
    assert.equal(stats.queued + stats.inFlight + stats.completed, 6);
    assert.ok(stats.queued >= 1, `queued ${stats.queued}`);
    await Promise.all(work);
    assert.equal(pool.stats().completed, 6);
    assert.equal(pool.stats().busy, 0);
  } finally {
    await pool.close();
  }
});

test('run-time and wait-time percentiles describe the tasks', async () => {
  const pool = new Pool({ workers: 1 });
  try {
    // submitted at once (map would feed them in with bounded look-ahead)
    await Promise.all(
      [40, 40, 40, 40, 40, 40, 40, 40, 40, 200].map((ms) => pool.apply(faults.sleep, ms)),
    );
    const { runTime, waitTime } = pool.stats();
    assert.equal(runTime.count, 10);
    assert.ok(runTime.p50 >= 30 && runTime.p50 < 150, `p50 ${runTime.p50}`);
    assert.ok(runTime.max >= 190, `max ${runTime.max}`);
    assert.ok(runTime.p50 <= runTime.p90 && runTime.p90 <= runTime.p99);
    assert.ok(runTime.p99 <= runTime.max);
    // one worker, one at a time: later tasks waited for the earlier ones
    assert.equal(waitTime.count, 10);
    assert.ok(waitTime.max >= 200, `wait max ${waitTime.max}`);
    assert.ok(waitTime.p50 < waitTime.max);
  } finally {
    await pool.close();
  }
});

test('stats count retries and crashes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-stats-'));
  const pool = new Pool({ workers: 1, retries: 1 });
  try {
    await pool.apply(faults.crashOnce, join(dir, 'marker'));
    await pool.apply(faults.exit, 2).catch(() => {});
    const stats = pool.stats();
    assert.equal(stats.retried, 2);
    assert.equal(stats.crashes, 3);
    assert.equal(stats.completed, 1);
    assert.equal(stats.failed, 1);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
