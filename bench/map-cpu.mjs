/**
 * W3 and W6 with each thread's CPU time, read from /proc (Linux): on a 2-core machine shared by
 * others, wall times swing 3× with the load, but the CPU the caller and each worker spend, and
 * the time they sat runnable but waiting for a core, say what a change costs. The serial loop,
 * `pool.map` with default options and with 8 chunks alternate in one process.
 *
 *   npm run build && node --expose-gc bench/map-cpu.mjs W3|W6 [reps] [dir of another build]
 *
 * Per row: wall median; the caller's CPU and wait; the workers' CPU and wait (summed); CPU of
 * the other threads (V8's GC helpers, libuv). The floor on 2 cores is the sum of CPU / 2.
 */
import { readFileSync } from 'node:fs';
import { threadTimes } from './thread-times.mjs';

const [workload = 'W3', repsArg = '3', dirArg] = process.argv.slice(2);
const reps = Number(repsArg);
const dir = dirArg ?? new URL('..', import.meta.url).pathname;
const mod = await import(`${dir}/dist/index.js`);
const { tasks } = await import(`${dir}/bench/tasks/spindle-tasks.mjs`);
const k = await import(`${dir}/bench/tasks/kernels.mjs`);
const { makeTexts } = await import(`${dir}/bench/workloads.mjs`);

const sum = (a) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};
let items;
let serial;
const pool = new mod.Pool({ workers: 2 });
if (workload === 'W3') {
  items = Array.from({ length: 1_000_000 }, (_, i) => i);
  serial = () => sum(k.w3chunk(items));
} else {
  items = makeTexts(2_000_000);
  serial = () => k.wordsChunk(items);
}
const task = workload === 'W3' ? tasks.w3 : tasks.words;
const runs = {
  serial,
  map: async () => sum(await pool.map(task, items)),
  '8 chunks': async () => sum(await pool.map(task, items, { chunksize: items.length / 8 })),
};
const expected = serial();
const rows = {};
for (const name of Object.keys(runs)) {
  rows[name] = [];
  await runs[name]();
}
const main = String(process.pid);
for (let r = 0; r < reps; r++) {
  for (const [name, run] of Object.entries(runs)) {
    globalThis.gc?.();
    const before = threadTimes();
    const t = performance.now();
    const out = await run();
    const wall = performance.now() - t;
    if (out !== expected) throw new Error(`${name}: ${out} != ${expected}`);
    const row = { wall, mainCpu: 0, mainWait: 0, workerCpu: 0, workerWait: 0, other: 0 };
    for (const [tid, now] of threadTimes()) {
      const was = before.get(tid) ?? [0, 0];
      const cpu = now[0] - was[0];
      const wait = now[1] - was[1];
      if (tid === main) Object.assign(row, { mainCpu: cpu, mainWait: wait });
      else if (cpu > 150) {
        row.workerCpu += cpu;
        row.workerWait += wait;
      } else row.other += cpu;
    }
    rows[name].push(row);
  }
}
await pool.close();
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`${workload}, ${reps} reps, ${dir}, load ${load}`);
const s = med(rows.serial.map((x) => x.wall));
for (const [name, rs] of Object.entries(rows)) {
  const m = (f) => med(rs.map(f)).toFixed(0);
  console.log(
    `${name.padEnd(8)} wall ${m((x) => x.wall)} (×${(s / med(rs.map((x) => x.wall))).toFixed(2)})` +
      ` | caller cpu ${m((x) => x.mainCpu)} wait ${m((x) => x.mainWait)}` +
      ` | workers cpu ${m((x) => x.workerCpu)} wait ${m((x) => x.workerWait)} | other ${m((x) => x.other)}`,
  );
}
