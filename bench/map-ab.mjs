/**
 * W3 or W6 through `pool.map` (default options) of two builds in one process: their pools
 * alternate map by map, so the load of a shared machine drifts over both alike; per build, the
 * wall median, the caller thread's CPU and each pool's workers' CPU and wait (schedstat), with
 * the serial loop measured between rounds. 'raw' as a build is a 16k-chunk postMessage pool.
 *
 *   npm run build && node --expose-gc bench/map-ab.mjs W3|W6 [reps] [dir ...]
 *   (default dirs: /tmp/base5 and this tree)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { threadTimes } from './thread-times.mjs';

const [workload = 'W3', repsArg = '5', ...dirs] = process.argv.slice(2);
const here = new URL('..', import.meta.url).pathname;
const builds = dirs.length ? dirs : ['/tmp/base5', here];
const k = await import(`${here}bench/tasks/kernels.mjs`);
const { makeTexts } = await import(`${here}bench/workloads.mjs`);
const sum = (a) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};
const items =
  workload === 'W3' || workload === 'ID'
    ? Array.from({ length: 1_000_000 }, (_, i) => i)
    : makeTexts(2_000_000);
const serial =
  workload === 'ID'
    ? () => sum(items)
    : workload === 'W3'
      ? () => sum(k.w3chunk(items))
      : () => k.wordsChunk(items);
const expected = serial();
const pools = [];

import { Worker } from 'node:worker_threads';

class Raw {
  constructor() {
    this.ws = [0, 1].map(
      () =>
        new Worker(
          `const { parentPort } = require('node:worker_threads');
    const k = require(${JSON.stringify(`${here}bench/tasks/kernels.mjs`)});
    parentPort.on('message', ([id, fn, items]) => { const out = new Array(items.length); for (let i = 0; i < items.length; i++) out[i] = k[fn](items[i]); parentPort.postMessage([id, out]); });`,
          { eval: true },
        ),
    );
    this.p = new Map();
    this.id = 0;
    for (const w of this.ws)
      w.on('message', ([id, out]) => {
        this.p.get(id)(out);
        this.p.delete(id);
      });
  }
  async map(fn, items) {
    const C = 16000;
    const parts = [];
    for (let at = 0; at < items.length; at += C) {
      const id = this.id++;
      parts.push(new Promise((r) => this.p.set(id, r)));
      this.ws[id % 2].postMessage([id, fn, items.slice(at, at + C)]);
    }
    const out = [];
    for (const p of parts) for (const x of await p) out.push(x);
    return out;
  }
  close() {
    for (const w of this.ws) w.terminate();
  }
}
for (const dir of builds) {
  const before = new Set(readdirSync('/proc/self/task'));
  if (dir === 'raw') {
    const pool = new Raw();
    const task = workload === 'W3' ? 'w3' : 'words';
    await pool.map(task, items);
    await new Promise((r) => setTimeout(r, 300));
    const tids = readdirSync('/proc/self/task').filter((t) => !before.has(t));
    pools.push({ dir, pool, task, tids, rows: [] });
    continue;
  }
  const mod = await import(`${dir}/dist/index.js`);
  const { tasks } = await import(`${dir}/bench/tasks/spindle-tasks.mjs`);
  const pool = new mod.Pool({ workers: 2 });
  const task = workload === 'ID' ? tasks.identity : workload === 'W3' ? tasks.w3 : tasks.words;
  await pool.map(task, items);
  const tids = readdirSync('/proc/self/task').filter((t) => !before.has(t));
  pools.push({ dir, pool, task, tids, rows: [] });
}
const main = String(process.pid);
const serialRows = [];
for (let r = 0; r < Number(repsArg); r++) {
  for (const p of r % 2 ? [...pools].reverse() : pools) {
    globalThis.gc?.();
    const b = threadTimes();
    const t = performance.now();
    const out = sum(await p.pool.map(p.task, items));
    const wall = performance.now() - t;
    const a = threadTimes();
    if (out !== expected) throw new Error(`${p.dir}: ${out} != ${expected}`);
    const d = (tid) => [
      (a.get(tid)?.[0] ?? 0) - (b.get(tid)?.[0] ?? 0),
      (a.get(tid)?.[1] ?? 0) - (b.get(tid)?.[1] ?? 0),
    ];
    let wc = 0,
      ww = 0;
    for (const tid of p.tids) {
      const [c, w] = d(tid);
      if (c > 100) {
        wc += c;
        ww += w;
      }
    }
    let other = 0;
    for (const tid of a.keys())
      if (tid !== main && !pools.some((q) => q.tids.includes(tid))) other += d(tid)[0];
    p.rows.push({ wall, caller: d(main)[0], workers: wc, wait: ww, other });
  }
  if (r % 2 === 0) {
    globalThis.gc?.();
    const t = performance.now();
    serial();
    serialRows.push(performance.now() - t);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `${workload} ${repsArg} reps, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}, serial median ${med(serialRows).toFixed(0)} (${serialRows.map((x) => x.toFixed(0)).join(' ')})`,
);
for (const p of pools) {
  const m = (f) => med(p.rows.map(f)).toFixed(0);
  console.log(
    `${p.dir.padEnd(14)} wall ${m((x) => x.wall)} (${p.rows.map((x) => x.wall.toFixed(0)).join(' ')}) | caller ${m((x) => x.caller)} | workers ${m((x) => x.workers)} wait ${m((x) => x.wait)} | other ${m((x) => x.other)}`,
  );
  await p.pool.close();
}
