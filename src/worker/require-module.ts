import { builtin, onNode } from '../builtin.js';
import { importUrl } from './thread-script.js';

/**
 * Loads a task module by `require()` where Node can without a warning (require(esm): Node
 * 20.19+, 22.13+, 23.5+), else by `import()`. Node's ES loader loads a graph asynchronously,
 * through promises and the thread pool; `require()` loads the same graph synchronously, and in a
 * new thread a task module that imports 'spindle' was ready ~2.5 ms sooner (bench/RESULTS.md).
 * It is the same module `import()` gives (Node keeps one module map), so nothing runs twice:
 * - a module with top-level await is refused before any of it runs, and `import()` runs it;
 * - a module that threw while it ran throws the same error again from `import()`, unrun;
 * - a CommonJS module gives its exports, not a namespace: `import()` then wraps the same
 *   module, as a task module has always been seen;
 * - a missing file, or any other refusal, is `import()`'s to report, in the ES loader's words.
 * Only `file:` URLs of `.js` and `.mjs` files (TypeScript and other loaders' files go through
 * the hooks `import()` runs), and only on Node: Bun and Deno load by their own rules.
 */
export function requireOrImport(url: string): Promise<Record<string, unknown>> {
  const path = requirablePath(url);
  if (path !== undefined) {
    try {
      const mod = requireFrom()(path);
      if (Object.prototype.toString.call(mod) === '[object Module]')
        return Promise.resolve(mod as Record<string, unknown>);
    } catch {
      // import() below says why, or runs it (see above).
    }
  }
  return importUrl(url);
}

const canRequire =
  onNode &&
  (process as { features?: { require_module?: boolean } }).features?.require_module === true &&
  quietRequire(process.versions.node);

/**
 * Node 22.12 and 23.0–23.4 print an ExperimentalWarning the first time require() loads an ES
 * module from outside node_modules; 20.19+, 22.13+ and 23.5+ only under --trace-require-module.
 */
function quietRequire(version: string): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major === 22) return minor >= 13;
  if (major === 23) return minor >= 5;
  return major === 20 || major >= 24;
}

function requirablePath(url: string): string | undefined {
  if (!canRequire || !url.startsWith('file:') || !/^[^?#]*\.m?js$/.test(url)) return undefined;
  if (process.platform === 'win32') {
    return builtin<typeof import('node:url')>('node:url').fileURLToPath(url);
  }
  // fileURLToPath on POSIX, without loading node:url (~0.3 ms in a new thread): a local URL
  // whose path does not encode a '/'.
  const parsed = new URL(url);
  if ((parsed.host !== '' && parsed.host !== 'localhost') || /%2f/i.test(parsed.pathname))
    return undefined;
  return decodeURIComponent(parsed.pathname);
}

const LENT_REQUIRE = Symbol.for('spindle.require');
let made: ((path: string) => unknown) | undefined;

/**
 * The thread's bootstrap lends its own `require` (a CommonJS eval has one); otherwise (an ES
 * entry, a process) one is made here, once (node:module, ~0.4 ms in a new thread).
 */
function requireFrom(): (path: string) => unknown {
  const lent = (globalThis as { [LENT_REQUIRE]?: (path: string) => unknown })[LENT_REQUIRE];
  if (lent) return lent;
  made ??= builtin<typeof import('node:module')>('node:module').createRequire(`${process.cwd()}/`);
  return made;
}
