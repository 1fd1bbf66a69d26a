/**
 * What W4 "10 calls" can cost at best on this machine, with hand-written worker_threads code
 * and no spindle (issue 16): one 160 MB Float64Array whose two halves go to two workers as
 * views of one shared copy, per call (ms, medians):
 *   nocheck   send both at once, no check (unsafe: a write between calls would be missed)
 *   checkAll  memcmp both halves against the copy, then send both (what spindle does)
 *   eager     memcmp the first half, send it, then the second, send it
 *   oneHalf   one worker computes one half, alone (what the last task costs at best)
 * and, for scale, one serial pass of the loop and one memcmp of 160 MB.
 *
 *   node bench/reuse-floor.mjs [rounds=7]
 */
import { Worker } from 'node:worker_threads';

const rounds = Number(process.argv[2] ?? 7);
const n = 20_000_000;
const h = n >> 1;
const half = h * 8;
const plain = new Float64Array(n);
for (let i = 0; i < n; i++) plain[i] = (i % 1000) / 1000;
const sumsq = (a) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
};
const sab = new SharedArrayBuffer(n * 8);
new Uint8Array(sab).set(new Uint8Array(plain.buffer));
const src = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (a) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * a[i]; parentPort.postMessage(s); });`;
const workers = [new Worker(src, { eval: true }), new Worker(src, { eval: true })];
const run = (w, a) =>
  new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage(a);
  });
const views = [new Float64Array(sab, 0, h), new Float64Array(sab, half, h)];
const caller = Buffer.from(plain.buffer);
const copy = Buffer.from(sab);
const same = (j) =>
  copy.subarray(j * half, (j + 1) * half).equals(caller.subarray(j * half, (j + 1) * half));
const designs = {
  nocheck: () => Promise.all(workers.map((w, j) => run(w, views[j]))),
  checkAll: () => {
    same(0);
    same(1);
    return Promise.all(workers.map((w, j) => run(w, views[j])));
  },
  eager: () => {
    same(0);
    const a = run(workers[0], views[0]);
    same(1);
    return Promise.all([a, run(workers[1], views[1])]);
  },
  oneHalf: () => run(workers[0], views[0]),
};
const res = { pass: [], memcmp: [] };
const time = (f) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
for (let r = 0; r <= rounds; r++) {
  const row = {
    pass: time(() => sumsq(plain)),
    memcmp: time(() => {
      same(0);
      same(1);
    }),
  };
  for (const [name, f] of Object.entries(designs)) {
    const t = performance.now();
    for (let i = 0; i < 10; i++) await f();
    row[name] = (performance.now() - t) / 10;
  }
  if (r > 0) for (const [k, v] of Object.entries(row)) (res[k] ??= []).push(v);
}
const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const pass = med(res.pass);
console.log(
  Object.entries(res)
    .map(
      ([k, v]) =>
        `${k} ${med(v).toFixed(1)} ms${k === 'pass' ? '' : ` (${(med(v) / pass).toFixed(2)} pass)`}`,
    )
    .join(' | '),
);
for (const w of workers) await w.terminate();
