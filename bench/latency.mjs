/**
 * One call at a time: the round trip of an awaited call (`for (...) await pool.run(...)`), which
 * W1's 100,000 submits at once do not show. Side by side in one process, the rows alternating
 * call by call: a raw postMessage worker, piscina and spindle, each with one worker, each call
 * returning its small argument.
 *
 *   npm run build && node bench/latency.mjs [calls=20000] [rounds=5]
 *
 * Printed: the median over rounds of each row's mean µs a call, and its ratio to raw's.
 */
import { readFileSync } from 'node:fs';
import { loadRunner } from './runners.mjs';

const [callsArg = '20000', roundsArg = '5'] = process.argv.slice(2);
const calls = Number(callsArg);
const rounds = Number(roundsArg);
const names = ['raw', 'piscina', 'spindle'];
const runners = {};
for (const name of names) {
  runners[name] = await loadRunner(name);
  runners[name].open(1);
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const name of names) for (let i = 0; i < 2000; i++) await runners[name].call('identity', i);
const us = Object.fromEntries(names.map((n) => [n, []]));
const startLoad = load();
for (let r = 0; r < rounds; r++) {
  const total = Object.fromEntries(names.map((n) => [n, 0]));
  for (let i = 0; i < calls; i++) {
    for (const name of names) {
      const t = performance.now();
      if ((await runners[name].call('identity', i)) !== i) throw new Error(`${name}: wrong result`);
      total[name] += performance.now() - t;
    }
  }
  for (const name of names) us[name].push((total[name] / calls) * 1000);
}
console.log(
  `latency: ${calls} awaited calls × ${rounds} rounds, 1 worker, node ${process.version}, load ${startLoad} → ${load()}`,
);
for (const name of names)
  console.log(
    `  ${name.padEnd(8)} ${med(us[name]).toFixed(1).padStart(6)} µs a call  ×raw ${(med(us[name]) / med(us.raw)).toFixed(2)}`,
  );
for (const r of Object.values(runners)) await r.close();
