// Helpers of the package checks (pack-test.mjs, consumer-types.mjs).
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** `npm pack` of the checkout at `root` into `dest` (prepack builds dist/); the tarball's path. */
export function packTarball(root, dest) {
  execFileSync('npm', ['pack', '--pack-destination', dest, '--silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`npm pack left ${tgz.length} tarballs in ${dest}`);
  return join(dest, tgz[0]);
}

/** Bytes of the files under `dir` (apparent size, as `du -sb` counts it, links not followed). */
export function dirSize(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(path);
    else total += lstatSync(path).size;
  }
  return total;
}

/** The README's code blocks that name a file: ```ts file=tasks.ts (also js). */
export function readmeBlocks(markdown) {
  const out = [];
  const fence = /^```(?:ts|js)([^\n]*)\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const file = /\bfile=(\S+)/.exec(m[1])?.[1];
    if (file) out.push({ file, code: m[2] });
  }
  return out;
}
