/**
 * Scheduling overhead of task graphs: `compute` on 100,000-node graphs of no-op inline tasks
 * on the inline backend, so what is timed is spindle's own work per node (graph walk,
 * dependency counting, submit, dispatch, result hand-off), not worker round trips.
 *
 *   node --import tsx bench/graph-overhead.ts [--nodes 100000] [--reps 3]
 *
 * Prints the median (min–max) of the repetitions in µs per node, for a wide layered graph
 * (each node needs two of the layer before) and for one long chain.
 */
import { parseArgs } from 'node:util';
import { type Delayed, delayed, Pool } from '../src/index.js';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '100000' }, reps: { type: 'string', default: '3' } },
});
const N = Number(values.nodes);
const REPS = Number(values.reps);

const leaf = delayed((i: number) => i, { name: 'leaf' });
const join2 = delayed((a: number, b: number) => (a + b) % 1_000_003, { name: 'join' });
const step = delayed((a: number) => a + 1, { name: 'step' });

function wide(n: number, width = 1000): Delayed<number>[] {
  let layer = Array.from({ length: width }, (_, i) => leaf(i));
  let made = width;
  while (made < n) {
    const next: Delayed<number>[] = [];
    for (let i = 0; i < width && made < n; i++, made++)
      next.push(join2(layer[i], layer[(i + 1) % width]));
    layer = next;
  }
  return layer;
}

function chain(n: number): Delayed<number> {
  let node = leaf(0);
  for (let i = 1; i < n; i++) node = step(node);
  return node;
}

async function time(build: () => unknown[]): Promise<{ build: number; run: number }> {
  const pool = new Pool({ backend: 'inline', workers: 2 });
  const t0 = performance.now();
  const roots = build();
  const t1 = performance.now();
  await pool.compute(...roots);
  const t2 = performance.now();
  await pool.close();
  return { build: t1 - t0, run: t2 - t1 };
}

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (ms: number) => ((ms * 1000) / N).toFixed(2);
  return `${f(s[Math.floor(s.length / 2)])} µs/node (${f(s[0])}–${f(s[s.length - 1])})`;
}

// Warm-up: JIT the scheduler and graph paths once.
await time(() => wide(Math.min(N, 20_000)));

for (const [name, build] of [
  ['wide (layers of 1000, two inputs each)', () => wide(N)],
  ['chain (each node needs the one before)', () => [chain(N)]],
] as const) {
  const runs: number[] = [];
  const builds: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = await time(build);
    runs.push(t.run);
    builds.push(t.build);
  }
  console.log(
    `${name}, ${N} nodes: compute ${summary(runs)}; building the calls ${summary(builds)}`,
  );
}
