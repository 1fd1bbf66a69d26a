import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const parentScript = fileURLToPath(new URL('./fixtures/orphan-parent.ts', import.meta.url));

/** Gone, or a zombie waiting for an init that does not reap (as in some containers). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

test('process workers exit when their parent is SIGKILLed, even one stuck in a CPU loop', async (t) => {
  const parent = spawn(process.execPath, [...process.execArgv, parentScript], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    parent.stdout.setEncoding('utf8');
    const pids = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no worker pids within 30 s: ${out}`)),
        30_000,
      );
      parent.stdout.on('data', (chunk: string) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.startsWith('['));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      parent.once('exit', (code) => reject(new Error(`the parent exited early (${code}): ${out}`)));
    });
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.equal(isGone(pid), false, `worker ${pid} should be running`);

    const exited = once(parent, 'exit');
    parent.kill('SIGKILL');
    await exited;
    const started = Date.now();
    while (!pids.every(isGone)) {
      if (Date.now() - started > 5_000) {
        const alive = pids.filter((pid) => !isGone(pid));
        for (const pid of alive) process.kill(pid, 'SIGKILL');
        assert.fail(`workers ${alive.join(', ')} outlived their parent by 5 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    t.diagnostic(`workers gone ${Date.now() - started} ms after the parent was killed`);
  } finally {
    if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
  }
});
