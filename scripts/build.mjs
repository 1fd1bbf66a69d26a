// Builds dist/: esbuild bundles the JavaScript (one module graph, split into shared chunks so
// every module still exists once), tsc writes the type declarations. ~55 small ES modules cost
// ~20 ms to import on Node 20; a handful of bundled files import in a few. A new worker reads
// every file its entry imports before its first task, ~1.5–2 ms each in a fresh worker: the
// build checks that this stays two (its entry and one chunk; see src/worker/kernel.ts).
//
// The worker runtime is also bundled on its own, into one file that imports nothing but
// node: builtins, and carried as a string inside the library (SPINDLE_WORKER_SOURCE): when a
// user's bundler has folded spindle into their program, there is no dist/worker/entry.js to
// start workers from, and the worker starts from that copy instead (see backends/entry-url.ts).
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
};

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const worker = await build({
  ...common,
  entryPoints: ['src/worker/lone-entry.ts'],
  write: false,
  metafile: true,
  outfile: 'worker-runtime.mjs',
  define: { SPINDLE_VERSION: JSON.stringify(version) },
});
const imports = Object.values(worker.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
const foreign = imports.filter((path) => !path.startsWith('node:'));
if (foreign.length)
  throw new Error(`the worker runtime must import only node: builtins, not ${foreign}`);

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const library = await build({
  ...common,
  entryPoints: [
    'src/index.ts',
    'src/tasks/index.ts',
    'src/redis/index.ts',
    'src/cli/main.ts',
    'src/worker/entry.ts',
    'src/worker/face-extras.ts',
  ],
  outdir: 'dist',
  outbase: 'src',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  metafile: true,
  define: {
    SPINDLE_VERSION: JSON.stringify(version),
    SPINDLE_WORKER_SOURCE: JSON.stringify(worker.outputFiles[0].text),
  },
});
checkWorkerFiles(library.metafile);

/**
 * The files a new worker reads before its first task: its entry's static imports, and theirs.
 * esbuild makes a chunk for each set of entries (and lazy imports) that reach a module, so an
 * entry that reaches only some of the worker's modules splits them: such an entry imports
 * src/worker/kernel.ts, and face.ts leaves names the runtime does not use to face-extras.ts.
 */
function checkWorkerFiles(metafile) {
  const files = new Set();
  const visit = (path) => {
    if (files.has(path)) return;
    files.add(path);
    for (const i of metafile.outputs[path].imports)
      if (!i.external && i.kind === 'import-statement') visit(i.path);
  };
  visit('dist/worker/entry.js');
  const MAX_FILES = 2;
  if (files.size > MAX_FILES)
    throw new Error(
      `a new worker now reads ${files.size} files before its first task (at most ${MAX_FILES}): ` +
        `${[...files].join(', ')}. An entry point or lazy import reaches only some of the ` +
        "worker's modules (see which in those chunks' // src/ comments): import " +
        'src/worker/kernel.ts from it, or leave the name to face-extras.ts',
    );
}
