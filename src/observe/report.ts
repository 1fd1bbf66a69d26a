import { writeFile } from 'node:fs/promises';
import type { Pool } from '../faces/pool.js';
import { describe, TypeErrorWithHint } from '../hints.js';
import { PoolMonitor } from './monitor.js';
import { pageHtml } from './page.js';
import { watchPools } from './registry.js';

/** A report keeps the whole run, up to these bounds (a few tens of MB of HTML at most). */
const REPORT = { keepMs: Number.POSITIVE_INFINITY, maxSpans: 200_000, maxSamples: 86_400 };

/**
 * Runs `fn`, recording every pool that exists or is created meanwhile (the pools `compute`
 * and `parallel` make for themselves included), then writes one self-contained HTML file to
 * `path`: the task stream, throughput, workers, calls and errors of every pool that ran work.
 * Resolves with `fn`'s result; if `fn` throws, the report is still written and the error
 * passes through.
 */
export async function performanceReport<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  if (typeof path !== 'string' || path === '') {
    throw new TypeErrorWithHint(
      `performanceReport needs a file path, got ${describe(path)}`,
      "call performanceReport('report.html', async () => { ... })",
    );
  }
  if (typeof fn !== 'function') {
    throw new TypeErrorWithHint(
      `performanceReport needs a function to run, got ${describe(fn)}`,
      "call performanceReport('report.html', async () => { ... })",
    );
  }
  const monitors = new Map<Pool, { monitor: PoolMonitor; createdInside: boolean }>();
  let inside = false;
  const stop = watchPools((pool) => {
    if (!monitors.has(pool))
      monitors.set(pool, { monitor: new PoolMonitor(pool, REPORT), createdInside: inside });
  });
  inside = true;
  const startedAt = Date.now();
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    stop();
  }
  const pools = [];
  for (const { monitor, createdInside } of monitors.values()) {
    monitor.stop();
    const snapshot = monitor.snapshot();
    // A worker that a pool made outside started meanwhile (prestart) is not a use of it.
    const used =
      snapshot.spans.length > 0 ||
      snapshot.errors.length > 0 ||
      snapshot.workers.some((w) => w.running > 0 || w.tasks > 0 || w.exit?.crashed);
    if (used || createdInside) pools.push(snapshot);
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const title = `spindle performance report: ${pools.length} pool${pools.length === 1 ? '' : 's'}, ${seconds} s, ${new Date(startedAt).toISOString()}`;
  await writeFile(path, pageHtml(title, { live: false, data: { pools } }));
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
