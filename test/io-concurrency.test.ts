import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Pool } from '../src/index.js';
import { io } from './fixtures/io-tasks.js';

let server: Server;
let base = '';
let inFlight = 0;
let peak = 0;

before(async () => {
  server = createServer((req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight--;
      res.setHeader('content-type', 'text/html');
      res.end(`<html><head><title>Page ${req.url?.slice(1)}</title></head><body></body></html>`);
    }, 100);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

// Load-robust: what shows overlapping I/O is how many requests the server saw at once, not a
// wall-clock bound (a busy machine stretches every duration, not the overlap).

/**
 * Runs `work` and returns the highest concurrency the pool had meanwhile. The controller reads
 * the workers' event loops: on a saturated machine their loops stay busy while a burst of
 * responses waits for a core, so it may lower concurrency again before the map ends (one run
 * at load 9 rose to 21 requests at once and ended at 1). What it reached shows in the peak.
 */
async function peakConcurrency(pool: Pool, work: () => Promise<unknown>): Promise<number> {
  let peakSeen = pool.stats().concurrency;
  const sample = setInterval(() => {
    peakSeen = Math.max(peakSeen, pool.stats().concurrency);
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(sample);
  }
  return Math.max(peakSeen, pool.stats().concurrency);
}

test("concurrency 'auto' fetches 40 slow pages with 2 workers, more than 2 requests at once", async (t) => {
  peak = 0;
  const urls = Array.from({ length: 40 }, (_, i) => `${base}/${i}`);
  const started = performance.now();
  const pool = new Pool({ workers: 2, concurrency: 'auto' });
  try {
    let titles: string[] = [];
    const concurrency = await peakConcurrency(pool, async () => {
      titles = await pool.map(io.title, urls);
    });
    const elapsed = performance.now() - started;
    assert.deepEqual(
      titles,
      urls.map((_, i) => `Page ${i}`),
    );
    t.diagnostic(
      `40 fetches of 100 ms on 2 workers: ${elapsed.toFixed(0)} ms including worker start; ` +
        `concurrency reached ${concurrency}, ${peak} requests at once (serial per worker: 2000 ms)`,
    );
    assert.ok(concurrency > 1, `concurrency should have risen, is ${concurrency}`);
    assert.ok(peak > 2, `the server saw at most ${peak} requests at once`);
  } finally {
    await pool.close();
  }
});

test("concurrency 'auto' measured on started workers, and lowered again for CPU-bound work", async (t) => {
  const urls = Array.from({ length: 40 }, (_, i) => `${base}/${i}`);
  const pool = new Pool({ workers: 2, concurrency: 'auto' });
  try {
    // start both workers with work that says nothing about I/O
    await Promise.all([pool.apply(io.spin, 0), pool.apply(io.spin, 0), pool.apply(io.spin, 0)]);
    assert.equal(pool.stats().concurrency, 1);
    peak = 0;
    const started = performance.now();
    const raised = await peakConcurrency(pool, () => pool.map(io.title, urls));
    const elapsed = performance.now() - started;
    t.diagnostic(
      `on started workers: ${elapsed.toFixed(0)} ms, concurrency ${raised}, ${peak} at once`,
    );
    assert.ok(raised > 1, `concurrency should have risen, is ${raised}`);
    assert.ok(peak > 2, `the server saw at most ${peak} requests at once`);
    const before = pool.stats().concurrency;
    await pool.map(
      io.spin,
      Array.from({ length: 60 }, () => 10),
      { chunksize: 1 },
    );
    const lowered = pool.stats().concurrency;
    t.diagnostic(`after CPU-bound work: concurrency ${lowered} (${before} before it)`);
    // On a saturated machine the fetches' busy loops may have brought it back to 1 already.
    if (before > 1) {
      assert.ok(lowered < before, `concurrency should fall from ${before}, is ${lowered}`);
    } else assert.equal(lowered, 1, 'CPU-bound work does not raise concurrency');
  } finally {
    await pool.close();
  }
});

test("concurrency 'auto' stays at 1 for CPU-bound tasks", async () => {
  const pool = new Pool({ workers: 2, concurrency: 'auto' });
  try {
    await pool.map(
      io.spin,
      Array.from({ length: 40 }, () => 10),
      { chunksize: 1 },
    );
    assert.equal(pool.stats().concurrency, 1);
  } finally {
    await pool.close();
  }
});

test('concurrency n lets each worker run n async tasks at once', async () => {
  // Side by side with concurrency 1 on the same machine, so load stretches both alike.
  const timed = async (concurrency: number) => {
    const pool = new Pool({ workers: 1, concurrency });
    try {
      await pool.apply(io.wait, 1); // start the worker
      const started = performance.now();
      await pool.map(
        io.wait,
        Array.from({ length: 8 }, () => 200),
        { chunksize: 1 },
      );
      return performance.now() - started;
    } finally {
      await pool.close();
    }
  };
  const one = await timed(1);
  const eight = await timed(8);
  assert.ok(
    eight < one / 2,
    `concurrency 8 took ${eight.toFixed(0)} ms, 1 took ${one.toFixed(0)} ms`,
  );
});

test("concurrency 'auto' works on the processes backend", async () => {
  const urls = Array.from({ length: 20 }, (_, i) => `${base}/${i}`);
  const pool = new Pool({ backend: 'processes', workers: 2, concurrency: 'auto' });
  try {
    let titles: string[] = [];
    const reached = await peakConcurrency(pool, async () => {
      titles = await pool.map(io.title, urls);
    });
    assert.equal(titles[19], 'Page 19');
    assert.ok(reached > 1, `concurrency should have risen, is ${reached}`);
  } finally {
    await pool.close();
  }
});

test("concurrency must be a whole number or 'auto'", () => {
  assert.throws(() => new Pool({ concurrency: 0 }), /concurrency must be a whole number.*'auto'/s);
  assert.throws(() => new Pool({ concurrency: 'fast' as never }), RangeError);
});

test('concurrency counts calls in flight inside batches too', async () => {
  // Each call notes how many calls of its worker are in flight, and returns the highest seen.
  const track = async (ms: number) => {
    const g = globalThis as { inFlight?: number; peak?: number };
    g.inFlight = (g.inFlight ?? 0) + 1;
    g.peak = Math.max(g.peak ?? 0, g.inFlight);
    await new Promise((r) => setTimeout(r, ms));
    g.inFlight--;
    return g.peak;
  };
  for (const concurrency of [1, 3]) {
    const pool = new Pool({ workers: 1, concurrency });
    try {
      const peaks = await pool.map(
        track,
        Array.from({ length: 60 }, () => 2),
        { chunksize: 20 },
      );
      assert.equal(Math.max(...peaks), concurrency, `with concurrency ${concurrency}`);
    } finally {
      await pool.close();
    }
  }
});
