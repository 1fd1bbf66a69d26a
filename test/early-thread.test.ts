/**
 * A pool on threads with the usual options starts its first worker's thread before it reads
 * those options (ThreadBackend.startEarly), and the worker's init follows in the thread's first
 * message. Each program runs as a user runs it, plain `node main.mjs` on this package's build,
 * where threads run the worker script (the only place a thread starts early).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BuildPrograms } from './helpers/build-program.js';

let programs: BuildPrograms;

const TASKS = `import { resourceLimits } from 'node:worker_threads';
import { defineTasks } from 'spindle';
let base = 0;
export const tasks = defineTasks(import.meta.url, {
  how: () => typeof globalThis[Symbol.for('spindle.import')] === 'function' ? 'script' : 'modules',
  setup: (value) => { base = value; },
  add: (x) => base + x,
  heapLimit: () => resourceLimits.maxOldGenerationSizeMb,
});
`;

/** Runs `body` after importing Pool and the tasks; returns its last line, parsed. */
const program = (body: string, args: string[] = []) =>
  programs.run(
    `import { Pool } from 'spindle';\nimport { tasks } from './tasks.mjs';\n${body}\n`,
    args,
  );

describe('a thread started before its pool reads its options', () => {
  before(() => {
    programs = new BuildPrograms('early-thread');
    programs.write('tasks.mjs', TASKS);
  });
  after(() => programs.remove());

  test('runs the first tasks, with the initializer the pool was given', async () => {
    const out = await program(`
const pool = new Pool({ workers: 2, initializer: tasks.setup, initArgs: [100] });
const [how, sums] = await Promise.all([pool.submit(tasks.how), pool.map(tasks.add, [1, 2, 3])]);
await pool.close();
console.log(JSON.stringify({ how, sums }));`);
    assert.deepEqual(out, { how: 'script', sums: [101, 102, 103] });
  });

  test('refused options throw at new Pool, and the thread started for them does not keep the process alive', async () => {
    // A program that never ends fails (see BuildPrograms.run).
    const out = await program(`
const refused = [];
for (const options of [{ workers: 0 }, { prestart: 3, workers: 2 }, { retries: -1 }]) {
  try { new Pool(options); } catch (error) { refused.push(error.name); }
}
console.log(JSON.stringify(refused));`);
    assert.deepEqual(out, ['RangeError', 'RangeError', 'RangeError']);
  });

  test('resourceLimits apply: such a pool does not use a thread started without them', async () => {
    const out = await program(`
const pool = new Pool({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 64 } });
const limit = await pool.submit(tasks.heapLimit);
await pool.close();
console.log(JSON.stringify(limit));`);
    assert.equal(out, 64);
  });

  test('a caller with flags that threads refuse still gets its workers (on the ES entry)', async () => {
    const out = await program(
      `
const pool = new Pool({ workers: 1 });
const [how, sum] = await Promise.all([pool.submit(tasks.how), pool.submit(tasks.add, 1)]);
await pool.close();
console.log(JSON.stringify({ how, sum }));`,
      ['--max-old-space-size=256'],
    );
    assert.deepEqual(out, { how: 'modules', sum: 1 });
  });

  test('an unused pool lets the process end, and close() of one returns', async () => {
    const out = await program(`
new Pool({ workers: 2 });
const closed = new Pool({ workers: 2 });
await closed.close();
console.log(JSON.stringify('ended'));`);
    assert.equal(out, 'ended');
  });
});
