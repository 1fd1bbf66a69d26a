/**
 * Matrix rows as Int32Array views of one buffer, `pool.map` counting values in a range per
 * row, against the serial loop (issue 16): 200,000 rows of 100 ints (80 MB). The loop and
 * spindle alternate (see rows-time.ts).
 *
 *   npx tsx bench/rows-views.ts [reps=5] [rows=200000] [width=100] [task=count|none]
 *
 * `none`: a task that returns 0 without reading its row, so what is left is what moving the rows
 * costs (the caller's CPU above all).
 */
import { Pool } from '../src/index.js';
import { alternate } from './rows-time.js';

const reps = Number(process.argv[2] ?? 5);
const rows = Number(process.argv[3] ?? 200_000);
const width = Number(process.argv[4] ?? 100);
const none = process.argv[5] === 'none';
const matrix = new Int32Array(rows * width);
let seed = 7;
for (let i = 0; i < matrix.length; i++) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  matrix[i] = seed % 1000;
}
const views = Array.from({ length: rows }, (_, r) => matrix.subarray(r * width, (r + 1) * width));
const count = none
  ? (_row: Int32Array) => 0
  : (row: Int32Array) => {
      let n = 0;
      for (let i = 0; i < row.length; i++) if (row[i] >= 250 && row[i] < 750) n++;
      return n;
    };
const expected = views.map(count).reduce((a, b) => a + b, 0);

const pool = new Pool({ workers: 2 });
await alternate(
  reps,
  { name: 'serial loop', run: () => views.map(count) },
  [{ name: 'spindle pool.map(count, rows)', run: () => pool.map(count, views) }],
  (out) => out.length === rows && (out as number[]).reduce((a, b) => a + b, 0) === expected,
);
const stats = (pool as any)._arena?.stats?.();
if (stats) console.log(`arena ${JSON.stringify(stats)}`);
await pool.close();
