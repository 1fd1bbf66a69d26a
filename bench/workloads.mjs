/**
 * The workloads of BENCH.md, each written once for every runner. A workload returns rows:
 * `{ [row]: { samples: ms[], ok, detail? } }`; the sequential runner (`r` undefined) times the
 * same work in a plain loop. Every timed region runs from the first submit to the last result
 * in hand; every result is checked against the sequential answer (computed untimed).
 * Each row is warmed by one full untimed run first: V8 needs ~500k calls of W3's kernel before
 * it reaches full speed, in the caller and in every worker alike.
 */
import * as k from './tasks/kernels.mjs';

const now = () => performance.now();
const gc = globalThis.gc ?? (() => {});

async function measure(reps, run, verify) {
  let ok = true;
  let detail;
  const check = (out) => {
    const v = verify(out);
    if (v !== true) {
      ok = false;
      detail ??= String(v);
    }
  };
  check(await run());
  const samples = [];
  for (let i = 0; i < reps; i++) {
    gc();
    const t = now();
    const out = await run();
    samples.push(now() - t);
    check(out);
  }
  return { samples, ok, detail };
}

function range(n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** Calls `kernels[fn](items[i])` once per item, all issued at once; results in input order. */
function callEach(r, fn, items, n = items.length) {
  const pending = new Array(n);
  for (let i = 0; i < n; i++) pending[i] = r.call(fn, items[i]);
  return Promise.all(pending);
}

function sameArray(expected) {
  return (out) => {
    if (!Array.isArray(out) || out.length !== expected.length)
      return `length ${out?.length} != ${expected.length}`;
    for (let i = 0; i < expected.length; i++)
      if (out[i] !== expected[i]) return `item ${i}: ${out[i]} != ${expected[i]}`;
    return true;
  };
}

function equals(expected, tolerance = 0) {
  return (out) =>
    Math.abs(out - expected) <= tolerance * Math.abs(expected) ? true : `${out} != ${expected}`;
}

function slices(items, parts) {
  const size = Math.ceil(items.length / parts);
  const out = [];
  for (let lo = 0; lo < items.length; lo += size) out.push(items.slice(lo, lo + size));
  return out;
}

function concat(parts) {
  const out = [];
  for (const part of parts) for (let i = 0; i < part.length; i++) out.push(part[i]);
  return out;
}

const W4_ROWS = [
  'W4 shared',
  'W4 view as is',
  'W4 10 calls',
  'W4 whole+range as is',
  'W4 map as is',
  'W4 transfer',
  'W4 copy',
];

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

export const workloads = {
  async W1(r, { reps, sizes }) {
    const items = range(sizes.w1);
    const verify = sameArray(items);
    if (!r) return { W1: await measure(reps, () => items.map((x) => k.identity(x)), verify) };
    return { W1: await measure(reps, () => callEach(r, 'identity', items), verify) };
  },

  async "W1'"(r, { reps, sizes }) {
    const items = range(sizes.w1);
    const verify = sameArray(items);
    if (!r) return { "W1'": await measure(reps, () => items.map((x) => k.identity(x)), verify) };
    if (r.name !== 'spindle') return {};
    return { "W1'": await measure(reps, () => r.pool.map(r.tasks.identity, items), verify) };
  },

  async W2(r, { reps, sizes, calib }) {
    const n = calib.burn;
    const one = k.burn(n);
    const verify = (out) => (out.length === sizes.w2 && out.every((v) => v === one) ? true : 'bad');
    const args = new Array(sizes.w2).fill(n);
    if (!r) return { W2: await measure(reps, () => args.map((a) => k.burn(a)), verify) };
    return { W2: await measure(reps, () => callEach(r, 'burn', args), verify) };
  },

  async W3(r, { reps, sizes }) {
    const items = range(sizes.w3);
    const expected = k.w3chunk(items);
    const verify = sameArray(expected);
    const first = items.slice(0, sizes.w3call);
    const verifyFirst = sameArray(expected.slice(0, sizes.w3call));
    if (!r) {
      const all = await measure(reps, () => k.w3chunk(items), verify);
      return {
        'W3 map': all,
        'W3 1/call': await measure(reps, () => k.w3chunk(first), verifyFirst),
        'W3 8 chunks': all,
      };
    }
    const rows = {};
    if (r.name === 'spindle') {
      rows['W3 map'] = await measure(reps, () => r.pool.map(r.tasks.w3, items), verify);
    }
    rows['W3 1/call'] = await measure(reps, () => callEach(r, 'w3', first), verifyFirst);
    rows['W3 8 chunks'] =
      r.name === 'spindle'
        ? await measure(
            reps,
            () => r.pool.map(r.tasks.w3, items, { chunksize: Math.ceil(items.length / 8) }),
            verify,
          )
        : await measure(
            reps,
            async () =>
              concat(await Promise.all(slices(items, 8).map((s) => r.call('w3chunk', s)))),
            verify,
          );
    return rows;
  },

  async W4(r, { reps, sizes }) {
    const n = sizes.w4;
    const plain = new Float64Array(n);
    for (let i = 0; i < n; i++) plain[i] = (i % 1000) / 1000;
    const expected = k.sumsq({ a: plain });
    const verify = equals(expected, 1e-9);
    const h = n >> 1;
    const halves = [
      [0, h],
      [h, n],
    ];
    // 10 successive calls on the one unchanged array (a pass each), checked on every call
    const verify10 = (out) =>
      out.length === 10 && out.every((v) => verify(v) === true) ? true : 'bad';
    if (!r) {
      const serial = await measure(reps, () => k.sumsq({ a: plain }), verify);
      const rows = Object.fromEntries(W4_ROWS.map((row) => [row, serial]));
      rows['W4 10 calls'] = await measure(
        reps,
        () => Array.from({ length: 10 }, () => k.sumsq({ a: plain })),
        verify10,
      );
      return rows;
    }
    const total = async (args, transfers) =>
      sum(await Promise.all(args.map((a, i) => r.call('sumsq', a, transfers?.[i]))));
    const rows = {};
    let shared;
    let how = 'SharedArrayBuffer';
    if (r.name === 'spindle' && r.mod.shared?.float64) {
      shared = r.mod.shared.float64(n);
      how = 'shared.float64';
    } else shared = new Float64Array(new SharedArrayBuffer(n * 8));
    shared.set(plain);
    rows['W4 shared'] = await measure(
      reps,
      () => total(halves.map(([lo, hi]) => ({ a: shared, lo, hi }))),
      verify,
    );
    rows['W4 shared'].detail ??= how;
    rows['W4 view as is'] = await measure(
      reps,
      () => total(halves.map(([lo, hi]) => ({ a: plain.subarray(lo, hi) }))),
      verify,
    );
    rows['W4 10 calls'] = await measure(
      reps,
      async () => {
        const out = [];
        for (let i = 0; i < 10; i++)
          out.push(await total(halves.map(([lo, hi]) => ({ a: plain.subarray(lo, hi) }))));
        return out;
      },
      verify10,
    );
    if (r.name === 'spindle') {
      rows['W4 whole+range as is'] = await measure(
        reps,
        () => total(halves.map(([lo, hi]) => ({ a: plain, lo, hi }))),
        verify,
      );
      rows['W4 map as is'] = await measure(
        reps,
        async () =>
          sum(
            await r.pool.map(
              r.tasks.sumsq,
              halves.map(([lo, hi]) => ({ a: plain, lo, hi })),
            ),
          ),
        verify,
      );
    }
    rows['W4 transfer'] = await measure(
      reps,
      () => {
        const parts = halves.map(([lo, hi]) => plain.slice(lo, hi));
        return total(
          parts.map((a) => ({ a })),
          parts.map((a) => [a.buffer]),
        );
      },
      verify,
    );
    rows['W4 copy'] = await measure(
      reps,
      () => total(halves.map(([lo, hi]) => ({ a: plain.slice(lo, hi) }))),
      verify,
    );
    return rows;
  },

  async W6(r, { reps, sizes }) {
    const texts = makeTexts(sizes.w6);
    const expected = k.wordsChunk(texts);
    const verify = equals(expected);
    if (!r) {
      const all = await measure(reps, () => k.wordsChunk(texts), verify);
      return { 'W6 map': all, 'W6 8 chunks': all };
    }
    const rows = {};
    if (r.name === 'spindle') {
      rows['W6 map'] = await measure(
        reps,
        async () => sum(await r.pool.map(r.tasks.words, texts)),
        verify,
      );
      rows['W6 8 chunks'] = await measure(
        reps,
        async () =>
          sum(await r.pool.map(r.tasks.words, texts, { chunksize: Math.ceil(texts.length / 8) })),
        verify,
      );
    } else {
      rows['W6 8 chunks'] = await measure(
        reps,
        async () => sum(await Promise.all(slices(texts, 8).map((s) => r.call('wordsChunk', s)))),
        verify,
      );
    }
    return rows;
  },

  /** Cost per task with 100k and with 1M tasks submitted one by one, all at once. */
  async scale(r, { reps, sizes }) {
    if (!r) return {};
    const rows = {};
    for (const [row, n] of [
      ['scale 100k', sizes.scaleSmall],
      ['scale 1M', sizes.scaleLarge],
    ]) {
      const items = range(n);
      rows[row] = await measure(reps, () => callEach(r, 'identity', items), sameArray(items));
      rows[row].detail = `maxRSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`;
    }
    return rows;
  },

  /** RSS of an idle pool, and its growth over waves of tasks (after a forced GC each time). */
  async memory(r, { sizes, rssBefore }) {
    if (!r) return {};
    const items = range(sizes.memWave);
    const mb = () => {
      gc();
      gc();
      return process.memoryUsage().rss / 2 ** 20;
    };
    const idle = mb();
    const growth = [];
    let ok = true;
    for (let w = 0; w < sizes.memWaves; w++) {
      const out = await callEach(r, 'identity', items);
      if (out.length !== items.length || out[items.length - 1] !== items.length - 1) ok = false;
      growth.push(mb() - idle);
    }
    return {
      'mem idle RSS': {
        samples: [idle],
        ok: true,
        detail: `+${(idle - rssBefore).toFixed(1)} MB over no pool`,
      },
      'mem growth': { samples: growth, ok, series: true },
    };
  },
};

/** W6's input: flat strings (joined, not sliced from one text) of ~40 chars, deterministic. */
export function makeTexts(n) {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const vocab = [];
  for (let i = 0; i < 500; i++) {
    let w = '';
    const len = 2 + (rand() % 7);
    for (let j = 0; j < len; j++) w += letters[rand() % letters.length];
    vocab.push(w);
  }
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const parts = [];
    let len = 0;
    while (len < 40) {
      const w = vocab[rand() % vocab.length];
      parts.push(w);
      len += w.length + 1;
    }
    out[i] = parts.join(' ');
  }
  return out;
}
