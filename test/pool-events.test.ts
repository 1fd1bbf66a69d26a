import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool, type TaskEndEvent, type WorkerExitEvent } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';

test('taskEnd fires once per map chunk, with its items, worker and times', async () => {
  const pool = new Pool({ workers: 2 });
  const ends: TaskEndEvent[] = [];
  const created: number[] = [];
  pool.on('workerCreate', (e) => created.push(e.workerId));
  assert.equal(
    pool.on('taskEnd', (e) => ends.push(e)),
    pool,
  );
  const before = Date.now();
  try {
    const out = await pool.map(
      faults.value,
      Array.from({ length: 100 }, (_, i) => i),
      {
        chunksize: 10,
      },
    );
    assert.equal(out.length, 100);
  } finally {
    await pool.close();
  }
  assert.equal(ends.length, 10);
  assert.equal(new Set(ends.map((e) => e.taskId)).size, 10);
  assert.equal(
    ends.reduce((n, e) => n + e.items, 0),
    100,
  );
  for (const e of ends) {
    assert.equal(e.name, 'value');
    assert.equal(e.ok, true);
    assert.ok(created.includes(e.workerId), `worker ${e.workerId} was announced`);
    assert.ok(e.startedAt >= before - 5 && e.startedAt <= Date.now(), 'startedAt is epoch ms');
    assert.ok(e.durationMs >= 0 && e.waitMs >= 0);
  }
});

test('durationMs is the run time in the worker and waitMs the time before it', async () => {
  const pool = new Pool({ workers: 1 });
  const ends: TaskEndEvent[] = [];
  pool.on('taskEnd', (e) => ends.push(e));
  try {
    await Promise.all([pool.apply(faults.sleep, 150), pool.apply(faults.sleep, 150)]);
  } finally {
    await pool.close();
  }
  assert.equal(ends.length, 2);
  const [first, second] = ends;
  for (const e of ends) assert.ok(e.durationMs >= 140, `ran ${e.durationMs} ms`);
  // The second waited for the first to finish: its wait holds the first's whole run.
  assert.ok(second.waitMs >= first.durationMs - 10, `waited ${second.waitMs} ms`);
  assert.ok(second.startedAt >= first.startedAt + first.durationMs - 10);
});

test('a failed task ends with ok false and its error', async () => {
  const pool = new Pool({ workers: 1 });
  const ends: TaskEndEvent[] = [];
  pool.on('taskEnd', (e) => ends.push(e));
  try {
    await assert.rejects(pool.apply(faults.fail, 'no such row'), RangeError);
  } finally {
    await pool.close();
  }
  assert.equal(ends.length, 1);
  assert.equal(ends[0].ok, false);
  assert.match(String((ends[0].error as Error).message), /no such row/);
});

test('workerExit tells a crash from planned stops, with the reason', async () => {
  const exits: WorkerExitEvent[] = [];
  const crashing = new Pool({ workers: 1 });
  crashing.on('workerExit', (e) => exits.push(e));
  await assert.rejects(crashing.apply(faults.exit, 3));
  await crashing.close();
  const crash = exits.find((e) => e.crashed);
  assert.ok(crash, 'the crash was reported');
  assert.equal(crash.exitCode, 3);
  assert.equal(crash.reason, undefined);

  /** The exits of every worker a pool started; a retired worker may exit after close() resolves. */
  const reasons = async (options: object, run: (pool: Pool) => Promise<unknown>) => {
    const pool = new Pool({ workers: 1, ...options });
    const seen: WorkerExitEvent[] = [];
    let created = 0;
    let allExited = () => {};
    pool.on('workerCreate', () => created++);
    pool.on('workerExit', (e) => {
      seen.push(e);
      if (seen.length === created) allExited();
    });
    await run(pool);
    const done = new Promise<void>((resolve) => {
      allExited = resolve;
    });
    await pool.close();
    if (seen.length < created) await done;
    return seen;
  };
  const recycled = await reasons({ maxTasksPerWorker: 1 }, (p) =>
    Promise.all([p.apply(faults.value, 1), p.apply(faults.value, 2)]),
  );
  assert.deepEqual(
    recycled.map((e) => [e.reason, e.crashed]),
    [
      ['maxTasksPerWorker', false],
      ['maxTasksPerWorker', false],
    ],
  );
  const idle = await reasons({ idleTimeout: 50 }, async (p) => {
    const exited = new Promise((resolve) => p.once('workerExit', resolve));
    // An idle worker and its timer are unreferenced; this keeps the test alive meanwhile.
    const keepAlive = setTimeout(() => {}, 10_000);
    await p.apply(faults.value, 1);
    await exited;
    clearTimeout(keepAlive);
  });
  assert.ok(
    idle.some((e) => e.reason === 'idle' && !e.crashed),
    JSON.stringify(idle),
  );
  const timedOut = await reasons({}, (p) =>
    assert.rejects(p.submitWith({ timeout: 100 }, faults.hang), { code: 'SPINDLE_TIMEOUT' }),
  );
  assert.ok(timedOut.some((e) => e.reason === 'timeout' && !e.crashed));
  const closed = await reasons({}, (p) => p.apply(faults.value, 1));
  assert.deepEqual(
    closed.map((e) => [e.reason, e.crashed]),
    [['close', false]],
  );
});

test('drain fires when nothing is queued or running', async () => {
  const pool = new Pool({ workers: 2 });
  const atDrain: Array<{ queued: number; inFlight: number }> = [];
  pool.on('drain', () => {
    const s = pool.stats();
    atDrain.push({ queued: s.queued, inFlight: s.inFlight });
  });
  try {
    await Promise.all(Array.from({ length: 20 }, (_, i) => pool.apply(faults.sleep, i % 3)));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(atDrain, [{ queued: 0, inFlight: 0 }]);
    await pool.map(faults.value, [1, 2, 3]);
    await new Promise((r) => setImmediate(r));
    assert.equal(atDrain.length, 2);
  } finally {
    await pool.close();
  }
});

test('once hears one event, off stops a listener, and a pool nobody watches has no observer', async () => {
  const pool = new Pool({ workers: 1 });
  let onceCalls = 0;
  let onCalls = 0;
  const listener = () => onCalls++;
  pool.once('taskEnd', () => onceCalls++);
  pool.on('taskEnd', listener);
  try {
    await pool.apply(faults.value, 1);
    await pool.apply(faults.value, 2);
    assert.equal(onceCalls, 1);
    assert.equal(onCalls, 2);
    pool.off('taskEnd', listener);
    assert.equal(pool._scheduler.observer, undefined);
    await pool.apply(faults.value, 3);
    assert.equal(onCalls, 2);
  } finally {
    await pool.close();
  }
});

test('an unknown event name or a listener that is not a function is refused at the call', () => {
  const pool = new Pool({ workers: 1 });
  assert.throws(
    () => pool.on('finish' as never, () => {}),
    /unknown pool event .*finish.*'taskEnd'/,
  );
  assert.throws(() => pool.on('taskEnd', 42 as never), TypeError);
});

test('a listener that throws becomes a process warning and the pool goes on', async () => {
  const pool = new Pool({ workers: 1 });
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  pool.on('taskEnd', () => {
    throw new Error('listener bug');
  });
  try {
    assert.deepEqual(await pool.map(faults.value, [1, 2, 3], { chunksize: 1 }), [1, 2, 3]);
    await new Promise((r) => setImmediate(r));
    assert.equal(warnings.length, 3);
    assert.equal((warnings[0] as Error & { code?: string }).code, 'SPINDLE_LISTENER_ERROR');
    assert.match(warnings[0].message, /listener bug/);
  } finally {
    process.off('warning', onWarning);
    await pool.close();
  }
});
