import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Keeps the bench from rotting: tiny sizes, one repetition, no timing assertions. It runs the
// built package (dist/), which .ci/run builds before the tests; without one the harness builds it.
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spindle-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface BenchJson {
  meta: { quick: boolean; nproc: number; node: string };
  results: Record<string, Record<string, { samples: number[]; ok: boolean; detail?: string }>>;
  goals: Array<{ goal: string }>;
  errors: string[];
}

function bench(args: string[]): Promise<{ code: number; stdout: string; json: BenchJson }> {
  const out = join(dir, `${args.join('_').replace(/[^\w]/g, '')}.json`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-build', '--out', out, ...args],
      { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        if (error && typeof error.code !== 'number') return reject(error);
        try {
          resolve({
            code: typeof error?.code === 'number' ? error.code : 0,
            stdout,
            json: JSON.parse(readFileSync(out, 'utf8')),
          });
        } catch (e) {
          reject(new Error(`no JSON from the bench: ${e}\n${stdout}`));
        }
      },
    );
  });
}

describe('bench smoke run', () => {
  test('a quick run of W1, W3, W4 and W5 completes with every result checked correct', async () => {
    const { code, stdout, json } = await bench(['--only', 'W1,W3,W4,W5', '--compare', 'piscina']);
    assert.deepEqual(json.errors, []);
    assert.equal(code, 0, stdout);
    assert.equal(json.meta.quick, true);
    for (const row of ['W1', 'W3 map', 'W3 1/call', 'W3 8 chunks', 'W4 shared', 'W4 transfer']) {
      assert.ok(json.results[row], `row ${row} is missing`);
    }
    for (const runner of ['serial', 'spindle', 'raw', 'piscina']) {
      assert.ok(json.results.W1[runner], `W1 has no ${runner} column`);
    }
    for (const [row, cells] of Object.entries(json.results)) {
      for (const [runner, cell] of Object.entries(cells)) {
        assert.ok(cell.ok, `${row} ${runner}: ${cell.detail ?? 'wrong result'}`);
        assert.ok(cell.samples.length > 0, `${row} ${runner} has no samples`);
      }
    }
    assert.ok(json.results['W5 first result'].spindle.samples.length >= 1);
    assert.match(stdout, /\| W1 /);
  });

  test('an unknown workload is refused with the list of known ones', async () => {
    const done = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'W9'],
        { cwd: root, timeout: 60_000 },
        (error, _stdout, stderr) =>
          resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
      );
    });
    assert.equal(done.code, 2);
    assert.match(done.stderr, /unknown workload W9; known: W1 W1' W2/);
  });
});
