import { byKeyDescending } from './sinks.js';

/**
 * Caller-side merging of the partials that src/faces/bag/sinks.ts returns, always in partition
 * order, so ordered results and `fold`'s `combine` see the partitions as the data has them.
 */

type AnyFn = (...args: any[]) => unknown;
export type Combine = (partials: unknown[]) => unknown | Promise<unknown>;

export const concat: Combine = (partials) => (partials as unknown[][]).flat(1);

export const add: Combine = (partials) => {
  let total: any = 0;
  for (const p of partials) total += p as any;
  return total;
};

/** Partials are `[item]` or `[]`; an empty bag has no smallest item, and gives undefined. */
export function extreme(largest: boolean): Combine {
  return (partials) => {
    let has = false;
    let best: any;
    for (const p of partials as unknown[][]) {
      if (p.length === 0) continue;
      const x = p[0] as any;
      if (!has || (largest ? x > best : x < best)) {
        best = x;
        has = true;
      }
    }
    return best;
  };
}

/** Partials are `[sum, count]`; an empty bag's mean is NaN. */
export const mean: Combine = (partials) => {
  let total = 0;
  let n = 0;
  for (const [s, c] of partials as Array<[number, number]>) {
    total += s;
    n += c;
  }
  return total / n;
};

export const frequencies: Combine = (partials) => {
  const maps = partials as Array<Map<unknown, number>>;
  if (maps.length === 0) return new Map();
  const out = maps[0];
  for (let i = 1; i < maps.length; i++)
    for (const [k, v] of maps[i]) out.set(k, (out.get(k) ?? 0) + v);
  return out;
};

export const distinct = (partials: unknown[]): unknown[] => {
  const seen = new Set<unknown>();
  for (const p of partials as unknown[][]) for (const x of p) seen.add(x);
  return [...seen];
};

export function topk(k: number): Combine {
  return (partials) => {
    const all = (partials as Array<Array<[unknown, unknown]>>).flat(1);
    all.sort(byKeyDescending);
    return all.slice(0, k).map((pair) => pair[1]);
  };
}

export function fold(combine: AnyFn, initial: unknown): Combine {
  return async (partials) => {
    if (partials.length === 0) return initial;
    let acc = partials[0];
    for (let i = 1; i < partials.length; i++) acc = await combine(acc, partials[i]);
    return acc;
  };
}

export function foldBy(combine: AnyFn): Combine {
  return async (partials) => {
    const out = new Map<unknown, unknown>();
    for (const groups of partials as Array<Map<unknown, unknown>>) {
      for (const [k, v] of groups) out.set(k, out.has(k) ? await combine(out.get(k), v) : v);
    }
    return out;
  };
}
