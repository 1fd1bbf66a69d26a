import type { PoolSnapshot } from './monitor.js';
import { PAGE_SCRIPT } from './page-script.js';

/** A pool's snapshot as the page takes it; the cluster dashboard adds counts of its own. */
export type PageSnapshot = Omit<PoolSnapshot, 'workers' | 'id'> & {
  id: number | string;
  workers: Array<PoolSnapshot['workers'][number] | ClusterWorkerRow>;
  extra?: Record<string, number>;
};

export interface ClusterWorkerRow {
  id: string;
  state: string;
  running: number;
  tasks: number;
  items: number;
  failed: number;
  heap?: number;
  startedAt: number;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 20px 0 6px; }
h3 { font-size: 14px; margin: 14px 0 4px; color: #444; }
#status { color: #666; font-size: 12px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; }
.count { border: 1px solid #ddd; border-radius: 6px; padding: 4px 10px; min-width: 90px; }
.count .label { color: #666; font-size: 12px; display: block; }
.count .value { font-size: 20px; font-variant-numeric: tabular-nums; }
table.workers { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.workers td, table.workers th { padding: 2px 12px 2px 0; text-align: left; }
tr.busy td.state { color: #2a7a2a; font-weight: 600; } tr.gone { color: #999; }
canvas { width: 100%; display: block; border: 1px solid #eee; }
.legend .key { margin-right: 12px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
ul { margin: 0; padding-left: 18px; } .errors .message { color: #b00; }
progress { width: 160px; vertical-align: middle; }
`;

/** The dashboard's page (`live`: it connects back for updates) or a report's (data embedded). */
export function pageHtml(
  title: string,
  mode: { live: true } | { live: false; data: { pools: PageSnapshot[] } },
): string {
  // `<` escaped so no string in the data can close the script element.
  const config = JSON.stringify(mode).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div id="status">${mode.live ? 'connecting…' : 'report'}</div>
<main id="pools"></main>
<script>window.SPINDLE_PAGE = ${config};</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
