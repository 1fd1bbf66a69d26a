// One chunk for the worker's code: see worker/kernel.ts.
import '../worker/kernel.js';
import type { Pool } from '../faces/pool.js';
import { PoolMonitor } from './monitor.js';
import { type Dashboard, type DashboardOptions, serveDashboard } from './server.js';

export type { Dashboard, DashboardOptions } from './server.js';

/** The live page shows the last minute; a few seconds more covers a tab that lags behind. */
const LIVE = { keepMs: 65_000, maxSpans: 50_000, maxSamples: 600 };
/** New spans sent per update at most; beyond it only the latest go (the picture, not a log). */
const MAX_SPANS_PER_UPDATE = 5_000;

/** `pool.dashboard()`: a page of this pool, recorded from the moment it opens. */
export function openDashboard(pool: Pool, options: DashboardOptions): Promise<Dashboard> {
  return openPoolsDashboard([pool], options);
}

/** One page for several pools (the demo's), one section each. */
export async function openPoolsDashboard(
  pools: readonly Pool[],
  options: DashboardOptions,
  title = 'spindle dashboard',
  labels?: readonly string[],
): Promise<Dashboard> {
  const monitors = pools.map((pool) => new PoolMonitor(pool, LIVE));
  const stop = () => {
    for (const monitor of monitors) monitor.stop();
  };
  try {
    return await serveDashboard(
      title,
      {
        // A client's cursor: where each pool's span stream was at its last update.
        snapshot(seen: number[] | undefined) {
          const snaps = monitors.map((monitor, i) => {
            const snap = monitor.snapshot(seen?.[i]);
            if (labels?.[i]) snap.label = labels[i];
            if (snap.spans.length > MAX_SPANS_PER_UPDATE)
              snap.spans = snap.spans.slice(-MAX_SPANS_PER_UPDATE);
            return snap;
          });
          return { pools: snaps, cursor: monitors.map((m) => m.seq) };
        },
        stop,
      },
      options,
    );
  } catch (error) {
    stop();
    throw error;
  }
}
