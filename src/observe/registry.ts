import type { Pool } from '../faces/pool.js';

/**
 * Pools in this process, so that `performanceReport` can record the pools that already exist
 * and hear of every one created while it runs (those `compute` and `parallel` make for
 * themselves included). Weak: a forgotten pool is still collected.
 */
const live = new Set<WeakRef<Pool>>();
const forget = new FinalizationRegistry<WeakRef<Pool>>((ref) => live.delete(ref));
const watchers = new Set<(pool: Pool) => void>();

/** Called by every Pool's constructor. */
export function announcePool(pool: Pool): void {
  const ref = new WeakRef(pool);
  live.add(ref);
  forget.register(pool, ref);
  for (const watch of watchers) watch(pool);
}

/** Calls `watch` for every live pool now and every pool created until the returned stop(). */
export function watchPools(watch: (pool: Pool) => void): () => void {
  for (const ref of live) {
    const pool = ref.deref();
    if (pool) watch(pool);
  }
  watchers.add(watch);
  return () => watchers.delete(watch);
}
