import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtin } from '../builtin.js';
import { WorkerStartError } from '../errors.js';
import { scriptFileName } from './script-runtime.js';

/** Set by the build (scripts/build.mjs); absent when spindle runs from source under tsx. */
declare const SPINDLE_WORKER_SOURCE: string;
declare const SPINDLE_SCRIPT_HASH: string;

let resolved: URL | undefined;

/**
 * At the top level, not in the function that uses it: V8 compiles a function when it is first
 * called and parses its body again then, and this ~80 KB literal inside resolveEntry cost a new
 * pool's first worker ~0.9 ms before `new Worker`.
 */
const carriedSource = typeof SPINDLE_WORKER_SOURCE === 'string' ? SPINDLE_WORKER_SOURCE : undefined;

/**
 * Where a worker starts:
 * - `src/worker/entry.ts` when spindle runs from source under tsx (its tests), where the worker
 *   registers tsx itself (see typescript.ts);
 * - `dist/worker/entry.js` of this very package, found from the `dist/` folder (the build may
 *   place this code in `dist/index.js` or a chunk) and checked to be of this very build;
 * - otherwise spindle was bundled into someone's program (esbuild, webpack, …) and its files are
 *   not beside this code: the worker runtime the build carried along as a string is written
 *   once to a private temporary folder and started from there.
 */
export function workerEntryUrl(): URL {
  resolved ??= resolveEntry();
  return resolved;
}

function resolveEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('../worker/entry.ts', here);
  const dist = here.lastIndexOf('/dist/');
  if (dist >= 0 && isOwnPackage(here.slice(0, dist))) {
    return new URL(`${here.slice(0, dist)}/dist/worker/entry.js`);
  }
  if (carriedSource === undefined) {
    throw new WorkerStartError(
      `spindle cannot find its worker runtime from ${here}: import spindle from its package ` +
        "(node_modules/spindle), or bundle spindle's own build (dist/), not its source files",
    );
  }
  return writeRuntime(carriedSource);
}

/**
 * The worker script's name carries a hash of the build this code is part of: one file to look
 * for (reading and parsing package.json cost a new pool's first worker ~0.5 ms).
 */
function isOwnPackage(root: string): boolean {
  if (typeof SPINDLE_SCRIPT_HASH !== 'string') return false;
  return existsSync(fileURLToPath(`${root}/dist/worker/${scriptFileName(SPINDLE_SCRIPT_HASH)}`));
}

/**
 * A folder of its own (mode 0700, from mkdtemp), not a well-known path in the shared temp
 * folder, which anyone could have filled first; removed when the process exits.
 */
function writeRuntime(source: string): URL {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'spindle-worker-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const { createHash } = builtin<typeof import('node:crypto')>('node:crypto');
    const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
    const file = join(dir, `worker-${hash}.mjs`);
    writeFileSync(file, source, { mode: 0o600 });
    return pathToFileURL(file);
  } catch (error) {
    throw new WorkerStartError(
      `spindle is bundled into this program and starts its workers from a copy of its worker runtime, ` +
        `which could not be written to ${tmpdir()} (${(error as Error).message}); make the temp folder writable ` +
        '(TMPDIR), or keep spindle out of the bundle (esbuild --external:spindle) and install it',
    );
  }
}
