/**
 * Does a packed form of a string array cross to a worker cheaper than structured clone?
 * Sends 250,000 strings of ~40 chars (one W6 chunk, 2M / 8) to a worker thread and back a
 * count, three ways: the array as it is; joined into one string with '\0' and split in the
 * worker; encoded into one Uint8Array (transferred) and decoded + split in the worker.
 *
 *   node --import tsx bench/string-packing.ts
 */
import { Worker } from 'node:worker_threads';

const N = 250_000;
const words = ['alpha', 'beta', 'gamma', 'delta', 'kappa', 'omega', 'sigma', 'tau', 'rho'];
const strings: string[] = [];
let seed = 1;
for (let i = 0; i < N; i++) {
  let s = '';
  while (s.length < 40) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    s += `${words[seed % words.length]} `;
  }
  strings.push(s.trim());
}

const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const dec = new TextDecoder();
   parentPort.on('message', (m) => {
     let items;
     if (m.kind === 'array') items = m.data;
     else if (m.kind === 'joined') items = m.data.split('\\0');
     else items = dec.decode(m.data).split('\\0');
     let n = 0;
     for (const s of items) if (s.length > 0) n++;
     parentPort.postMessage(n);
   });`,
  { eval: true },
);
const enc = new TextEncoder();

/** Caller-side milliseconds (packing + serialising: the serial part) and the full round trip. */
function roundTrip(kind: string): Promise<[number, number]> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let sent = 0;
    worker.once('message', () => resolve([sent - t0, performance.now() - t0]));
    if (kind === 'array') worker.postMessage({ kind, data: strings });
    else if (kind === 'joined') worker.postMessage({ kind, data: strings.join('\0') });
    else {
      const bytes = enc.encode(strings.join('\0'));
      worker.postMessage({ kind, data: bytes }, [bytes.buffer]);
    }
    sent = performance.now();
  });
}

for (const kind of ['array', 'joined', 'bytes', 'array', 'joined', 'bytes']) await roundTrip(kind);
for (const kind of ['array', 'joined', 'bytes']) {
  const caller: number[] = [];
  const total: number[] = [];
  for (let r = 0; r < 9; r++) {
    const [c, t] = await roundTrip(kind);
    caller.push(c);
    total.push(t);
  }
  caller.sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  console.log(
    `${kind.padEnd(7)} caller ${caller[4].toFixed(1)} ms, round trip ${total[4].toFixed(1)} ms (medians of 9)`,
  );
}
await worker.terminate();
