/**
 * One workload for one runner, in a fresh process (plain node, spindle from dist/), started
 * by run.ts. Argument: a JSON job. Prints one JSON line: { rows } or { error }.
 */
const t0 = performance.now();
const job = JSON.parse(process.argv[2]);
const rssBefore = process.memoryUsage().rss / 2 ** 20;

const LIBS = {
  spindle: new URL('../dist/index.js', import.meta.url).href,
  raw: new URL('./raw-pool.mjs', import.meta.url).href,
  piscina: 'piscina',
  tinypool: 'tinypool',
  workerpool: 'workerpool',
};

async function main() {
  if (job.op === 'calibrate') return { burn: await calibrate(job.ms) };
  if (job.workload === 'W5') return w5();
  const { workloads } = await import('./workloads.mjs');
  const run = workloads[job.workload];
  if (!run) throw new Error(`unknown workload ${job.workload}`);
  let r;
  if (job.runner !== 'serial') {
    const { loadRunner } = await import('./runners.mjs');
    r = await loadRunner(job.runner);
    r.open(job.workers);
  }
  try {
    return { rows: await run(r, { ...job, rssBefore }) };
  } finally {
    await r?.close();
  }
}

/** W5: import time, `new Pool` to the first result, and shutdown, once per fresh process. */
async function w5() {
  const start = performance.now();
  await import(LIBS[job.runner]);
  const imported = performance.now();
  const { loadRunner } = await import('./runners.mjs');
  const r = await loadRunner(job.runner);
  const opened = performance.now();
  r.open(job.workers);
  const first = await r.call('identity', 1);
  const got = performance.now();
  await r.close();
  const closed = performance.now();
  const one = (ms, ok = true) => ({ samples: [ms], ok });
  return {
    rows: {
      'W5 import': one(imported - start),
      'W5 first result': one(got - opened, first === 1),
      'W5 shutdown': one(closed - got),
    },
    processStartToImport: start - t0,
  };
}

/** Iterations of `burn` that take `ms` here, taken from the best of a few runs once warm. */
async function calibrate(ms) {
  const { burn } = await import('./tasks/kernels.mjs');
  const probe = 2_000_000;
  let best = Infinity;
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    burn(probe);
    best = Math.min(best, performance.now() - t);
  }
  return Math.max(1000, Math.round((probe * ms) / best));
}

main().then(
  (out) => {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    // Pools that leave handles behind must not hang the bench.
    setTimeout(() => process.exit(0), 50).unref();
  },
  (error) => {
    process.stdout.write(`${JSON.stringify({ error: String(error?.stack ?? error) })}\n`);
    process.exit(1);
  },
);
