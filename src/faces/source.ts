import { describe, TypeErrorWithHint } from '../hints.js';

/** Pulls items in chunks from an array, a lazy iterable or an async iterable. */
export interface ItemSource<T> {
  /** Total items, when known up front (arrays and sized collections). */
  readonly length: number | undefined;
  /** Up to `size` more items; an empty array means the input is exhausted. */
  take(size: number): T[] | Promise<T[]>;
  /** Stops a lazy input early (calls its iterator's `return`). */
  close(): void;
  /**
   * For an input that grows while the run goes (a graph's ready nodes): false while more may
   * come, and an empty take then means "none yet", not the end. Undefined for other inputs.
   */
  readonly ended?: boolean;
}

export function itemSource<T>(items: unknown, what = 'items'): ItemSource<T> {
  if (Array.isArray(items)) return arraySource(items as T[]);
  if ((items !== null && typeof items === 'object') || typeof items === 'string') {
    const obj = items as Record<symbol, unknown>;
    if (typeof obj[Symbol.iterator] === 'function') {
      const length = ArrayBuffer.isView(items)
        ? (items as unknown as { length: number }).length
        : undefined;
      return iteratorSource((items as Iterable<T>)[Symbol.iterator](), length);
    }
    if (typeof obj[Symbol.asyncIterator] === 'function') {
      return asyncIteratorSource((items as AsyncIterable<T>)[Symbol.asyncIterator]());
    }
  }
  throw new TypeErrorWithHint(
    `${what} must be an array, an iterable or an async iterable, got ${describe(items)}`,
    'pass an array, a generator, or a stream of values',
  );
}

function arraySource<T>(items: T[]): ItemSource<T> {
  let at = 0;
  return {
    length: items.length,
    take(size) {
      const chunk = items.slice(at, at + size);
      at += chunk.length;
      return chunk;
    },
    close() {
      at = items.length;
    },
  };
}

/**
 * When the input itself throws, the items read before it still count: they are returned
 * first, and the error is thrown by the next take (as CPython's imap yields the results of
 * the items it read, then raises).
 */
function iteratorSource<T>(iterator: Iterator<T>, length: number | undefined): ItemSource<T> {
  let finished = false;
  let failure: { error: unknown } | undefined;
  return {
    length,
    take(size) {
      if (failure) throw failure.error;
      const chunk: T[] = [];
      while (!finished && chunk.length < size) {
        let step: IteratorResult<T>;
        try {
          step = iterator.next();
        } catch (error) {
          finished = true;
          if (chunk.length === 0) throw error;
          failure = { error };
          break;
        }
        if (step.done) finished = true;
        else chunk.push(step.value);
      }
      return chunk;
    },
    close() {
      if (!finished) {
        finished = true;
        iterator.return?.();
      }
    },
  };
}

function asyncIteratorSource<T>(iterator: AsyncIterator<T>): ItemSource<T> {
  let finished = false;
  let failure: { error: unknown } | undefined;
  return {
    length: undefined,
    async take(size) {
      if (failure) throw failure.error;
      const chunk: T[] = [];
      while (!finished && chunk.length < size) {
        let step: IteratorResult<T>;
        try {
          step = await iterator.next();
        } catch (error) {
          finished = true;
          if (chunk.length === 0) throw error;
          failure = { error };
          break;
        }
        if (step.done) finished = true;
        else chunk.push(step.value);
      }
      return chunk;
    },
    close() {
      if (!finished) {
        finished = true;
        void Promise.resolve(iterator.return?.()).catch(() => {});
      }
    },
  };
}
