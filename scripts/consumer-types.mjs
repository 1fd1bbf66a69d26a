#!/usr/bin/env node
// A strict TypeScript consumer of the packed tarball (`skipLibCheck: false`, so spindle's own
// declarations are checked too) must compile at both ends of what we support: the oldest
// TypeScript whose lib has generic typed arrays (5.7), with @types/node 20, and the latest TypeScript with the
// latest @types/node. Each end also checks a `moduleResolution: node10` consumer, which finds
// `spindle/tasks` through `typesVersions`.
//
//   node scripts/consumer-types.mjs [--tarball path/to/spindle.tgz]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packTarball } from './package-tools.mjs';

const ENDS = [
  { name: 'oldest', typescript: '5.7', typesNode: '20' },
  { name: 'latest', typescript: 'latest', typesNode: 'latest' },
];

const CONSUMER = `import { cpuCount, defineTasks, Pool, parallel, delayed, type PoolOptions } from 'spindle';
import { taskSignal } from 'spindle/tasks';

export const tasks = defineTasks(import.meta.url, {
  cube: (x: number) => x ** 3,
  wait: async (ms: number) => {
    const signal: AbortSignal = taskSignal();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return signal.aborted;
  },
});

const options: PoolOptions = { workers: Math.min(2, cpuCount()) };
{
  await using pool = new Pool(options);
  const cubes: number[] = await pool.map(tasks.cube, [1, 2, 3]);
  const buffer = new ArrayBuffer(8);
  const one: number = await pool.submitWith({ transfer: [buffer] }, tasks.cube, 2);
  const sums: number[] = await parallel({ nJobs: 2 })([1, 2].map((x) => delayed(tasks.cube)(x)));
  console.log(cubes, one, sums);
}
`;

const NODE10 = `import { defineTasks } from 'spindle/tasks';
import { Pool } from 'spindle';
export const t = defineTasks('file:///x.js', { id: (x: string) => x });
export const p: Pool = new Pool({ workers: 1 });
`;

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'spindle-types-'));
let failed = false;
try {
  const given = process.argv.indexOf('--tarball');
  const tarball = given > 0 ? process.argv[given + 1] : packTarball(root, work);
  for (const end of ENDS) {
    const dir = join(work, end.name);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'c', private: true, type: 'module' }),
    );
    const install = sh(
      'npm',
      [
        'install',
        '--no-fund',
        '--no-audit',
        '--no-package-lock',
        '--ignore-scripts',
        tarball,
        `typescript@${end.typescript}`,
        `@types/node@${end.typesNode}`,
      ],
      dir,
    );
    if (!install.ok) throw new Error(`npm install for ${end.name} failed:\n${install.out}`);
    const base = {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      types: ['node'],
      target: 'ES2022',
      lib: ['ES2023', 'ESNext.Disposable'],
    };
    writeFileSync(join(dir, 'main.ts'), CONSUMER);
    writeFileSync(join(dir, 'old.ts'), NODE10);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' },
        files: ['main.ts'],
      }),
    );
    writeFileSync(
      join(dir, 'tsconfig.node10.json'),
      // TypeScript 7 dropped node10 resolution (and `module: commonjs` with it) altogether.
      JSON.stringify({
        compilerOptions: {
          ...base,
          module: 'commonjs',
          moduleResolution: 'node10',
          ignoreDeprecations: '5.0',
        },
        files: ['old.ts'],
      }),
    );
    const tsc = join(dir, 'node_modules', '.bin', 'tsc');
    const version = sh(tsc, ['--version'], dir).out;
    const types = sh(
      process.execPath,
      ['-p', "require('@types/node/package.json').version"],
      dir,
    ).out;
    const modern = sh(tsc, ['-p', 'tsconfig.json'], dir);
    const legacy = sh(tsc, ['-p', 'tsconfig.node10.json'], dir);
    const legacyGone = /node10|Unknown compiler option|no longer supported|has been removed/i.test(
      legacy.out,
    );
    const verdict = (r) => (r.ok ? 'ok' : 'FAILED');
    console.log(
      `consumer-types ${end.name}: ${version}, @types/node ${types}: nodenext ${verdict(modern)}, node10 ${legacy.ok ? 'ok' : legacyGone ? `not supported by this TypeScript (${legacy.out.split('\n')[0]})` : 'FAILED'}`,
    );
    if (!modern.ok) console.log(modern.out);
    if (!legacy.ok && !legacyGone) console.log(legacy.out);
    if (!modern.ok || (!legacy.ok && !legacyGone)) failed = true;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
