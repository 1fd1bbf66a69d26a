import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * One TypeScript file turned into JavaScript by esbuild, its imports still to be linked: a
 * local `.ts` import is written as the placeholder `"spindle-ts-dep:<i>"` for `deps[i]`, since
 * where that file's JavaScript lands depends on its own content (see cache.ts); every other
 * import already names an absolute URL or a builtin, so the output runs from any folder.
 */
export interface RawModule {
  code: string;
  /** the source map (JSON), its `sources` naming the `.ts` file */
  map: string;
  /** absolute paths of the local TypeScript files it imports */
  deps: string[];
}

/** Why a module is left to tsx in the workers; the message says what was found. */
export class NotCompiled extends Error {}

export const TS_FILE = /\.(ts|mts|tsx)$/;
const PLACEHOLDER = 'spindle-ts-dep:';

type Esbuild = typeof import('esbuild');
let esbuild: Esbuild | null | undefined;

/**
 * esbuild is not a dependency of spindle: it is found where tsx (which runs on it) or the
 * project has it, and loaded only when a file is not in the cache yet.
 */
export function findEsbuild(tsxApiUrl: string | undefined): Esbuild {
  if (esbuild === undefined) {
    esbuild = null;
    const bases = [join(process.cwd(), 'noop.js'), tsxApiUrl, import.meta.url];
    for (const base of bases) {
      if (!base) continue;
      try {
        esbuild = createRequire(base)('esbuild') as Esbuild;
        break;
      } catch {}
    }
  }
  if (!esbuild) throw new NotCompiled('esbuild, which tsx runs on, could not be found');
  return esbuild;
}

/** Compiles one file as tsx would (same target, names kept), with its imports made absolute. */
export async function compileFile(build: Esbuild['build'], file: string): Promise<RawModule> {
  checkModuleScope(file);
  const url = pathToFileURL(file).href;
  const deps: string[] = [];
  const result = await build({
    entryPoints: [file],
    // Bundling only to see every import through the plugin below: each one stays external.
    bundle: true,
    write: false,
    outdir: dirname(file),
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    sourcemap: 'external',
    sourcesContent: false,
    keepNames: true,
    logLevel: 'silent',
    // Node's own resolution: no `module` field or condition, the caller's --conditions.
    mainFields: ['main'],
    conditions: callerConditions(),
    define: {
      'import.meta.url': JSON.stringify(url),
      'import.meta.filename': JSON.stringify(file),
      'import.meta.dirname': JSON.stringify(dirname(file)),
    },
    plugins: [
      {
        name: 'spindle-ts-once',
        setup(b) {
          b.onResolve({ filter: /.*/ }, async (args) => {
            if (args.kind === 'entry-point' || args.pluginData === PLACEHOLDER) return undefined;
            const found = await b.resolve(args.path, {
              kind: args.kind,
              importer: args.importer,
              resolveDir: args.resolveDir,
              pluginData: PLACEHOLDER,
            });
            if (found.errors.length > 0 || (!found.external && found.namespace !== 'file')) {
              throw new NotCompiled(`${file} imports '${args.path}', which esbuild cannot resolve`);
            }
            if (found.external) return { path: args.path, external: true };
            if (TS_FILE.test(found.path)) {
              deps.push(found.path);
              return { path: `${PLACEHOLDER}${deps.length - 1}`, external: true };
            }
            if (/\.[mc]?tsx?$/.test(found.path)) {
              throw new NotCompiled(`${file} imports ${found.path}, a CommonJS TypeScript file`);
            }
            return { path: pathToFileURL(found.path).href, external: true };
          });
        },
      },
    ],
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  if (!js || !map) throw new NotCompiled(`esbuild wrote no JavaScript for ${file}`);
  const code = js.text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  // CommonJS names do not exist in an ES module; tsx would have given them.
  if (/\b(require|__dirname|__filename)\b|\bmodule\.exports\b/.test(code)) {
    throw new NotCompiled(`${file} uses require, __dirname or module.exports`);
  }
  // import.meta.url, .filename and .dirname were replaced above; anything else on it (resolve,
  // the object itself) would describe the cache folder instead of the .ts file.
  if (/\bimport\.meta\b/.test(code)) {
    throw new NotCompiled(`${file} uses import.meta beyond url, filename and dirname`);
  }
  // An import() of a computed name could reach a .ts file that workers then cannot load.
  if (/\bimport\s*\(\s*[^\s"'`]/.test(code)) {
    throw new NotCompiled(`${file} imports a module whose name is computed at run time`);
  }
  const parsed = JSON.parse(map.text) as { sources: string[]; sourceRoot?: string };
  parsed.sources = [url];
  delete parsed.sourceRoot;
  return { code, map: JSON.stringify(parsed), deps };
}

/** The JavaScript of a compiled module, its TypeScript imports pointing at `depUrls`. */
export function link(raw: RawModule, depUrls: string[]): string {
  const code = raw.code.replace(/"spindle-ts-dep:(\d+)"/g, (_, i) =>
    JSON.stringify(depUrls[Number(i)]),
  );
  const map = Buffer.from(raw.map).toString('base64');
  return `${code}//# sourceMappingURL=data:application/json;base64,${map}\n`;
}

/**
 * A `.ts` file is an ES module for tsx when it is `.mts`, or in a package of `"type": "module"`;
 * otherwise tsx gives it CommonJS semantics, which compiling to an ES module would change.
 */
function checkModuleScope(file: string): void {
  if (file.endsWith('.mts')) return;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8');
    } catch {}
    if (text !== undefined) {
      if ((JSON.parse(text) as { type?: string }).type === 'module') return;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  throw new NotCompiled(`${file} is not in a package of "type": "module"`);
}

function callerConditions(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const m = /^(?:-C|--conditions)(?:=(.*))?$/.exec(arg);
    if (m) out.push(m[1] ?? args[++i]);
  }
  return out;
}
