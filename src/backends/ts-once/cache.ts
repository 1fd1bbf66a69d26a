import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { debuglog } from 'node:util';
import { builtin } from '../../builtin.js';
import { compileFile, findEsbuild, link, type RawModule } from './compile.js';

declare const SPINDLE_VERSION: string;

const debug = debuglog('spindle');

/**
 * Compiled task modules on disk, so that a program's next run starts without esbuild:
 * - `raw/<key>.json`: one file's compiled code, keyed by its path, content, the nearest
 *   tsconfig.json, Node's version (the target) and spindle's;
 * - `out/<closure>-<name>.mjs`: what workers import, named by the keys of every local file
 *   it reaches, so an edit anywhere below a module gives it a new name. A module shared by two
 *   task modules gets the same name from both, and so stays one module in a worker.
 * A warm start reads the sources and these small files, and hashes; nothing else.
 */
export class TsCache {
  readonly #dir: string;
  readonly #tsxApiUrl: string | undefined;

  constructor(dir: string, tsxApiUrl: string | undefined) {
    this.#dir = dir;
    this.#tsxApiUrl = tsxApiUrl;
  }

  /** The URL of the JavaScript for `entry` (an absolute `.ts` path), compiled if need be. */
  async compiled(entry: string): Promise<string> {
    const files = new Map<string, { key: string; raw: RawModule }>();
    let pending = [entry];
    while (pending.length > 0) {
      const next: string[] = [];
      await Promise.all(
        pending.map(async (file) => {
          if (files.has(file)) return;
          const key = this.#key(file);
          files.set(file, { key, raw: undefined as unknown as RawModule });
          const raw = this.#readRaw(key) ?? (await this.#compile(file, key));
          files.set(file, { key, raw });
          for (const dep of raw.deps) if (!files.has(dep)) next.push(dep);
        }),
      );
      pending = next;
    }
    const urls = new Map<string, string>();
    for (const file of files.keys()) urls.set(file, this.#outUrl(file, files));
    for (const [file, { raw }] of files) {
      const path = new URL(urls.get(file)!);
      if (exists(path)) continue;
      writeAtomic(
        path,
        link(
          raw,
          raw.deps.map((dep) => urls.get(dep)!),
        ),
      );
    }
    return urls.get(entry)!;
  }

  #key(file: string): string {
    const hash = sha256();
    hash.update(`${version()}\0${process.versions.node}\0${file}\0`);
    hash.update(readFileSync(file));
    hash.update(`\0${nearestTsconfig(dirname(file))}`);
    return hash.digest('hex').slice(0, 32);
  }

  #readRaw(key: string): RawModule | undefined {
    try {
      return JSON.parse(readFileSync(join(this.#dir, 'raw', `${key}.json`), 'utf8')) as RawModule;
    } catch {
      return undefined;
    }
  }

  async #compile(file: string, key: string): Promise<RawModule> {
    const raw = await compileFile(findEsbuild(this.#tsxApiUrl).build, file);
    writeAtomic(join(this.#dir, 'raw', `${key}.json`), JSON.stringify(raw));
    debug('compiled %s for workers into %s', file, this.#dir);
    return raw;
  }

  #outUrl(file: string, files: Map<string, { key: string; raw: RawModule }>): string {
    const reached = new Set<string>();
    const stack = [file];
    while (stack.length > 0) {
      const f = stack.pop()!;
      if (reached.has(f)) continue;
      reached.add(f);
      stack.push(...files.get(f)!.raw.deps);
    }
    const hash = sha256();
    for (const key of [...reached].map((f) => files.get(f)!.key).sort()) hash.update(key);
    const name = `${hash.digest('hex').slice(0, 24)}-${basename(file).replace(/\.[mc]?tsx?$/, '')}.mjs`;
    return pathToFileURL(join(this.#dir, 'out', name)).href;
  }
}

/**
 * `SPINDLE_TS_CACHE` if set, else `node_modules/.cache/spindle/ts` of the nearest folder with node_modules, where build tools
 * keep their caches; else a folder of this user's own in the temp folder (created 0700 and
 * checked to be theirs, since anyone may create names there and workers run what it holds).
 */
export function defaultCacheDir(from = process.cwd()): string {
  if (process.env.SPINDLE_TS_CACHE) return resolve(process.env.SPINDLE_TS_CACHE);
  for (let dir = from; ; dir = dirname(dir)) {
    if (exists(join(dir, 'node_modules')))
      return join(dir, 'node_modules', '.cache', 'spindle', 'ts');
    if (dirname(dir) === dir) break;
  }
  const uid = process.getuid?.() ?? 'user';
  const dir = join(tmpdir(), `spindle-ts-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  if (process.getuid && (stat.uid !== process.getuid() || (stat.mode & 0o022) !== 0)) {
    throw new Error(`${dir} belongs to someone else or is writable by others`);
  }
  return dir;
}

function nearestTsconfig(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      return readFileSync(join(dir, 'tsconfig.json'), 'utf8');
    } catch {}
    if (exists(join(dir, 'package.json')) || dirname(dir) === dir) return '';
  }
}

/** Written under a unique name, then renamed: a concurrent run sees a whole file or none. */
function writeAtomic(path: string | URL, text: string): void {
  const target = typeof path === 'string' ? path : fileURLToPath(path);
  mkdirSync(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, target);
}

function exists(path: string | URL): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function sha256() {
  return builtin<typeof import('node:crypto')>('node:crypto').createHash('sha256');
}

function version(): string {
  return typeof SPINDLE_VERSION === 'string' ? SPINDLE_VERSION : 'source';
}
