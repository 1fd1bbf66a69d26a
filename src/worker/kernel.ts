/**
 * The modules every new worker evaluates before its first task, beyond its entry's own.
 *
 * Imported, for nothing else, by the library's entry points and lazy imports that would
 * otherwise share only some of them with the worker (the dashboards, face-extras.ts): esbuild
 * makes one chunk per set of entry points that reach a module, so such a partial share splits
 * the worker's code into more files, and a fresh worker pays ~1.5–2 ms for each (Node 20).
 * scripts/build.mjs checks the count.
 */
import './runtime.js';
import './where.js';
