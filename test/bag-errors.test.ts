import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  bag,
  CancelledError,
  compute,
  delayed,
  ErrorCodes,
  InputFileError,
  inline,
  type PartitionErrorInfo,
  Pool,
  type ProgressInfo,
} from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { bagTasks as t } from './fixtures/bag-tasks.js';

/** Bags (see test/bag.test.ts): failures, aborts, progress, and reductions inside task graphs. */
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'spindle-bag-errors-'));
let fileNo = 0;
function file(text: string, name = `f${fileNo++}.txt`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('bags: errors, aborts, progress and graphs', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a missing file fails at readText with SPINDLE_INPUT_FILE, naming the path', () => {
    const missing = join(dir, 'no-such-file.txt');
    assert.throws(
      () => bag.readText([file('ok\n'), missing]),
      (error: unknown) =>
        error instanceof InputFileError &&
        error.code === ErrorCodes.INPUT_FILE &&
        error.path === missing &&
        error.message.includes(missing),
    );
  });

  test('a file removed after readText fails compute before any partition runs', async () => {
    const log = join(dir, 'removed.log');
    writeFileSync(log, '');
    const keep = file('kept\n');
    const gone = file('gone\n');
    const b = bag
      .readText([keep, gone])
      .map(inline((line: string) => ({ path: log, i: line.length }), { log }))
      .map(t.recorded);
    unlinkSync(gone);
    await assert.rejects(b.compute({ pool }), (error: InputFileError) => {
      assert.equal(error.code, ErrorCodes.INPUT_FILE);
      assert.ok(error.message.includes(gone));
      return true;
    });
    assert.equal(readFileSync(log, 'utf8'), '');
  });

  test("a step that throws rejects with that task's own error and the partition it failed in", async () => {
    const b = bag.fromSequence([1, 2, 3, 4, 5, 6, 7, 8, 9], { partitionSize: 3 }).map(t.failOn);
    await assert.rejects(b.compute({ pool }), (error: RangeError & PartitionErrorInfo) => {
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'seven is not allowed');
      assert.equal((error as { code?: string }).code, 'E_SEVEN');
      assert.equal(error.partition, 2);
      return true;
    });
    await assert.rejects(b.sum().compute({ backend: 'processes', workers: 1 }), {
      message: 'seven is not allowed',
      partition: 2,
    });
  });

  test('aborting the signal rejects with SPINDLE_CANCELLED and stops the partitions', async () => {
    const b = bag.fromSequence(
      Array.from({ length: 40 }, (_, i) => i),
      { partitionSize: 1 },
    );
    const controller = new AbortController();
    const running = b.map(t.slow).compute({ pool, signal: controller.signal });
    setTimeout(() => controller.abort(), 60);
    await assert.rejects(running, CancelledError);
    const aborted = AbortSignal.abort();
    await assert.rejects(b.count().compute({ pool, signal: aborted }), {
      code: ErrorCodes.CANCELLED,
    });
    // The pool is still usable: the abort withdrew the rest.
    assert.equal(await b.count().compute({ pool }), 40);
  });

  test('progress reports partitions done, up to npartitions', async () => {
    const seen: ProgressInfo[] = [];
    const b = bag.fromSequence([1, 2, 3, 4, 5], { partitionSize: 1 });
    await b.sum().compute({ pool, progress: (info) => seen.push(info) });
    assert.deepEqual(
      seen.map((s) => s.done),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(seen.every((s) => s.total === 5));
  });

  test('progress: true draws the partitions done on stderr', async () => {
    const script = fileURLToPath(new URL('./fixtures/bag-progress-script.ts', import.meta.url));
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script]);
    assert.equal(stdout.trim(), '15');
    assert.match(stderr, /6\/6/);
  });

  test('a reduction is a lazy call: it works in compute(...) and in delayed arguments', async () => {
    const nums = bag.fromSequence([1, 2, 3, 4], { npartitions: 2 });
    const total = nums.sum();
    const [n, s] = await compute(nums.count(), total, { pool });
    assert.deepEqual([n, s], [4, 10]);
    const doubled = delayed(t.double)(total);
    assert.equal(await compute(doubled, { pool }), 20);
    assert.equal(
      await compute({ sum: total, list: [nums.max()] }, { pool }).then((r) => r.list[0]),
      4,
    );
    assert.equal(await doubled.compute({ backend: 'processes', workers: 2 }), 20);
  });

  test('an inline step on the Redis backend is refused with SPINDLE_UNSUPPORTED before anything is sent', async () => {
    // Nothing listens on port 1: a refusal that waited for Redis would fail differently.
    const backend = redis({ connection: 'redis://127.0.0.1:1' });
    const b = bag.fromSequence([1]).map((x: number) => x + 1);
    await assert.rejects(b.count().compute({ backend }), {
      code: ErrorCodes.UNSUPPORTED,
      message: /the bag\.map\(task\) step is an inline function: code is never shipped/,
    });
    await assert.rejects(
      bag
        .fromSequence([1])
        .fold(
          (acc: number, x: number) => acc + x,
          (x: number, y: number) => x + y,
          0,
        )
        .compute({ backend }),
      { code: ErrorCodes.UNSUPPORTED, message: /the fold binop is an inline function/ },
    );
  });

  test('when another node of a graph fails, the partitions of a reduction in it stop', async () => {
    const log = join(dir, 'graph.log');
    writeFileSync(log, '');
    const items = Array.from({ length: 40 }, (_, i) => ({ path: log, i }));
    const total = bag.fromSequence(items, { partitionSize: 1 }).map(t.recorded).count();
    const failing = delayed(t.failOn)(7);
    await assert.rejects(compute(total, failing, { pool }), { message: 'seven is not allowed' });
    // Left running, 2 workers would start about 14 more partitions in this time.
    await new Promise((r) => setTimeout(r, 500));
    const started = readFileSync(log, 'utf8')
      .split('\n')
      .filter((e) => e.startsWith('start'));
    assert.ok(started.length < 10, `${started.length} of 40 partitions started`);
    assert.equal(await bag.fromSequence([1, 2]).count().compute({ pool }), 2);
  });

  test('bad arguments fail at the call that gave them', () => {
    const b = bag.fromSequence([1]);
    assert.throws(() => b.map(42 as never), TypeError);
    const k = 2;
    assert.throws(() => b.map((x) => x * k), { code: ErrorCodes.INLINE_CAPTURE });
    assert.throws(() => b.topk(0), RangeError);
    assert.throws(() => b.pluck({} as never), TypeError);
    assert.throws(() => bag.readText(42 as never), TypeError);
    assert.throws(() => bag.readText(file('x'), { encoding: 'utf16le' as never }), RangeError);
  });
});
