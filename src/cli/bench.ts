import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CliError, ExitCode } from './exit.js';

export interface BenchOptions {
  /** Peers, comma-separated; the suite's default is all of them. */
  compare?: string;
  quick?: boolean;
  reps?: number;
}

/**
 * `spindle bench`: runs the suite script of a spindle checkout (bench/run.ts, which is not in
 * the npm package) in a child process under tsx, its table printed as it comes.
 */
export async function benchCommand(names: string[], options: BenchOptions): Promise<number> {
  // src/cli and dist/cli are both two levels below the package root.
  const script = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));
  if (!existsSync(script)) {
    throw new CliError(
      'spindle bench runs the benchmark suite of a spindle checkout (bench/ is not in the npm package): ' +
        'clone the repository, npm install, then npm run bench',
    );
  }
  try {
    createRequire(script).resolve('tsx');
  } catch {
    throw new CliError('spindle bench needs tsx: run npm install in the spindle checkout');
  }
  // --import resolves from the working directory: the checkout, where tsx was found.
  const args = ['--import', 'tsx', script];
  if (names.length) args.push('--only', names.join(','));
  if (options.compare !== undefined) args.push('--compare', options.compare);
  if (options.quick) args.push('--quick');
  if (options.reps !== undefined) args.push('--reps', String(options.reps));
  const child = spawn(process.execPath, args, {
    stdio: 'inherit',
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
  });
  return new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(new CliError(`could not start the bench: ${error.message}`, ExitCode.IO)),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 2 : 1)));
  });
}
