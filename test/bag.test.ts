import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { bag, inline, Pool, type ProgressInfo } from '../src/index.js';
import { bagTasks as t } from './fixtures/bag-tasks.js';

const dir = mkdtempSync(join(tmpdir(), 'spindle-bag-'));
let fileNo = 0;
function file(text: string | Buffer, name = `f${fileNo++}.txt`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The lines a reader must give: split at '\n', a '\r' before it dropped, no empty last line. */
function expectedLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const endsWithNewline = parts[parts.length - 1] === '';
  if (endsWithNewline) parts.pop();
  return parts.map((p, i) =>
    (i < parts.length - 1 || endsWithNewline) && p.endsWith('\r') ? p.slice(0, -1) : p,
  );
}

/** This process's I/O counters: bytes it read and wrote through system calls (files, pipes). */
function callerIo(): { rchar: number; wchar: number } {
  const fields = Object.fromEntries(
    readFileSync('/proc/self/io', 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(': ')),
  );
  return { rchar: Number(fields.rchar), wchar: Number(fields.wchar) };
}

/** A small deterministic generator (mulberry32), so a failing case can be re-run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'bc', ' ', 'é', '日本', '😀', '\n', '\r\n', '\n\n', 'word ', '\r'];
function randomText(seed: number): string {
  const next = random(seed);
  const n = Math.floor(next() * 60);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)];
  return s;
}

describe('bags', () => {
  let pool: Pool;
  let inlinePool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
    inlinePool = new Pool({ backend: 'inline', workers: 2 });
  });
  after(async () => {
    await Promise.all([pool.close(), inlinePool.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('readText gives every line exactly once, in order, for any blocksize down to one byte', async () => {
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 31, 64, 1000];
    for (let seed = 1; seed <= 14; seed++) {
      const text = randomText(seed);
      const path = file(text);
      for (const blocksize of sizes) {
        const lines = await bag.readText(path, { blocksize }).compute({ pool: inlinePool });
        assert.deepEqual(lines, expectedLines(text), `seed ${seed}, blocksize ${blocksize}`);
      }
    }
  });

  test('thread workers read their blocks the same way, across several files in order', async () => {
    const texts = ['first\r\nsecond é\n', 'no newline at the end 😀', '', '\n\nx\n'];
    const paths = texts.map((text) => file(text));
    const want = texts.flatMap(expectedLines);
    for (const blocksize of [1, 2, 5, '1KiB']) {
      const b = bag.readText(paths, { blocksize });
      assert.deepEqual(await b.compute({ pool }), want, `blocksize ${blocksize}`);
    }
  });

  test('npartitions is known at once: one per block of each file, an empty file is one', () => {
    const a = file('x'.repeat(2500));
    const empty = file('');
    assert.equal(bag.readText([a, empty], { blocksize: 1000 }).npartitions, 4);
    assert.equal(bag.readText(a, { blocksize: '1kB' }).npartitions, 3);
    assert.equal(bag.readText(a, { blocksize: '1KiB' }).npartitions, 3);
    assert.equal(bag.readText(a, { blocksize: '0.5KiB' }).npartitions, 5);
    assert.equal(bag.readText(a, { blocksize: '1k' }).npartitions, 3);
    assert.equal(bag.readText(a, { blocksize: '2 ki' }).npartitions, 2);
    assert.equal(bag.readText(a, { blocksize: '600' }).npartitions, 5);
    assert.equal(bag.readText(a).npartitions, 1);
  });

  test('a blocksize that is not a size fails at readText', () => {
    const a = file('x\n');
    for (const blocksize of [0, -1, 1.5, '12 parsecs', 'MiB', '', '0.1', '3 MiBs']) {
      assert.throws(() => bag.readText(a, { blocksize }), RangeError, String(blocksize));
    }
  });

  test('a gzip file is one partition, decompressed as it streams', async () => {
    const text = 'zipped one\r\nzipped two é\nlast';
    const gz = file(gzipSync(Buffer.from(text)), 'lines.txt.gz');
    const plain = file('plain\n');
    const b = bag.readText([plain, gz], { blocksize: 2 });
    assert.equal(b.npartitions, 4);
    assert.deepEqual(await b.compute({ pool }), ['plain', ...expectedLines(text)]);
    assert.deepEqual(await bag.readText(gz).take(1, { pool }), ['zipped one']);
  });

  test('a gzip file larger than one zlib chunk keeps lines whole across chunks', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i} é 😀`);
    const text = `${lines.join('\r\n')}\r\n`;
    const gz = file(gzipSync(Buffer.from(text)), 'many.txt.gz');
    assert.deepEqual(await bag.readText(gz).compute({ pool }), lines);
  });

  test('a line longer than the read buffer stays whole, and so do the blocks around it', async () => {
    const long = 'x'.repeat(3_000_000);
    const text = `short\n${long}\nafter é\n${long}`;
    const path = file(text);
    const lengths = bag.readText(path, { blocksize: '256KiB' }).map(t.len);
    assert.deepEqual(await lengths.compute({ pool }), [5, 3_000_000, 7, 3_000_000]);
  });

  test('the caller does not read the file: on processes its own reads stay far below the file size', {
    skip: !existsSync('/proc/self/io'),
  }, async () => {
    const path = file('some words on a line\n'.repeat(400_000));
    const size = statSync(path).size;
    const procs = new Pool({ backend: 'processes', workers: 2 });
    try {
      const counts = bag.readText(path, { blocksize: '1MiB' }).flatMap(t.words).frequencies();
      await counts.compute({ pool: procs });
      const before = callerIo();
      const got = await counts.compute({ pool: procs });
      const after = callerIo();
      assert.equal(got.get('words'), 400_000);
      const moved = after.rchar - before.rchar + (after.wchar - before.wchar);
      assert.ok(moved < size / 20, `the caller moved ${moved} bytes for a ${size}-byte file`);
    } finally {
      await procs.close();
    }
  });

  test('a UTF-8 byte order mark is not part of the first line; latin1 reads byte by byte', async () => {
    const bom = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('é\nb\n')]));
    assert.deepEqual(await bag.readText(bom, { blocksize: 2 }).compute({ pool }), ['é', 'b']);
    const latin = file(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x78]));
    assert.deepEqual(await bag.readText(latin, { encoding: 'latin1' }).compute({ pool }), [
      'café',
      'x',
    ]);
  });

  test('map, filter, flatMap, pluck and mapPartitions chain, with module tasks and inline functions', async () => {
    const path = file('one two\nthree\n\nfour five six\n');
    const suffix = '!';
    const words = bag
      .readText(path, { blocksize: 4 })
      .flatMap(t.words)
      .map(inline((w: string) => w + suffix, { suffix }))
      .map(t.upper);
    assert.deepEqual(await words.compute({ pool }), [
      'ONE!',
      'TWO!',
      'THREE!',
      'FOUR!',
      'FIVE!',
      'SIX!',
    ]);
    const lengths = bag
      .readText(path)
      .map((line) => ({ line, n: line.length }))
      .pluck('n');
    assert.deepEqual(await lengths.compute({ pool }), [7, 5, 0, 13]);
    const evens = bag.fromSequence([1, 2, 3, 4, 5, 6, 7, 8], { npartitions: 2 });
    assert.deepEqual(
      await evens.filter(t.isEven).map(t.double).mapPartitions(t.sortedCopy).compute({ pool }),
      [8, 4, 16, 12],
    );
    const pairs = bag.fromSequence([[1, 'a'] as const, [2, 'b'] as const]).pluck(1);
    assert.deepEqual(await pairs.compute({ pool }), ['a', 'b']);
  });

  test('the steps of a partition run fused, each item through every step before the next', async () => {
    const b = bag.fromSequence([1, 2, 3], { npartitions: 1 }).map(t.logA).map(t.logB);
    assert.deepEqual(await b.mapPartitions(t.drainLog).compute({ pool }), [
      'a1',
      'b1',
      'a2',
      'b2',
      'a3',
      'b3',
    ]);
  });

  test('reductions combine the partials of every partition', async () => {
    const nums = bag.fromSequence([5, 3, 9, 1, 9, 4, 7], { partitionSize: 2 });
    assert.equal(await nums.count().compute({ pool }), 7);
    assert.equal(await nums.sum().compute({ pool }), 38);
    assert.equal(await nums.min().compute({ pool }), 1);
    assert.equal(await nums.max().compute({ pool }), 9);
    assert.equal(await nums.mean().compute({ pool }), 38 / 7);
    assert.deepEqual(
      [...(await nums.frequencies().compute({ pool }))].sort(),
      [
        [1, 1],
        [3, 1],
        [4, 1],
        [5, 1],
        [7, 1],
        [9, 2],
      ].sort(),
    );
    assert.deepEqual((await nums.distinct().compute({ pool })).sort(), [1, 3, 4, 5, 7, 9]);
    assert.equal(await nums.distinct().count().compute({ pool }), 6);
    assert.deepEqual(await nums.topk(3).compute({ pool }), [9, 9, 7]);
    assert.deepEqual(await nums.topk(2, (x) => -x).compute({ pool }), [1, 3]);
    assert.equal(await nums.fold(t.add, t.add, 0).compute({ pool }), 38);
    const byParity = await nums.foldBy(t.parity, t.add, 0, t.add).compute({ pool });
    assert.deepEqual(Object.fromEntries(byParity), { odd: 34, even: 4 });
  });

  test('fold folds each partition from initial and combines the results in partition order', async () => {
    const letters = bag.fromSequence(['a', 'b', 'c', 'd', 'e'], { partitionSize: 2 });
    const joined = letters.fold(
      (acc: string[], x: string) => [...acc, x],
      (a: string[], b: string[]) => [...a, '|', ...b],
      [] as string[],
    );
    assert.deepEqual(await joined.compute({ pool }), ['a', 'b', '|', 'c', 'd', '|', 'e']);
  });

  test('an empty bag counts 0, sums 0, has no min, a NaN mean, and folds to initial', async () => {
    const empty = bag.fromSequence<number>([]);
    assert.equal(empty.npartitions, 0);
    assert.equal(await empty.count().compute({ pool }), 0);
    assert.equal(await empty.sum().compute({ pool }), 0);
    assert.equal(await empty.min().compute({ pool }), undefined);
    assert.ok(Number.isNaN(await empty.mean().compute({ pool })));
    assert.equal(await empty.fold(t.add, t.add, 42).compute({ pool }), 42);
    assert.deepEqual(await empty.compute({ pool }), []);
  });

  test('word count over a file gives the same frequencies on threads, processes and inline', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(`w${i % 7} w${i % 3} é${i % 2}`);
    const path = file(`${lines.join('\n')}\n`);
    const want = new Map<string, number>();
    for (const w of lines.join(' ').split(' ')) want.set(w, (want.get(w) ?? 0) + 1);
    const counts = bag.readText(path, { blocksize: 500 }).flatMap(t.words).frequencies();
    for (const backend of ['threads', 'processes', 'inline'] as const) {
      const got = await counts.compute({ backend, workers: 2 });
      assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()), backend);
    }
  });

  test('fromSequence cuts arrays at once; an async iterable has npartitions once computed', async () => {
    assert.equal(bag.fromSequence([1, 2, 3, 4, 5], { npartitions: 2 }).npartitions, 2);
    assert.equal(bag.fromSequence([1, 2, 3, 4, 5], { partitionSize: 2 }).npartitions, 3);
    assert.equal(bag.fromSequence(new Set([1, 2, 3])).npartitions, 3);
    async function* gen() {
      for (let i = 0; i < 5; i++) yield i;
    }
    const b = bag.fromSequence(gen(), { partitionSize: 2 });
    assert.equal(b.npartitions, undefined);
    assert.deepEqual(await b.map(t.double).compute({ pool }), [0, 2, 4, 6, 8]);
    assert.equal(b.npartitions, 3);
    assert.equal(await b.count().compute({ pool }), 5);
    assert.throws(() => bag.fromSequence([1], { partitionSize: 1, npartitions: 1 }), TypeError);
    assert.throws(() => bag.fromSequence(42 as never), TypeError);
  });

  test('take runs partitions in order, stops once it has n, and never runs more at once than workers', async () => {
    const log = join(dir, 'take.log');
    writeFileSync(log, '');
    const items = Array.from({ length: 12 }, (_, i) => ({ path: log, i }));
    const b = bag.fromSequence(items, { partitionSize: 1 }).map(t.recorded);
    assert.deepEqual(await b.take(3, { pool }), [0, 1, 2]);
    await new Promise((r) => setTimeout(r, 100));
    const events = readFileSync(log, 'utf8').trim().split('\n');
    const started = events.filter((e) => e.startsWith('start')).map((e) => Number(e.slice(6)));
    assert.ok(started.length <= 4, `started ${started.join(', ')}`);
    assert.deepEqual(started.slice(0, 3).sort(), [0, 1, 2]);
    let running = 0;
    let most = 0;
    for (const e of events) {
      running += e.startsWith('start') ? 1 : -1;
      most = Math.max(most, running);
    }
    assert.ok(most <= 2, `at most ${most} partitions ran at once on 2 workers`);
    assert.deepEqual(await bag.fromSequence([1, 2, 3]).take(10, { pool }), [1, 2, 3]);
    assert.deepEqual(await bag.fromSequence([1, 2, 3]).take(0, { pool }), []);
  });

  test('take reads only the first block of a large file when that holds enough lines', async () => {
    const path = file(Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n'));
    const seen: ProgressInfo[] = [];
    const got = await bag
      .readText(path, { blocksize: 100 })
      .take(5, { pool, progress: (info) => seen.push(info) });
    assert.deepEqual(got, ['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    assert.ok(seen[seen.length - 1].done <= 2, `${seen[seen.length - 1].done} partitions ran`);
  });

  test('toTextFiles writes one file per partition, one item per line, non-strings as JSON', async () => {
    const out = join(dir, 'out', 'nested');
    const b = bag.fromSequence(['a', { n: 1 }, 2, 'b'], { npartitions: 2 });
    const paths = await b.toTextFiles(out, { pool });
    assert.deepEqual(paths, [join(out, 'part-00000.txt'), join(out, 'part-00001.txt')]);
    assert.equal(readFileSync(paths[0], 'utf8'), 'a\n{"n":1}\n');
    assert.equal(readFileSync(paths[1], 'utf8'), '2\nb\n');
    const source = file('x\ny\n');
    const filtered = bag.readText(source, { blocksize: 2 }).filter((s) => s === 'y');
    const written = await filtered.toTextFiles(join(dir, 'out2'), { pool });
    assert.deepEqual(
      written.map((p) => readFileSync(p, 'utf8')),
      ['', 'y\n'],
    );
    assert.deepEqual(await bag.readText(written).compute({ pool }), ['y']);
  });
});
