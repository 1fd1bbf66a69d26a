/**
 * Adaptive batching, shared by `pool.map` and `parallel`: chunks grow while items are cheap
 * and shrink when they are slow, aiming at a chunk of about TARGET_CHUNK_MS, so tiny tasks pay
 * one message per few thousand items and long ones still spread across workers. For inputs of
 * known length, the tail is split finer so no worker idles at the end.
 */
export const TARGET_CHUNK_MS = 10;
/** An input already in memory (an array) may go in chunks this large. */
const MAX_CHUNK = 100_000;
/**
 * A lazy input is pulled only as far as its chunks in flight, so their size bounds the
 * caller's memory: 100k-item chunks of text lines held ~120 MB of look-ahead in `spindle run`.
 * 10k items of a µs-sized task still amortise a message over ~10 ms of work.
 */
const MAX_LAZY_CHUNK = 10_000;

export interface ChunkPolicy {
  /** A fixed size, or undefined for adaptive. */
  fixed?: number;
  /** Items in the whole input, when known. */
  length?: number;
  workers: number;
  /** Milliseconds per item measured so far, if any. */
  estimate(): number | undefined;
}

export function nextChunkSize(policy: ChunkPolicy, pulled: number): number {
  if (policy.fixed !== undefined) return policy.fixed;
  const est = policy.estimate();
  let size = est === undefined ? 1 : Math.round(TARGET_CHUNK_MS / Math.max(est, 1e-6));
  size = Math.max(1, Math.min(size, policy.length === undefined ? MAX_LAZY_CHUNK : MAX_CHUNK));
  if (policy.length !== undefined) {
    // Python's default, ceil(n / (4 × workers)), as the ceiling; and never more than a
    // 1/(2 × workers) share of what is left, which splits the tail finer.
    const cap = Math.ceil(policy.length / (4 * policy.workers));
    const tail = Math.ceil((policy.length - pulled) / (2 * policy.workers));
    size = Math.max(1, Math.min(size, cap, tail));
  }
  return size;
}
