// The smoke suite's task module: plain JavaScript, so every runtime loads it as it is.
import { defineTasks, taskSignal } from 'spindle/tasks';

export const tasks = defineTasks(import.meta.url, {
  cube: (x) => x ** 3,
  where: () => ({ pid: process.pid }),
  sum: (bytes) => bytes.reduce((a, b) => a + b, 0),
  waitForAbort: () =>
    new Promise((resolve) => taskSignal().addEventListener('abort', () => resolve('aborted'))),
});
