import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onNode } from '../builtin.js';

/** Set by the build (scripts/build.mjs): a hash of the worker script, which its name carries. */
declare const SPINDLE_SCRIPT_HASH: string;

/**
 * How a thread on Node starts its runtime: as a classic script (dist/worker/runtime-<hash>.script.js,
 * the worker entry built once more as CommonJS) compiled with V8's code cache, not as ES
 * modules. Node 20's ES loader parses and compiles every module afresh in each new worker and
 * keeps no cache of the code; this took ~8 ms off a new pool's first result there (the
 * figures are in bench/RESULTS.md). The thread's `import 'spindle'` is then
 * dist/worker/face-proxy.js, which re-exports what the script published.
 *
 * The first thread that runs without a usable cache writes one after its first result (see
 * the bootstrap in threads.ts). V8 checks the cache against its version, its flags and the
 * source, and rejects one that does not match; it does not check that the code is what the
 * source compiles to, so the cache lives only in a folder of this user's that nobody else can
 * write: SPINDLE_CACHE_DIR, else `$XDG_CACHE_HOME/spindle` or `~/.cache/spindle`, else
 * `spindle-<uid>` in the temp folder. SPINDLE_CODE_CACHE=0 turns the cache off;
 * SPINDLE_WORKER_SCRIPT=0 starts threads from the ES modules, as Bun and Deno always do.
 */
/**
 * The cache, sent after `new Worker` as the first message on the thread's port rather than in
 * workerData: finding and reading it (~1 ms on a new pool's path) then overlaps the thread's
 * own start (~40 ms), and the thread takes it with `receiveMessageOnPort` when it compiles the
 * script.
 */
export interface ScriptCache {
  /** The script's source, read once per process (~0.5 ms a thread's own read took). */
  source?: string;
  /** V8's cached data for the script, if a cache was found. */
  cache?: Uint8Array;
  /** Where the thread writes the cache when `cache` is missing or V8 rejects it. */
  cacheFile?: string;
}

let script: string | null | undefined;
let cacheFile: string | null | undefined;

/** The script for a thread whose ES entry is `entry`, or undefined to import `entry`. */
export function scriptFile(entry: URL): string | undefined {
  script ??= findScript(entry);
  return script ?? undefined;
}

let source: string | undefined;

/** What a thread starting the script `file` receives on its port (see {@link ScriptCache}). */
export function scriptCache(file: string): ScriptCache {
  try {
    source ??= readFileSync(file, 'utf8');
  } catch {
    // The thread reads it itself, and says why if it cannot.
  }
  cacheFile ??= findCacheFile() ?? null;
  if (!cacheFile) return { source };
  // Read each time (~80 KB): a thread may have just written the first one, or replaced one
  // that V8 rejected.
  return { source, cache: readCache(cacheFile), cacheFile };
}

function findScript(entry: URL): string | null {
  if (!onNode || process.env.SPINDLE_WORKER_SCRIPT === '0') return null;
  // The thread's bootstrap loads node:vm and node:fs with it (Node ≥ 20.16).
  if (typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule !== 'function')
    return null;
  if (typeof SPINDLE_SCRIPT_HASH !== 'string' || !entry.href.endsWith('/dist/worker/entry.js'))
    return null;
  // That entry is this package's own, which entry-url.ts knew by this very file.
  return fileURLToPath(new URL(`./${scriptFileName(SPINDLE_SCRIPT_HASH)}`, entry));
}

/** The script's name in dist/worker/: its build's hash, so a file of another build never passes. */
export function scriptFileName(hash: string): string {
  return `runtime-${hash}.script.js`;
}

function findCacheFile(): string | undefined {
  if (process.env.SPINDLE_CODE_CACHE === '0') return undefined;
  const given = process.env.SPINDLE_CACHE_DIR;
  const candidates = given
    ? [given]
    : [
        join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'spindle'),
        join(tmpdir(), `spindle-${process.getuid?.() ?? 'user'}`),
      ];
  const dir = candidates.find(privateFolder);
  if (!dir) return undefined;
  // V8 rejects a cache made under other flags; one file per set of flags keeps two programs
  // with different flags from rewriting each other's.
  const flags = hash(process.execArgv.join('\0'));
  const file = join(
    dir,
    `worker-${SPINDLE_SCRIPT_HASH}-${process.version}-${process.arch}-${flags}.v8`,
  );
  if (!existsSync(file)) pruneCaches(dir);
  return file;
}

/** Caches kept per folder: each build of spindle, Node version and set of flags has its own. */
const KEEP_CACHES = 8;

/** Before a new cache is written: the oldest beyond KEEP_CACHES go (other builds, other Nodes). */
function pruneCaches(dir: string): void {
  try {
    const caches = readdirSync(dir)
      .filter((name) => name.startsWith('worker-') && name.endsWith('.v8'))
      .map((name) => ({ path: join(dir, name), at: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of caches.slice(KEEP_CACHES - 1)) rmSync(old.path, { force: true });
  } catch {
    // Pruning is tidiness; a folder that cannot be listed still holds the cache.
  }
}

/** A folder only this user can write (made so if missing), not a link to one. */
function privateFolder(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return false;
    if (process.platform === 'win32') return true;
    return stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function readCache(file: string): Uint8Array | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** FNV-1a, in hex: a short name, not a secret (node:crypto would cost a new pool ~1 ms). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
