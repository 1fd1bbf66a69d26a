import { open } from 'node:fs/promises';
import { isThenable } from '../../worker/chunk.js';
import { type LineResult, STOP } from './lines.js';
import type { Sink } from './pipeline.js';

/**
 * Worker-side reductions of one partition. Each keeps only its running state (a count, a Map,
 * the k best so far) and returns a small partial result; src/faces/bag/combine.ts merges the
 * partials in the caller.
 */

type AnyFn = (...args: any[]) => unknown;

export function collectSink(limit: number | undefined): Sink {
  const out: unknown[] = [];
  return {
    add(x) {
      out.push(x);
      return limit !== undefined && out.length >= limit ? STOP : undefined;
    },
    result: () => out,
  };
}

export function countSink(): Sink {
  let n = 0;
  return {
    add() {
      n++;
      return undefined;
    },
    result: () => n,
  };
}

export function sumSink(): Sink {
  let total: any = 0;
  return {
    add(x) {
      total += x as any;
      return undefined;
    },
    result: () => total,
  };
}

/** The smallest (or largest) item as `[item]`, or `[]` for an empty partition. */
export function extremeSink(largest: boolean): Sink {
  let has = false;
  let best: any;
  return {
    add(x: any) {
      if (!has || (largest ? x > best : x < best)) {
        best = x;
        has = true;
      }
      return undefined;
    },
    result: () => (has ? [best] : []),
  };
}

/** `[sum, count]`. */
export function meanSink(): Sink {
  let total = 0;
  let n = 0;
  return {
    add(x) {
      total += x as number;
      n++;
      return undefined;
    },
    result: () => [total, n],
  };
}

export function frequenciesSink(): Sink {
  const counts = new Map<unknown, number>();
  return {
    add(x) {
      counts.set(x, (counts.get(x) ?? 0) + 1);
      return undefined;
    },
    result: () => counts,
  };
}

export function distinctSink(): Sink {
  const seen = new Set<unknown>();
  return {
    add(x) {
      seen.add(x);
      return undefined;
    },
    result: () => [...seen],
  };
}

/**
 * The k largest as `[key, item]` pairs, largest first; equal keys keep arrival order. Items are
 * buffered to 2k and cut back to k, so the cost is O(n log k) amortized and memory O(k).
 */
export function topkSink(k: number, key: AnyFn | undefined): Sink {
  let best: Array<[unknown, unknown]> = [];
  const cut = () => {
    best.sort(byKeyDescending);
    if (best.length > k) best = best.slice(0, k);
  };
  const keep = (kv: unknown, x: unknown) => {
    best.push([kv, x]);
    if (best.length >= 2 * k + 16) cut();
    return undefined;
  };
  return {
    add(x) {
      if (!key) return keep(x, x);
      const kv = key(x);
      return isThenable(kv) ? kv.then((v) => keep(v, x)) : keep(kv, x);
    },
    result() {
      cut();
      return best;
    },
  };
}

/** Largest key first; Array.prototype.sort is stable, so ties keep their order. */
export function byKeyDescending(a: [unknown, unknown], b: [unknown, unknown]): number {
  const x = a[0] as any;
  const y = b[0] as any;
  return x > y ? -1 : x < y ? 1 : 0;
}

export function foldSink(binop: AnyFn, initial: unknown): Sink {
  let acc = fresh(initial);
  const set = (v: unknown) => {
    acc = v;
    return undefined;
  };
  return {
    add(x) {
      const next = binop(acc, x);
      return isThenable(next) ? next.then(set) : set(next);
    },
    result: () => acc,
  };
}

export function foldBySink(key: AnyFn, binop: AnyFn, initial: unknown): Sink {
  const groups = new Map<unknown, unknown>();
  const update = (k: unknown, x: unknown): LineResult => {
    const acc = groups.has(k) ? groups.get(k) : fresh(initial);
    const next = binop(acc, x);
    if (isThenable(next)) return next.then((v) => void groups.set(k, v));
    groups.set(k, next);
    return undefined;
  };
  return {
    add(x) {
      const k = key(x);
      return isThenable(k) ? k.then((kv) => update(kv, x)) : update(k, x);
    },
    result: () => groups,
  };
}

const WRITE_BATCH = 1 << 20;

/** Writes the partition to `path`, one item per line; resolves with the number of lines. */
export function writeSink(path: string): Sink & { close(): Promise<void> } {
  let parts: string[] = [];
  let size = 0;
  let lines = 0;
  let handle: Promise<import('node:fs/promises').FileHandle> | undefined = open(path, 'w');
  handle.catch(() => {});
  const flush = async () => {
    const text = parts.join('');
    parts = [];
    size = 0;
    if (text.length > 0) await (await handle!).write(text);
  };
  return {
    add(x) {
      const line = `${typeof x === 'string' ? x : JSON.stringify(x)}\n`;
      parts.push(line);
      size += line.length;
      lines++;
      return size >= WRITE_BATCH ? flush() : undefined;
    },
    async result() {
      await flush();
      await this.close();
      return lines;
    },
    async close() {
      const h = handle;
      handle = undefined;
      if (h) await (await h).close();
    },
  };
}

/** A fold's initial value for one partition or key: objects are copied so no two share it. */
function fresh(initial: unknown): unknown {
  return initial !== null && typeof initial === 'object' ? structuredClone(initial) : initial;
}
