import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { encodePng } from '../src/demo/png.js';
import { runCli } from './fixtures/cli-spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'spindle-demo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('spindle demo', () => {
  test('--quick runs every workload four ways and prints the table with speed-ups', async () => {
    const r = await runCli(['demo', '--quick', '--jobs', '2', '--out', dir], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /workload\s+sequential\s+threads\s+processes\s+face\s+face used/);
    for (const row of [
      /cube & square of 1\.\.2,000 .*×.*parallel \+ delayed/,
      /4 squares, 100 ms sleep each .*×.*inline, 4 in flight/,
      /6 page titles, 20 ms each .*×.*threads, concurrency 'auto'/,
      /Σx² of 100,000 float64, chunked .*×.*shared \+ parallelFor/,
      /word counts, 4,000 strings .*×.*parallel, 10k per call/,
      /4 Mandelbrot tiles 48² → PNG .*×.*submit \+ asCompleted/,
    ]) {
      assert.match(r.stdout, row);
    }
    assert.doesNotMatch(r.stdout, /✗/, 'every answer matches the sequential one');
    const pngs = readdirSync(dir).filter((f) => f.endsWith('.png'));
    assert.equal(pngs.length, 4);
    for (const png of pngs) {
      assert.deepEqual([...readFileSync(join(dir, png)).subarray(1, 4)], [0x50, 0x4e, 0x47]);
    }
  });

  test('runs only the workloads named', async () => {
    const r = await runCli(['demo', '--quick', '--out', dir, 'cubes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cube & square/);
    assert.doesNotMatch(r.stdout, /Mandelbrot/);
  });

  test('an unknown workload name is exit 2, listing the workloads', async () => {
    const r = await runCli(['demo', '--quick', '--out', dir, 'nope']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /no demo workload 'nope'.*cubes, sleep, titles, sumsq, words, mandelbrot/,
    );
  });
});

describe('the demo PNG encoder', () => {
  test('writes a valid PNG: signature, IHDR with the size, and pixels that inflate back', () => {
    const rgb = new Uint8Array(3 * 2 * 3).map((_, i) => i * 10);
    const png = encodePng(3, 2, rgb);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.toString('latin1', 12, 16), 'IHDR');
    assert.equal(png.readUInt32BE(16), 3);
    assert.equal(png.readUInt32BE(20), 2);
    const idatLength = png.readUInt32BE(33);
    assert.equal(png.toString('latin1', 37, 41), 'IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    assert.deepEqual([...raw], [0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
    assert.equal(png.toString('latin1', png.length - 8, png.length - 4), 'IEND');
  });

  test('refuses pixel data of the wrong size', () => {
    assert.throws(() => encodePng(2, 2, new Uint8Array(5)), RangeError);
  });
});
