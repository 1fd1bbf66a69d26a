/**
 * A worker loads a plain JavaScript task module with require() where Node can (require(esm)),
 * else with import() (src/worker/require-module.ts). Whichever way, a module runs once per
 * worker and is seen as import() has always shown it. Programs on the build, where threads run
 * the worker script with the bootstrap's own require, and on processes, which make one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BuildPrograms } from './helpers/build-program.js';

let programs: BuildPrograms;

/** A line in runs.txt each time a module's top level runs. */
const counted = (name: string) =>
  `import { appendFileSync } from 'node:fs';\nappendFileSync(new URL('./runs.txt', import.meta.url), '${name}\\n');\n`;

const MODULES: Record<string, string> = {
  'plain.mjs': `${counted('plain')}import { defineTasks } from 'spindle';
export const marker = Symbol('plain');
export const tasks = defineTasks(import.meta.url, {
  same: async () => (await import(import.meta.url)).marker === marker,
});
`,
  'tla.mjs': `${counted('tla')}import { defineTasks } from 'spindle/tasks';
const value = await new Promise((resolve) => setTimeout(() => resolve(42), 5));
export const tasks = defineTasks(import.meta.url, { value: () => value });
`,
  'throws.mjs': `${counted('throws')}import { defineTasks } from 'spindle';
export const tasks = defineTasks(import.meta.url, { never: () => 1 });
if (!globalThis.process.env.SPINDLE_TEST_PARENT) throw new Error('broken at load');
`,
  'cjs/package.json': '{ "type": "commonjs" }',
  'cjs/tasks.js': `require('node:fs').appendFileSync(require('node:path').join(__dirname, '..', 'runs.txt'), 'cjs\\n');
exports.cube = (x) => x ** 3;
`,
};

const MAIN = (backend: string) => `import { readFileSync, rmSync } from 'node:fs';
import { defineTasks, Pool } from 'spindle';
process.env.SPINDLE_TEST_PARENT = '1';
const { tasks: plain } = await import('./plain.mjs');
const { tasks: tla } = await import('./tla.mjs');
const { tasks: throws } = await import('./throws.mjs');
// A CommonJS module's tasks, found by name among its exports.
const cjs = defineTasks(new URL('./cjs/tasks.js', import.meta.url).href, { cube: (x) => x ** 3 });
delete process.env.SPINDLE_TEST_PARENT;
rmSync('runs.txt', { force: true });
const pool = new Pool({ workers: 1, backend: '${backend}' });
const out = {};
out.same = await pool.submit(plain.same);
out.tla = await pool.submit(tla.value);
for (const at of [1, 2]) {
  try { await pool.submit(throws.never); } catch (error) { out['throws' + at] = [error.code, /broken at load/.test(error.message)]; }
}
out.cjs = await pool.submit(cjs.cube, 3);
const missing = defineTasks(new URL('./missing.mjs', import.meta.url).href, { x: () => 1 });
try { await pool.submit(missing.x); } catch (error) {
  out.missing = [error.code, /no file at that URL/.test(error.message), /Require stack/.test(error.message)];
}
await pool.close();
out.runs = readFileSync('runs.txt', 'utf8').trim().split('\\n').sort();
console.log(JSON.stringify(out));
`;

describe('loading a task module in a worker', () => {
  before(() => {
    programs = new BuildPrograms('task-module-load');
    for (const [file, text] of Object.entries(MODULES)) programs.write(file, text);
  });
  after(() => programs.remove());

  for (const backend of ['threads', 'processes']) {
    test(`${backend}: each module runs once, and is what import() shows`, async () => {
      const out = await programs.run(MAIN(backend));
      assert.deepEqual(out, {
        same: true,
        tla: 42,
        throws1: ['SPINDLE_TASK_MODULE', true],
        throws2: ['SPINDLE_TASK_MODULE', true],
        cjs: 27,
        missing: ['SPINDLE_TASK_MODULE', true, false],
        runs: ['cjs', 'plain', 'throws', 'tla'],
      });
    });
  }
});
