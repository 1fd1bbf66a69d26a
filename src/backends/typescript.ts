import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * On Node 20, loader hooks registered with `--import tsx` in the main thread do not reach
 * worker threads, so a worker could not load a `.ts` entry or task module. When the caller
 * runs under tsx, each worker thread registers tsx itself before loading anything (a failed
 * import cannot simply be retried: the ESM loader caches the failure). Registering it twice,
 * where a newer Node already shares the hooks, is harmless.
 */
let cached: string | null | undefined;

export function tsxApiUrl(): string | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  const args = process.execArgv.join(' ');
  if (!/tsx/.test(args)) return undefined;
  // `tsx` the CLI passes its loader by file URL; `node --import tsx` passes only the name.
  const loader = /(file:\/\/\S*?\/tsx\/dist\/)loader\.mjs/.exec(args);
  if (loader) {
    cached = `${loader[1]}esm/api/index.mjs`;
    return cached;
  }
  cached = resolveEsmApi(`${process.cwd()}/`) ?? resolveEsmApi(import.meta.url) ?? null;
  return cached ?? undefined;
}

/**
 * The ESM build of `tsx/esm/api`, found from `base`. `require.resolve` would pick the CommonJS
 * build, whose `register()` cannot be imported into a worker, so the package's exports map is
 * read for the `import` condition instead.
 */
function resolveEsmApi(base: string): string | undefined {
  try {
    const pkgPath = createRequire(base).resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    const entry = pkg.exports?.['./esm/api'];
    const target: unknown =
      typeof entry === 'string'
        ? entry
        : (entry?.import?.default ?? entry?.import ?? entry?.default);
    if (typeof target !== 'string') return undefined;
    return pathToFileURL(join(dirname(pkgPath), target)).href;
  } catch {
    return undefined;
  }
}
