/**
 * The caller's own CPU per call of `pool.map` over 200,000 Int32Array rows of one buffer, with a
 * task that returns 0 without reading its row: what moving the rows costs the caller. Two
 * inputs alternate: the same array of views every call, and a new array of new views every call
 * (rows taken again from the matrix). Reads the caller thread's schedstat (Linux, ns).
 * Runs the built dist/ with plain node; pass another tree to measure its dist/ instead.
 *
 *   npm run build && node bench/rows-views-caller.mjs [dir of another build]
 */
import { readFileSync } from 'node:fs';

const dir = process.argv[2] ?? new URL('..', import.meta.url).pathname;
const { Pool } = await import(`${dir}/dist/index.js`);
const rows = 200_000;
const width = 100;
const matrix = new Int32Array(rows * width).map((_, i) => i % 1000);
const make = () =>
  Array.from({ length: rows }, (_, r) => matrix.subarray(r * width, (r + 1) * width));
const same = make();
const none = (_row) => 0;
const cpu = () =>
  Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
const pool = new Pool({ workers: 2 });
const ms = { new: [], same: [] };
for (let rep = 0; rep < 12; rep++) {
  for (const kind of ['new', 'same']) {
    const input = kind === 'new' ? make() : same;
    const c0 = cpu();
    await pool.map(none, input);
    if (rep >= 2) ms[kind].push(cpu() - c0);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1].toFixed(1);
console.log(
  `${dir}: the caller's CPU per call, same views ${median(ms.same)} ms, new views ${median(ms.new)} ms (medians of 10)`,
);
await pool.close();
