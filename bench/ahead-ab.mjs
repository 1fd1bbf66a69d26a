/**
 * A worker's wait between calls that cost more than PIPELINE_MS (placement.ts), two builds side
 * by side in one process: each round runs every row on one build's pool, then the other's.
 * Rows: 16 tasks each given 50 strings of 100 KB (~6 ms of work each: the next call's
 * arguments are copied while the worker waits for them), and 32 tasks of 20 ms of CPU with
 * small arguments (the round trip alone). Prints medians and the median of per-round ratios.
 *
 *   npm run build && node bench/ahead-ab.mjs BASE_DIR [THIS_DIR=.] [rounds=9]
 */
const [baseDir, thisDir = new URL('..', import.meta.url).pathname, roundsArg = '9'] =
  process.argv.slice(2);
if (!baseDir) throw new Error('usage: node bench/ahead-ab.mjs BASE_DIR [THIS_DIR] [rounds]');
const rounds = Number(roundsArg);

const strings = Array.from({ length: 50 }, (_, i) =>
  String.fromCharCode(97 + (i % 26)).repeat(100_000),
);
const scan = (xs) => {
  let n = 0;
  for (const s of xs) for (let i = 0; i < s.length; i += 4) n += s.charCodeAt(i) & 1;
  return n;
};
const spin = (ms) => {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
};
const ROWS = {
  '16 tasks of 5 MB of strings': (pool) =>
    Promise.all(Array.from({ length: 16 }, () => pool.submit(scan, strings.slice()))),
  '32 tasks of 20 ms, small arguments': (pool) =>
    Promise.all(Array.from({ length: 32 }, () => pool.submit(spin, 20))),
};

const { resolve } = await import('node:path');
const { pathToFileURL } = await import('node:url');
const pools = [];
for (const dir of [baseDir, thisDir]) {
  const { Pool } = await import(pathToFileURL(resolve(dir, 'dist/index.js')).href);
  pools.push(new Pool({ workers: 2 }));
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const { readFileSync } = await import('node:fs');
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`ahead-ab: ${rounds} rounds, 2 workers, node ${process.version}, load ${load()}`);
for (const [name, run] of Object.entries(ROWS)) {
  const times = [[], []];
  for (let r = -1; r < rounds; r++) {
    for (let p = 0; p < 2; p++) {
      const t = performance.now();
      await run(pools[p]);
      if (r >= 0) times[p].push(performance.now() - t);
    }
  }
  const ratio = med(times[1].map((t, i) => t / times[0][i]));
  console.log(
    `${name.padEnd(36)} base ${med(times[0]).toFixed(1)} ms  this ${med(times[1]).toFixed(1)} ms  this/base ${ratio.toFixed(3)}  (load ${load()})`,
  );
}
for (const pool of pools) await pool.close();
