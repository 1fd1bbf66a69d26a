#!/usr/bin/env node
// A new pool's first result as a user meets it: spindle packed (`npm pack`) and installed into a
// fresh project, so its task module's `import 'spindle'` resolves through node_modules (as
// bench/first-result.mjs cannot: it runs inside this checkout, where `spindle` is the package
// itself). Side by side, one fresh process each, interleaved round by round: the raw 40-line
// worker_threads pool (bench/raw-pool.mjs), this checkout's spindle, optionally another
// checkout's (`--base DIR`, built), and piscina as this checkout has it. Every program times
// `new Pool` (or its equal) to the first result of one task, 2 workers.
//
//   node bench/first-result-installed.mjs [--runs 41] [--base DIR] [--rt]
//
// --rt runs the timed programs under `chrt -f 50` (real-time priority, so that other work on
// the machine waits for them); the packing and installing stay at normal priority (npm under
// real-time priority starved its own build).
//
// Prints, per variant, the median (quartiles) of the milliseconds and the median of each round's
// ratio to the raw pool in that round (which a load that comes and goes moves less). The order
// of the programs is reversed every other round.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { packTarball } from '../scripts/package-tools.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '41' },
    base: { type: 'string' },
    rt: { type: 'boolean', default: false },
  },
});
const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(os.tmpdir(), 'spindle-first-installed-'));

const timed = (open, call, close) => `
const t0 = performance.now();
${open}
const value = await ${call};
const ms = performance.now() - t0;
if (value !== 1) throw new Error('wrong result ' + value);
console.log(ms.toFixed(2));
await ${close};
`;

/** A fresh project with the checkout at `dir` packed and installed, and the spindle program. */
function project(name, dir) {
  const app = join(work, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const tarball = packTarball(dir, mkdtempSync(join(work, 'pack-')));
  execFileSync('npm', ['install', '--omit=dev', '--no-fund', '--no-audit', tarball], {
    cwd: app,
    stdio: 'ignore',
  });
  writeFileSync(
    join(app, 'tasks.mjs'),
    "import { defineTasks } from 'spindle';\nexport const tasks = defineTasks(import.meta.url, { identity: (x) => x });\n",
  );
  writeFileSync(
    join(app, 'first.mjs'),
    "const { Pool } = await import('spindle');\nconst { tasks } = await import('./tasks.mjs');\n" +
      timed(
        'const pool = new Pool({ workers: 2 });',
        'pool.submit(tasks.identity, 1)',
        'pool.close()',
      ),
  );
  return join(app, 'first.mjs');
}

const variants = [];
try {
  const raw = join(work, 'raw');
  mkdirSync(join(raw, 'tasks'), { recursive: true });
  cpSync(join(here, 'raw-pool.mjs'), join(raw, 'raw-pool.mjs'));
  cpSync(join(here, 'tasks'), join(raw, 'tasks'), { recursive: true });
  writeFileSync(
    join(raw, 'first.mjs'),
    "const { RawPool } = await import('./raw-pool.mjs');\n" +
      timed('const pool = new RawPool(2);', "pool.run('identity', 1)", 'pool.close()'),
  );
  variants.push({ name: 'raw worker_threads pool', file: join(raw, 'first.mjs') });
  variants.push({ name: 'spindle (this checkout)', file: project('spindle', root) });
  if (values.base)
    variants.push({ name: `spindle (${values.base})`, file: project('base', values.base) });
  const piscina = join(work, 'piscina');
  mkdirSync(piscina);
  writeFileSync(join(piscina, 'worker.mjs'), 'export default (x) => x;\n');
  writeFileSync(
    join(piscina, 'first.mjs'),
    `const { Piscina } = await import(${JSON.stringify(join(root, 'node_modules', 'piscina', 'dist', 'index.js'))});\n` +
      timed(
        "const pool = new Piscina({ filename: new URL('./worker.mjs', import.meta.url).href, minThreads: 2, maxThreads: 2 });",
        'pool.run(1)',
        'pool.destroy()',
      ),
  );
  variants.push({ name: 'piscina', file: join(piscina, 'first.mjs') });

  // One untimed run each: the code cache is written by the first thread that finds none.
  const run = (file) =>
    values.rt
      ? spawnSync('chrt', ['-f', '50', process.execPath, file], { encoding: 'utf8' })
      : spawnSync(process.execPath, [file], { encoding: 'utf8' });
  for (const v of variants) run(v.file);
  const rounds = [];
  const load = [os.loadavg()[0]];
  for (let r = 0; r < Number(values.runs); r++) {
    // Every other round in reverse: a program run right after another one was measurably
    // faster or slower by its place alone (as much as 0.05 of the raw pool's time).
    const order = variants.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    const round = [];
    for (const i of order) {
      const out = run(variants[i].file);
      round[i] = out.status === 0 ? Number(out.stdout.trim()) : Number.NaN;
    }
    if (round.every(Number.isFinite)) rounds.push(round);
  }
  load.push(os.loadavg()[0]);
  const median = (xs) => xs.toSorted((a, b) => a - b)[xs.length >> 1];
  const quartile = (xs, p) => xs.toSorted((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
  console.log(
    `node ${process.version}, nproc ${os.availableParallelism()}, ${rounds.length} rounds, load average ${load.map((l) => l.toFixed(2)).join(' → ')}, ${new Date().toISOString()}`,
  );
  console.log(
    '| variant | new pool → first result, ms: median (q1–q3) | vs raw | median of per-round ratios |',
  );
  console.log('|---|---|---|---|');
  const rawMedian = median(rounds.map((r) => r[0]));
  variants.forEach((v, i) => {
    const ms = rounds.map((r) => r[i]);
    const ratios = rounds.map((r) => r[i] / r[0]);
    console.log(
      `| ${v.name} | ${median(ms).toFixed(1)} (${quartile(ms, 0.25).toFixed(1)}–${quartile(ms, 0.75).toFixed(1)}) | ${(median(ms) / rawMedian).toFixed(2)}× | ${median(ratios).toFixed(3)} |`,
    );
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
