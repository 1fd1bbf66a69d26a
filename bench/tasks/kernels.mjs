/**
 * The work itself, identical for every runner: the sequential loop calls these directly, and
 * every pool's worker (spindle, piscina, tinypool, workerpool, the raw floor) runs the same
 * functions. Plain JavaScript with no imports, so a worker loads it without tsx and every pool
 * pays the same module cost. Each takes one argument, because piscina and tinypool pass one.
 */

/** W1, W1', scale, memory: the per-task overhead alone. */
export function identity(x) {
  return x;
}

/** W2: a CPU loop, `n` calibrated once to ~50 ms. */
export function burn(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += (i * i) % 7;
  return s;
}

/**
 * A prime below √2³¹: every product stays a small integer, so V8 keeps W3 in integer
 * arithmetic whatever the call site (with a prime near 10⁶ the products were doubles, and the
 * kernel ran 1 µs or 4 µs an item depending on how the caller's loop happened to be optimised).
 */
const P = 46_337;
/** Iterations of W3's short loop: with the cube, ~1 µs an item on this machine. */
export const W3_LOOP = 300;

/** W3: cube mod a prime, then a short loop. */
export function w3(x) {
  const a = x % P;
  let y = (((a * a) % P) * a) % P;
  for (let k = 0; k < W3_LOOP; k++) y = (y * 31 + k) % P;
  return y;
}

/** W3 in chunks: a list of items in, a list of results out (the caller joins them). */
export function w3chunk(items) {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = w3(items[i]);
  return out;
}

/** W4: sum of squares of `a[lo..hi)`. */
export function sumsq({ a, lo = 0, hi = a.length }) {
  let s = 0;
  for (let i = lo; i < hi; i++) s += a[i] * a[i];
  return s;
}

/** W6: lowercase, split on spaces, count the words that contain 'a'. */
export function words(text) {
  const parts = text.toLowerCase().split(' ');
  let n = 0;
  for (let i = 0; i < parts.length; i++) if (parts[i].includes('a')) n++;
  return n;
}

/** W6 in chunks: the total over a list of strings. */
export function wordsChunk(texts) {
  let n = 0;
  for (let i = 0; i < texts.length; i++) n += words(texts[i]);
  return n;
}

/** Rows of numbers (issue 16): per row, how many values lie in [250, 750); one count a row. */
export function countRows(rows) {
  const out = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    let n = 0;
    for (let i = 0; i < row.length; i++) if (row[i] >= 250 && row[i] < 750) n++;
    out[r] = n;
  }
  return out;
}

/** bench/shapes.mjs: light work that reads every value once, per item and over a list. */
export function record(o) {
  return o.x * o.y + o.name.length;
}
export function records(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += record(list[i]);
  return s;
}
export function text(t) {
  let s = 0;
  for (let i = 0; i < t.length; i += 7) s += t.charCodeAt(i);
  return s;
}
export function texts(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += text(list[i]);
  return s;
}
export function squares(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += list[i] * list[i];
  return s;
}
export function rowSum(row) {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += row[i];
  return s;
}
export function rowSums(rows) {
  let s = 0;
  for (let r = 0; r < rows.length; r++) s += rowSum(rows[r]);
  return s;
}
export function trues(list) {
  let n = 0;
  for (let i = 0; i < list.length; i++) if (list[i]) n++;
  return n;
}
/** Nested records: a string list and a number pair in each. */
export function nested(o) {
  return o.tags.length + o.tags[0].length + o.pos[0] * o.pos[1];
}
export function nesteds(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += nested(list[i]);
  return s;
}
/** Rows of strings (a parsed CSV): the total length of the cells. */
export function cells(row) {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += row[i].length;
  return s;
}
export function cellRows(rows) {
  let s = 0;
  for (let r = 0; r < rows.length; r++) s += cells(rows[r]);
  return s;
}
/** BigInts, Dates: one read a value. */
export function bigints(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += Number(list[i] & 1023n);
  return s;
}
export function dates(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += list[i].getTime() % 1000;
  return s;
}
/** A whole typed array of any kind: the sum of its values. */
export function typedSum(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
/** Key-value pairs (`Object.entries` of a big object): the keys' lengths plus the values. */
export function pair(p) {
  return p[0].length + p[1];
}
export function pairs(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += pair(list[i]);
  return s;
}
/** Records holding a small typed array each (a point with a vector). */
export function vecRecord(o) {
  return o.id + o.v[0] + o.v[2];
}
export function vecRecords(list) {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += vecRecord(list[i]);
  return s;
}

/** Any value: how many things it holds (probes of shapes the other kernels do not read). */
export function size(x) {
  if (Array.isArray(x) || typeof x === 'string') return x.length;
  if (x instanceof Map || x instanceof Set) return x.size;
  return Object.keys(x).length;
}

/**
 * bench/results.mjs: results that are big, made in the worker from an index range `[lo, hi)`
 * (one item each for map), so what is measured is their crossing back.
 */
export function vecOut(i) {
  const v = new Float64Array(16);
  for (let j = 0; j < 16; j++) v[j] = i + j * 0.5;
  return v;
}
export function listOut(i) {
  const v = new Array(16);
  for (let j = 0; j < 16; j++) v[j] = i + j * 0.5;
  return v;
}
export function recOut(i) {
  return { id: i, score: i * 0.25, label: `item ${i % 1000}` };
}
export function strOut(i) {
  return `row ${i}: ${'abcdefghij'.slice(i % 10)}`;
}
const ranged =
  (one) =>
  ([lo, hi]) => {
    const out = new Array(hi - lo);
    for (let i = lo; i < hi; i++) out[i - lo] = one(i);
    return out;
  };
export const vecsOut = ranged(vecOut);
export const listsOut = ranged(listOut);
export const recsOut = ranged(recOut);
export const strsOut = ranged(strOut);
/** One big typed array of `n` doubles, made from a range. */
export function bigOut([lo, hi]) {
  const v = new Float64Array(hi - lo);
  for (let i = lo; i < hi; i++) v[i - lo] = i * 0.5;
  return v;
}
/** One big `number[]`. */
export function numsOut([lo, hi]) {
  const v = new Array(hi - lo);
  for (let i = lo; i < hi; i++) v[i - lo] = i * 0.5;
  return v;
}
