import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatDuration, progressBar, progressLine } from '../src/faces/progress.js';
import { Pool, type ProgressInfo } from '../src/index.js';
import { tasks } from './fixtures/cli-tasks.js';

const ESC = String.fromCharCode(27);
const pool = new Pool({ workers: 2 });
after(() => pool.close());

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal(): Writable & { isTTY: boolean; columns: number; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: () => string };
  stream.isTTY = true;
  stream.columns = 100;
  stream.text = () => chunks.join('');
  return stream;
}

function runScript(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL('./fixtures/progress-script.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('progress', () => {
  test('a progress function receives done, total, failed, elapsedMs and etaMs up to the total', async () => {
    const seen: ProgressInfo[] = [];
    const xs = Array.from({ length: 40 }, (_, i) => `x${i}`);
    await pool.map(tasks.upper, xs, { chunksize: 4, progress: (info) => seen.push(info) });
    assert.ok(seen.length >= 2);
    const last = seen.at(-1)!;
    assert.equal(last.done, 40);
    assert.equal(last.total, 40);
    assert.equal(last.failed, 0);
    assert.ok(last.elapsedMs >= 0);
    assert.equal(last.etaMs, 0);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.done >= seen[i - 1]!.done);
    assert.ok(seen.some((s) => s.done < 40 && typeof s.etaMs === 'number'));
  });

  test('a progress function counts failed items of imapSettled', async () => {
    let last: ProgressInfo | undefined;
    const items = ['a', 'boom', 'b', 'boom'];
    for await (const _ of pool.imapSettled(tasks.failOnBoom, items, {
      progress: (info) => {
        last = info;
      },
    })) {
      // drain
    }
    assert.equal(last?.done, 4);
    assert.equal(last?.failed, 2);
  });

  test('a progress function that throws fails that call with its error, and the pool goes on', async () => {
    const xs = Array.from({ length: 20 }, (_, i) => `x${i}`);
    const broken = () => {
      throw new Error('progress callback broke');
    };
    await assert.rejects(
      pool.map(tasks.upper, xs, { chunksize: 2, progress: broken }),
      /progress callback broke/,
    );
    assert.deepEqual(await pool.map(tasks.upper, ['a', 'b']), ['A', 'B']);
  });

  test('progress of an async iterable has no total and no ETA', async () => {
    const seen: ProgressInfo[] = [];
    async function* lines() {
      for (let i = 0; i < 10; i++) yield `l${i}`;
    }
    await pool.map(tasks.upper, lines(), { progress: (info) => seen.push(info) });
    assert.equal(seen.at(-1)!.done, 10);
    assert.ok(seen.every((s) => s.total === undefined && s.etaMs === undefined));
  });

  test('on a TTY the bar redraws one line in place and ends it with a newline', () => {
    const stream = fakeTerminal();
    const bar = progressBar({ stream: stream as unknown as NodeJS.WriteStream });
    bar.update({ done: 5, total: 10, failed: 0, elapsedMs: 500, etaMs: 500 });
    bar.update({ done: 10, total: 10, failed: 1, elapsedMs: 1000, etaMs: 0 });
    bar.stop();
    bar.stop();
    const text = stream.text();
    assert.ok(text.includes(`${ESC}[`), 'cursor movement, not new lines, between redraws');
    assert.match(text, /spindle .*100% \| 10\/10 \| .*\/s \| .* elapsed \| 1 failed/);
    assert.ok(text.endsWith('\n'));
    assert.equal(text.split('\n').length, 2, 'one line of progress, then the newline');
  });

  test('off a TTY a run shorter than the interval prints one final plain line', () => {
    const stream = fakeTerminal();
    stream.isTTY = false;
    const bar = progressBar({ stream: stream as unknown as NodeJS.WriteStream });
    for (let done = 1; done <= 5; done++) {
      bar.update({ done, total: 5, failed: 0, elapsedMs: done * 10, etaMs: (5 - done) * 10 });
    }
    bar.stop();
    assert.match(stream.text(), /^spindle #{24} 100% \| 5\/5 \| [\d.]+\/s \| \d+ms elapsed\n$/);
  });

  test('clear() erases the bar line so other output can be written on a TTY', () => {
    const stream = fakeTerminal();
    const bar = progressBar({ stream: stream as unknown as NodeJS.WriteStream });
    bar.update({ done: 1, total: 3, failed: 0, elapsedMs: 10 });
    bar.clear();
    assert.ok(stream.text().endsWith('\r\u001b[2K'));
    bar.stop();
  });

  test('progress: true on a non-TTY stderr writes plain lines with count, rate and percentage', async () => {
    const r = await runScript([]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '30');
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines.at(-1)!, /^spindle .* 100% \| 30\/30 \| [\d.,]+\/s \| .* elapsed$/);
    assert.ok(!r.stderr.includes('\n\n'), 'no blank lines');
    assert.ok(!r.stderr.includes('\r') && !r.stderr.includes(ESC), 'no terminal codes');
  });

  test('an abandoned bar does not keep the process alive', async () => {
    const r = await runScript(['--unfinished']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /abandoned/);
  });

  test('progressLine shows a count and rate when the total is unknown', () => {
    const line = progressLine({ done: 1500, failed: 0, elapsedMs: 1000 }, { label: 'run' });
    assert.equal(line, 'run | 1500 done | 1,500/s | 1.0s elapsed');
  });

  test('formatDuration reads naturally from milliseconds to hours', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(4200), '4.2s');
    assert.equal(formatDuration(185_000), '3m05s');
    assert.equal(formatDuration(3_720_000), '1h02m');
  });
});
