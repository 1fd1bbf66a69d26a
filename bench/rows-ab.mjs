/**
 * Side by side in one process (issue 16 rows): the serial loop and `pool.map(count, rows)` on
 * each given build's dist/ (plain node), one call of each per round, in turn, so a shared
 * machine's load swings hit all alike. Rows are 200,000 × 100 ints, as plain `number[]`
 * (`arrays`) or as Int32Array views of one buffer (`views`). Per build: the median of the
 * per-round ratios loop/spindle, the median wall, and per call the caller thread's CPU and each
 * worker's CPU and idle time (neither running nor waiting for a core; Linux schedstat).
 * A build is `DIR`, or `DIR@young=MB` for workers with that young generation.
 *
 *   npm run build && node bench/rows-ab.mjs arrays|views [rounds=9] DIR [DIR ...]
 */
import { threadTimes } from './thread-times.mjs';

const [kind = 'arrays', roundsArg = '9', ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (builds.length === 0) builds.push(new URL('..', import.meta.url).pathname);
const nRows = 200_000;
const width = 100;
let seed = 7;
const next = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % 1000;
};
let rows;
if (kind === 'views') {
  const matrix = new Int32Array(nRows * width);
  for (let i = 0; i < matrix.length; i++) matrix[i] = next();
  rows = Array.from({ length: nRows }, (_, r) => matrix.subarray(r * width, (r + 1) * width));
} else {
  rows = Array.from({ length: nRows }, () => Array.from({ length: width }, next));
}
const countRange = (row) => {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (row[i] >= 250 && row[i] < 750) n++;
  return n;
};
const count = process.env.TASK === 'none' ? (_row) => 0 : countRange;
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const expected = sum(rows.map(count));

const runners = [{ name: 'serial loop', run: () => rows.map(count) }];
for (const build of builds) {
  const [dir, opt] = build.split('@');
  const { Pool } = await import(`${dir}/dist/index.js?${runners.length}`);
  const young = opt?.startsWith('young=') ? Number(opt.slice(6)) : undefined;
  const pool = new Pool({
    workers: 2,
    ...(young ? { resourceLimits: { maxYoungGenerationSizeMb: young } } : {}),
  });
  runners.push({ name: build, pool, run: () => pool.map(count, rows) });
}
const stats = runners.map(() => ({ wall: [], caller: [], run: [], idle: [] }));
for (let round = -1; round < rounds; round++) {
  for (let k = 0; k < runners.length; k++) {
    const before = threadTimes();
    const t0 = performance.now();
    const out = await runners[k].run();
    const wall = performance.now() - t0;
    const after = threadTimes();
    if (out.length !== nRows || sum(out) !== expected) throw new Error(`${runners[k].name}: wrong`);
    if (round < 0) continue;
    const s = stats[k];
    s.wall.push(wall);
    const me = String(process.pid);
    s.caller.push(after.get(me)[0] - before.get(me)[0]);
    (s.cwait ??= []).push(after.get(me)[1] - before.get(me)[1]);
    const others = [];
    for (const [tid, [run, wait]] of after) {
      if (tid === me) continue;
      const [run0, wait0] = before.get(tid) ?? [0, 0];
      others.push([run - run0, wait - wait0]);
    }
    others.sort((a, b) => b[0] - a[0]);
    if (k > 0) {
      const two = others.slice(0, 2);
      s.run.push((two[0][0] + two[1][0]) / 2);
      s.idle.push((2 * wall - two[0][0] - two[0][1] - two[1][0] - two[1][1]) / 2);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const f = (x) => x.toFixed(0);
for (let k = 0; k < runners.length; k++) {
  const s = stats[k];
  const ratio =
    k === 0 ? '' : `loop/this ${median(s.wall.map((w, i) => stats[0].wall[i] / w)).toFixed(2)}, `;
  const workers = k === 0 ? '' : `, each worker ran ${f(median(s.run))} idle ${f(median(s.idle))}`;
  console.log(
    `${runners[k].name.padEnd(28)} ${ratio}wall ${f(median(s.wall))} ms (${f(Math.min(...s.wall))}–${f(Math.max(...s.wall))}), caller CPU ${f(median(s.caller))} wait ${f(median(s.cwait))}${workers}`,
  );
  await runners[k].pool?.close();
}
