import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './fixtures/cli-spawn.js';

const TASKS = 'test/fixtures/cli-tasks.ts';
const dir = mkdtempSync(join(tmpdir(), 'spindle-cli-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Runs the command over `text` twice: from stdin (streamed by the caller) and as --input FILE (read by the workers). */
async function both(args: string[], text: string) {
  const path = join(dir, `in-${n++}.txt`);
  writeFileSync(path, text);
  const [fromStdin, fromFile] = await Promise.all([
    runCli(['run', ...args], { input: text }),
    runCli(['run', ...args, '--input', path]),
  ]);
  return { fromStdin, fromFile };
}

describe('spindle run --input FILE (workers read the file)', () => {
  test('writes the same lines in the same order as reading stdin, CRLF and a last line without newline included', async () => {
    const { fromStdin, fromFile } = await both(
      [`${TASKS}#upper`, '-j', '2'],
      'one\r\ntwo é\n\nthree',
    );
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fromFile.stdout, 'ONE\nTWO É\n\nTHREE\n');
    assert.equal(fromFile.stdout, fromStdin.stdout);
  });

  test('a failing line stops the run with exit 1 and the same line number as from stdin', async () => {
    const { fromStdin, fromFile } = await both([`${TASKS}#failOnBoom`, '-j', '2'], 'a\nboom\nc\n');
    assert.equal(fromFile.code, 1);
    assert.equal(fromFile.stdout, 'a\n');
    assert.match(fromFile.stderr, /line 2 failed: RangeError: cannot handle boom/);
    assert.equal(fromStdin.code, 1);
  });

  test('--keep-going and --jsonl give the same output and messages as from stdin', async () => {
    const plain = await both([`${TASKS}#failOnBoom`, '--keep-going'], 'a\nboom\nc\nboom\n');
    assert.equal(plain.fromFile.code, 1);
    assert.equal(plain.fromFile.stdout, plain.fromStdin.stdout);
    assert.equal(plain.fromFile.stderr, plain.fromStdin.stderr);
    const json = await both([`${TASKS}#failOnBoom`, '--keep-going', '--jsonl'], '"a"\n\n"boom"\n');
    assert.equal(json.fromFile.stdout, json.fromStdin.stdout);
    assert.equal(json.fromFile.stderr, json.fromStdin.stderr);
    const bad = await both([`${TASKS}#asObject`, '--jsonl'], '"ok"\nnot json\n');
    assert.equal(bad.fromFile.code, 3);
    assert.match(bad.fromFile.stderr, /line 2 is not JSON/);
    assert.equal(bad.fromFile.stdout, bad.fromStdin.stdout);
  });

  test('line numbers count the lines of every block before the failing one', async () => {
    // Over 8 MiB, so the file is read as several blocks by different workers.
    const lines = Array.from({ length: 800_000 }, (_, i) => `line ${i}`);
    lines[700_000] = 'boom';
    const path = join(dir, 'big.txt');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const r = await runCli(['run', `${TASKS}#upper`, '-j', '2', '--input', path]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split('\n');
    assert.equal(out.length, 800_001);
    assert.equal(out[699_999], 'LINE 699999');
    assert.equal(out[700_000], 'BOOM');
    const failing = await runCli(['run', `${TASKS}#failOnBoom`, '-j', '2', '--input', path]);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /line 700001 failed: RangeError: cannot handle boom/);
    assert.equal(failing.stdout.split('\n').length, 700_001);
  });

  test('a missing input file exits 3 naming it', async () => {
    const missing = join(dir, 'missing.txt');
    const r = await runCli(['run', `${TASKS}#upper`, '--input', missing]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`cannot read the input ${missing}: no such file`));
  });
});
