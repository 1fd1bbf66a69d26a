/**
 * spindle bundled into a program: the README's esbuild recipe is built as written and run from
 * a copy of its output folder far from any node_modules; the smoke suite, bundled the same way,
 * runs every backend with cancellation; and a layout whose tasks were folded into the main file
 * fails fast, saying what to do.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
// Sources inside the checkout, so `import 'spindle'` resolves to it (package self-reference);
// bundles are copied out of it before they run.
const src = join(root, 'test', '.tmp', `bundle-${process.pid}`);
const away = mkdtempSync(join(tmpdir(), 'spindle-bundle-'));

function readmeFile(name: string): string {
  const block = new RegExp(
    `^\`\`\`ts file=${name.replace('.', '\\.')}[^\\n]*\\n([\\s\\S]*?)^\`\`\``,
    'm',
  );
  const m = block.exec(readme);
  assert.ok(m, `the README has a block file=${name}`);
  return m[1];
}

/** The README's esbuild command line, as arguments. */
function recipe(): string[] {
  const section = readme.slice(readme.indexOf('### Bundling'));
  const line = /^npx esbuild (.+)$/m.exec(section);
  assert.ok(line, 'the Bundling section shows an esbuild command');
  return line[1].split(/\s+/);
}

async function node(script: string, cwd: string) {
  const started = performance.now();
  try {
    const r = await run(process.execPath, [script], { cwd, timeout: 60_000 });
    return { code: 0, ...r, ms: performance.now() - started };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: performance.now() - started };
  }
}

before(() => {
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'tasks.ts'), readmeFile('tasks.ts'));
  writeFileSync(join(src, 'main.ts'), readmeFile('main.ts'));
});
after(() => {
  rmSync(src, { recursive: true, force: true });
  rmSync(away, { recursive: true, force: true });
});

describe('bundling', () => {
  test("the README's esbuild recipe runs from its output folder alone, with no node_modules", async () => {
    await run(esbuild, recipe(), { cwd: src });
    const out = join(away, 'recipe');
    cpSync(join(src, 'out'), out, { recursive: true });
    const r = await node('main.js', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.replace(/\s+/g, ''), '[0,1,8,27,64,125,216,343]');
  });

  test('the smoke suite bundled the same way passes on every backend, cancellation included', async () => {
    const out = join(away, 'smoke');
    const smoke = join(root, 'test', 'smoke');
    await run(esbuild, [
      join(smoke, 'smoke.mjs'),
      join(smoke, 'tasks.mjs'),
      '--bundle',
      '--splitting',
      '--format=esm',
      '--platform=node',
      '--target=node20',
      `--outdir=${out}`,
      '--log-level=error',
    ]);
    const r = await node('smoke.js', out);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.match(/: ok/g)?.length, 3, r.stdout);
  });

  test('tasks folded into the main bundle fail the first task quickly, naming the fix', async () => {
    const out = join(away, 'folded');
    await run(
      esbuild,
      [
        'main.ts',
        '--bundle',
        '--format=esm',
        '--platform=node',
        '--target=node20',
        `--outfile=${join(out, 'main.mjs')}`,
        '--log-level=error',
      ],
      { cwd: src },
    );
    const r = await node('main.mjs', out);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /TaskModuleError: the tasks live in the program's entry file/);
    assert.match(r.stderr, /Move the tasks to a module of their own/);
    // Far below any task timeout: the worker refuses instead of hanging on the program.
    assert.ok(r.ms < 30_000, `failed after ${Math.round(r.ms)} ms`);
  });
});
