/**
 * Programs run as a user runs them, plain `node main.mjs` on this package's build (npm test
 * builds first): a folder inside the package, so that `import 'spindle'` there is the build.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export class BuildPrograms {
  readonly dir: string;

  constructor(name: string) {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    this.dir = mkdtempSync(join(root, '.tmp', `${name}-`));
  }

  /** Writes `text` to `file` in the folder (subfolders made as needed). */
  write(file: string, text: string): void {
    mkdirSync(join(this.dir, file, '..'), { recursive: true });
    writeFileSync(join(this.dir, file), text);
  }

  /** Runs `body` as an ES module and returns its last line of output, parsed as JSON. */
  async run(body: string, args: string[] = []): Promise<any> {
    const file = `main-${Math.random().toString(36).slice(2)}.mjs`;
    this.write(file, body);
    // The timeout fails a program that never ends.
    const { stdout } = await run(process.execPath, [...args, file], {
      cwd: this.dir,
      timeout: 30_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
