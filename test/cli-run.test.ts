import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, startCli } from './fixtures/cli-spawn.js';

const ESC = String.fromCharCode(27);
const TASKS = 'test/fixtures/cli-tasks.ts';
const dir = mkdtempSync(join(tmpdir(), 'spindle-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('spindle run', () => {
  test('maps a defineTasks task over stdin lines and writes results in input order', async () => {
    const r = await runCli(['run', `${TASKS}#upper`, '--jobs', '2'], { input: 'a\nbc\ndef\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'A\nBC\nDEF\n');
  });

  test('runs a plain exported function as the task', async () => {
    const r = await runCli(['run', `${TASKS}#reverse`], { input: 'abc\nxy' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'cba\nyx\n');
  });

  test('keeps input order over thousands of lines in small chunks on two workers', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => String(i));
    const r = await runCli(['run', `${TASKS}#double`, '--jsonl', '-j', '2', '--chunksize', '7'], {
      input: `${lines.join('\n')}\n`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout.trimEnd().split('\n'),
      lines.map((l) => String(Number(l) * 2)),
    );
  });

  test('reads --input FILE and writes --output FILE', async () => {
    const input = join(dir, 'in.txt');
    const output = join(dir, 'out.txt');
    writeFileSync(input, 'one\r\ntwo\r\nthree\r\n');
    const r = await runCli(['run', `${TASKS}#upper`, '--input', input, '--output', output]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(output, 'utf8'), 'ONE\nTWO\nTHREE\n');
  });

  test('--jsonl parses each line as JSON, skips blank lines and writes JSON lines', async () => {
    const r = await runCli(['run', `${TASKS}#asObject`, '--jsonl'], { input: '"ab"\n\n"xyz"\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
      [
        { line: 'ab', length: 2 },
        { line: 'xyz', length: 3 },
      ],
    );
  });

  test('writes non-string results as JSON in plain mode', async () => {
    const r = await runCli(['run', `${TASKS}#asObject`], { input: 'hi\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"line":"hi","length":2}\n');
  });

  test('--concurrency auto runs an async task', async () => {
    const r = await runCli(['run', `${TASKS}#slowEcho`, '--concurrency', 'auto'], {
      input: 'p\nq\n',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'p\nq\n');
  });

  test('runs on the processes backend', async () => {
    const r = await runCli(['run', `${TASKS}#upper`, '--backend', 'processes', '-j', '2'], {
      input: 'x\ny\n',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'X\nY\n');
  });

  test('runs a JavaScript (.mjs) task module', async () => {
    const r = await runCli(['run', 'test/fixtures/cli-tasks.mjs#length'], { input: 'abc\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '3\n');
  });

  test('a failing line stops the run with exit 1, its line number and the task message', async () => {
    const r = await runCli(['run', `${TASKS}#failOnBoom`, '-j', '1', '--chunksize', '1'], {
      input: 'a\nboom\nc\n',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 2 failed: RangeError: cannot handle boom/);
    assert.equal(r.stdout, 'a\n');
  });

  test('--keep-going reports each failing line, leaves its output empty and exits 1', async () => {
    const r = await runCli(['run', `${TASKS}#failOnBoom`, '--keep-going'], {
      input: 'a\nboom\nc\nboom\n',
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'a\n\nc\n\n');
    assert.match(r.stderr, /line 2 failed: RangeError: cannot handle boom/);
    assert.match(r.stderr, /line 4 failed/);
    assert.match(r.stderr, /2 of 4 lines failed/);
  });

  test('--keep-going with --jsonl writes an error record in the failing line', async () => {
    const r = await runCli(['run', `${TASKS}#failOnBoom`, '--keep-going', '--jsonl'], {
      input: '"a"\n"boom"\n',
    });
    assert.equal(r.code, 1);
    const [first, second] = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(first, 'a');
    assert.deepEqual(second, {
      error: { line: 2, name: 'RangeError', message: 'cannot handle boom' },
    });
  });

  test('a task the module does not have is exit 2, naming it and listing the tasks', async () => {
    const r = await runCli(['run', `${TASKS}#nope`], { input: 'a\n' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no task 'nope'/);
    assert.match(r.stderr, /upper/);
    assert.match(r.stderr, /reverse/);
  });

  test('a module that does not exist is exit 2, naming it', async () => {
    const r = await runCli(['run', 'test/fixtures/no-such-module.ts#x'], { input: 'a\n' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-such-module\.ts does not exist/);
  });

  test('a reference without a module is exit 2 with the expected form', async () => {
    const r = await runCli(['run', '#cube'], { input: '' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /<module>#<task>/);
  });

  test('a missing input file is exit 3', async () => {
    const r = await runCli(['run', `${TASKS}#upper`, '--input', join(dir, 'missing.txt')]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /missing\.txt: no such file/);
  });

  test('a line that is not JSON under --jsonl is exit 3 with its line number', async () => {
    const r = await runCli(['run', `${TASKS}#double`, '--jsonl'], { input: '1\n2\n{oops\n' });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /line 3 is not JSON/);
    assert.equal(r.stdout, '2\n4\n');
  });

  test('an unknown option or a bad --jobs is exit 2 with usage help', async () => {
    const bad = await runCli(['run', `${TASKS}#upper`, '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--bogus'/);
    const jobs = await runCli(['run', `${TASKS}#upper`, '--jobs', '0']);
    assert.equal(jobs.code, 2);
    assert.match(jobs.stderr, /--jobs/);
  });

  test('empty input produces no output and exit 0', async () => {
    const r = await runCli(['run', `${TASKS}#upper`], { input: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  test('streams: a line typed on stdin is answered before stdin ends', async () => {
    const child = startCli(['run', `${TASKS}#upper`]);
    let stdout = '';
    const firstAnswer = new Promise<void>((resolve) => {
      child.stdout!.setEncoding('utf8').on('data', (d) => {
        stdout += d;
        if (stdout.includes('FIRST\n')) resolve();
      });
    });
    child.stdin!.write('first\n');
    await firstAnswer;
    child.stdin!.end('second\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(stdout, 'FIRST\nSECOND\n');
  });

  test('--progress writes plain progress lines to a non-TTY stderr and leaves stdout clean', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const r = await runCli(['run', `${TASKS}#slowEcho`, '--progress', '-j', '2'], {
      input: `${lines}\n`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 20);
    assert.match(r.stderr, /spindle .*20\/20/);
    assert.ok(!r.stderr.includes('\r') && !r.stderr.includes(ESC), 'no terminal codes');
  });
});

describe('spindle --help', () => {
  for (const command of [[], ['run'], ['demo'], ['bench'], ['worker']]) {
    test(`spindle ${[...command, '--help'].join(' ')} prints usage and exits 0`, async () => {
      const r = await runCli([...command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: spindle/);
      assert.match(r.stdout, /-h, --help/);
    });
  }

  test('run --help documents the exit codes', async () => {
    const r = await runCli(['run', '--help']);
    assert.match(r.stdout, /Exit codes:/);
    assert.match(r.stdout, /--keep-going/);
  });

  test('worker with a Redis it cannot reach is exit 2 saying so', async () => {
    const r = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--tasks', TASKS]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SPINDLE_REDIS_UNAVAILABLE/);
  });

  test('worker without --redis is exit 2 naming the missing option', async () => {
    const r = await runCli(['worker', '--tasks', TASKS]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--redis/);
  });
});
