import { defineTasks } from '../../src/index.js';

/** The word-count step of bench/bag.ts; the serial loop does the same split. */
export const bagBench = defineTasks(import.meta.url, {
  words: (line: string) => line.split(' '),
});
