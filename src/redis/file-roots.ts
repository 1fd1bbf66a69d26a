import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputFileError } from '../errors.js';
import { PathNotAllowedError } from './errors.js';

type Flag = '--allow-read' | '--allow-write';

interface Root {
  /** As given, made absolute: a job's path is first checked against it without touching the disk. */
  readonly given: string;
  /** Its real path: what the path, once its symlinks are resolved, must be inside. */
  readonly real: string;
}

/**
 * The folders a cluster worker may read from and write to, for the bag partitions it runs.
 * A job names paths, and whoever can add jobs to the queue could name any file on the worker's
 * machine; so nothing is read or written unless its real path (symlinks and `..` resolved) is
 * inside a folder the worker was started with. A path outside every folder is refused before
 * anything on the disk is touched, so a job cannot even learn whether it exists.
 *
 * The check runs before the partition does; someone who can change the folders' contents on
 * the worker's machine in between could still swap a symlink in, which is why the partition
 * receives the resolved real path rather than the one the job named.
 */
export class FileRoots {
  readonly #read: readonly Root[];
  readonly #write: readonly Root[];
  readonly #host: string;

  private constructor(read: Root[], write: Root[], host: string) {
    this.#read = read;
    this.#write = write;
    this.#host = host;
  }

  /** No folders: bag partitions here read and write no files. */
  static none(host = 'this machine'): FileRoots {
    return new FileRoots([], [], host);
  }

  /** Checks every folder now, so a typo fails when the worker starts, not at the first job. */
  static async load(
    read: readonly string[] | undefined,
    write: readonly string[] | undefined,
    host: string,
  ): Promise<FileRoots> {
    return new FileRoots(
      await roots(read, '--allow-read'),
      await roots(write, '--allow-write'),
      host,
    );
  }

  /** The folders, as the worker's log shows them. */
  describe(): string {
    const list = (rs: readonly Root[]) => rs.map((r) => r.real).join(', ');
    const parts: string[] = [];
    if (this.#read.length > 0) parts.push(`reads files under ${list(this.#read)}`);
    if (this.#write.length > 0) parts.push(`writes files under ${list(this.#write)}`);
    return parts.length > 0 ? parts.join('; ') : 'reads and writes no files for bags';
  }

  /** The real path of a file a partition reads; refuses one outside the read folders. */
  async readable(path: unknown): Promise<string> {
    const wanted = this.#lexical(path, this.#read, '--allow-read', 'read');
    let real: string;
    try {
      real = await realpath(wanted);
      if (!(await stat(real)).isFile())
        throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is not a file'
            : 'cannot be read';
      throw new InputFileError(
        `the file ${wanted} ${why} on the spindle worker on ${this.#host} (${code ?? error}): a bag's files must be at the same paths on every worker machine`,
        wanted,
        error,
      );
    }
    this.#inside(real, wanted, this.#read, '--allow-read', 'read');
    return real;
  }

  /**
   * The real path a partition writes to; refuses one outside the write folders. Creates the
   * file's folder (the caller made it on its own machine, which may not be this one).
   */
  async writable(path: unknown): Promise<string> {
    const wanted = this.#lexical(path, this.#write, '--allow-write', 'write');
    const folder = dirname(wanted);
    // The part of the folder that exists must already be inside, or mkdir could create
    // folders through a symlink that leads out.
    this.#inside(
      await realpath(await existingAncestor(folder)),
      wanted,
      this.#write,
      '--allow-write',
      'write',
    );
    await mkdir(folder, { recursive: true });
    const target = join(await realpath(folder), basename(wanted));
    this.#inside(dirname(target), wanted, this.#write, '--allow-write', 'write');
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isSymbolicLink()) {
      const real = await realpath(target).catch(() => undefined);
      if (real === undefined) {
        throw this.#refusal(wanted, '--allow-write', 'write', 'it is a symlink that leads nowhere');
      }
      this.#inside(real, wanted, this.#write, '--allow-write', 'write');
      return real;
    }
    return target;
  }

  #lexical(path: unknown, list: readonly Root[], flag: Flag, verb: string): string {
    if (typeof path !== 'string' || !isAbsolute(path)) {
      throw this.#refusal(String(path), flag, verb, 'a job must name an absolute path');
    }
    const wanted = resolve(path);
    if (!list.some((root) => within(root.given, wanted) || within(root.real, wanted))) {
      throw this.#refusal(wanted, flag, verb, this.#outside(list, flag, verb));
    }
    return wanted;
  }

  #inside(real: string, wanted: string, list: readonly Root[], flag: Flag, verb: string): void {
    if (list.some((root) => within(root.real, real))) return;
    throw this.#refusal(
      wanted,
      flag,
      verb,
      `it leads to ${real}, and ${this.#outside(list, flag, verb)}`,
    );
  }

  #outside(list: readonly Root[], flag: Flag, verb: string): string {
    return list.length === 0
      ? `this worker was started without ${flag}, so it ${verb}s no files for bags`
      : `it is outside the folders this worker may ${verb} (${list.map((r) => r.real).join(', ')})`;
  }

  #refusal(path: string, flag: Flag, verb: string, why: string): PathNotAllowedError {
    return new PathNotAllowedError(
      `the spindle worker on ${this.#host} may not ${verb} ${path}: ${why}; start it with ${flag} <a folder holding it> (or ${flag === '--allow-read' ? 'allowRead' : 'allowWrite'}: [...] in startRedisWorker)`,
      path,
      flag,
    );
  }
}

async function roots(list: readonly string[] | undefined, flag: Flag): Promise<Root[]> {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new TypeError(`${flag} takes folders (an array of paths), got ${String(list)}`);
  }
  const out: Root[] = [];
  for (const folder of list) {
    if (typeof folder !== 'string' || folder === '') {
      throw new TypeError(`${flag} takes folders, got ${JSON.stringify(folder)}`);
    }
    const given = resolve(folder);
    let real: string;
    try {
      real = await realpath(given);
      if (!(await stat(real)).isDirectory())
        throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputFileError(
        `the folder given to ${flag}, ${folder}, ${code === 'ENOENT' ? 'does not exist' : 'is not a folder'} (${code ?? error})`,
        folder,
        error,
      );
    }
    out.push({ given, real });
  }
  return out;
}

/** True if `path` is `root` or below it (both absolute and normalized). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

async function existingAncestor(folder: string): Promise<string> {
  let at = folder;
  for (;;) {
    try {
      await stat(at);
      return at;
    } catch {
      const up = dirname(at);
      if (up === at) return at;
      at = up;
    }
  }
}
