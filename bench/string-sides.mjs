/**
 * W6's strings to a worker two ways, with each side's thread CPU (schedstat): structured clone
 * of each chunk (what spindle does), against the chunk's characters written into shared memory
 * (joined in groups of 16K characters, one TextEncoder.encodeInto a group, ASCII checked by
 * read === written) and each string made in the worker by one `latin1Slice` just before its
 * task (a flat one-byte string, which V8's fast toLowerCase wants). One worker, one chunk in
 * flight, so neither side waits for a core; modes alternate within each round.
 *
 *   node bench/string-sides.mjs [rounds] [chunk size]
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const [roundsArg = '5', chunkArg = '16000'] = process.argv.slice(2);
const here = new URL('.', import.meta.url).pathname;
const { makeTexts } = await import(`${here}workloads.mjs`);
const texts = makeTexts(2_000_000);
const C = Number(chunkArg);
const chunks = [];
for (let i = 0; i < texts.length; i += C) chunks.push(texts.slice(i, i + C));

const threadCpu = () =>
  Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
  const { readFileSync } = require('node:fs');
  const threadCpu = ${threadCpu.toString()};
  const kernels = import(${JSON.stringify(`${here}tasks/kernels.mjs`)});
  let from = 0;
  parentPort.on('message', async (m) => {
    const { words } = await kernels;
    if (m === 'start') { from = threadCpu(); return parentPort.postMessage(0); }
    if (m === 'end') return parentPort.postMessage(threadCpu() - from);
    let n = 0;
    if (Array.isArray(m)) for (let i = 0; i < m.length; i++) n += words(m[i]);
    else {
      const b = Buffer.from(m.s.buffer, m.s.byteOffset, m.s.byteLength);
      for (let i = 0; i < m.e.length - 1; i++) n += words(b.latin1Slice(m.e[i], m.e[i + 1]));
    }
    parentPort.postMessage(n);
  });`,
  { eval: true },
);
const ask = (m) =>
  new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(m);
  });

const sab = new SharedArrayBuffer(128 * 1024 * 1024);
const encoder = new TextEncoder();
/** The chunk's characters and each string's end, ASCII only (W6 is). */
function pack(items) {
  let chars = 0;
  for (const t of items) chars += t.length;
  const e = new Int32Array(sab, 0, items.length + 1);
  const s = new Uint8Array(sab, 8 * Math.ceil((4 * items.length + 4) / 8), chars);
  let group = '';
  let from = 0;
  let at = 0;
  for (let i = 0; i < items.length; i++) {
    const t = items[i];
    at += t.length;
    e[i + 1] = at;
    group += t;
    if (group.length >= 16384 || i === items.length - 1) {
      const done = encoder.encodeInto(group, s.subarray(from, from + group.length));
      if (done.read !== group.length || done.written !== group.length) throw new Error('ASCII');
      group = '';
      from = at;
    }
  }
  return { s, e };
}

const rows = { clone: [], packed: [] };
let expected;
for (let r = 0; r < Number(roundsArg); r++) {
  for (const mode of r % 2 ? ['packed', 'clone'] : ['clone', 'packed']) {
    await ask('start');
    let caller = 0;
    let n = 0;
    for (const chunk of chunks) {
      const c = threadCpu();
      // The caller's part: packing, and postMessage's serialising (synchronous, in the call).
      const reply = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage(mode === 'clone' ? chunk : pack(chunk));
      caller += threadCpu() - c;
      n += await reply;
    }
    const workerCpu = await ask('end');
    expected ??= n;
    if (n !== expected) throw new Error(`${mode}: ${n} != ${expected}`);
    rows[mode].push([caller, workerCpu]);
  }
}
await worker.terminate();
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`2M W6 strings in chunks of ${C}, ${roundsArg} rounds, load ${load}; CPU ms, medians`);
for (const [mode, rs] of Object.entries(rows)) {
  const caller = med(rs.map((x) => x[0]));
  const w = med(rs.map((x) => x[1]));
  console.log(
    `${mode.padEnd(7)} caller ${caller.toFixed(0)} | worker (revive + kernel) ${w.toFixed(0)} | sum ${(caller + w).toFixed(0)}` +
      `   (workers per round: ${rs.map((x) => x[1].toFixed(0)).join(' ')})`,
  );
}
