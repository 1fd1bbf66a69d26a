/**
 * Matrix rows as plain `number[]` (what Python's `tolist` gives), counting values in a range per
 * row (issue 16): 200,000 rows of 100 ints. Side by side in one run: the serial loop, spindle's
 * `pool.map(count, rows)` with default options (the two alternate, see rows-time.ts), then a raw
 * worker pool and piscina each sent the rows in 8 chunks of arrays (structured clone, the floor
 * without packing; `--peers` to run them).
 *
 *   npx tsx bench/rows-arrays.ts [reps=5] [rows=200000] [width=100] [--peers]
 */
import { Pool } from '../src/index.js';
import { alternate } from './rows-time.js';

// The peers' adapters are plain JS, shared with bench/run.ts.
const runnersUrl = new URL('./runners.mjs', import.meta.url).href;
const { loadRunner } = (await import(runnersUrl)) as {
  loadRunner(name: string): Promise<{
    open(workers: number): void;
    call(fn: string, arg: unknown): Promise<number[]>;
    close(): Promise<void>;
  }>;
};

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const peers = process.argv.includes('--peers');
const reps = Number(args[0] ?? 5);
const nRows = Number(args[1] ?? 200_000);
const width = Number(args[2] ?? 100);
let seed = 7;
const rows: number[][] = Array.from({ length: nRows }, () =>
  Array.from({ length: width }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % 1000;
  }),
);
const count = (row: number[]) => {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (row[i] >= 250 && row[i] < 750) n++;
  return n;
};
const expected = rows.map(count).reduce((a, b) => a + b, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results: Record<string, number> = {};

async function time(name: string, run: () => Promise<number[]> | number[]): Promise<void> {
  await run(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = await run();
    ms.push(performance.now() - t0);
    if (out.length !== nRows || out.reduce((a, b) => a + b, 0) !== expected)
      throw new Error(`${name}: wrong result`);
  }
  results[name] = median(ms);
  const ratio =
    name === 'serial loop' ? '' : `  loop/this ${(results['serial loop'] / median(ms)).toFixed(2)}`;
  console.log(
    `${name.padEnd(34)} ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)})${ratio}`,
  );
}

/** Eight chunks of rows posted at once, results joined in order. */
async function chunked(call: (rows: number[][]) => Promise<number[]>): Promise<number[]> {
  const size = Math.ceil(nRows / 8);
  const parts: Promise<number[]>[] = [];
  for (let i = 0; i < nRows; i += size) parts.push(call(rows.slice(i, i + size)));
  return (await Promise.all(parts)).flat();
}

const pool = new Pool({ workers: 2 });
await alternate(
  reps,
  { name: 'serial loop', run: () => rows.map(count) },
  [{ name: 'spindle pool.map(count, rows)', run: () => pool.map(count, rows) }],
  (out) => out.length === nRows && (out as number[]).reduce((a, b) => a + b, 0) === expected,
);
await pool.close();
if (peers) await time('serial loop', () => rows.map(count));
for (const name of peers ? ['raw', 'piscina'] : []) {
  const runner = await loadRunner(name);
  runner.open(2);
  await time(`${name}, 8 chunks cloned`, () => chunked((part) => runner.call('countRows', part)));
  await runner.close();
}
