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

test("concurrency 'auto' fetches 40 slow pages with 2 workers well under the serial time", async (t) => {
  peak = 0;
  const urls = Array.from({ length: 40 }, (_, i) => `${base}/${i}`);
  const started = performance.now();
  const pool = new Pool({ workers: 2, concurrency: 'auto' });
  try {
    const titles = await pool.map(io.title, urls);
    const elapsed = performance.now() - started;
    assert.deepEqual(
      titles,
      urls.map((_, i) => `Page ${i}`),
    );
    const { concurrency } = pool.stats();
    t.diagnostic(
      `40 fetches of 100 ms on 2 workers: ${elapsed.toFixed(0)} ms including worker start; ` +
        `concurrency reached ${concurrency}, ${peak} requests at once (serial per worker: 2000 ms)`,
    );
    assert.ok(concurrency > 1, `concurrency should have risen, is ${concurrency}`);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
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
    const started = performance.now();
    await pool.map(io.title, urls);
    const elapsed = performance.now() - started;
    const raised = pool.stats().concurrency;
    t.diagnostic(`on started workers: ${elapsed.toFixed(0)} ms, concurrency ${raised}`);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
    await pool.map(
      io.spin,
      Array.from({ length: 60 }, () => 10),
      { chunksize: 1 },
    );
    const lowered = pool.stats().concurrency;
    t.diagnostic(`after CPU-bound work: concurrency ${lowered}`);
    assert.ok(lowered < raised, `concurrency should fall from ${raised}, is ${lowered}`);
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
  const pool = new Pool({ workers: 1, concurrency: 8 });
  try {
    await pool.apply(io.wait, 1); // start the worker
    const started = performance.now();
    await pool.map(
      io.wait,
      Array.from({ length: 8 }, () => 200),
      { chunksize: 1 },
    );
    const elapsed = performance.now() - started;
    // one at a time this would take 1600 ms
    assert.ok(elapsed < 1200, `took ${elapsed.toFixed(0)} ms`);
  } finally {
    await pool.close();
  }
});

test("concurrency 'auto' works on the processes backend", async () => {
  const urls = Array.from({ length: 20 }, (_, i) => `${base}/${i}`);
  const pool = new Pool({ backend: 'processes', workers: 2, concurrency: 'auto' });
  try {
    const titles = await pool.map(io.title, urls);
    assert.equal(titles[19], 'Page 19');
    assert.ok(pool.stats().concurrency > 1);
  } finally {
    await pool.close();
  }
});

test("concurrency must be a whole number or 'auto'", () => {
  assert.throws(() => new Pool({ concurrency: 0 }), /concurrency must be a whole number.*'auto'/s);
  assert.throws(() => new Pool({ concurrency: 'fast' as never }), RangeError);
});
