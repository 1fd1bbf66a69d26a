// The smoke suite's task module: plain JavaScript, so every runtime loads it as it is. It
// imports 'spindle', as the README does: in a Node worker that is the worker face
// (src/worker/face.ts), and `nested` makes it load the rest.
import { defineTasks, Pool, taskSignal, transfer } from 'spindle';

export const tasks = defineTasks(import.meta.url, {
  cube: (x) => x ** 3,
  where: () => ({ pid: process.pid }),
  sum: (bytes) => bytes.reduce((a, b) => a + b, 0),
  moved: (n) => transfer(new Float64Array(n).fill(n)),
  nested: async (xs) => {
    const pool = new Pool({ workers: 1 });
    try {
      return { isPool: pool instanceof Pool, cubes: await pool.map(tasks.cube, xs) };
    } finally {
      await pool.close();
    }
  },
  waitForAbort: () =>
    new Promise((resolve) => taskSignal().addEventListener('abort', () => resolve('aborted'))),
});
