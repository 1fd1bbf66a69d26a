/**
 * Bags: word count over a generated ~200 MB text file, a serial loop that reads the file with
 * fs and does the same work vs `bag.readText(...).flatMap(words).frequencies()` on 2 workers,
 * side by side in one run (alternating, medians). Then the processes backend, measuring the
 * caller's own CPU and its /proc/self/io bytes while the workers read. `--big` also streams a
 * 2 GB file through `count()` on processes and samples the caller's RSS.
 *
 *   node --import tsx bench/bag.ts [--reps 5] [--mb 200] [--big]
 *
 * Files go to the OS temp folder and are deleted after.
 */
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bag, Pool } from '../src/index.js';
import { bagBench } from './tasks/bag-tasks.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const REPS = option('reps', 5);
const MB = option('mb', 200);
const BIG = args.includes('--big');
const BLOCKSIZE = '16MiB';

function generate(path: string, bytes: number): void {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const vocabulary: string[] = [];
  for (let i = 0; i < 5000; i++) {
    let w = '';
    const n = 2 + (next() % 8);
    for (let j = 0; j < n; j++) w += String.fromCharCode(97 + (next() % 26));
    vocabulary.push(w);
  }
  const fd = openSync(path, 'w');
  let written = 0;
  while (written < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const n = 6 + (next() % 10);
      const words: string[] = [];
      for (let j = 0; j < n; j++) words.push(vocabulary[next() % vocabulary.length]);
      lines.push(words.join(' '));
    }
    written += writeSync(fd, `${lines.join('\n')}\n`);
  }
  closeSync(fd);
}

/** The serial loop: fs reads of 1 MiB, whole lines decoded, split into words, counted. */
function serialWordCount(path: string): Map<string, number> {
  const counts = new Map<string, number>();
  const fd = openSync(path, 'r');
  let buf = Buffer.allocUnsafe(1 << 20);
  let filled = 0;
  const count = (text: string) => {
    let p = 0;
    for (;;) {
      const q = text.indexOf('\n', p);
      if (q < 0) break;
      for (const w of text.slice(p, q).split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
      p = q + 1;
    }
    if (p < text.length)
      for (const w of text.slice(p).split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  for (;;) {
    if (filled === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
    const n = readSync(fd, buf, filled, buf.length - filled, null);
    if (n === 0) {
      if (filled > 0) count(buf.toString('utf8', 0, filled));
      break;
    }
    filled += n;
    const limit = buf.lastIndexOf(10, filled - 1) + 1;
    if (limit > 0) {
      count(buf.toString('utf8', 0, limit));
      buf.copy(buf, 0, limit, filled);
      filled -= limit;
    }
  }
  closeSync(fd);
  return counts;
}

const bagWordCount = (path: string, pool: Pool) =>
  bag
    .readText(path, { blocksize: BLOCKSIZE })
    .flatMap(bagBench.words)
    .frequencies()
    .compute({ pool });

function io(): { rchar: number; wchar: number; read_bytes: number; write_bytes: number } {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/self/io', 'utf8').trim().split('\n')) {
    const [k, v] = line.split(':');
    out[k.trim()] = Number(v);
  }
  return out as never;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const same = (a: Map<string, number>, b: Map<string, number>) =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

async function main(): Promise<void> {
  const path = join(tmpdir(), `spindle-bag-bench-${process.pid}.txt`);
  const big = join(tmpdir(), `spindle-bag-bench-big-${process.pid}.txt`);
  const loadBefore = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  try {
    generate(path, MB * 1e6);
    const size = readSize(path);
    console.log(`file: ${(size / 1e6).toFixed(0)} MB, nproc ${cpus().length}, load ${loadBefore}`);
    const pool = new Pool({ workers: 2 });
    const want = serialWordCount(path);
    if (!same(await bagWordCount(path, pool), want)) throw new Error('bag counts differ');
    const serial: number[] = [];
    const threads: number[] = [];
    // CPU time of the whole process (the worker threads included): what the work costs,
    // whatever share of the cores other processes leave us.
    const serialCpu: number[] = [];
    const threadsCpu: number[] = [];
    const cpuMs = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1000;
    };
    for (let r = 0; r < REPS; r++) {
      let cpu = process.cpuUsage();
      let t = performance.now();
      serialWordCount(path);
      serial.push(performance.now() - t);
      serialCpu.push(cpuMs(cpu));
      cpu = process.cpuUsage();
      t = performance.now();
      await bagWordCount(path, pool);
      threads.push(performance.now() - t);
      threadsCpu.push(cpuMs(cpu));
    }
    await pool.close();
    console.log(`serial loop     ${fmt(median(serial))}  (${serial.map(fmt).join(', ')})`);
    console.log(`bag, 2 threads  ${fmt(median(threads))}  (${threads.map(fmt).join(', ')})`);
    console.log(`speed-up        ${(median(serial) / median(threads)).toFixed(2)}x`);
    console.log(
      `CPU time: serial ${fmt(median(serialCpu))}, bag (caller + workers) ${fmt(median(threadsCpu))}; ratio ${(median(serialCpu) / median(threadsCpu)).toFixed(2)}`,
    );

    const procs = new Pool({ backend: 'processes', workers: 2 });
    await bagWordCount(path, procs);
    const walls: number[] = [];
    const cpuShares: number[] = [];
    const ioShares: number[] = [];
    for (let r = 0; r < Math.max(3, Math.ceil(REPS / 2)); r++) {
      const cpu = process.cpuUsage();
      const before = io();
      const t = performance.now();
      const got = await bagWordCount(path, procs);
      const wall = performance.now() - t;
      const used = process.cpuUsage(cpu);
      const after = io();
      if (!same(got, want)) throw new Error('bag counts differ on processes');
      walls.push(wall);
      cpuShares.push((used.user + used.system) / 1000 / median(serial));
      const moved = after.rchar - before.rchar + (after.wchar - before.wchar);
      ioShares.push(moved / size);
    }
    await procs.close();
    console.log(`bag, 2 processes ${fmt(median(walls))}  (${walls.map(fmt).join(', ')})`);
    console.log(
      `caller CPU / serial loop time: ${(median(cpuShares) * 100).toFixed(1)}%  (${cpuShares.map((x) => `${(x * 100).toFixed(1)}%`).join(', ')})`,
    );
    console.log(
      `caller rchar+wchar / file size: ${(median(ioShares) * 100).toFixed(3)}%  (${ioShares.map((x) => `${(x * 100).toFixed(3)}%`).join(', ')})`,
    );

    if (BIG) {
      let content: Buffer | undefined = readFileSync(path);
      const fd = openSync(big, 'w');
      let written = 0;
      while (written < 2e9) written += writeSync(fd, content);
      closeSync(fd);
      content = undefined;
      rmSync(path, { force: true });
      const p = new Pool({ backend: 'processes', workers: 2 });
      await bag.fromSequence([1]).count().compute({ pool: p });
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const t = performance.now();
      const lines = await bag.readText(big).count().compute({ pool: p });
      const wall = performance.now() - t;
      clearInterval(timer);
      await p.close();
      console.log(
        `2 GB count() on 2 processes: ${lines} lines in ${fmt(wall)}; caller RSS ${(rss0 / 2 ** 20).toFixed(0)} MiB before, peak ${(peak / 2 ** 20).toFixed(0)} MiB`,
      );
    }
  } finally {
    rmSync(path, { force: true });
    rmSync(big, { force: true });
    console.log(
      `load average after: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  }
}

function readSize(path: string): number {
  return statSync(path).size;
}

await main();
