/** The kernels as spindle module tasks, from the built package (bench runs dist/ with plain node). */
// The light entry (`spindle/tasks`), as a task module should import it: the worker already
// holds these modules, so the task module adds almost nothing to a worker's start.
import { defineTasks, transfer } from '../../dist/tasks/index.js';
import {
  burn,
  identity,
  record,
  records,
  rowSum,
  rowSums,
  squares,
  sumsq,
  text,
  texts,
  trues,
  w3,
  w3chunk,
  words,
  wordsChunk,
} from './kernels.mjs';

export const tasks = defineTasks(import.meta.url, {
  /** A new array of `n` doubles, copied back (the default) or moved back (transfer). */
  filled: (n) => new Float64Array(n).fill(1),
  filledMoved: (n) => transfer(new Float64Array(n).fill(1)),
  identity,
  burn,
  w3,
  w3chunk,
  sumsq,
  words,
  wordsChunk,
  record,
  records,
  text,
  texts,
  squares,
  rowSum,
  rowSums,
  trues,
});
