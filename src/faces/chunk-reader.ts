import type { FedChunk } from './feed-plan.js';

/** A settled chunk whose results may still be packed (a typed array of numbers). */
export interface RawChunk {
  readonly first: number;
  readonly results: ArrayLike<unknown>;
}

/**
 * Inputs of known length up to this many items are collected into one array made at the start.
 * Past it V8 may give `new Array(n)` slow (dictionary) elements; such inputs grow an array instead.
 */
const PRESIZE_MAX = 32_000_000;

/**
 * How a run's results are read, whatever feeds it: one result at a time as an async iterator
 * (`imap`), or all of them at once (`map`). Subclasses supply the chunks and the stop.
 */
export abstract class ChunkReader<R> implements AsyncIterableIterator<R> {
  #current: unknown[] | undefined;
  #currentAt = 0;

  /** The next settled chunk; undefined at the end. Rejects with the run's failure. */
  abstract nextChunk(): Promise<FedChunk | undefined>;
  /** Ends the run early: nothing more is pulled, and queued work is withdrawn. */
  abstract stop(): void;

  /** Like nextChunk, but results a worker packed may be handed out still packed. */
  protected nextRaw(): Promise<RawChunk | undefined> {
    return this.nextChunk();
  }

  /** Items in the whole input, when known up front. */
  protected expectedLength(): number | undefined {
    return undefined;
  }

  async next(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#current && this.#currentAt < this.#current.length) {
        const value = this.#current[this.#currentAt] as R;
        // Handed-out results are not kept alive by the reader.
        this.#current[this.#currentAt++] = undefined;
        return { done: false, value };
      }
      this.#current = undefined;
      const chunk = await this.nextChunk();
      if (!chunk) return { done: true, value: undefined };
      this.#current = chunk.results;
      this.#currentAt = 0;
    }
  }

  async return(): Promise<IteratorResult<R>> {
    this.stop();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<R>> {
    this.stop();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }

  /**
   * Every result in input order. With the input's length known, each chunk is copied to its
   * place in one array as it settles: the copy overlaps the workers' work instead of following
   * the last result, and no chunk's results are kept (and promoted by the GC) until the end.
   */
  protected async readAll(inOrder: boolean): Promise<R[]> {
    const n = this.expectedLength();
    if (n !== undefined && n <= PRESIZE_MAX) {
      // Made when the first results come, while the workers compute: an array of 1M items
      // is ~7 ms of fresh memory, which made before the first await delays the first tasks.
      let out: R[] | undefined;
      let end = 0;
      for (let chunk = await this.nextRaw(); chunk; chunk = await this.nextRaw()) {
        out ??= new Array<R>(n);
        copyAt(out, chunk.first, chunk.results);
        end = Math.max(end, chunk.first + chunk.results.length);
      }
      if (!out) return [];
      // An input array cut short while the map ran has fewer items than it had at the start.
      if (end < n) out.length = end;
      return out;
    }
    const out: R[] = [];
    const chunks: FedChunk[] = [];
    for (let chunk = await this.nextChunk(); chunk; chunk = await this.nextChunk()) {
      if (inOrder) pushAll(out, chunk.results);
      else chunks.push(chunk);
    }
    if (inOrder) return out;
    chunks.sort((a, b) => a.first - b.first);
    for (const chunk of chunks) pushAll(out, chunk.results);
    return out;
  }
}

function copyAt<T>(out: T[], at: number, items: ArrayLike<unknown>): void {
  for (let i = 0; i < items.length; i++) out[at + i] = items[i] as T;
}

function pushAll<T>(out: T[], items: readonly unknown[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i] as T);
}
