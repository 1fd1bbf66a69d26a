/**
 * The rounds of bench/shapes.mjs and bench/results.mjs: every row checked once against the
 * expected value, then each round runs every row once in turn (so a shared machine's load hits
 * all alike), and each row prints its median and the median of its per-round ratios against the
 * raw pool's same row (spindle's "map" against raw's 8 chunks).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadRunner } from './runners.mjs';

export const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
export const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

/** spindle, the raw pool and piscina, each with `workers` threads; prints the run's header. */
export async function openRunners(what, rounds, workers) {
  const runners = {};
  for (const name of ['spindle', 'raw', 'piscina']) {
    runners[name] = await loadRunner(name);
    runners[name].open(workers);
  }
  console.log(
    `${what}: ${rounds} rounds, nproc ${availableParallelism()}, ${workers} workers, node ${process.version}, load ${load()}`,
  );
  return runners;
}

export async function sideBySide(name, rows, expected, rounds) {
  const times = Object.fromEntries(Object.keys(rows).map((r) => [r, []]));
  for (const [row, run] of Object.entries(rows)) {
    const out = await run();
    if (Math.abs(out - expected) > 1e-9 * Math.abs(expected))
      throw new Error(`${name}, ${row}: ${out} != ${expected}`);
  }
  for (let i = 0; i < rounds; i++) {
    for (const [row, run] of Object.entries(rows)) {
      globalThis.gc?.();
      const t = performance.now();
      await run();
      times[row].push(performance.now() - t);
    }
  }
  console.log(`\n${name} (load ${load()})`);
  for (const [row, ts] of Object.entries(times)) {
    const against = row.endsWith('map') ? 'raw 8 chunks' : row.replace(/^\w+/, 'raw');
    const ratio =
      row === 'serial' || row.startsWith('raw')
        ? ''
        : `  ×raw ${med(ts.map((t, i) => t / times[against][i])).toFixed(2)} (${against})`;
    console.log(`  ${row.padEnd(18)} ${med(ts).toFixed(0).padStart(6)} ms${ratio}`);
  }
}
