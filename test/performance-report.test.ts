import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compute, delayed, Pool, parallel, performanceReport } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';
import { graphTasks } from './fixtures/graph-tasks.js';

/** The pools a report embeds, as its page reads them. */
function reportData(file: string) {
  const html = readFileSync(file, 'utf8');
  const match = html.match(/window\.SPINDLE_PAGE = (.*);<\/script>/);
  assert.ok(match, 'the report embeds its data');
  return { html, pools: JSON.parse(match[1]).data.pools as any[] };
}

test('a report records the pools created and used inside, those compute and parallel make included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-report-'));
  const file = join(dir, 'report.html');
  const used = new Pool({ workers: 1 });
  const unused = new Pool({ workers: 1 });
  try {
    const result = await performanceReport(file, async () => {
      const inner = new Pool({ workers: 2 });
      await inner.map(
        faults.value,
        Array.from({ length: 50 }, (_, i) => i),
        { chunksize: 5 },
      );
      await inner.close();
      await used.apply(faults.value, 1);
      await assert.rejects(used.apply(faults.fail, 'bad row 7'));
      const total = await compute(delayed(graphTasks.add)(delayed(graphTasks.inc)(1), 3), {
        workers: 1,
      });
      const viaParallel = await parallel({ nJobs: 1 })([delayed(graphTasks.inc)(41)]);
      return { total, viaParallel };
    });
    assert.deepEqual(result, { total: 5, viaParallel: [42] });
    const { html, pools } = reportData(file);
    assert.doesNotMatch(
      html,
      /(src|href)\s*=\s*["']?(https?:)?\/\//,
      'the report opens without network',
    );
    assert.equal(pools.length, 4, pools.map((p) => p.label).join(', '));
    const completed = pools.map((p) => p.stats.completed).sort((a, b) => a - b);
    assert.deepEqual(completed, [1, 1, 2, 10]);
    const inner = pools.find((p) => p.stats.completed === 10);
    assert.equal(inner.spans.length, 10);
    assert.equal(
      inner.spans.reduce((n: number, s: number[]) => n + s[4], 0),
      50,
      'spans carry the items of their chunks',
    );
    assert.ok(inner.calls.some((c: any) => c.kind === 'map' && c.done === 50 && c.total === 50));
    const usedSnap = pools.find((p) => p.errors.length > 0);
    assert.match(usedSnap.errors[0].message, /bad row 7/);
    assert.ok(pools.some((p) => p.calls.some((c: any) => c.kind === 'compute' && c.done === 2)));
    assert.ok(pools.some((p) => p.calls.some((c: any) => c.kind === 'parallel')));
  } finally {
    await used.close();
    await unused.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('when the function throws, the report is still written and the error passes through', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-report-'));
  const file = join(dir, 'report.html');
  try {
    await assert.rejects(
      performanceReport(file, async () => {
        const pool = new Pool({ workers: 1 });
        await pool.apply(faults.value, 1);
        await pool.close();
        throw new Error('the job gave up');
      }),
      /the job gave up/,
    );
    assert.equal(reportData(file).pools.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('performanceReport refuses a missing path or function', async () => {
  await assert.rejects(
    performanceReport('' as string, async () => 1),
    TypeError,
  );
  await assert.rejects(performanceReport('r.html', 42 as never), TypeError);
});
