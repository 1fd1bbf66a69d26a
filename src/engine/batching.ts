/**
 * Adaptive batching, shared by `pool.map` and `parallel`: a chunk holds as many items as take
 * about a target time, measured as the task runs, so tiny tasks pay one message per thousands of
 * items and long ones still spread across workers. For inputs of known length, the tail is
 * split finer so no worker idles at the end.
 */
export const TARGET_CHUNK_MS = 10;
/**
 * Each chunk costs the caller and its worker about half a millisecond on a busy 2-core machine
 * (messages, waking the caller, which takes a core from a worker): 5% of a 10 ms chunk. A big
 * input of known length aims at this many chunks per worker instead, up to MAX_TARGET_MS each,
 * which keeps that cost near 1%.
 */
const CHUNKS_PER_WORKER = 16;
const MAX_TARGET_MS = 50;
/**
 * A run's first chunks ramp up: the first holds about this much work, and none holds more items
 * than went before it (so sizes double) until the target is reached. Every worker then starts
 * within a millisecond or two, while the caller readies the bigger chunks behind (a packed chunk
 * of rows costs the caller about what it costs a worker: a first chunk of 10 ms left the second
 * worker idle for ~10 ms of every call of 200,000 rows).
 */
const RAMP_FIRST_MS = 1;
/** The tail is not split into chunks shorter than this: a round trip per µs of work is all overhead. */
const MIN_TAIL_MS = 2;
/**
 * An input already in memory (an array) goes in chunks of at most this many items. A chunk's
 * arrays (the caller's slice, the worker's copy and its results) then stay under V8's large-
 * object size (128 KB of 8-byte slots) and die young. At 100k items they were born in the old
 * generation: on a caller holding 2M strings (170 MB) that cost a ~100-200 ms mark-compact
 * every W6 round, and the workers promoted whole chunks of strings.
 */
const MAX_CHUNK = 16_000;
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
  /**
   * Calls each worker runs at once. Above 1 the tasks wait (I/O), a chunk's calls run one after
   * another, and so more, smaller chunks keep more calls in flight: the short target stays.
   */
  concurrency?: number;
  /** Milliseconds per item measured so far, if any. */
  estimate(): number | undefined;
}

export function nextChunkSize(policy: ChunkPolicy, pulled: number): number {
  if (policy.fixed !== undefined) return policy.fixed;
  const est = policy.estimate();
  if (est === undefined) return 1;
  const perItem = Math.max(est, 1e-6);
  const { length, workers } = policy;
  const ramp = Math.max(Math.round(RAMP_FIRST_MS / perItem), pulled);
  if (length === undefined) {
    return Math.max(1, Math.min(Math.round(TARGET_CHUNK_MS / perItem), MAX_LAZY_CHUNK, ramp));
  }
  const target =
    (policy.concurrency ?? 1) > 1
      ? TARGET_CHUNK_MS
      : Math.min(
          MAX_TARGET_MS,
          Math.max(TARGET_CHUNK_MS, (perItem * length) / (workers * CHUNKS_PER_WORKER)),
        );
  // Python's default, ceil(n / (4 × workers)), as the ceiling; and never more than a
  // 1/(2 × workers) share of what is left, which splits the tail finer.
  const cap = Math.ceil(length / (4 * workers));
  const tail = Math.max(
    Math.ceil((length - pulled) / (2 * workers)),
    Math.round(MIN_TAIL_MS / perItem),
  );
  return Math.max(1, Math.min(Math.round(target / perItem), MAX_CHUNK, cap, tail, ramp));
}
