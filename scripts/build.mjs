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
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

// The worker entry once more, as a classic script that a thread on Node compiles with V8's
// code cache (see src/backends/script-runtime.ts): CommonJS, wrapped the way Node wraps a
// CommonJS module, so the thread's bootstrap calls it with `require` (which gives only
// builtins). It publishes its face as a plain object for dist/worker/face-proxy.js, not as
// CommonJS exports (a getter each, copied once more: ~0.5 ms of a new thread's start). What it
// loads on first use (the index, face-extras.js) stays the ES build's, one copy with the index.
const faceNames = await exportsOf('src/worker/face.ts');
const scriptBuild = await build({
  ...common,
  format: 'cjs',
  stdin: {
    contents: `import { ${faceNames.join(', ')} } from './src/worker/face.ts';
import { startWorker } from './src/worker/start.ts';

globalThis[Symbol.for('spindle.workerFace')] = { ${faceNames.join(', ')} };
startWorker();
`,
    resolveDir: fileURLToPath(new URL('..', import.meta.url)),
    sourcefile: 'worker-script.ts',
    loader: 'ts',
  },
  write: false,
  metafile: true,
  outfile: 'dist/worker/runtime.script.js', // written by hand below, under its hash
  define: { SPINDLE_VERSION: JSON.stringify(version), 'import.meta.url': 'spindleScript.url' },
});
const scriptImports = Object.values(scriptBuild.metafile.outputs).flatMap((o) =>
  o.imports.map((i) => i.path),
);
if (scriptImports.some((path) => !path.startsWith('node:')))
  throw new Error(`the worker script must require only node: builtins, not ${scriptImports}`);
const scriptText =
  '(function (exports, require, module, __filename, __dirname) {"use strict";' +
  // On first use: loading node:url cost every new thread ~0.3 ms, and only nested pools ask.
  "let scriptUrl; const spindleScript = { get url() { return scriptUrl ??= require('node:url').pathToFileURL(__filename).href; } };\n" +
  `${scriptBuild.outputFiles[0].text}\n})`;
const scriptHash = createHash('sha256').update(scriptText).digest('hex').slice(0, 16);

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
    SPINDLE_SCRIPT_HASH: JSON.stringify(scriptHash),
  },
});
checkWorkerFiles(library.metafile);
writeFileSync(
  new URL(`../dist/worker/runtime-${scriptHash}.script.js`, import.meta.url),
  scriptText,
);
writeFaceProxy(library.metafile.outputs['dist/worker/entry.js'].exports);

/** The names a module exports, from esbuild's metafile. */
async function exportsOf(entry) {
  const { metafile } = await build({
    ...common,
    entryPoints: [entry],
    write: false,
    metafile: true,
    outfile: 'x.js',
  });
  return Object.values(metafile.outputs)[0].exports.sort();
}

/**
 * dist/worker/face-proxy.js, what `import 'spindle'` is under the `spindle-worker-script`
 * condition (threads that run the worker script): the face of that script, which the thread's
 * bootstrap publishes, else (a thread or process that a task started itself, which inherits the
 * condition) the ES entry's, loaded as a library.
 */
function writeFaceProxy(names) {
  const text = `// Generated by scripts/build.mjs: the face of the worker runtime running in this thread.
const face = globalThis[Symbol.for('spindle.workerFace')] ?? process.getBuiltinModule('node:module').createRequire(import.meta.url)('./entry.js');

export const { ${[...names].sort().join(', ')} } = face;
`;
  writeFileSync(new URL('../dist/worker/face-proxy.js', import.meta.url), text);
}

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
