import type { Pool } from '../faces/pool.js';
import { PoolMonitor } from './monitor.js';
import { type Dashboard, type DashboardOptions, serveDashboard } from './server.js';

export type { Dashboard, DashboardOptions } from './server.js';

/** The live page shows the last minute; a few seconds more covers a tab that lags behind. */
const LIVE = { keepMs: 65_000, maxSpans: 50_000, maxSamples: 600 };
/** New spans sent per update at most; beyond it only the latest go (the picture, not a log). */
const MAX_SPANS_PER_UPDATE = 5_000;

/** `pool.dashboard()`: a page of this pool, recorded from the moment it opens. */
export async function openDashboard(pool: Pool, options: DashboardOptions): Promise<Dashboard> {
  const monitor = new PoolMonitor(pool, LIVE);
  try {
    return await serveDashboard(
      'spindle dashboard',
      {
        snapshot(cursor) {
          const snap = monitor.snapshot(cursor);
          if (snap.spans.length > MAX_SPANS_PER_UPDATE)
            snap.spans = snap.spans.slice(-MAX_SPANS_PER_UPDATE);
          return { pools: [snap], cursor: monitor.seq };
        },
        stop: () => monitor.stop(),
      },
      options,
    );
  } catch (error) {
    monitor.stop();
    throw error;
  }
}
