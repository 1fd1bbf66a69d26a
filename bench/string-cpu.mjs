/**
 * What each way of moving W6's strings costs in CPU, on one thread (no contention to blur it):
 * 2M strings of ~40 chars in chunks of 15,000, the word-count kernel on the caller's strings,
 * on freshly deserialised ones (structured clone), and on strings split from a joined chunk or
 * decoded from bytes (V8 sliced strings). v8.serialize/deserialize stand in for postMessage.
 *
 *   node --expose-gc bench/string-cpu.mjs
 */
import v8 from 'node:v8';

const dir = new URL('..', import.meta.url).pathname;
const k = await import(`${dir}/bench/tasks/kernels.mjs`);
const { makeTexts } = await import(`${dir}/bench/workloads.mjs`);
const N = 2_000_000,
  C = 15_000;
const texts = makeTexts(N);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function measure(name, f) {
  const rs = [];
  for (let r = 0; r < 5; r++) {
    globalThis.gc?.();
    const c = cpu();
    f();
    rs.push(cpu() - c);
  }
  rs.sort((a, b) => a - b);
  console.log(name.padEnd(34), rs[2].toFixed(0), 'ms cpu');
}
measure('kernel on the caller strings', () => k.wordsChunk(texts));
const chunks = [];
for (let i = 0; i < N; i += C) chunks.push(texts.slice(i, i + C));
measure('slice into chunks', () => {
  for (let i = 0; i < N; i += C) texts.slice(i, i + C);
});
const ser = chunks.map((c) => v8.serialize(c));
measure('serialize chunks (v8.serialize)', () => {
  for (const c of chunks) v8.serialize(c);
});
measure('deserialize chunks', () => {
  for (const b of ser) v8.deserialize(b);
});
measure('deserialize + kernel per chunk', () => {
  for (const b of ser) k.wordsChunk(v8.deserialize(b));
});
measure('structuredClone + kernel per chunk', () => {
  for (const c of chunks) k.wordsChunk(structuredClone(c));
});
measure('structuredClone alone', () => {
  for (const c of chunks) structuredClone(c);
});
measure('join chunks with \\0', () => {
  for (const c of chunks) c.join('\0');
});
const joined = chunks.map((c) => c.join('\0'));
measure('split joined', () => {
  for (const j of joined) j.split('\0');
});
measure('split joined + kernel', () => {
  for (const j of joined) k.wordsChunk(j.split('\0'));
});
const enc = new TextEncoder(),
  dec = new TextDecoder('latin1');
measure('encodeInto joined (utf8)', () => {
  const buf = new Uint8Array(1 << 20);
  for (const j of joined) enc.encodeInto(j, buf);
});
const bytes = joined.map((j) => enc.encode(j));
measure('latin1 decode + split + kernel', () => {
  for (const b of bytes) k.wordsChunk(dec.decode(b).split('\0'));
});
measure('structuredClone joined + split + kernel', () => {
  for (const j of joined) k.wordsChunk(structuredClone(j).split('\0'));
});
