/**
 * What pool events cost on W1 (100,000 one-item submits of `identity`, 2 workers): the raw
 * postMessage floor, spindle with no listener, and spindle with one `taskEnd` listener,
 * interleaved round by round in one process so that a busy machine slows all three alike.
 * Runs the built dist/ with plain node; `--base DIR` adds another build's dist/ (e.g. the
 * commit before the events) as a fourth row.
 *
 *   npm run build && node bench/events-overhead.mjs [--n 100000] [--rounds 7] [--base DIR]
 *
 * Prints per row the median (min–max) wall time in ms and the median of the per-round ratios to
 * raw, then the median CPU time of the process (every thread) and its ratio to raw.
 */

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadRunner } from './runners.mjs';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '7' },
    base: { type: 'string' },
  },
});
const N = Number(values.n);
const ROUNDS = Number(values.rounds);
const items = Array.from({ length: N }, (_, i) => i);

function callEach(call) {
  const pending = new Array(N);
  for (let i = 0; i < N; i++) pending[i] = call(items[i]);
  return Promise.all(pending);
}

/** Wall ms, and the CPU ms of the whole process (all threads): steadier on a busy machine. */
const cpu = [];
async function timed(call) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await callEach(call);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  if (out.length !== N || out[N - 1] !== N - 1) throw new Error('wrong results');
  return ms;
}

const raw = await loadRunner('raw');
raw.open(2);
const spindle = await loadRunner('spindle');
spindle.open(2);
const pool = spindle.pool;
let heard = 0;
const listener = (e) => {
  heard += e.items;
};
let base;
if (values.base) {
  const mod = await import(pathToFileURL(`${values.base}/dist/index.js`).href);
  const { tasks } = await import(
    pathToFileURL(`${values.base}/bench/tasks/spindle-tasks.mjs`).href
  );
  base = { pool: new mod.Pool({ workers: 2 }), tasks };
}

const rows = { raw: [], 'spindle, no listener': [], 'spindle, one taskEnd listener': [] };
if (base) rows['spindle before events (base)'] = [];
const run = {
  raw: () => timed((x) => raw.call('identity', x)),
  'spindle, no listener': () => timed((x) => pool.submit(spindle.tasks.identity, x)),
  'spindle, one taskEnd listener': async () => {
    pool.on('taskEnd', listener);
    try {
      return await timed((x) => pool.submit(spindle.tasks.identity, x));
    } finally {
      pool.off('taskEnd', listener);
    }
  },
  'spindle before events (base)': () => timed((x) => base.pool.submit(base.tasks.identity, x)),
};
// One untimed warm-up of each, then the rounds; the order turns each round.
for (const name of Object.keys(rows)) await run[name]();
const names = Object.keys(rows);
const cpuRows = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    rows[name].push(await run[name]());
    cpuRows[name].push(cpu.at(-1));
  }
}
if (heard !== N * (ROUNDS + 1)) throw new Error(`the listener heard ${heard} items`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`W1 events overhead: ${N} submits, 2 workers, ${ROUNDS} rounds`);
for (const name of names) {
  const ms = rows[name];
  const ratios = ms.map((m, i) => m / rows.raw[i]);
  const cpuMs = cpuRows[name];
  console.log(
    `${name.padEnd(32)} ${median(ms).toFixed(0).padStart(6)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)})   ×raw ${median(ratios).toFixed(2)}   CPU ${median(cpuMs).toFixed(0)} ms (×raw ${median(cpuMs.map((c, i) => c / cpuRows.raw[i])).toFixed(2)})`,
  );
}
await raw.close();
await spindle.close();
await base?.pool.close();
