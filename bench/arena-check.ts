/**
 * The caller's side of auto-sharing across calls, without workers (issue 16): per call, two
 * leases take the two halves of one 160 MB buffer from a pool's arena (the check, and the copy
 * when bytes changed) and give them back, as W4 "10 calls" does. Three ways: unchanged, one
 * byte written before every call near the start of the first half, near its end, and near the
 * end of the second. This build's arena and
 * a base build's alternate in one process (ms a call, medians).
 *
 *   npx tsx bench/arena-check.ts /tmp/base [rounds=7]
 */
import { resolve } from 'node:path';
import { Arena } from '../src/codec/arena.js';

const base = process.argv[2];
if (!base) throw new Error('pass a checkout of the base commit (its src/ is imported)');
const rounds = Number(process.argv[3] ?? 7);
const Base = (await import(resolve(base, 'src/codec/arena.ts'))).Arena as typeof Arena;
const n = 160_000_000;
const h = n / 2;
const bytes = new Uint8Array(n);
for (let i = 0; i < n; i += 8) bytes[i] = i & 255;
const arenas = { base: new Base(), this: new Arena() };
const call = (arena: Arena, write: number) => {
  if (write >= 0) bytes[write] ^= 1;
  const first = arena.lease();
  const second = arena.lease();
  first.copy(bytes.buffer, 0, n, false, 0, h);
  second.copy(bytes.buffer, 0, n, false, h, n);
  first.release();
  second.release();
};
const ways: Record<string, (i: number) => number> = {
  unchanged: () => -1,
  first: (i) => 1000 + i,
  'first end': (i) => h - 1000 - i,
  second: (i) => n - 1000 - i,
};
for (const a of Object.values(arenas))
  for (const w of Object.values(ways)) for (let i = 0; i < 3; i++) call(a, w(i));
const res: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const [way, w] of Object.entries(ways)) {
    const order = r % 2 ? ['base', 'this'] : ['this', 'base'];
    for (const side of order) {
      const t = performance.now();
      for (let i = 0; i < 5; i++) call(arenas[side as 'base'], w(i));
      (res[`${way} ${side}`] ??= []).push((performance.now() - t) / 5);
    }
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const way of Object.keys(ways)) {
  const b = med(res[`${way} base`]);
  const t = med(res[`${way} this`]);
  console.log(
    `${way.padEnd(10)} base ${b.toFixed(1)} ms a call | this ${t.toFixed(1)} ms | this / base ${(t / b).toFixed(2)}`,
  );
}
