/**
 * Results that are big (issue 16: "results that are big come back the same way"): each task
 * makes its results from an index range, so the figure is their crossing back to the caller,
 * side by side in one process with the serial loop, a raw postMessage pool and piscina.
 *
 *   npm run build && node --expose-gc bench/results.mjs [rounds=5] [filter]
 *
 * Rows as in bench/shapes.mjs: "halves" two calls, "8 chunks" eight, spindle's "map" is
 * `pool.map` over the indices with the per-item kernel; ratios are medians of per-round ratios
 * against the raw pool's same row (map against raw's 8 chunks).
 */
import { openRunners, sideBySide } from './side-by-side.mjs';
import * as kernels from './tasks/kernels.mjs';

const [roundsArg = '5', filter] = process.argv.slice(2);
const rounds = Number(roundsArg);
const WORKERS = 2;

/** Reads every result once: a checksum the serial loop's results must equal. */
const sums = {
  vec: (v) => v[0] + v[15],
  list: (v) => v[0] + v[15],
  rec: (o) => o.id + o.score + o.label.length,
  str: (s) => s.length,
};
const SHAPES = {
  'Float64Array(16) a result, 200K': { n: 2e5, one: 'vec' },
  'number[16] a result, 200K': { n: 2e5, one: 'list' },
  'records {id, score, label}, 500K': { n: 5e5, one: 'rec' },
  'strings of ~15 chars, 1M': { n: 1e6, one: 'str' },
  'one Float64Array of 10M': { n: 1e7, whole: 'bigOut' },
  'one number[] of 4M': { n: 4e6, whole: 'numsOut' },
};

const ranges = (n, parts) => {
  const size = Math.ceil(n / parts);
  return Array.from({ length: parts }, (_, i) => [i * size, Math.min(n, (i + 1) * size)]);
};
const checkList = (one) => (lists) => {
  let s = 0;
  for (const list of lists) for (let i = 0; i < list.length; i++) s += sums[one](list[i]);
  return s;
};
const checkWhole = (parts) => {
  let s = 0;
  for (const v of parts) for (let i = 0; i < v.length; i += 1000) s += v[i];
  return s + parts.reduce((t, v) => t + v.length, 0);
};

const runners = await openRunners('results', rounds, WORKERS);
for (const [name, shape] of Object.entries(SHAPES)) {
  if (filter && !name.includes(filter)) continue;
  const fn = shape.whole ?? `${shape.one}sOut`;
  const check = shape.whole ? checkWhole : checkList(shape.one);
  const serial = { ...kernels }[fn];
  const expected = check([serial([0, shape.n])]);
  const rows = { serial: () => check([serial([0, shape.n])]) };
  for (const r of ['raw', 'piscina', 'spindle']) {
    for (const [label, parts] of [
      ['halves', 2],
      ['8 chunks', 8],
    ])
      rows[`${r} ${label}`] = async () =>
        check(await Promise.all(ranges(shape.n, parts).map((range) => runners[r].call(fn, range))));
  }
  if (shape.one) {
    const { pool, tasks } = runners.spindle;
    const indices = Array.from({ length: shape.n }, (_, i) => i);
    rows['spindle map'] = async () => check([await pool.map(tasks[`${shape.one}Out`], indices)]);
  }
  await sideBySide(name, rows, expected, rounds);
}
for (const r of Object.values(runners)) await r.close();
