#!/usr/bin/env node
// The package as a user gets it: `npm pack` (which builds through `prepack`), the tarball
// installed alone into a fresh project (production install, no dev dependencies), then the
// README's first example run from there — as TypeScript under tsx and in its plain-JavaScript
// try/finally form — plus `require('spindle')`, `spindle/redis` without its optional peers,
// and the `spindle` command. Prints the installed size; fails on any surprise.
//
//   node scripts/pack-test.mjs [--keep]     (--keep leaves the temp project for a look)
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirSize, packTarball, readmeBlocks } from './package-tools.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'spindle-pack-'));
const started = Date.now();

function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.status !== 0 && !options.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

try {
  const tarball = packTarball(root, work);
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const must of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/README.md']) {
    assert.ok(files.includes(must), `the tarball holds ${must}`);
  }
  assert.ok(
    !files.some((f) => /\/(bench|test|src|demo)\//.test(f)),
    'no bench, test, src or demo in the tarball',
  );

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  );
  sh('npm', ['install', '--omit=dev', '--no-fund', '--no-audit', '--no-package-lock', tarball], {
    cwd: app,
  });
  const installed = dirSize(join(app, 'node_modules'));
  const own = dirSize(join(app, 'node_modules', 'spindle'));
  for (const peer of ['bullmq', 'ioredis', 'msgpackr']) {
    assert.throws(
      () => readFileSync(join(app, 'node_modules', peer, 'package.json')),
      `${peer} is not installed by default`,
    );
  }

  // The README's first example, as written, under tsx (from this checkout: it is not a
  // dependency of spindle, and the example's program may use it however it is installed).
  const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  const first = (file) => {
    const block = blocks.find((b) => b.file === file);
    assert.ok(block, `the README has a block file=${file}`);
    writeFileSync(join(app, file), block.code);
  };
  first('tasks.ts');
  first('main.ts');
  first('tasks.mjs');
  first('main.mjs');
  const tsx = import.meta.resolve('tsx');
  const expected = '[0,1,8,27,64,125,216,343]';
  const printed = (r) => r.stdout.replace(/\s+/g, '');
  const ts = sh(process.execPath, ['--import', tsx, 'main.ts'], { cwd: app });
  assert.equal(printed(ts), expected, 'main.ts prints the cubes');
  const js = sh(process.execPath, ['main.mjs'], { cwd: app });
  assert.equal(printed(js), expected, 'main.mjs (try/finally) prints the cubes');

  // CommonJS callers load the ESM package through require(esm) (Node 20.19+, see engines).
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const { Pool, cpuCount } = require('spindle');
const { defineTasks } = require('spindle/tasks');
console.log(typeof Pool, typeof defineTasks, cpuCount() > 0);`,
  );
  assert.equal(
    sh(process.execPath, ['cjs.cjs'], { cwd: app }).stdout.trim(),
    'function function true',
  );

  // The cluster backend's peers are optional: importing it without them names the fix.
  writeFileSync(
    join(app, 'redis.mjs'),
    `try { await import('spindle/redis'); console.log('loaded'); }
catch (e) { console.log(e.code, '|', e.message); }`,
  );
  const redis = sh(process.execPath, ['redis.mjs'], { cwd: app }).stdout.trim();
  assert.match(redis, /^SPINDLE_MISSING_DEPENDENCY \| .*npm install bullmq ioredis/);

  // The command: its help, also into a pipe closed early, and a run.
  const bin = join(app, 'node_modules', '.bin', 'spindle');
  assert.match(sh(bin, ['--help']).stdout, /^Usage: spindle/);
  const head = sh('bash', ['-c', `"${bin}" run --help | head -1`], { cwd: app });
  assert.match(head.stdout, /^Usage: spindle run/);
  assert.doesNotMatch(head.stderr, /EPIPE|Error/, 'a closed pipe is no crash');
  writeFileSync(join(app, 'cli-tasks.mjs'), 'export const up = (s) => s.toUpperCase();\n');
  const run = sh('bash', ['-c', `printf 'a\\nb\\n' | "${bin}" run ./cli-tasks.mjs#up -j 2`], {
    cwd: app,
  });
  assert.equal(run.stdout, 'A\nB\n');

  const worker = sh(
    bin,
    ['worker', '--redis', 'redis://127.0.0.1:1', '--tasks', './cli-tasks.mjs'],
    {
      cwd: app,
      allowFail: true,
    },
  );
  assert.equal(worker.status, 2, 'spindle worker without the cluster peers is a usage error');
  assert.match(worker.stderr, /^spindle: .*npm install bullmq ioredis\n$/);
  const demo = sh(bin, ['demo', '--quick'], { cwd: app, allowFail: true });
  assert.match(demo.stderr, /spindle demo runs from a checkout/, 'the demo is not in the package');

  const mb = (n) => (n / 1e6).toFixed(2);
  console.log(
    `pack-test: ok in ${((Date.now() - started) / 1000).toFixed(1)} s; production install ` +
      `${mb(installed)} MB (spindle itself ${mb(own)} MB), ${files.filter(Boolean).length} entries in the tarball`,
  );
  assert.ok(installed <= 4e6, `a production install stays within 4 MB (got ${mb(installed)} MB)`);
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
