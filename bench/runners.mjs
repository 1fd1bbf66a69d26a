/**
 * One adapter per pool, all with the same shape, so a workload is written once:
 *   load()            imports the library (W5 times this), returns the adapter
 *   open(workers)     creates a pool of exactly `workers` threads
 *   call(fn, arg, transfer?) runs kernels[fn](arg) on a worker, resolves with the result
 *   close()           shuts the pool down
 * spindle's adapter also exposes `pool` and `tasks`, for the faces the peers do not have (map).
 */

const kernelsUrl = new URL('./tasks/kernels.mjs', import.meta.url);
const distUrl = new URL('../dist/index.js', import.meta.url);

export const POOL_RUNNERS = ['spindle', 'raw', 'piscina', 'tinypool', 'workerpool'];

export async function loadRunner(name) {
  switch (name) {
    case 'spindle':
      return spindle();
    case 'raw':
      return raw();
    case 'piscina':
      return piscina();
    case 'tinypool':
      return tinypool();
    case 'workerpool':
      return workerpool();
    default:
      throw new Error(`unknown runner ${name}`);
  }
}

async function spindle() {
  const mod = await import(distUrl.href);
  const { tasks } = await import('./tasks/spindle-tasks.mjs');
  return {
    name: 'spindle',
    mod,
    tasks,
    pool: undefined,
    open(workers) {
      this.pool = new mod.Pool({ workers });
    },
    call(fn, arg, transfer) {
      if (transfer) return this.pool.submitWith({ transfer }, tasks[fn], arg);
      return this.pool.submit(tasks[fn], arg);
    },
    close() {
      return this.pool.close();
    },
  };
}

async function raw() {
  const { RawPool } = await import('./raw-pool.mjs');
  return {
    name: 'raw',
    pool: undefined,
    open(workers) {
      this.pool = new RawPool(workers);
    },
    call(fn, arg, transfer) {
      return this.pool.run(fn, arg, transfer);
    },
    close() {
      return this.pool.close();
    },
  };
}

async function piscina() {
  const { Piscina } = await import('piscina');
  return piscinaLike('piscina', Piscina);
}

async function tinypool() {
  const { default: Tinypool } = await import('tinypool');
  return piscinaLike('tinypool', Tinypool);
}

/** tinypool is a fork of piscina with the same options and `run`, so one adapter serves both. */
function piscinaLike(name, PoolClass) {
  return {
    name,
    pool: undefined,
    open(workers) {
      this.pool = new PoolClass({
        filename: kernelsUrl.href,
        minThreads: workers,
        maxThreads: workers,
      });
    },
    call(task, arg, transferList) {
      return this.pool.run(arg, { name: task, transferList });
    },
    close() {
      return this.pool.destroy();
    },
  };
}

async function workerpool() {
  const { default: wp } = await import('workerpool');
  const script = new URL('./tasks/workerpool-worker.mjs', import.meta.url);
  return {
    name: 'workerpool',
    pool: undefined,
    open(workers) {
      this.pool = wp.pool(script.pathname, {
        minWorkers: workers,
        maxWorkers: workers,
        workerType: 'thread',
      });
    },
    call(fn, arg, transfer) {
      return this.pool.exec(fn, [arg], transfer ? { transfer } : undefined);
    },
    close() {
      return this.pool.terminate();
    },
  };
}
