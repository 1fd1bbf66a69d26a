import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Barrier, Pool } from '../src/index.js';
import { tasks } from './fixtures/sync-tasks.js';

test('Barrier(3) holds each of three tasks until the last arrives', async () => {
  const pool = new Pool({ workers: 3 });
  try {
    const barrier = new Barrier(3);
    const clock = new Int32Array(new SharedArrayBuffer(4));
    const runs = await Promise.all(
      [0, 150, 300].map((delay) => pool.apply(tasks.arrive, barrier, clock, delay)),
    );
    // Ticks 0-2 are the arrivals; nobody passes before all three have arrived.
    for (const run of runs) {
      assert.ok(run.arrived < 3, `arrival at tick ${run.arrived}`);
      assert.ok(run.passed >= 3, `a task passed at tick ${run.passed}, before the last arrival`);
    }
    assert.deepEqual(runs.map((r) => r.index).sort(), [0, 1, 2]);
    assert.equal(barrier.waiting, 0);
  } finally {
    await pool.terminate();
  }
});

test('the same barrier serves round after round (waitSync in workers)', async () => {
  const pool = new Pool({ workers: 3 });
  try {
    const barrier = new Barrier(3);
    const rounds = 20;
    const counts = new Int32Array(new SharedArrayBuffer(rounds * 4));
    const seen = await Promise.all(
      [0, 1, 2].map(() => pool.apply(tasks.roundsSync, barrier, counts, rounds)),
    );
    // Each party passes round r only after all three counted themselves in it.
    for (const parties of seen) assert.deepEqual(parties, Array(rounds).fill(3));
  } finally {
    await pool.terminate();
  }
});

test('the caller can be a party, and a wait that times out withdraws its arrival', async () => {
  const barrier = new Barrier(2);
  await assert.rejects(barrier.wait({ timeout: 20 }), { code: 'SPINDLE_TIMEOUT' });
  assert.equal(barrier.waiting, 0);
  const controller = new AbortController();
  const aborted = barrier.wait({ signal: controller.signal });
  assert.equal(barrier.waiting, 1);
  controller.abort();
  await assert.rejects(aborted, { code: 'SPINDLE_CANCELLED' });
  assert.equal(barrier.waiting, 0);
  const [a, b] = await Promise.all([barrier.wait(), barrier.wait()]);
  assert.deepEqual([a, b].sort(), [0, 1]);
});

test('parties outside 1..65535 is a RangeError with an example', () => {
  assert.throws(
    () => new Barrier(0),
    (e: Error) => e instanceof RangeError && /new Barrier\(3\)/.test(e.message),
  );
  assert.throws(() => new Barrier(70_000), RangeError);
});
