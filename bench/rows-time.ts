import { readFileSync } from 'node:fs';

/**
 * Timing for the issue-16 row benches: the serial loop and spindle run alternately, one of
 * each per round, so a shared machine's load swings hit both alike; the ratio is the median of
 * the per-round ratios. CPU is the whole process's (caller and workers), per call: on a busy
 * machine it shows what a call costs when wall time cannot.
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

/** The caller's own thread's CPU ms, from /proc (Linux; 10 ms ticks), or NaN elsewhere. */
function callerCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
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
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < all.length; k++) {
      const c0 = cpuMs();
      const m0 = callerCpuMs();
      const t0 = performance.now();
      const out = await all[k].run();
      wall[k].push(performance.now() - t0);
      cpu[k].push(cpuMs() - c0);
      caller[k] += callerCpuMs() - m0;
      if (!check(out)) throw new Error(`${all[k].name}: wrong result`);
    }
  }
  for (let k = 0; k < all.length; k++) {
    const ms = wall[k];
    const ratio =
      k === 0 ? '' : `  loop/this ${median(ms.map((x, i) => wall[0][i] / x)).toFixed(2)}`;
    console.log(
      `${all[k].name.padEnd(34)} ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}), CPU ${median(cpu[k]).toFixed(0)} ms (caller ${(caller[k] / reps).toFixed(0)})${ratio}`,
    );
  }
}
