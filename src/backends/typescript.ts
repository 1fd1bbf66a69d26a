import { createRequire } from 'node:module';
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
  const loader = /(file:\/\/\S*?\/tsx\/dist\/)loader\.mjs/.exec(args);
  if (loader) {
    cached = `${loader[1]}esm/api/index.mjs`;
    return cached;
  }
  try {
    const require = createRequire(`${process.cwd()}/`);
    cached = pathToFileURL(require.resolve('tsx/esm/api')).href;
  } catch {
    cached = null;
  }
  return cached ?? undefined;
}
