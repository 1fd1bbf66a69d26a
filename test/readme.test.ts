/**
 * Every README example runs here, as a user would run it, so none goes stale. A code block
 * whose info string names a file (```ts file=tasks.ts) is written into an example folder;
 * a block that also says `run` is executed with `node --import tsx`, with every file named
 * before it in the README beside it. `import ... from 'spindle'` resolves to this package's
 * build (package self-reference), so `npm run build` must run first (npm test does).
 * A line `console.log(x); // expected` checks that stdout shows `expected`, after what the lines
 * above it expected (whitespace-insensitive), so use it for deterministic output only. Blocks
 * without `file=` (shell sessions, examples that need Redis) are not run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ErrorCodes } from '../src/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block {
  file: string;
  run: boolean;
  code: string;
  line: number;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const fence = /^```ts([^\n]*)\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const file = /\bfile=(\S+)/.exec(m[1])?.[1];
    if (!file) continue;
    out.push({
      file,
      run: /\brun\b/.test(m[1]),
      code: m[2],
      line: markdown.slice(0, m.index).split('\n').length,
    });
  }
  return out;
}

function expectations(code: string): string[] {
  const out: string[] = [];
  for (const line of code.split('\n')) {
    const m = /console\.log\(.*\);\s*\/\/\s*(.+)$/.exec(line);
    if (m) out.push(m[1].trim());
  }
  return out;
}

const normalize = (s: string) => s.replace(/\s+/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']');

describe('README reference', () => {
  test('the error table lists every error code', () => {
    for (const code of Object.values(ErrorCodes)) {
      assert.match(readme, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `${code} is not in the README`);
    }
  });

  test('every link to a section of the README leads to a heading', () => {
    // GitHub's anchors: lower case, punctuation dropped, spaces as hyphens.
    const slug = (h: string) =>
      h
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
    for (const [, anchor] of readme.matchAll(/\]\(#([^)]+)\)/g)) {
      assert.ok(anchors.has(anchor), `no heading for the link #${anchor}`);
    }
  });

  test('example files are named as plain files in the example folder', () => {
    for (const block of blocks(readme)) {
      assert.match(
        block.file,
        /^[\w.-]+\.(ts|mts|js|mjs|json)$/,
        `bad file name at line ${block.line}`,
      );
    }
  });
});

describe('README examples', () => {
  const all = blocks(readme);
  const base = join(root, '.tmp', 'readme-examples');
  // Each runnable block gets a folder holding every file named up to it (later blocks with the
  // same name replace earlier ones), written before any runs so the type check sees them all.
  const examples: Array<{ block: Block; dir: string; files: Map<string, string> }> = [];
  const files = new Map<string, string>();
  all.forEach((block, index) => {
    files.set(block.file, block.code);
    if (block.run) examples.push({ block, dir: join(base, String(index)), files: new Map(files) });
  });

  before(() => {
    rmSync(base, { recursive: true, force: true });
    for (const { dir, files } of examples) {
      mkdirSync(dir, { recursive: true });
      for (const [name, code] of files) writeFileSync(join(dir, name), code);
    }
  });

  test('the README has runnable examples', () => {
    assert.ok(examples.length > 0, 'no ```ts file=... run block found');
  });

  for (const { block, dir } of examples) {
    test(`the example at README line ${block.line} (${block.file}) runs`, {
      timeout: 120_000,
    }, async () => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(dir, block.file)], {
        cwd: dir,
        timeout: 110_000,
        env: { ...process.env, SPINDLE_README_TEST: '1' },
      });
      const out = normalize(stdout);
      let from = 0;
      for (const expected of expectations(block.code)) {
        const at = out.indexOf(normalize(expected), from);
        assert.ok(at >= 0, `stdout lacks ${expected} (after what came before it):\n${stdout}`);
        from = at + normalize(expected).length;
      }
    });
  }

  // tsx strips types without checking them; a user's editor does check them.
  test('the examples type-check in a strict Node project', { timeout: 120_000 }, async () => {
    const sources = examples.flatMap(({ dir, files }) =>
      [...files.keys()].filter((f) => /\.m?ts$/.test(f)).map((f) => join(dir, f)),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = [
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--target',
      'es2022',
      '--lib',
      'es2023,esnext.disposable',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
    ];
    const errors = await run(process.execPath, [tsc, ...flags, ...sources], { cwd: root }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout || String(error),
    );
    assert.equal(errors, '', 'the README examples do not type-check');
  });
});
