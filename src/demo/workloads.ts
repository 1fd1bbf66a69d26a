import { parallel } from '../faces/parallel.js';
import { parallelFor } from '../faces/parallel-for.js';
import { asCompleted, delayed, type Pool, shared } from '../index.js';
import { demoTiles } from './mandelbrot.js';
import { demoTasks as t } from './tasks.js';

/** The pools a workload may use; all are started and warmed before anything is timed. */
export interface DemoPools {
  threads: Pool;
  processes: Pool;
  /** Inline backend, many tasks in flight: asyncio's model, for waiting. */
  inline: Pool;
  /** Threads with many tasks in flight per worker, for I/O. */
  threadsIO: Pool;
  workers: number;
}

export interface Sizes {
  range: number;
  sleeps: number;
  pages: number;
  pageDelayMs: number;
  floats: number;
  strings: number;
  tileSize: number;
  maxIter: number;
}

export const FULL: Sizes = {
  range: 200_000,
  sleeps: 16,
  pages: 32,
  pageDelayMs: 50,
  floats: 10_000_000,
  strings: 400_000,
  tileSize: 480,
  maxIter: 600,
};

export const QUICK: Sizes = {
  range: 2_000,
  sleeps: 4,
  pages: 6,
  pageDelayMs: 20,
  floats: 100_000,
  strings: 4_000,
  tileSize: 48,
  maxIter: 100,
};

/** One row of the demo table: the same work done four ways, each returning a comparable answer. */
export interface Workload {
  name: string;
  title: string;
  /** The spindle face of the last column, in words. */
  face: string;
  /** Builds the inputs, outside the timings. */
  prepare?(): void;
  sequential(): Promise<unknown>;
  threads(pools: DemoPools): Promise<unknown>;
  processes(pools: DemoPools): Promise<unknown>;
  best(pools: DemoPools): Promise<unknown>;
}

export interface WorkloadContext {
  sizes: Sizes;
  /** URLs of the local page server. */
  urls: string[];
  outDir: string;
}

const millions = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n.toLocaleString('en-US'));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function workloads({ sizes, urls, outDir }: WorkloadContext): Workload[] {
  const xs = range(sizes.range);
  const sleepers = range(sizes.sleeps);
  const n = sizes.floats;
  // Big inputs are made on first use, so a demo of one workload does not build them all.
  const floats = once(() => {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = (i % 1000) / 1000;
    return a;
  });
  const sharedFloats = once(() => shared.from(floats()));
  const texts = once(() => sentences(sizes.strings));
  const tiles = demoTiles(sizes.tileSize, sizes.maxIter);
  const cubeSquare = async (map: (f: (x: number) => number) => Promise<number[]>) => [
    sum(await map(t.cube)),
    sum(await map(t.square)),
  ];

  return [
    {
      name: 'cubes',
      title: `cube & square of 1..${sizes.range.toLocaleString('en-US')}`,
      face: 'parallel + delayed',
      sequential: async () => [sum(xs.map(t.cube)), sum(xs.map(t.square))],
      threads: (p) => cubeSquare((f) => p.threads.map(f, xs)),
      processes: (p) => cubeSquare((f) => p.processes.map(f, xs)),
      best: (p) => cubeSquare((f) => parallel({ pool: p.threads })(xs.map((x) => delayed(f)(x)))),
    },
    {
      name: 'sleep',
      title: `${sizes.sleeps} squares, 100 ms sleep each`,
      face: `inline, ${sizes.sleeps} in flight`,
      sequential: async () => {
        const out: number[] = [];
        for (const x of sleepers) out.push(await t.slowSquare(x));
        return out;
      },
      threads: (p) => p.threads.map(t.slowSquare, sleepers, { chunksize: 1 }),
      processes: (p) => p.processes.map(t.slowSquare, sleepers, { chunksize: 1 }),
      best: (p) => p.inline.map(t.slowSquare, sleepers, { chunksize: 1 }),
    },
    {
      name: 'titles',
      title: `${urls.length} page titles, ${sizes.pageDelayMs} ms each`,
      face: "threads, concurrency 'auto'",
      sequential: async () => {
        const out: string[] = [];
        for (const url of urls) out.push(await t.title(url));
        return out;
      },
      threads: (p) => p.threads.map(t.title, urls, { chunksize: 1 }),
      processes: (p) => p.processes.map(t.title, urls, { chunksize: 1 }),
      best: (p) => p.threadsIO.map(t.title, urls, { chunksize: 1 }),
    },
    {
      name: 'sumsq',
      title: `Σx² of ${millions(n)} float64, chunked`,
      face: 'shared + parallelFor',
      prepare: () => void sharedFloats(),
      // The same function as the face runs, so the comparison is of where it runs, not of code.
      sequential: async () => t.sumSquaresRange(0, n, floats()),
      threads: async (p) => sum(await p.threads.map(t.sumSquares, chunks(floats(), p.workers))),
      processes: async (p) => sum(await p.processes.map(t.sumSquares, chunks(floats(), p.workers))),
      best: async (p) =>
        sum(
          await parallelFor(0, n, t.sumSquaresRange, { args: [sharedFloats()], pool: p.threads }),
        ),
    },
    {
      name: 'words',
      title: `word counts, ${sizes.strings.toLocaleString('en-US')} strings`,
      face: 'parallel, 10k per call',
      prepare: () => void texts(),
      sequential: async () => sum(texts().map(t.wordCount)),
      threads: async (p) => sum(await p.threads.map(t.wordCount, texts())),
      processes: async (p) => sum(await p.processes.map(t.wordCount, texts())),
      best: async (p) =>
        sum(
          await parallel({ pool: p.threads })(
            batches(texts(), 10_000).map((b) => delayed(t.wordCountBatch)(b)),
          ),
        ),
    },
    {
      name: 'mandelbrot',
      title: `4 Mandelbrot tiles ${sizes.tileSize}² → PNG`,
      face: 'submit + asCompleted',
      sequential: async () => {
        const files: string[] = [];
        for (const tile of tiles) files.push(await t.renderPng(tile, outDir));
        return files;
      },
      threads: (p) =>
        p.threads.starmap(
          t.renderPng,
          tiles.map((tile) => [tile, outDir] as [typeof tile, string]),
          { chunksize: 1 },
        ),
      processes: (p) =>
        p.processes.starmap(
          t.renderPng,
          tiles.map((tile) => [tile, outDir] as [typeof tile, string]),
          { chunksize: 1 },
        ),
      best: async (p) => {
        const futures = tiles.map((tile) => p.threads.submit(t.renderPng, tile, outDir));
        for await (const _done of asCompleted(futures)) {
          // a real program would report each tile as it lands
        }
        return Promise.all(futures);
      },
    },
  ];
}

/** `parts` views of nearly equal length over `a`. */
function chunks(a: Float64Array, parts: number): Float64Array[] {
  const size = Math.ceil(a.length / parts);
  const out: Float64Array[] = [];
  for (let lo = 0; lo < a.length; lo += size) out.push(a.subarray(lo, lo + size));
  return out;
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const WORDS =
  'a spindle spins the thread while every core turns work into results for all of us'.split(' ');

/** Deterministic strings of about 40 characters, each a flat string (not a slice of a big one). */
function sentences(count: number): string[] {
  let seed = 12345;
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    let s = '';
    while (s.length < 40) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      s += `${WORDS[seed % WORDS.length]} `;
    }
    out[i] = s.trimEnd();
  }
  return out;
}
