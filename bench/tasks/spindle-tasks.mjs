/** The kernels as spindle module tasks, from the built package (bench runs dist/ with plain node). */
import { defineTasks } from '../../dist/index.js';
import { burn, identity, sumsq, w3, w3chunk, words, wordsChunk } from './kernels.mjs';

export const tasks = defineTasks(import.meta.url, {
  identity,
  burn,
  w3,
  w3chunk,
  sumsq,
  words,
  wordsChunk,
});
