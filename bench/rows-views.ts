/**
 * Matrix rows as Int32Array views of one buffer, `pool.map` counting values in a range per
 * row, against the serial loop (issue 16): 200,000 rows of 100 ints (80 MB).
 *
 *   npx tsx bench/rows-views.ts [reps=5]
 */
import { Pool } from '../src/index.js';

const reps = Number(process.argv[2] ?? 5);
const rows = 200_000;
const width = 100;
const matrix = new Int32Array(rows * width);
let seed = 7;
for (let i = 0; i < matrix.length; i++) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  matrix[i] = seed % 1000;
}
const views = Array.from({ length: rows }, (_, r) => matrix.subarray(r * width, (r + 1) * width));
const count = (row: Int32Array) => {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (row[i] >= 250 && row[i] < 750) n++;
  return n;
};
const expected = views.map(count).reduce((a, b) => a + b, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function time(run: () => Promise<number[]> | number[]): Promise<string> {
  await run(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = await run();
    ms.push(performance.now() - t0);
    if (out.reduce((a, b) => a + b, 0) !== expected) throw new Error('wrong result');
  }
  return `${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)})`;
}

const pool = new Pool({ workers: 2 });
console.log(`serial loop: ${await time(() => views.map(count))}`);
console.log(`spindle pool.map(count, rows): ${await time(() => pool.map(count, views))}`);
const stats = (pool as any)._arena?.stats?.();
if (stats) console.log(`arena ${JSON.stringify(stats)}`);
await pool.close();
