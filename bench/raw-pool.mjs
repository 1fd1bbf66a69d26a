/**
 * The floor: the least a pool can do, in ~40 lines. One message per task, every task posted at
 * once (unbounded pipelining), round robin over the workers, a Map from id to resolver. No
 * errors, no cancellation, no crash recovery: what is left is the cost of postMessage itself.
 */
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./tasks/raw-worker.mjs', import.meta.url);

export class RawPool {
  #workers = [];
  #pending = new Map();
  #next = 0;

  constructor(size) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER);
      worker.on('message', (msg) => {
        const resolve = this.#pending.get(msg[0]);
        this.#pending.delete(msg[0]);
        resolve(msg[1]);
      });
      this.#workers.push(worker);
    }
  }

  /** Runs `kernels[fn](arg)` on the next worker. */
  run(fn, arg, transfer) {
    const id = this.#next++;
    const worker = this.#workers[id % this.#workers.length];
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage([id, fn, arg], transfer);
    });
  }

  close() {
    return Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
