/**
 * A real redis-server for the cluster tests, on a free port of 127.0.0.1 with no persistence,
 * and `spindle worker` processes beside it. Everything started here is killed when the test
 * process exits, even when a test fails half-way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Why the cluster tests are skipped, or false when they run. Without redis-server on the PATH
 * they are skipped with that reason on a developer's machine, but never in CI (CI=true): there
 * a skip would hide a lost test, so it is an error at load time instead.
 */
export const redisSkip: string | false = (() => {
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir && existsSync(join(dir, 'redis-server')));
  if (found) return false;
  if (process.env.CI && process.env.CI !== 'false') {
    throw new Error(
      'redis-server is not on the PATH, and CI=true forbids skipping the cluster tests: install it (apt-get install redis-server)',
    );
  }
  return 'redis-server is not on the PATH, so the cluster tests are skipped (install it: apt-get install redis-server, or brew install redis)';
})();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves once `pattern` appears on the child's output; rejects if it exits first. */
function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  ms = 20_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) done();
    };
    const onExit = (code: number | null) => {
      done(new Error(`${what} exited (code ${code}) before it was ready:\n${seen}`));
    };
    const timer = setTimeout(
      () => done(new Error(`${what} was not ready within ${ms} ms:\n${seen}`)),
      ms,
    );
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops and starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spindle-redis-'));
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = track(
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--daemonize',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    await waitForLine(child, /Ready to accept connections/, 'redis-server');
  };
  const halt = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    c.kill('SIGKILL');
    await exited(c);
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProcess {
  readonly pid: number;
  /** Everything it wrote so far. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once it has exited. */
  exit(): Promise<number | null>;
}

const WORKER_MAIN = fileURLToPath(new URL('../fixtures/redis-worker-main.ts', import.meta.url));
export const TASKS_MODULE = fileURLToPath(new URL('../fixtures/redis-tasks.ts', import.meta.url));

/** A `spindle worker` process; resolves once it consumes the queue. */
export async function startWorker(
  url: string,
  options: {
    tasks?: string[];
    workers?: number;
    secret?: string;
    queue?: string;
    env?: NodeJS.ProcessEnv;
    /** folders bag partitions may read (`--allow-read`) and write (`--allow-write`) */
    allowRead?: string[];
    allowWrite?: string[];
    /** false: return at once, for a worker expected to fail at start */
    wait?: boolean;
  } = {},
): Promise<WorkerProcess> {
  const args = [
    '--import',
    'tsx',
    WORKER_MAIN,
    '--redis',
    url,
    '--workers',
    String(options.workers ?? 1),
  ];
  for (const t of options.tasks ?? [TASKS_MODULE]) args.push('--tasks', t);
  if (options.secret) args.push('--secret', options.secret);
  if (options.queue) args.push('--queue', options.queue);
  for (const d of options.allowRead ?? []) args.push('--allow-read', d);
  for (const d of options.allowWrite ?? []) args.push('--allow-write', d);
  const env = { ...process.env, ...options.env };
  delete env.SPINDLE_SECRET;
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (options.wait !== false) await waitForLine(child, /consuming queue/, 'spindle worker');
  return {
    pid: child.pid!,
    output: () => out,
    kill: (signal) => child.kill(signal),
    exit: () => done,
  };
}

/** Kills what is still running: for `after()` hooks. */
export async function stopAll(
  ...things: Array<{ stop(): Promise<void> } | WorkerProcess | undefined>
): Promise<void> {
  for (const thing of things) {
    if (!thing) continue;
    if ('stop' in thing) await thing.stop();
    else {
      thing.kill('SIGKILL');
      await thing.exit();
    }
  }
}
