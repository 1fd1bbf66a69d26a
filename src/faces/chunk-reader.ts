import type { FedChunk } from './feed-plan.js';

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

  /** Every result in input order; chunks that came in completion order are sorted first. */
  protected async readAll(inOrder: boolean): Promise<R[]> {
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

function pushAll<T>(out: T[], items: readonly unknown[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i] as T);
}
