// Builds dist/: esbuild bundles the JavaScript (one module graph, split into shared chunks so
// every module still exists once), tsc writes the type declarations. ~55 small ES modules cost
// ~20 ms to import on Node 20; a handful of bundled files import in a few.
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
  entryPoints: ['src/worker/entry.ts'],
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
await build({
  ...common,
  entryPoints: [
    'src/index.ts',
    'src/tasks/index.ts',
    'src/redis/index.ts',
    'src/cli/main.ts',
    'src/worker/entry.ts',
    'src/worker/face.ts',
  ],
  outdir: 'dist',
  outbase: 'src',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  define: {
    SPINDLE_VERSION: JSON.stringify(version),
    SPINDLE_WORKER_SOURCE: JSON.stringify(worker.outputFiles[0].text),
  },
});
