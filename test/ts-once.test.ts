/**
 * TypeScript task modules under tsx: the caller compiles them once and thread workers start
 * without tsx (src/backends/ts-once). Each program runs as a user runs it, `node --import tsx
 * main.ts`, from a folder inside this package so that `import 'spindle'` is this package's build
 * (npm test builds first). NODE_DEBUG=spindle shows what was compiled and what fell back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withoutTsx } from '../src/backends/ts-once/service.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let cache: string;

/** Runs main.ts of `dir` under tsx; a cache folder of its own, so tests see their own compiles. */
async function runMain(env: Record<string, string> = {}, flags: string[] = []) {
  const { stdout, stderr } = await run(process.execPath, [...flags, '--import', 'tsx', 'main.ts'], {
    cwd: dir,
    env: { ...process.env, NODE_DEBUG: 'spindle', SPINDLE_TS_CACHE: cache, ...env },
    timeout: 60_000,
  });
  return { out: JSON.parse(stdout.trim().split('\n').at(-1)!), stderr };
}

function write(name: string, text: string) {
  writeFileSync(join(dir, name), text);
}

/** A sibling module the tasks import (as ./helper.js, the way TypeScript spells it). */
const HELPER_V1 = "export const label = (x: number): string => 'v1:' + x;\n";

const TASKS = `import { defineTasks } from 'spindle';
import { label } from './helper.js';
export const tasks = defineTasks(import.meta.url, {
  tag: (x: number): string => label(x),
  execArgv: (): string[] => process.execArgv,
  where: (): string => import.meta.url,
  boom: (x: number): never => {
    throw new Error('boom ' + x);
  },
});
`;

describe('TypeScript task modules compiled once in the caller', () => {
  before(() => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(root, '.tmp', 'ts-once-'));
    cache = join(dir, 'cache');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a .ts task importing a sibling .ts module runs in workers started without tsx', async () => {
    write('helper.ts', HELPER_V1);
    write('tasks.ts', TASKS);
    write(
      'main.ts',
      `import { Pool } from 'spindle';
import { tasks } from './tasks.ts';
const pool = new Pool({ workers: 2 });
const out = { tag: await pool.submit(tasks.tag, 7), execArgv: await pool.submit(tasks.execArgv), where: await pool.submit(tasks.where) };
await pool.close();
console.log(JSON.stringify(out));
`,
    );
    const { out, stderr } = await runMain();
    assert.equal(out.tag, 'v1:7');
    assert.equal(out.where, new URL('tasks.ts', `file://${dir}/`).href);
    assert.ok(!out.execArgv.some((a: string) => /tsx/.test(a)), out.execArgv.join(' '));
    assert.match(stderr, /compiled .*tasks\.ts/);
    assert.match(stderr, /compiled .*helper\.ts/);
  });

  test('the next run uses the cache and compiles nothing', async () => {
    const { out, stderr } = await runMain();
    assert.equal(out.tag, 'v1:7');
    assert.doesNotMatch(stderr, /compiled /);
  });

  test('an edited sibling .ts source is seen by the next pool of the same program', async () => {
    write('helper.ts', HELPER_V1);
    write(
      'main.ts',
      `import { writeFileSync } from 'node:fs';
import { Pool } from 'spindle';
import { tasks } from './tasks.ts';
const first = new Pool({ workers: 1 });
const before = await first.submit(tasks.tag, 1);
await first.close();
writeFileSync(new URL('./helper.ts', import.meta.url), "export const label = (x: number): string => 'v2:' + x;\\n");
const second = new Pool({ workers: 1 });
const after = await second.submit(tasks.tag, 1);
await second.close();
console.log(JSON.stringify({ before, after }));
`,
    );
    const { out, stderr } = await runMain();
    assert.deepEqual(out, { before: 'v1:1', after: 'v2:1' });
    assert.match(stderr, /compiled .*helper\.ts/);
  });

  test('an error thrown in a .ts task names the .ts file and line in its stack', async () => {
    write(
      'main.ts',
      `import { Pool } from 'spindle';
import { tasks } from './tasks.ts';
const pool = new Pool({ workers: 1 });
const stack = await pool.submit(tasks.boom, 3).then(() => 'no error', (e: Error) => e.stack);
await pool.close();
console.log(JSON.stringify(stack));
`,
    );
    const { out } = await runMain();
    assert.match(out, /boom 3/);
    // line 8 of tasks.ts: `throw new Error('boom ' + x);`
    assert.match(out, /tasks\.ts:8:\d+/);
  });

  test('a module that cannot be compiled so still runs, through tsx in the worker, and says why', async () => {
    write(
      'computed.ts',
      `import { defineTasks } from 'spindle';
const name = './helper.js';
export const tasks = defineTasks(import.meta.url, {
  tag: async (x: number): Promise<string> => (await import(name)).label(x),
});
`,
    );
    write('helper.ts', HELPER_V1);
    write(
      'main.ts',
      `import { Pool } from 'spindle';
import { tasks } from './computed.ts';
const pool = new Pool({ workers: 1 });
const tag = await pool.submit(tasks.tag, 5);
await pool.close();
console.log(JSON.stringify(tag));
`,
    );
    const { out, stderr } = await runMain();
    assert.equal(out, 'v1:5');
    assert.match(stderr, /through tsx: .*computed at run time/);
  });

  test('SPINDLE_TS_ONCE=0 keeps the workers under tsx, as before', async () => {
    write('tasks.ts', TASKS);
    write(
      'main.ts',
      `import { Pool } from 'spindle';
import { tasks } from './tasks.ts';
const pool = new Pool({ workers: 1 });
const execArgv = await pool.submit(tasks.execArgv);
await pool.close();
console.log(JSON.stringify(execArgv));
`,
    );
    const { out, stderr } = await runMain({ SPINDLE_TS_ONCE: '0' });
    assert.ok(
      out.some((a: string) => /tsx/.test(a)),
      out.join(' '),
    );
    assert.doesNotMatch(stderr, /compiled /);
  });

  test('a caller started with a flag worker threads refuse still runs .ts tasks', async () => {
    write('tasks.ts', TASKS);
    write(
      'main.ts',
      `import { Pool } from 'spindle';
import { tasks } from './tasks.ts';
const pool = new Pool({ workers: 1 });
const tag = await pool.submit(tasks.tag, 3);
await pool.close();
console.log(JSON.stringify(tag));
`,
    );
    // Given as execArgv, --max-old-space-size fails a thread's start (ERR_WORKER_INVALID_EXEC_ARGV).
    const { out } = await runMain({}, ['--max-old-space-size=512']);
    assert.equal(out, 'v1:3');
  });

  test('withoutTsx drops the flags that load tsx and keeps every other flag', () => {
    assert.deepEqual(
      withoutTsx([
        '--import',
        'tsx',
        '--import=tsx/esm',
        '--require',
        '/x/node_modules/tsx/dist/preflight.cjs',
        '--import',
        'file:///x/node_modules/tsx/dist/loader.mjs',
        '--conditions',
        'dev',
        '--import',
        './setup.js',
        '--max-old-space-size=64',
      ]),
      ['--conditions', 'dev', '--import', './setup.js', '--max-old-space-size=64'],
    );
  });
});
