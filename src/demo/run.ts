import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { CliError, ExitCode } from '../cli/exit.js';
import { cpuCount } from '../cpu.js';
import { Pool } from '../faces/pool.js';
import { formatDuration } from '../faces/progress.js';
import { openPoolsDashboard } from '../observe/dashboard.js';
import { startPageServer } from './server.js';
import { demoTasks } from './tasks.js';
import { type DemoPools, FULL, QUICK, type Workload, workloads } from './workloads.js';

export interface DemoOptions {
  /** Run only these workloads (by name); all by default. */
  names?: string[];
  /** Small inputs: a smoke test of a few seconds. */
  quick?: boolean;
  /** Where the PNG files go. Default `spindle-demo`. */
  outDir?: string;
  /** Workers per pool. Default `cpuCount()`. */
  workers?: number;
  /** Where the table goes. Default stdout. */
  out?: NodeJS.WritableStream;
  /** Serve a live dashboard of the demo's pools while it runs. Default true. */
  dashboard?: boolean;
  /** The dashboard's port; 0 (default) picks a free one. */
  dashboardPort?: number;
}

type Mode = 'sequential' | 'threads' | 'processes' | 'best';
const MODES: Mode[] = ['sequential', 'threads', 'processes', 'best'];
const CELL = 13;

/**
 * `spindle demo`: the seed workloads, each run sequentially, on a thread pool, on a process
 * pool and with the face that fits it, printed as a table of times and speed-ups. Every answer
 * is checked against the sequential one. Resolves with the exit code.
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const sizes = options.quick ? QUICK : FULL;
  const workers = options.workers ?? cpuCount();
  const outDir = resolve(options.outDir ?? 'spindle-demo');
  await mkdir(outDir, { recursive: true });
  const server = await startPageServer(sizes.pageDelayMs);
  const all = workloads({ sizes, urls: server.urls(sizes.pages), outDir });
  const chosen = pick(all, options.names ?? []);

  const pools: DemoPools = {
    threads: new Pool({ workers }),
    processes: new Pool({ backend: 'processes', workers }),
    inline: new Pool({ backend: 'inline', workers: Math.max(sizes.sleeps, sizes.pages) }),
    threadsIO: new Pool({ workers, concurrency: 'auto' }),
    workers,
  };
  const dashboard =
    options.dashboard === false
      ? undefined
      : await openPoolsDashboard(
          [pools.threads, pools.processes, pools.inline, pools.threadsIO],
          { port: options.dashboardPort ?? 0 },
          'spindle demo',
          ['threads', 'processes', 'inline', "threads, concurrency 'auto'"],
        );
  const started = performance.now();
  let wrong = 0;
  try {
    out.write(
      `spindle demo: ${chosen.length} workload${chosen.length === 1 ? '' : 's'}, ` +
        `${workers} workers per pool, ${availableParallelism()} cores, Node ${process.version}` +
        `${options.quick ? ' (quick: small inputs)' : ''}\n` +
        (dashboard ? `dashboard, live while the demo runs: ${dashboard.url}\n` : '') +
        'starting the pools…\n\n',
    );
    await warm(pools);
    const titleWidth = Math.max(8, ...chosen.map((w) => w.title.length));
    out.write(`${header(titleWidth)}\n`);
    for (const workload of chosen) {
      workload.prepare?.();
      const row = await measure(workload, pools);
      wrong += row.wrong.length;
      out.write(`${formatRow(workload, row, titleWidth)}\n`);
    }
  } finally {
    await Promise.all([
      pools.threads.close(),
      pools.processes.close(),
      pools.inline.close(),
      pools.threadsIO.close(),
      server.close(),
    ]);
    await dashboard?.close();
  }
  out.write(
    '\nTimes are the best of up to 3 runs; speed-up = sequential time ÷ time. Tasks that cost\n' +
      'less than sending them (the first rows) are faster in a loop; waiting, big shared arrays\n' +
      'and real computation are where workers pay.\n',
  );
  if (chosen.some((w) => w.name === 'mandelbrot')) {
    out.write(`The Mandelbrot tiles are in ${outDir}/ (mandelbrot-*.png): open them.\n`);
  }
  if (wrong > 0)
    out.write(`\n${wrong} result(s) differed from the sequential answer (marked ✗).\n`);
  out.write(`Done in ${formatDuration(performance.now() - started)}.\n`);
  return wrong > 0 ? ExitCode.TASK_FAILED : ExitCode.OK;
}

function pick(all: Workload[], names: string[]): Workload[] {
  if (names.length === 0) return all;
  const known = all.map((w) => w.name);
  for (const name of names) {
    if (!known.includes(name)) {
      throw new CliError(`there is no demo workload '${name}'; the workloads: ${known.join(', ')}`);
    }
  }
  return all.filter((w) => names.includes(w.name));
}

/** Starts every worker and loads the demo's task module in it, so no timing pays for that. */
async function warm(pools: DemoPools): Promise<void> {
  const items = Array.from({ length: pools.workers * 4 }, (_, i) => i);
  await Promise.all(
    [pools.threads, pools.processes, pools.threadsIO, pools.inline].map((pool) =>
      pool.map(demoTasks.square, items, { chunksize: 1 }),
    ),
  );
}

interface Row {
  ms: Record<Mode, number>;
  wrong: Mode[];
}

async function measure(workload: Workload, pools: DemoPools): Promise<Row> {
  const ms = {} as Record<Mode, number>;
  const wrong: Mode[] = [];
  let expected: unknown;
  for (const mode of MODES) {
    const run = () => (mode === 'sequential' ? workload.sequential() : workload[mode](pools));
    let best = Number.POSITIVE_INFINITY;
    let answer: unknown;
    // Short runs are noisy: the best of three says more than one.
    for (let rep = 0; rep < 3 && (rep === 0 || best < 300); rep++) {
      const t0 = performance.now();
      answer = await run();
      best = Math.min(best, performance.now() - t0);
    }
    ms[mode] = best;
    if (mode === 'sequential') expected = answer;
    else if (!same(answer, expected)) wrong.push(mode);
  }
  return { ms, wrong };
}

function header(titleWidth: number): string {
  const cells = ['sequential', 'threads', 'processes', 'face'].map((h) => h.padStart(CELL));
  const line = `${'workload'.padEnd(titleWidth)} ${cells.join(' ')}   face used`;
  return `${line}\n${'-'.repeat(line.length + 12)}`;
}

function formatRow(workload: Workload, row: Row, titleWidth: number): string {
  const base = row.ms.sequential;
  const cells = MODES.map((mode) => {
    const time = formatTime(row.ms[mode]);
    if (mode === 'sequential') return time.padStart(CELL);
    const mark = row.wrong.includes(mode) ? ' ✗' : '';
    return `${time} ${formatSpeedup(base / row.ms[mode])}${mark}`.padStart(CELL);
  });
  return `${workload.title.padEnd(titleWidth)} ${cells.join(' ')}   ${workload.face}`;
}

function formatTime(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function formatSpeedup(x: number): string {
  return `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;
}

/** Equal, allowing for float sums taken in a different order. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  return a === b;
}
