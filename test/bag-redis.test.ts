import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  bag,
  CancelledError,
  ErrorCodes,
  type InputFileError,
  type PartitionErrorInfo,
  Pool,
  type ProgressInfo,
} from '../src/index.js';
import { redis } from '../src/redis/index.js';
import { marks } from './fixtures/bag-redis-tasks.js';
import { bagTasks as t } from './fixtures/bag-tasks.js';
import { tasks as redisTasks } from './fixtures/redis-tasks.js';
import {
  type RedisServer,
  redisSkip,
  startRedisServer,
  startWorker,
  stopAll,
  type WorkerProcess,
} from './helpers/redis-server.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
// Real paths: the workers compare real paths, and tmpdir() may itself be a symlink.
const base = realpathSync(mkdtempSync(join(tmpdir(), 'spindle-bag-redis-')));
const data = join(base, 'data');
const out = join(base, 'out');
const outside = join(base, 'outside');
for (const d of [data, out, outside]) mkdirSync(d);
const marksFile = join(base, 'marks.log');
writeFileSync(marksFile, '');

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
function text(lines: number): string {
  let s = '';
  for (let i = 0; i < lines; i++) {
    const n = 1 + ((i * 7) % 5);
    const words = Array.from({ length: n }, (_, j) => WORDS[(i * 3 + j * 5) % WORDS.length]);
    s += `${words.join(' ')}${i % 3 === 0 ? '\r\n' : '\n'}`;
  }
  return s;
}

describe('bags on the redis cluster', { skip: redisSkip }, () => {
  let server: RedisServer | undefined;
  let a: WorkerProcess | undefined;
  let b: WorkerProcess | undefined;
  let pool: Pool;

  before(async () => {
    server = await startRedisServer();
    const options = {
      tasks: [fixture('bag-tasks.ts'), fixture('bag-redis-tasks.ts')],
      allowRead: [data],
      allowWrite: [out],
      env: { SPINDLE_TEST_MARKS: marksFile },
    };
    [a, b] = await Promise.all([
      startWorker(server.url, options),
      startWorker(server.url, options),
    ]);
    pool = new Pool({ backend: redis({ connection: server.url }), workers: 2 });
  });

  after(async () => {
    await pool?.terminate();
    await stopAll(a, b, server);
    rmSync(base, { recursive: true, force: true });
  });

  test('word count and frequencies over a file on the cluster equal the threads result', async () => {
    const path = join(data, 'words.txt');
    writeFileSync(path, text(3000));
    const lines = bag.readText(path, { blocksize: '4KiB' });
    assert.ok((lines.npartitions ?? 0) > 4, `${lines.npartitions} partitions`);
    const words = lines.flatMap(t.words);
    const threads = { backend: 'threads' as const, workers: 2 };
    assert.equal(await words.count().compute({ pool }), await words.count().compute(threads));
    assert.deepEqual(
      await words.frequencies().compute({ pool }),
      await words.frequencies().compute(threads),
    );
    const all = await lines.compute({ pool });
    assert.deepEqual(all, readFileSync(path, 'utf8').split(/\r?\n/).slice(0, -1));
    assert.deepEqual(await lines.take(3, { pool }), all.slice(0, 3));
  });

  test('every reduction over a sequence gives on the cluster what it gives inline', async () => {
    const nums = bag.fromSequence(
      Array.from({ length: 500 }, (_, i) => (i * 37) % 101),
      { npartitions: 7 },
    );
    const records = bag.fromSequence(
      Array.from({ length: 60 }, (_, i) => ({ name: WORDS[i % WORDS.length]!, n: i })),
      { partitionSize: 9 },
    );
    const inline = { backend: 'inline' as const };
    const cases = [
      nums.count(),
      nums.sum(),
      nums.min(),
      nums.max(),
      nums.mean(),
      nums.map(t.parity).frequencies(),
      nums.filter(t.isEven).topk(5),
      records.pluck('name').topk(3, t.len),
      nums.fold(t.add, (x: number, y: number) => x + y, 0),
      nums.foldBy(t.parity, t.add, 0, (x: number, y: number) => x + y),
      records.pluck('name').map(t.upper).distinct().count(),
      nums.mapPartitions(t.sortedCopy).count(),
    ];
    for (const reduced of cases) {
      assert.deepEqual(await reduced.compute({ pool }), await reduced.compute(inline));
    }
    assert.deepEqual(
      await nums.map(t.double).compute({ pool }),
      await nums.map(t.double).compute(inline),
    );
  });

  test('a file outside the allowed folders is refused with SPINDLE_PATH_NOT_ALLOWED, naming it and the flag', async () => {
    const secret = join(outside, 'secret.txt');
    writeFileSync(secret, 'not for jobs\n');
    for (const given of [secret, join(data, '..', 'outside', 'secret.txt')]) {
      await assert.rejects(
        bag.readText(given).count().compute({ pool }),
        (error: Error & { code?: string; path?: string; flag?: string } & PartitionErrorInfo) => {
          assert.equal(error.code, ErrorCodes.PATH_NOT_ALLOWED);
          assert.equal(error.path, secret);
          assert.equal(error.flag, '--allow-read');
          assert.ok(error.message.includes(secret), error.message);
          assert.match(error.message, /start it with --allow-read/);
          assert.equal(error.partition, 0);
          return true;
        },
      );
    }
  });

  test('a symlink in an allowed folder that leads outside it is refused', async () => {
    const target = join(outside, 'target.txt');
    writeFileSync(target, 'outside\n');
    const link = join(data, 'link.txt');
    symlinkSync(target, link);
    await assert.rejects(
      bag.readText(link).compute({ pool }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, ErrorCodes.PATH_NOT_ALLOWED);
        assert.ok(error.message.includes(link) && error.message.includes(target), error.message);
        return true;
      },
    );
    // One that stays inside is followed.
    const inner = join(data, 'inner.txt');
    writeFileSync(inner, 'a b\nc\n');
    symlinkSync(inner, join(data, 'inner-link.txt'));
    assert.deepEqual(await bag.readText(join(data, 'inner-link.txt')).compute({ pool }), [
      'a b',
      'c',
    ]);
  });

  test('toTextFiles has the workers write into an allowed folder, and nowhere else', async () => {
    const items = bag.fromSequence(['x', 'y', 'z', 'w', 'v'], { npartitions: 3 }).map(t.upper);
    const folder = join(out, 'upper');
    const paths = await items.toTextFiles(folder, { pool });
    assert.deepEqual(
      paths,
      [0, 1, 2].map((i) => join(folder, `part-0000${i}.txt`)),
    );
    assert.deepEqual(
      paths.map((p) => readFileSync(p, 'utf8')),
      ['X\n', 'Y\nZ\n', 'W\nV\n'],
    );
    const refused = join(outside, 'written');
    await assert.rejects(
      items.toTextFiles(refused, { pool }),
      (error: Error & { code?: string; path?: string; flag?: string }) => {
        assert.equal(error.code, ErrorCodes.PATH_NOT_ALLOWED);
        assert.equal(error.flag, '--allow-write');
        assert.ok(error.path?.startsWith(refused), error.path);
        assert.match(error.message, /start it with --allow-write/);
        return true;
      },
    );
    // A symlink in the allowed folder is no way out of it.
    symlinkSync(outside, join(out, 'escape'));
    await assert.rejects(items.toTextFiles(join(out, 'escape', 'deeper'), { pool }), {
      code: ErrorCodes.PATH_NOT_ALLOWED,
      message: new RegExp(`leads to ${outside}`),
    });
  });

  test('a missing file rejects naming the path before any work is sent', async () => {
    const missing = join(data, 'missing.txt');
    assert.throws(() => bag.readText(missing), { code: ErrorCodes.INPUT_FILE, path: missing });
    const kept = join(data, 'kept.txt');
    const gone = join(data, 'gone.txt');
    writeFileSync(kept, 'kept\n');
    writeFileSync(gone, 'gone\n');
    const b = bag.readText([kept, gone]).map(marks.mark);
    unlinkSync(gone);
    await assert.rejects(b.compute({ pool }), (error: InputFileError) => {
      assert.equal(error.code, ErrorCodes.INPUT_FILE);
      assert.ok(error.message.includes(gone), error.message);
      return true;
    });
    assert.equal(readFileSync(marksFile, 'utf8'), '');
    // The same bag runs, marks included, once the file is back.
    writeFileSync(gone, 'gone\n');
    assert.deepEqual(await b.compute({ pool }), ['kept', 'gone']);
    assert.deepEqual(readFileSync(marksFile, 'utf8').split('\n').sort(), ['', 'gone', 'kept']);
  });

  test('an inline step is refused with SPINDLE_UNSUPPORTED before any job is sent', async () => {
    const path = join(data, 'inline.txt');
    writeFileSync(path, 'a\n');
    await assert.rejects(
      bag
        .readText(path)
        .map((line: string) => line.length)
        .sum()
        .compute({ pool }),
      { code: ErrorCodes.UNSUPPORTED, message: /bag\.map\(task\) step is an inline function/ },
    );
  });

  test('a step from a module the workers were not started with is refused by them', async () => {
    await assert.rejects(
      bag.fromSequence([1, 2]).map(redisTasks.cube).compute({ pool }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, ErrorCodes.JOB_REFUSED);
        assert.match(error.message, /redis-tasks/);
        assert.match(error.message, /--tasks/);
        return true;
      },
    );
  });

  test('progress counts partitions done and the signal aborts on the cluster', async () => {
    const seen: ProgressInfo[] = [];
    const nums = bag.fromSequence([1, 2, 3, 4, 5], { partitionSize: 1 });
    assert.equal(await nums.sum().compute({ pool, progress: (info) => seen.push(info) }), 15);
    assert.deepEqual(
      seen.map((s) => s.done),
      [0, 1, 2, 3, 4, 5],
    );
    const slow = bag.fromSequence(
      Array.from({ length: 40 }, (_, i) => i),
      { partitionSize: 1 },
    );
    const controller = new AbortController();
    const running = slow.map(t.slow).compute({ pool, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(running, CancelledError);
    assert.equal(await nums.count().compute({ pool }), 5);
  });

  test('a worker given a folder that does not exist fails at start, naming it', async () => {
    const worker = await startWorker(server!.url, {
      tasks: [fixture('bag-tasks.ts')],
      allowRead: [join(base, 'no-such-folder')],
      wait: false,
    });
    assert.equal(await worker.exit(), 1);
    assert.match(worker.output(), /SPINDLE_INPUT_FILE/);
    assert.match(worker.output(), /--allow-read, .*no-such-folder, does not exist/);
  });
});
