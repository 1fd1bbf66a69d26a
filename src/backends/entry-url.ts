/**
 * The worker entry beside this file: `.js` in the built package, `.ts` when spindle itself runs
 * from source under tsx (its tests), where the worker inherits tsx through `execArgv`.
 */
export function workerEntryUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`../worker/entry.${ext}`, import.meta.url);
}
