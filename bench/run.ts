/**
 * `npm run bench`: the workloads of BENCH.md for spindle, a sequential loop, the raw
 * postMessage floor and the peers, each (workload, runner) in a fresh plain-node process
 * (bench/child.mjs), spindle from the built dist/. Prints a table of medians (min–max), the
 * goals, and writes bench/out/latest.json.
 *
 *   --quick            tiny sizes, 1 repetition (a smoke test; figures mean nothing)
 *   --only W1,W3       workloads: W1 W1' W2 W3 W4 W5 W6 scale memory
 *   --compare a,b      peers: piscina,tinypool,workerpool (default all; '' for none)
 *   --reps N           timed repetitions per row (default 5; scale uses min(N, 3))
 *   --no-build         use dist/ as it is (by default it is rebuilt when src/ is newer)
 *   --out FILE         where to write the JSON (default bench/out/latest.json)
 *   --scale-all        also run 1M queued tasks on tinypool and workerpool (minutes; may run out of memory)
 *   --timeout S        seconds per child process (default 900)
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { evaluateGoals, type Results, renderGoals, renderTable } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const PEERS = ['piscina', 'tinypool', 'workerpool'];
const WORKLOADS = ['W1', "W1'", 'W2', 'W3', 'W4', 'W5', 'W6', 'scale', 'memory'];
const WORKERS = 2;

const FULL = {
  w1: 100_000,
  w2: 64,
  w3: 1_000_000,
  w3call: 100_000,
  w4: 20_000_000,
  w6: 2_000_000,
  scaleSmall: 100_000,
  scaleLarge: 1_000_000,
  memWave: 100_000,
  memWaves: 10,
};
const QUICK: typeof FULL = {
  w1: 300,
  w2: 4,
  w3: 3000,
  w3call: 500,
  w4: 20_000,
  w6: 3000,
  scaleSmall: 200,
  scaleLarge: 2000,
  memWave: 300,
  memWaves: 3,
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    compare: { type: 'string' },
    reps: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string' },
    'scale-all': { type: 'boolean', default: false },
    timeout: { type: 'string' },
  },
});

const quick = values.quick;
const sizes = quick ? QUICK : FULL;
const reps = Number(values.reps ?? (quick ? 1 : 5));
const only = values.only ? values.only.split(',').map((s) => s.trim()) : WORKLOADS;
for (const w of only)
  if (!WORKLOADS.includes(w)) fail(`unknown workload ${w}; known: ${WORKLOADS.join(' ')}`);
const peers =
  values.compare === undefined ? PEERS : values.compare.split(',').filter((s) => s.trim());
for (const p of peers) if (!PEERS.includes(p)) fail(`unknown peer ${p}; known: ${PEERS.join(',')}`);
const timeoutMs = Number(values.timeout ?? 900) * 1000;
const outFile = values.out ?? join(here, 'out', 'latest.json');

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** Rebuilds dist/ when a source file is newer than it: the bench measures the built package. */
function ensureBuilt(): void {
  const entry = join(root, 'dist', 'index.js');
  if (values['no-build'] && existsSync(entry)) return;
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (built > 0 && newest(join(root, 'src')) <= built) return;
  try {
    // The project's own build (esbuild bundle + declarations), so the bench measures what
    // users install.
    console.error('building dist/ (npm run build)…');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  } catch {
    if (!existsSync(entry)) fail('the build failed and there is no dist/ to measure');
    console.error('warning: the build failed; measuring the dist/ already there');
  }
}

function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

interface ChildOut {
  rows?: Results[string];
  error?: string;
  burn?: number;
}

function child(job: Record<string, unknown>): Promise<ChildOut> {
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      ['--expose-gc', join(here, 'child.mjs'), JSON.stringify(job)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({
          error: signal
            ? `killed by ${signal} (timeout or out of memory)`
            : `exit ${code}: ${line.slice(0, 200)}`,
        });
      }
    });
  });
}

function runnersFor(workload: string): string[] {
  const pools = ['spindle', 'raw', ...peers];
  switch (workload) {
    case "W1'":
      return ['serial', 'spindle'];
    case 'W5':
      return pools;
    case 'scale':
      return pools.filter((r) => values['scale-all'] || !['tinypool', 'workerpool'].includes(r));
    case 'memory':
      return pools;
    default:
      return ['serial', ...pools];
  }
}

async function main(): Promise<void> {
  ensureBuilt();
  const started = new Date();
  const loadBefore = os.loadavg();
  const calibrated = await child({ op: 'calibrate', ms: quick ? 1 : 50 });
  if (!calibrated.burn) fail(`calibration failed: ${calibrated.error}`);
  const calib = { burn: calibrated.burn };
  const results: Results = {};
  const errors: string[] = [];
  const record = (runner: string, rows: Results[string]) => {
    for (const [row, value] of Object.entries(rows)) {
      const cell = results[row] ?? {};
      results[row] = cell;
      const prev = (cell as any)[runner];
      if (prev && !value.series) {
        prev.samples.push(...value.samples);
        prev.ok &&= value.ok;
      } else (cell as any)[runner] = value;
    }
  };
  for (const workload of only) {
    for (const runner of runnersFor(workload)) {
      const job = {
        workload,
        runner,
        workers: WORKERS,
        reps: workload === 'scale' ? Math.min(reps, 3) : reps,
        sizes,
        calib,
      };
      const processes = workload === 'W5' ? Math.max(2 * reps, 1) : 1;
      for (let p = 0; p < processes; p++) {
        const t = performance.now();
        const out = await child(job);
        if (out.error || !out.rows) {
          errors.push(`${workload} ${runner}: ${out.error}`);
          console.error(`  ${workload} ${runner}: FAILED ${out.error?.split('\n')[0]}`);
          break;
        }
        record(runner, out.rows);
        if (p === 0)
          console.error(
            `  ${workload} ${runner}: ${((performance.now() - t) / 1000).toFixed(1)} s`,
          );
      }
    }
  }
  const loadAfter = os.loadavg();
  const goals = evaluateGoals(results, peers, sizes);
  const meta = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: started.toISOString(),
    node: process.version,
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    workers: WORKERS,
    reps,
    quick,
    sizes,
    calib,
    spindleFrom: 'dist/ (plain node, no tsx)',
    loadavg: { before: loadBefore, after: loadAfter },
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify({ meta, results, goals, errors }, null, 2)}\n`);
  console.log(
    `\nspindle bench — ${meta.date} — node ${meta.node}, nproc ${meta.nproc}, ${WORKERS} workers, ` +
      `${reps} reps${quick ? ' (QUICK: sizes are tiny, figures mean nothing)' : ''}; load ${loadBefore[0].toFixed(2)} → ${loadAfter[0].toFixed(2)}`,
  );
  console.log(
    'median ms (min–max); ratios: serial/spindle = speed-up, spindle/raw = cost over the floor\n',
  );
  console.log(renderTable(results, ['serial', 'spindle', 'raw', ...peers]));
  console.log(`\n${renderGoals(goals)}`);
  if (errors.length) console.log(`\nerrors:\n  ${errors.join('\n  ')}`);
  const bad = Object.entries(results).flatMap(([row, cells]) =>
    Object.entries(cells)
      .filter(([, c]) => !c.ok)
      .map(([runner, c]) => `${row} ${runner}: ${c.detail ?? 'wrong result'}`),
  );
  if (bad.length) console.log(`\nWRONG RESULTS:\n  ${bad.join('\n  ')}`);
  console.log(`\njson: ${outFile}`);
  if (bad.length || errors.length) process.exitCode = 1;
}

await main();
