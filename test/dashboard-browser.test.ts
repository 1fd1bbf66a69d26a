// biome-ignore-all lint/performance/useDomNodeTextContent: the test reads the page as a person sees it, rendered

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Pool, performanceReport } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';
import { browserMissing, launchBrowser } from './helpers/browser.js';

const skip = browserMissing();

/** The number shown beside a count's label, read as a person would (commas allowed). */
function countOf(text: string, label: string): number {
  const match = text.match(new RegExp(`${label}\\s+([\\d,]+)`));
  assert.ok(match, `the page shows "${label}": ${text.slice(0, 400)}`);
  return Number(match[1].replace(/,/g, ''));
}

test('the dashboard shows counts, workers and errors in a browser, and updates without a reload', {
  skip,
}, async () => {
  const pool = new Pool({ workers: 2 });
  const workerIds = new Set<number>();
  pool.on('workerCreate', (e) => workerIds.add(e.workerId));
  const dash = await pool.dashboard({ intervalMs: 200 });
  const chromium = await launchBrowser();
  try {
    const page = await chromium.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(dash.url);
    await pool.map(
      faults.value,
      Array.from({ length: 2000 }, (_, i) => i),
      { chunksize: 100 },
    );
    await assert.rejects(pool.apply(faults.fail, 'the disk is full'));
    await page.waitForFunction(() =>
      ((globalThis as any).document.body.innerText as string).includes('the disk is full'),
    );
    let text = await page.innerText('body');
    assert.equal(countOf(text, 'completed'), pool.stats().completed);
    assert.equal(countOf(text, 'failed'), 1);
    assert.equal(countOf(text, 'queued'), 0);
    // Cells joined by tabs, as innerText joins them once the table is laid out; read from the
    // cells, not innerText, which falls back to textContent (no tabs) on a busy machine where
    // the page has not rendered the update yet.
    const rows = await page.$$eval('tr[data-worker-id]', (trs) =>
      trs.map((tr) =>
        Array.from(
          (tr as unknown as { cells: ArrayLike<{ textContent: string | null }> }).cells,
          (cell) => (cell.textContent ?? '').trim(),
        ).join('\t'),
      ),
    );
    assert.equal(rows.length, workerIds.size);
    let worked = 0;
    for (const id of workerIds) {
      const row = rows.find((r) => r.startsWith(`worker ${id}\t`));
      assert.ok(row, `a row for worker ${id} in ${JSON.stringify(rows)}`);
      assert.match(row, /\tidle\t/);
      // A worker reports its memory with its results; one that the other outran ran none.
      const [, , tasksDone] = row.split('\t');
      if (tasksDone === '0') continue;
      worked++;
      assert.match(row, /\d+(\.\d)? (MB|kB)/, 'the row shows memory');
    }
    assert.ok(worked > 0, JSON.stringify(rows));
    assert.match(text, /map value: 2,000 \/ 2,000 \(100%\)/);
    assert.match(text, /throughput [\d,]+ tasks\/s/);

    // Live: more work shows up on the same page, with no navigation in between.
    await page.evaluate(() => {
      (globalThis as any).marker = 42;
    });
    const before = countOf(text, 'completed');
    await pool.map(
      faults.value,
      Array.from({ length: 10 }, (_, i) => i),
      { chunksize: 1 },
    );
    await page.waitForFunction(
      (n) =>
        /completed\s+([\d,]+)/
          .exec((globalThis as any).document.body.innerText)?.[1]
          .replace(/,/g, '') === String(n),
      before + 10,
    );
    assert.equal(await page.evaluate(() => (globalThis as any).marker), 42);
    text = await page.innerText('body');
    assert.equal(countOf(text, 'completed'), before + 10);
    assert.ok(
      requests.every((url) => url.startsWith(dash.url.replace(/\/$/, ''))),
      `the page loads nothing from elsewhere: ${requests.join(', ')}`,
    );

    // A second browser, and the first one going away: the dashboard goes on for the rest.
    const second = await chromium.context.newPage();
    await second.goto(dash.url);
    await page.close();
    await pool.apply(faults.value, 1);
    await second.waitForFunction(
      (n) =>
        /completed\s+([\d,]+)/
          .exec((globalThis as any).document.body.innerText)?.[1]
          .replace(/,/g, '') === String(n),
      before + 11,
    );
    const started = Date.now();
    await dash.close();
    assert.ok(Date.now() - started < 5000, 'close() resolves with a browser connected');
  } finally {
    await chromium.close();
    await dash.close();
    await pool.close();
  }
});

test('a performance report opens offline in a browser and shows the run', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-report-'));
  const file = join(dir, 'report.html');
  const chromium = await launchBrowser();
  try {
    await performanceReport(file, async () => {
      const pool = new Pool({ workers: 2 });
      await pool.map(
        faults.value,
        Array.from({ length: 300 }, (_, i) => i),
        { chunksize: 30 },
      );
      await pool.close();
    });
    const page = await chromium.context.newPage();
    const remote: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) remote.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    const text = await page.innerText('body');
    assert.equal(countOf(text, 'completed'), 10);
    assert.match(text, /map value: 300 \/ 300 \(100%\)/);
    assert.ok((await page.$$('tr[data-worker-id]')).length >= 1);
    assert.deepEqual(remote, []);
  } finally {
    await chromium.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
