import { describe, TypeErrorWithHint } from '../hints.js';

type Input = Iterable<unknown> | AsyncIterable<unknown>;

/** True for an array, a string, any iterable or async iterable. */
export function isInput(value: unknown): value is Input {
  if (typeof value === 'string') return true;
  if (value === null || typeof value !== 'object') return false;
  const obj = value as Record<symbol, unknown>;
  return (
    typeof obj[Symbol.iterator] === 'function' || typeof obj[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Python's `zip(*iterables)`, lazily: argument tuples until the shortest input ends. Async if
 * any input is async. Closing the result (or reaching the end) closes every input's iterator,
 * so a generator's `finally` runs.
 */
export function zipInputs(
  inputs: unknown[],
  what: string,
): Iterable<unknown[]> | AsyncIterable<unknown[]> {
  inputs.forEach((input, i) => {
    if (!isInput(input)) {
      throw new TypeErrorWithHint(
        `${what}: argument ${i + 1} after the task must be an iterable, got ${describe(input)}`,
        'pass arrays, generators or async iterables, one per task parameter',
      );
    }
  });
  const allSync = inputs.every(
    (input) =>
      typeof input === 'string' ||
      typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function',
  );
  return allSync ? zipSync(inputs as Iterable<unknown>[]) : zipAsync(inputs as Input[]);
}

function* zipSync(inputs: Iterable<unknown>[]): Generator<unknown[]> {
  const iterators = inputs.map((input) => input[Symbol.iterator]());
  try {
    for (;;) {
      const tuple: unknown[] = [];
      for (const it of iterators) {
        const step = it.next();
        if (step.done) return;
        tuple.push(step.value);
      }
      yield tuple;
    }
  } finally {
    for (const it of iterators) it.return?.();
  }
}

async function* zipAsync(inputs: Input[]): AsyncGenerator<unknown[]> {
  const iterators = inputs.map((input) =>
    typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
      ? (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (input as Iterable<unknown>)[Symbol.iterator](),
  );
  try {
    for (;;) {
      const tuple: unknown[] = [];
      // One input at a time, as Python's zip: an input is never pulled past the shortest one.
      for (const it of iterators) {
        const step = await it.next();
        if (step.done) return;
        tuple.push(step.value);
      }
      yield tuple;
    }
  } finally {
    await Promise.allSettled(iterators.map((it) => it.return?.()));
  }
}
