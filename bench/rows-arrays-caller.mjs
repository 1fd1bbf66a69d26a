/**
 * The caller's own CPU per call of `pool.map` over 200,000 rows of 100 ints as plain `number[]`
 * (Python's `tolist`): what packing the rows costs the caller's thread, beside the bare reading
 * loop that any packing must do (the floor). Task `none` returns 0 without reading its row,
 * `count` counts values in a range. Reads the caller thread's schedstat (Linux, ns). Runs the
 * built dist/ with plain node; pass other trees to measure their dist/ too, alternating.
 *
 *   npm run build && node bench/rows-arrays-caller.mjs [none|count] [dir ...]
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const task = args[0] === 'count' ? 'count' : 'none';
const dirs = args.filter((a) => a !== 'none' && a !== 'count');
if (dirs.length === 0) dirs.push(new URL('..', import.meta.url).pathname);
let seed = 7;
const rows = Array.from({ length: 200_000 }, () =>
  Array.from({ length: 100 }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % 1000;
  }),
);
const fns = {
  none: (_row) => 0,
  count: (row) => {
    let n = 0;
    for (let i = 0; i < row.length; i++) if (row[i] >= 250 && row[i] < 750) n++;
    return n;
  },
};
const cpu = () =>
  Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
/** The floor: one pass reading every value, as any packing must. */
function readAll() {
  let s = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let j = 0; j < row.length; j++) s = (s + row[j]) | 0;
  }
  return s;
}
const pools = [];
for (const dir of dirs) {
  const { Pool } = await import(`${dir}/dist/index.js`);
  pools.push(new Pool({ workers: 2 }));
}
const ms = pools.map(() => []);
const wall = pools.map(() => []);
const floor = [];
for (let rep = 0; rep < 12; rep++) {
  const c0 = cpu();
  readAll();
  if (rep >= 2) floor.push(cpu() - c0);
  for (let k = 0; k < pools.length; k++) {
    const c = cpu();
    const t = performance.now();
    await pools[k].map(fns[task], rows);
    if (rep >= 2) {
      ms[k].push(cpu() - c);
      wall[k].push(performance.now() - t);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1].toFixed(1);
console.log(`task ${task}; reading every value once: ${median(floor)} ms (medians of 10 calls)`);
for (let k = 0; k < pools.length; k++) {
  console.log(
    `${dirs[k]}: the caller's CPU per call ${median(ms[k])} ms, wall ${median(wall[k])} ms`,
  );
  await pools[k].close();
}
