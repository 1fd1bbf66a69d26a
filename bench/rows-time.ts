import { readdirSync, readFileSync } from 'node:fs';

/**
 * Timing for the issue-16 row benches: the serial loop and spindle run alternately, one of
 * each per round, so a shared machine's load swings hit both alike; the ratio is the median of
 * the per-round ratios. CPU is the whole process's (caller and workers), per call: on a busy
 * machine it shows what a call costs when wall time cannot; so does each worker's idle time
 * (neither running nor waiting for a core), what it lost waiting for its next chunk.
 */
export interface Runner {
  readonly name: string;
  run(): Promise<unknown[]> | unknown[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The caller's own thread's CPU ms, from /proc (Linux; ns resolution), or NaN elsewhere. */
function callerCpuMs(): number {
  try {
    return (
      Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
    );
  } catch {
    return Number.NaN;
  }
}

/**
 * Each thread's ms on a CPU and ms runnable but waiting for one, from /proc (Linux; ns
 * resolution), by thread id; empty elsewhere. A thread neither running nor waiting was idle.
 */
function threadTimes(): Map<string, [number, number]> {
  const times = new Map<string, [number, number]>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
      times.set(tid, [Number(run) / 1e6, Number(wait) / 1e6]);
    }
  } catch {}
  return times;
}

/**
 * The two busiest threads other than the caller's (the pool's workers) over a run: ms each ran,
 * and ms each was idle (neither running nor waiting for a core), which is what a worker lost
 * waiting for work; a busy machine moves wall time, far less these.
 */
function workerTimes(
  before: Map<string, [number, number]>,
  after: Map<string, [number, number]>,
  wall: number,
): { run: number; idle: number } | undefined {
  const deltas: Array<[number, number]> = [];
  for (const [tid, [run, wait]] of after) {
    if (tid === String(process.pid)) continue;
    const [run0, wait0] = before.get(tid) ?? [0, 0];
    deltas.push([run - run0, wait - wait0]);
  }
  deltas.sort((a, b) => b[0] - a[0]);
  const two = deltas.slice(0, 2);
  if (two.length < 2 || two[1][0] < 1) return undefined;
  return {
    run: (two[0][0] + two[1][0]) / 2,
    idle: (2 * wall - two[0][0] - two[0][1] - two[1][0] - two[1][1]) / 2,
  };
}

/** Runs `serial` and each other runner in turn, `reps` rounds after one warm-up; prints a table. */
export async function alternate(
  reps: number,
  serial: Runner,
  others: Runner[],
  check: (out: unknown[]) => boolean,
): Promise<void> {
  const all = [serial, ...others];
  for (const r of all) if (!check(await r.run())) throw new Error(`${r.name}: wrong result`);
  const wall = all.map(() => [] as number[]);
  const cpu = all.map(() => [] as number[]);
  const caller = all.map(() => 0);
  const workers = all.map(() => [] as Array<{ run: number; idle: number }>);
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < all.length; k++) {
      const c0 = cpuMs();
      const m0 = callerCpuMs();
      const s0 = threadTimes();
      const t0 = performance.now();
      const out = await all[k].run();
      const ms = performance.now() - t0;
      wall[k].push(ms);
      const w = workerTimes(s0, threadTimes(), ms);
      if (w) workers[k].push(w);
      cpu[k].push(cpuMs() - c0);
      caller[k] += callerCpuMs() - m0;
      if (!check(out)) throw new Error(`${all[k].name}: wrong result`);
    }
  }
  for (let k = 0; k < all.length; k++) {
    const ms = wall[k];
    const ratio =
      k === 0 ? '' : `  loop/this ${median(ms.map((x, i) => wall[0][i] / x)).toFixed(2)}`;
    const w = workers[k];
    const each =
      w.length > 0
        ? `; each worker ran ${median(w.map((x) => x.run)).toFixed(0)}, idle ${median(w.map((x) => x.idle)).toFixed(0)}`
        : '';
    console.log(
      `${all[k].name.padEnd(34)} ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}), CPU ${median(cpu[k]).toFixed(0)} ms (caller ${(caller[k] / reps).toFixed(0)}${each})${ratio}`,
    );
  }
}
