import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { threadId } from 'node:worker_threads';
import { Lock, spawn } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';
import { tasks as syncTasks } from './fixtures/sync-tasks.js';

describe('spawn on threads', () => {
  test('runs one call on a new thread and join resolves with its result', async () => {
    const w = spawn(faults.where, []);
    assert.equal(typeof w.threadId, 'number');
    assert.notEqual(w.threadId, threadId);
    assert.equal(w.pid, process.pid);
    assert.equal(w.isAlive(), true);
    assert.equal(w.exitCode, null);
    const where = await w.join();
    assert.equal(where.threadId, w.threadId);
    assert.equal(w.isAlive(), false);
    assert.equal(w.exitCode, 0);
  });

  test("join rejects with the task's own error", async () => {
    const w = spawn(faults.fail, ['no such tile']);
    await assert.rejects(w.join(), { name: 'RangeError', message: 'no such tile' });
  });

  test('join rejects with SPINDLE_WORKER_CRASHED when the worker dies', async () => {
    const w = spawn(faults.exit, [6]);
    await assert.rejects(w.join(), { code: 'SPINDLE_WORKER_CRASHED', exitCode: 6 });
    assert.equal(w.exitCode, 6);
  });

  test('join with a timeout rejects with SPINDLE_TIMEOUT and leaves the worker running', async () => {
    const w = spawn(faults.sleep, [60_000]);
    await assert.rejects(w.join({ timeout: 100 }), { code: 'SPINDLE_TIMEOUT' });
    assert.equal(w.isAlive(), true);
    await w.kill();
    assert.equal(w.isAlive(), false);
    await assert.rejects(w.join(), { code: 'SPINDLE_CANCELLED' });
  });

  test('kill stops a task stuck in a CPU loop', async () => {
    const w = spawn(faults.hang, []);
    await new Promise((r) => setTimeout(r, 100));
    await w.kill();
    assert.equal(w.isAlive(), false);
    await assert.rejects(w.join(), { code: 'SPINDLE_CANCELLED' });
  });

  test('an inline function can be spawned', async () => {
    const w = spawn((a: number, b: number) => a * b, [6, 7]);
    assert.equal(await w.join(), 42);
  });

  test('an AbortSignal kills the worker', async () => {
    const controller = new AbortController();
    const w = spawn(faults.sleep, [60_000], { signal: controller.signal });
    controller.abort();
    await assert.rejects(w.join(), { code: 'SPINDLE_CANCELLED' });
    assert.equal(w.isAlive(), false);
  });

  test('a worker that dies holding a lock frees it, and the next holder sees it abandoned', async () => {
    const lock = new Lock();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const w = spawn(syncTasks.dieHoldingLock, [lock, flag]);
    await assert.rejects(w.join(), { code: 'SPINDLE_WORKER_CRASHED' });
    await lock.acquire({ timeout: 20_000 });
    assert.equal(lock.wasAbandoned, true);
    lock.release();
  });

  test('arguments must be an array', () => {
    assert.throws(() => spawn(faults.value, 1 as never), /as an array/);
  });
});

describe('spawn on processes', () => {
  test('runs one call in a child process with its own pid', async () => {
    const w = spawn(faults.where, [], { backend: 'processes' });
    assert.equal(typeof w.pid, 'number');
    assert.notEqual(w.pid, process.pid);
    assert.equal(w.threadId, undefined);
    const where = await w.join();
    assert.equal(where.pid, w.pid);
    assert.equal(w.exitCode, 0);
  });

  test('kill ends the process with SIGKILL', async () => {
    const w = spawn(faults.hang, [], { backend: 'processes' });
    await new Promise((r) => setTimeout(r, 100));
    await w.kill();
    assert.equal(w.signalCode, 'SIGKILL');
    assert.equal(w.exitCode, null);
    await assert.rejects(w.join(), { code: 'SPINDLE_CANCELLED' });
  });

  test('running out of memory under resourceLimits rejects join with the hint a pool task gets', async () => {
    const w = spawn(faults.oom, [], {
      backend: 'processes',
      resourceLimits: { maxOldGenerationSizeMb: 32 },
    });
    const error: any = await w.join().then(
      () => assert.fail('expected a crash'),
      (e: unknown) => e,
    );
    assert.equal(error.code, 'SPINDLE_WORKER_CRASHED');
    assert.ok(error.signal === 'SIGABRT' || error.exitCode === 134, error.message);
    assert.match(error.message, /out of memory\? its heap is limited to 32 MB/);
  });

  test('a SIGKILL from outside rejects join with the signal', async () => {
    const w = spawn(faults.sleep, [60_000], { backend: 'processes' });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(w.pid!, 'SIGKILL');
    await assert.rejects(w.join(), { code: 'SPINDLE_WORKER_CRASHED', signal: 'SIGKILL' });
  });
});

test('spawn inline runs the call in this thread', async () => {
  const w = spawn(faults.where, [], { backend: 'inline' });
  assert.equal(w.threadId, threadId);
  assert.deepEqual(await w.join(), { pid: process.pid, threadId });
});
