/**
 * A task's big result copied back or moved back (`transfer()`), side by side in one process
 * with a raw worker doing the same with `postMessage` (copy, and transfer list): each task
 * makes a Float64Array of `n` doubles and returns it. Every row runs once a round.
 *
 *   npm run build && node bench/transfer-results.mjs [rounds=7] [n=10000000]
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Pool } from '../dist/index.js';
import { tasks } from './tasks/spindle-tasks.mjs';

const rounds = Number(process.argv[2] ?? 7);
const n = Number(process.argv[3] ?? 10_000_000);
const raw = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', ([n, move]) => {
     const a = new Float64Array(n).fill(1);
     parentPort.postMessage(a, move ? [a.buffer] : []);
   });`,
  { eval: true },
);
const rawCall = (move) =>
  new Promise((resolve) => {
    raw.once('message', resolve);
    raw.postMessage([n, move]);
  });
const pool = new Pool({ workers: 1 });
const ROWS = {
  'raw postMessage, copied': () => rawCall(false),
  'raw postMessage, transfer list': () => rawCall(true),
  'spindle, copied': () => pool.submit(tasks.filled, n),
  'spindle, transfer()': () => pool.submit(tasks.filledMoved, n),
};
const times = Object.fromEntries(Object.keys(ROWS).map((row) => [row, []]));
for (let r = -1; r < rounds; r++) {
  for (const [row, run] of Object.entries(ROWS)) {
    const t = performance.now();
    const out = await run();
    if (out.length !== n || out[n - 1] !== 1) throw new Error(`${row}: wrong result`);
    if (r >= 0) times[row].push(performance.now() - t);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`${n} doubles a result (${(n * 8) / 1e6} MB), ${rounds} rounds, load ${load}`);
for (const [row, ts] of Object.entries(times))
  console.log(`  ${row.padEnd(32)} ${med(ts).toFixed(1).padStart(7)} ms`);
await pool.close();
await raw.terminate();
