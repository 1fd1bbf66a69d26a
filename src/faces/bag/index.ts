import { describe, TypeErrorWithHint } from '../../hints.js';
import { Bag } from './bag.js';
import { checkSizing, type ReadTextOptions, type Sizing, sliceItems, textSource } from './plan.js';

export { Bag } from './bag.js';
export type { BagComputeOptions } from './context.js';
export type { ReadTextOptions, Sizing as FromSequenceOptions } from './plan.js';
export { Reduced } from './reduced.js';
export type { PartitionErrorInfo } from './run.js';

/**
 * Partitioned collections whose workers read their own data (Dask's bag).
 *
 * ```ts
 * const counts = await bag
 *   .readText(['logs/a.txt', 'logs/b.txt.gz'], { blocksize: '16MiB' })
 *   .flatMap(tasks.words)
 *   .frequencies()
 *   .compute({ workers: 4 }); // Map<string, number>
 * ```
 */
export const bag = {
  /**
   * One partition per block of each file (`blocksize`, default 64 MiB), cut at line starts;
   * a `.gz` file is one partition. Each worker reads its own block: the caller only stats
   * the files, and a missing one fails here, naming it. Lines come without '\n' or '\r\n'.
   */
  readText(paths: string | readonly string[], options: ReadTextOptions = {}): Bag<string> {
    return new Bag<string>(textSource(paths, options), []);
  },

  /**
   * A bag of the given items, cut into `npartitions` slices or slices of `partitionSize`
   * (default: at most 100 slices). An async iterable is read when the bag is first computed.
   */
  fromSequence<T>(items: Iterable<T> | AsyncIterable<T>, options: Sizing = {}): Bag<T> {
    const sizing = checkSizing(options, 'bag.fromSequence');
    if (items !== null && typeof (items as any)?.[Symbol.asyncIterator] === 'function') {
      return new Bag<T>({ kind: 'async', iterable: items as AsyncIterable<T>, sizing }, []);
    }
    if (items === null || typeof (items as any)?.[Symbol.iterator] !== 'function') {
      throw new TypeErrorWithHint(
        `bag.fromSequence needs an iterable or an async iterable, got ${describe(items)}`,
        'pass an array: bag.fromSequence([1, 2, 3])',
      );
    }
    return new Bag<T>(
      { kind: 'items', parts: sliceItems(Array.from(items as Iterable<T>), sizing) },
      [],
    );
  },
};
