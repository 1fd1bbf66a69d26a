/**
 * W4 "10 calls" side by side in one process (issue 16): a pool of this build and one of a base
 * build alternate rounds of 10 awaited calls, each the two halves of one 160 MB Float64Array
 * as two submits, so both see the same load. Three ways: the array unchanged, one value
 * written before every call in the first half, and in the second half (each call's sum is
 * checked exactly, so a write not seen fails the run). Prints medians of the wall time and of
 * the caller thread's CPU (from /proc schedstat; the load moves it far less than wall time), a serial
 * pass for scale, and the median of the per-round ratio this / base.
 *
 *   npm run build && node bench/reuse-ab.mjs --base /tmp/base [--rounds 7] [--first this]
 * (the base is a built checkout: `git worktree add /tmp/base <commit> && npm ci && npm run build`)
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const base = arg('base');
if (!base) throw new Error('pass --base <a built checkout of the base commit>');
const rounds = Number(arg('rounds', 7));
const { sumsq } = await import('./tasks/kernels.mjs');
const n = 20_000_000;
const h = n >> 1;
const plain = new Float64Array(n);
for (let i = 0; i < n; i++) plain[i] = (i % 1000) / 1000;
const expected = sumsq({ a: plain });

/** The caller thread's CPU in ms (Linux, from schedstat, in ns), or NaN elsewhere. */
const callerCpu = () => {
  try {
    return (
      Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
    );
  } catch {
    return Number.NaN;
  }
};

const side = async (root) => {
  const { Pool } = await import(resolve(root, 'dist/index.js'));
  const { tasks } = await import(resolve(root, 'bench/tasks/spindle-tasks.mjs'));
  const pool = new Pool({ workers: 2 });
  /** One call; `at` >= 0: one value is raised by 1 first, and the sum must show it. */
  const call = async (at) => {
    let want = expected;
    if (at >= 0) {
      want += 2 * plain[at] + 1;
      plain[at] += 1;
    }
    const [x, y] = await Promise.all([
      pool.submit(tasks.sumsq, { a: plain.subarray(0, h) }),
      pool.submit(tasks.sumsq, { a: plain.subarray(h) }),
    ]);
    if (at >= 0) plain[at] -= 1;
    if (Math.abs(x + y - want) > 1e-9 * want) throw new Error(`wrong sum ${x + y}, want ${want}`);
  };
  const ten = async (way) => {
    // One untimed call first brings the copies back to the unchanged array, so what the last
    // way left in them (a raised value) is not charged to this one.
    await call(-1);
    const c = callerCpu();
    const t = performance.now();
    for (let i = 0; i < 10; i++)
      await call(way === 'unchanged' ? -1 : way === 'first' ? i : n - 1 - i);
    return [performance.now() - t, callerCpu() - c];
  };
  return { pool, ten };
};
const ways = ['unchanged', 'first', 'second'];
// Both orders (`--first this`): which pool is made first should not matter, and this shows it.
const sides =
  arg('first', 'base') === 'this'
    ? { this: await side(here), base: await side(base) }
    : { base: await side(base), this: await side(here) };
for (const s of Object.values(sides)) for (const w of ways) await s.ten(w);
const pass = () => {
  const t = performance.now();
  sumsq({ a: plain });
  return performance.now() - t;
};
const rows = [];
for (let r = 0; r < rounds; r++) {
  const row = { pass: pass() };
  const order = r % 2 ? ['base', 'this'] : ['this', 'base'];
  for (const w of ways) for (const s of order) row[`${s} ${w}`] = await sides[s].ten(w);
  row.pass = (row.pass + pass()) / 2;
  rows.push(row);
}
const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const f = (x) => x.toFixed(0);
const p = med(rows.map((r) => r.pass));
console.log(`one serial pass ${p.toFixed(1)} ms; 10 calls, medians of ${rounds} rounds:`);
for (const w of ways) {
  const [bw, bc, tw, tc] = [
    med(rows.map((r) => r[`base ${w}`][0])),
    med(rows.map((r) => r[`base ${w}`][1])),
    med(rows.map((r) => r[`this ${w}`][0])),
    med(rows.map((r) => r[`this ${w}`][1])),
  ];
  const ratio = med(rows.map((r) => r[`this ${w}`][0] / r[`base ${w}`][0])).toFixed(2);
  const cpu = med(rows.map((r) => r[`this ${w}`][1] / r[`base ${w}`][1])).toFixed(2);
  console.log(
    `  ${w.padEnd(9)} base ${f(bw)} ms (${(bw / p).toFixed(1)}× a pass, caller CPU ${f(bc)}) | this ${f(tw)} ms (${(tw / p).toFixed(1)}×, caller CPU ${f(tc)}) | this / base: wall ${ratio}, caller CPU ${cpu}`,
  );
}
for (const s of Object.values(sides)) await s.pool.close();
