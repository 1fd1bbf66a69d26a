/**
 * Other shapes of data than BENCH.md's (issue 16): what a naive program passes, side by side in
 * one process with the serial loop, a raw postMessage pool and piscina, each round running every
 * row once in turn so a shared machine's load hits all alike. Each task reads every value once
 * (light work), so the figures are the cost of moving the data.
 *
 *   npm run build && node --expose-gc bench/shapes.mjs [rounds=5] [filter]
 *
 * Rows per shape: "halves" sends the two halves of the data as two calls (one per worker);
 * "8 chunks" sends 8 slices as 8 calls; spindle's "map" is `pool.map` with default options over
 * the items. Printed: median ms, and the median of per-round ratios against the raw pool's same
 * row (below 1: faster than a raw postMessage copy).
 */
import { openRunners, sideBySide } from './side-by-side.mjs';
import * as kernels from './tasks/kernels.mjs';

const [roundsArg = '5', filter] = process.argv.slice(2);
const rounds = Number(roundsArg);
const WORKERS = 2;

const SHAPES = {
  'records 1M {id, x, y, name}': {
    make: () =>
      Array.from({ length: 1e6 }, (_, i) => ({
        id: i,
        x: (i % 97) * 0.5,
        y: i % 13,
        name: `n${i % 1000}`,
      })),
    list: 'records',
    item: 'record',
  },
  'numbers 4M doubles (number[])': {
    make: () => Array.from({ length: 4e6 }, (_, i) => i * 0.25 + 0.1),
    list: 'squares',
  },
  'numbers 4M integers (number[])': {
    make: () => Array.from({ length: 4e6 }, (_, i) => i),
    list: 'squares',
  },
  'rows 2000 × 1000 (number[][])': {
    make: () =>
      Array.from({ length: 2000 }, (_, r) => Array.from({ length: 1000 }, (_, i) => r + i)),
    list: 'rowSums',
    item: 'rowSum',
  },
  'views 200K × 16 of one Float64Array': {
    make: () => {
      const b = new Float64Array(200_000 * 16).map((_, i) => i * 0.5);
      return Array.from({ length: 200_000 }, (_, r) => b.subarray(r * 16, r * 16 + 16));
    },
    list: 'rowSums',
    item: 'rowSum',
  },
  'views 100K × 16, each its own buffer': {
    make: () =>
      Array.from({ length: 100_000 }, (_, r) => new Float64Array(16).map((_, i) => r + i * 0.5)),
    list: 'rowSums',
    item: 'rowSum',
  },
  'strings 2M of 8 chars': {
    make: () =>
      Array.from({ length: 2e6 }, (_, i) => `ab${(i % 100000).toString(36).padStart(6, 'x')}`),
    list: 'texts',
    item: 'text',
  },
  'strings 400 of 100 KB': {
    make: () =>
      Array.from({ length: 400 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(100_000)),
    list: 'texts',
    item: 'text',
  },
  'records 400K nested {id, tags: string[], pos: number[]}': {
    make: () =>
      Array.from({ length: 4e5 }, (_, i) => ({
        id: i,
        tags: [`t${i % 50}`, 'x', `k${i % 7}`],
        pos: [i % 100, (i % 7) * 0.5],
      })),
    list: 'nesteds',
    item: 'nested',
  },
  'rows 200K × 8 strings (string[][], a parsed CSV)': {
    make: () =>
      Array.from({ length: 2e5 }, (_, r) =>
        Array.from({ length: 8 }, (_, c) => `${r}-${c}-${'v'.repeat(r % 9)}`),
      ),
    list: 'cellRows',
    item: 'cells',
  },
  'strings 1M non-ASCII of ~12 chars': {
    make: () => Array.from({ length: 1e6 }, (_, i) => `naïve-中文-${i % 9973}`),
    list: 'texts',
    item: 'text',
  },
  'bigints 1M': {
    make: () => Array.from({ length: 1e6 }, (_, i) => BigInt(i) * 1_000_003n),
    list: 'bigints',
  },
  'dates 1M': {
    make: () => Array.from({ length: 1e6 }, (_, i) => new Date(1.7e12 + i * 1000)),
    list: 'dates',
  },
  'numbers 4M with nulls (number | null)[]': {
    make: () => Array.from({ length: 4e6 }, (_, i) => (i % 10 === 0 ? null : i * 0.5)),
    list: 'squares',
  },
  'Float32Array 20M (typed, whole slices)': {
    make: () => new Float32Array(2e7).map((_, i) => i % 1000),
    list: 'typedSum',
  },
  'Uint8Array 64 MB (typed, whole slices)': {
    make: () => new Uint8Array(64 << 20).map((_, i) => i & 255),
    list: 'typedSum',
  },
  'points 1M × 2 (number[][])': {
    make: () => Array.from({ length: 1e6 }, (_, i) => [i * 0.5, i % 7]),
    list: 'rowSums',
    item: 'rowSum',
  },
  'pairs 1M [string, number] (Object.entries)': {
    make: () => Array.from({ length: 1e6 }, (_, i) => [`k${i % 5000}`, i]),
    list: 'pairs',
    item: 'pair',
  },
  'records 200K {id, v: Float32Array(3)}': {
    make: () =>
      Array.from({ length: 2e5 }, (_, i) => ({ id: i, v: new Float32Array([i, 1, i % 5]) })),
    list: 'vecRecords',
    item: 'vecRecord',
  },
  'one string of 50 MB (halves, eighths of it)': {
    make: () => 'abcdefghij'.repeat(5e6),
    list: 'size',
  },
  'records 500K, one in ten with a key more (clone)': {
    make: () =>
      Array.from({ length: 5e5 }, (_, i) =>
        i % 10 === 0 ? { id: i, x: i / 2, extra: 'e' } : { id: i, x: i / 2 },
      ),
    list: 'size',
  },
  'booleans 8M': {
    make: () => Array.from({ length: 8e6 }, (_, i) => i % 3 === 0),
    list: 'trues',
  },
};

const slices = (a, n) => {
  const size = Math.ceil(a.length / n);
  return Array.from({ length: n }, (_, i) => a.slice(i * size, (i + 1) * size));
};
const total = (xs) => xs.reduce((s, x) => s + x, 0);

const runners = await openRunners('shapes', rounds, WORKERS);
for (const [name, shape] of Object.entries(SHAPES)) {
  if (filter && !name.includes(filter)) continue;
  const data = shape.make();
  const serial = { ...kernels }[shape.list];
  const expected = serial(data);
  const rows = { serial: () => serial(data) };
  for (const r of ['raw', 'piscina', 'spindle']) {
    rows[`${r} halves`] = async () =>
      total(await Promise.all(slices(data, 2).map((part) => runners[r].call(shape.list, part))));
    rows[`${r} 8 chunks`] = async () =>
      total(await Promise.all(slices(data, 8).map((part) => runners[r].call(shape.list, part))));
  }
  if (shape.item) {
    const { pool, tasks } = runners.spindle;
    rows['spindle map'] = async () => total(await pool.map(tasks[shape.item], data));
  }
  await sideBySide(name, rows, expected, rounds);
}
for (const r of Object.values(runners)) await r.close();
