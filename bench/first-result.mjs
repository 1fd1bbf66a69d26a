#!/usr/bin/env node
// A new pool's first result, each variant in a fresh process, runs interleaved: the raw
// 40-line worker_threads pool (bench/raw-pool.mjs) and piscina against spindle with the README's
// task module (`import { defineTasks } from 'spindle'`), with `spindle/tasks`, and under tsx
// with a `.ts` task module (the README's way to run TypeScript): from the cache the caller
// compiled it into (a warm start), with a fresh cache each run (cold: esbuild compiles it), and
// with SPINDLE_TS_ONCE=0 (every worker loads tsx, as before); and the README's import with the
// thread runtime as ES modules, and before its code cache exists. dist/ must be built.
//
//   node bench/first-result.mjs [--runs 9] [--workers 2] [--only raw,readme,...]
//
// Prints, per variant, the median (min–max) of: the import, `new Pool` to the first result, and
// the CPU time all its threads spent meanwhile (which a busy machine moves less than wall time).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' },
    workers: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const runs = Number(values.runs);
const workers = Number(values.workers);
const here = fileURLToPath(new URL('.', import.meta.url));
// Inside the checkout, so `import 'spindle'` finds this package (self-reference) and piscina.
const dir = join(here, 'out', `first-result-${process.pid}`);
mkdirSync(dir, { recursive: true });

/** The program: t0, import, open, first result, printed as JSON. */
const program = (imports, open, call) => `
const t0 = performance.now();
${imports}
const t1 = performance.now();
const c1 = process.cpuUsage();
${open}
const value = await ${call};
const t2 = performance.now();
const c2 = process.cpuUsage(c1);
if (value !== 1) throw new Error('wrong result ' + value);
console.log(JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1, cpuMs: (c2.user + c2.system) / 1e3 }));
await pool.close?.() ?? pool.destroy?.();
`;

const readmeTasks = `import { defineTasks } from 'spindle';
export const tasks = defineTasks(import.meta.url, { identity: (x) => x });
`;
const lightTasks = readmeTasks.replace("from 'spindle'", "from 'spindle/tasks'");
const spindleMain = (tasksFile) =>
  program(
    `const { Pool } = await import('spindle');\nconst { tasks } = await import('./${tasksFile}');`,
    `const pool = new Pool({ workers: ${workers} });`,
    'pool.submit(tasks.identity, 1)',
  );
writeFileSync(join(dir, 'readme-tasks.mjs'), readmeTasks);
writeFileSync(join(dir, 'light-tasks.mjs'), lightTasks);
writeFileSync(join(dir, 'readme-tasks.ts'), readmeTasks.replace('(x)', '(x: number)'));
writeFileSync(join(dir, 'spindle.mjs'), spindleMain('readme-tasks.mjs'));
writeFileSync(join(dir, 'spindle-light.mjs'), spindleMain('light-tasks.mjs'));
writeFileSync(join(dir, 'spindle-tsx.ts'), spindleMain('readme-tasks.ts'));
const rawPool = new URL('./raw-pool.mjs', import.meta.url).href;
const rawMain = program(
  `const { RawPool } = await import(${JSON.stringify(rawPool)});`,
  `const pool = new RawPool(${workers});`,
  "pool.run('identity', 1)",
);
writeFileSync(join(dir, 'raw.mjs'), rawMain);
writeFileSync(join(dir, 'raw-tsx.ts'), rawMain);
writeFileSync(
  join(dir, 'piscina-worker.mjs'),
  `import * as k from ${JSON.stringify(new URL('./tasks/kernels.mjs', import.meta.url).href)};\nexport default ([fn, arg]) => k[fn](arg);\n`,
);
writeFileSync(
  join(dir, 'piscina.mjs'),
  program(
    "const { Piscina } = await import('piscina');",
    `const pool = new Piscina({ filename: new URL('./piscina-worker.mjs', import.meta.url).href, minThreads: ${workers}, maxThreads: ${workers} });`,
    "pool.run(['identity', 1])",
  ),
);

const tsx = import.meta.resolve('tsx');
const ALL_VARIANTS = [
  { name: 'raw worker_threads pool', args: ['raw.mjs'] },
  { name: 'piscina', args: ['piscina.mjs'] },
  { name: "spindle, tasks import 'spindle' (README)", args: ['spindle.mjs'] },
  { name: "spindle, tasks import 'spindle/tasks'", args: ['spindle-light.mjs'] },
  // The thread's runtime as ES modules instead of the script with its code cache, and the
  // script before any cache was written (a program's first run after an install).
  {
    name: 'spindle, README import, ES entry (SPINDLE_WORKER_SCRIPT=0)',
    args: ['spindle.mjs'],
    env: () => ({ SPINDLE_WORKER_SCRIPT: '0' }),
  },
  {
    name: 'spindle, README import, no code cache yet',
    args: ['spindle.mjs'],
    env: (r) => ({ SPINDLE_CACHE_DIR: join(dir, `no-code-cache-${r}`) }),
  },
  { name: 'raw pool, main under tsx', args: ['--import', tsx, 'raw-tsx.ts'] },
  { name: 'spindle under tsx, .ts task module', args: ['--import', tsx, 'spindle-tsx.ts'] },
  {
    name: 'spindle under tsx, .ts, cold cache',
    args: ['--import', tsx, 'spindle-tsx.ts'],
    env: (r) => ({ SPINDLE_TS_CACHE: join(dir, `cold-cache-${r}`) }),
  },
  {
    name: 'spindle under tsx, .ts, SPINDLE_TS_ONCE=0',
    args: ['--import', tsx, 'spindle-tsx.ts'],
    env: () => ({ SPINDLE_TS_ONCE: '0' }),
  },
];
/** `--only raw,readme`: the variants whose names contain one of the words (raw is always run). */
const only = values.only?.split(',');
const VARIANTS = ALL_VARIANTS.filter(
  (v, i) => i === 0 || !only || only.some((word) => v.name.includes(word)),
);

// The bench's own caches, written by one untimed run: the compiled .ts task module, and V8's
// code cache of the thread runtime.
const caches = { SPINDLE_TS_CACHE: join(dir, 'cache'), SPINDLE_CACHE_DIR: join(dir, 'code-cache') };
execFileSync(process.execPath, ['spindle.mjs'], { cwd: dir, env: { ...process.env, ...caches } });

const samples = new Map(VARIANTS.map((v) => [v.name, { importMs: [], firstMs: [], cpuMs: [] }]));
const loadBefore = os.loadavg()[0];
try {
  for (let r = 0; r < runs; r++) {
    for (const v of VARIANTS) {
      const out = execFileSync(process.execPath, v.args, {
        cwd: dir,
        env: { ...process.env, ...caches, ...v.env?.(r) },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const { importMs, firstMs, cpuMs } = JSON.parse(out.trim().split('\n').at(-1));
      samples.get(v.name).importMs.push(importMs);
      samples.get(v.name).firstMs.push(firstMs);
      samples.get(v.name).cpuMs.push(cpuMs);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const cell = (xs) =>
  `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
console.log(
  `node ${process.version}, nproc ${os.availableParallelism?.() ?? os.cpus().length}, ${workers} workers, ` +
    `${runs} runs each, load average ${loadBefore.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}, ${new Date().toISOString()}`,
);
console.log(
  '| variant | import ms | new pool → first result ms | vs raw | CPU to first result, all threads, ms |',
);
console.log('|---|---|---|---|---|');
const rawFirst = median(samples.get('raw worker_threads pool').firstMs);
for (const v of VARIANTS) {
  const s = samples.get(v.name);
  console.log(
    `| ${v.name} | ${cell(s.importMs)} | ${cell(s.firstMs)} | ${(median(s.firstMs) / rawFirst).toFixed(2)}× | ${cell(s.cpuMs)} |`,
  );
}
