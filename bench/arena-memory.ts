/**
 * RSS of a pool after many calls that auto-share a big plain array (issue 16): the arena's
 * memory must level off. Each call passes the two halves of one 160 MB Float64Array as two
 * submits; the caller writes into the array before every call, so every call copies.
 *
 *   npx tsx bench/arena-memory.ts [calls=100] [n=20000000]
 */
import { Pool } from '../src/index.js';

const calls = Number(process.argv[2] ?? 100);
const n = Number(process.argv[3] ?? 20_000_000);
const sumOf = (a: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};
const mb = (x: number) => (x / 2 ** 20).toFixed(0);

const pool = new Pool({ workers: 2 });
const a = new Float64Array(n).fill(1);
const h = n >> 1;
const rss: string[] = [];
const t0 = performance.now();
for (let c = 1; c <= calls; c++) {
  a[c % n] = c; // a write between calls: the next call must copy again
  const [x, y] = await Promise.all([
    pool.submit(sumOf, a.subarray(0, h)),
    pool.submit(sumOf, a.subarray(h)),
  ]);
  if (!(x + y > 0)) throw new Error('bad sum');
  if (c === 1 || c === 10 || c % 25 === 0) rss.push(`${c}: ${mb(process.memoryUsage().rss)} MB`);
}
const ms = performance.now() - t0;
const stats = (pool as any)._arena?.stats?.();
console.log(
  `${calls} calls of ${mb(n * 8)} MB (two submits each), ${(ms / calls).toFixed(1)} ms a call; RSS after call ${rss.join(', ')}`,
);
if (stats) console.log('arena', JSON.stringify(stats));
await pool.close();
