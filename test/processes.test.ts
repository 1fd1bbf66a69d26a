import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, Lock, Pool, type WorkerCrashedError } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';

test('the processes backend runs TypeScript task modules in child processes', async () => {
  const pool = new Pool({ backend: 'processes', workers: 2 });
  try {
    const where = await Promise.all([1, 2, 3, 4].map(() => pool.apply(faults.where)));
    for (const w of where) assert.notEqual(w.pid, process.pid);
    assert.deepEqual(await pool.map(faults.value, [1, 2, 3]), [1, 2, 3]);
  } finally {
    await pool.close();
  }
});

test('arguments and results cross by structured clone (advanced serialization)', async () => {
  const pool = new Pool({ backend: 'processes', workers: 1 });
  try {
    const value = {
      when: new Date(0),
      map: new Map([['a', 1n]]),
      set: new Set([1, 2]),
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([0.5]),
      nested: { re: /x+/g, undef: undefined },
    };
    assert.deepEqual(await pool.apply(faults.value, value), value);
  } finally {
    await pool.close();
  }
});

test("a task's error comes back with its class, message and properties", async () => {
  const pool = new Pool({ backend: 'processes', workers: 1 });
  try {
    await assert.rejects(pool.apply(faults.fail, 'out of range'), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'out of range');
      assert.match(String(error.stack), /fault-tasks/);
      return true;
    });
  } finally {
    await pool.close();
  }
});

// What V8 reports as heap_size_limit is the old generation plus the young one, whose default
// size grew in Node 24 (96 MB of old generation reads back as 288 MB there, 144 on Node 20), so
// the cap is checked by what it does: work under it runs, work over it ends the worker.
test('resourceLimits.maxOldGenerationSizeMb caps the child heap: work under it runs, over it crashes', async () => {
  const pool = new Pool({
    backend: 'processes',
    workers: 1,
    resourceLimits: { maxOldGenerationSizeMb: 96 },
  });
  try {
    assert.equal(await pool.apply(faults.retainMb, 40), 40);
    await assert.rejects(pool.apply(faults.retainMb, 250), (error: WorkerCrashedError) => {
      assert.equal(error.code, ErrorCodes.WORKER_CRASHED);
      assert.match(error.message, /out of memory/);
      return true;
    });
    assert.equal(await pool.apply(faults.retainMb, 40), 40, 'a new worker takes over');
  } finally {
    await pool.close();
  }
});

test('inline functions run on process workers too', async () => {
  const pool = new Pool({ backend: 'processes', workers: 1 });
  try {
    assert.deepEqual(await pool.map((x: number) => x * 2, [1, 2, 3]), [2, 4, 6]);
  } finally {
    await pool.close();
  }
});

test('a script run with node -e can use a process pool, and an idle pool does not keep it alive', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    import { Pool } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
    const pool = new Pool({ backend: 'processes', workers: 1 });
    console.log(await pool.apply((x) => x + 1, 1));
  `;
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), '2');
});

test('a raw SharedArrayBuffer returned by a process worker fails that task with SPINDLE_CLONE', async () => {
  const pool = new Pool({ backend: 'processes', workers: 1 });
  try {
    const pid = await pool.apply(() => process.pid);
    await assert.rejects(
      pool.apply(() => new SharedArrayBuffer(8)),
      {
        code: 'SPINDLE_CLONE',
        message: /cannot be sent back/,
      },
    );
    assert.equal(await pool.apply(() => process.pid), pid, 'the worker lives');
  } finally {
    await pool.terminate();
  }
});

test('values only worker threads carry (Blob, MessagePort) are refused by processes with SPINDLE_CLONE', async () => {
  const pool = new Pool({ backend: 'processes', workers: 1 });
  const { port1, port2 } = new MessageChannel();
  try {
    await assert.rejects(
      pool.apply((b: unknown) => b, new Blob(['x'])),
      {
        code: 'SPINDLE_CLONE',
        path: 'args[0]',
        message: /Blob/,
      },
    );
    await assert.rejects(
      pool.apply((p: unknown) => p, { ports: [port1] }),
      {
        code: 'SPINDLE_CLONE',
        path: 'args[0].ports[0]',
        message: /MessagePort/,
      },
    );
  } finally {
    port1.close();
    port2.close();
    await pool.terminate();
  }
});

test('a transfer list does not skip the processes refusal of sync objects', async () => {
  const pool = new Pool({ backend: 'processes', workers: 1 });
  try {
    const buf = new Float64Array(2);
    assert.throws(
      () => pool.submitWith({ transfer: [buf.buffer] }, (l: unknown) => l, new Lock()),
      { code: 'SPINDLE_UNSUPPORTED' },
    );
  } finally {
    await pool.terminate();
  }
});
