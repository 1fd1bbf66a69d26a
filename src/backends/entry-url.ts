/**
 * The worker entry: `dist/worker/entry.js` in the built package (found from the `dist/`
 * folder, since the bundler may place this code in `dist/index.js` or a chunk), and
 * `src/worker/entry.ts` when spindle runs from source under tsx (its tests), where the worker
 * registers tsx itself (see typescript.ts).
 */
export function workerEntryUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('../worker/entry.ts', here);
  const dist = here.lastIndexOf('/dist/');
  if (dist >= 0) return new URL(`${here.slice(0, dist)}/dist/worker/entry.js`);
  return new URL('../worker/entry.js', here);
}
