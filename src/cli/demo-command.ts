import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError, ExitCode } from './exit.js';

export interface DemoOptions {
  names: string[];
  quick?: boolean;
  outDir?: string;
  workers?: number;
  dashboard?: boolean;
  dashboardPort?: number;
}

/**
 * `spindle demo`: the demo lives in a spindle checkout (src/demo/), not in the npm package, which
 * holds only what a program needs. Run from source (under tsx) it is imported directly; from a
 * checkout's build, it runs in a child process under tsx, in the caller's working directory.
 */
export async function demoCommand(options: DemoOptions, argv: string[]): Promise<number> {
  // src/cli and dist/cli are both two levels below the package root.
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const { runDemo } = await import(new URL('../demo/run.ts', here).href);
    return runDemo(options);
  }
  const main = fileURLToPath(new URL('../../src/cli/main.ts', here));
  if (!existsSync(fileURLToPath(new URL('../../src/demo/run.ts', here)))) {
    throw new CliError(
      'spindle demo runs from a checkout of the spindle repository (the demo is not in the npm package): ' +
        'clone it, npm install, then npm start',
    );
  }
  let tsx: string;
  try {
    tsx = pathToFileURL(createRequire(main).resolve('tsx')).href;
  } catch {
    throw new CliError('spindle demo needs tsx: run npm install in the spindle checkout');
  }
  const child = spawn(process.execPath, ['--import', tsx, main, ...argv], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(new CliError(`could not start the demo: ${error.message}`, ExitCode.IO)),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 2 : 1)));
  });
}
