// A few seconds per runtime: each backend starts workers, runs module and inline tasks, moves
// typed arrays (copied and transferred, both ways), and closes. Run by .ci/run under Node 22,
// Node 24, Bun and Deno:
//   <runtime> test/smoke/smoke.mjs        (deno: deno run -A test/smoke/smoke.mjs)
// Prints one line per backend and exits 1 if one that this runtime supports failed.
import { Pool, transfer } from 'spindle';
import { tasks } from './tasks.mjs';

const runtime =
  typeof globalThis.Bun !== 'undefined'
    ? `bun ${globalThis.Bun.version}`
    : typeof globalThis.Deno !== 'undefined'
      ? `deno ${globalThis.Deno.version.deno}`
      : `node ${process.versions.node}`;

const LIMIT_MS = 20_000;
const [major, minor] = process.versions.node.split('.').map(Number);
const stripsTypes =
  runtime.startsWith('bun') ||
  runtime.startsWith('deno') ||
  major > 22 ||
  (major === 22 && minor >= 18);
const { tsTasks } = stripsTypes ? await import('./ts-tasks.ts') : {};

async function check(backend) {
  const pool = new Pool({ backend, workers: 2 });
  try {
    const cubes = await pool.map(tasks.cube, [1, 2, 3, 4, 5, 6, 7, 8]);
    if (cubes.join() !== '1,8,27,64,125,216,343,512') throw new Error(`map gave ${cubes}`);
    const inline = await pool.map((x) => x + 1, [1, 2, 3]);
    if (inline.join() !== '2,3,4') throw new Error(`an inline task gave ${inline}`);
    const sum = await pool.submit(tasks.sum, new Uint8Array([1, 2, 3, 250]));
    if (sum !== 256) throw new Error(`a typed array summed to ${sum}`);
    const moved = await pool.submit(tasks.moved, 3);
    if (!(moved instanceof Float64Array) || moved.join() !== '3,3,3')
      throw new Error(`a transferred result arrived as ${moved}`);
    const arg = new Uint8Array([1, 2, 3, 250]);
    if ((await pool.submit(tasks.sum, transfer(arg))) !== 256)
      throw new Error('a transferred argument did not arrive whole');
    if (backend === 'threads' && arg.byteLength !== 0)
      throw new Error('a transferred argument was copied, not moved');
    const nested = await pool.submit(tasks.nested, [2, 3]);
    if (!nested.isPool || nested.cubes.join() !== '8,27')
      throw new Error(`a pool nested in a task gave ${JSON.stringify(nested)}`);
    const { pid } = await pool.submit(tasks.where);
    if ((backend === 'processes') === (pid === process.pid)) throw new Error(`ran in pid ${pid}`);
    if (tsTasks) {
      const shouted = await pool.map(tsTasks.shout, ['a', 'b']);
      if (shouted.join() !== 'A!,B!') throw new Error(`a TypeScript task gave ${shouted}`);
    }
    const controller = new AbortController();
    const waiting = pool.submitWith({ signal: controller.signal }, tasks.waitForAbort);
    setTimeout(() => controller.abort(), 50);
    const outcome = await waiting.then(
      () => 'resolved',
      (error) => error.code,
    );
    if (outcome !== 'SPINDLE_CANCELLED') throw new Error(`an aborted task ended ${outcome}`);
  } finally {
    await pool.close();
  }
}

let failed = false;
for (const backend of ['threads', 'processes', 'inline']) {
  const started = performance.now();
  let timer;
  const outcome = await Promise.race([
    check(backend).then(() => 'ok'),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(`FAILED: no answer within ${LIMIT_MS / 1000} s`), LIMIT_MS);
    }),
  ]).catch((error) => `FAILED: ${error?.stack ?? error}`);
  clearTimeout(timer);
  if (outcome !== 'ok') failed = true;
  const ms = (performance.now() - started).toFixed(0);
  const ts = tsTasks ? ', with a .ts task module' : '';
  console.log(`smoke ${runtime} ${backend}: ${outcome} (${ms} ms${ts})`);
}
process.exit(failed ? 1 : 0);
