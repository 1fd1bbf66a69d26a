import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputFileError } from '../../errors.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../../hints.js';
import type { LineEncoding } from './lines.js';
import type { RunContext } from './run.js';
import type { SourceWire } from './wire.js';

/**
 * Where a bag's items come from, decided in the caller without reading any data: files are
 * only stat'ed (their sizes fix the blocks), sequences are cut into slices.
 */
export type Source =
  | { readonly kind: 'text'; readonly files: readonly TextFile[]; readonly parts: SourceWire[] }
  | { readonly kind: 'items'; readonly parts: SourceWire[] }
  | {
      readonly kind: 'async';
      readonly iterable: AsyncIterable<unknown>;
      readonly sizing: Sizing;
      parts?: SourceWire[];
    }
  | { readonly kind: 'derived'; readonly load: (ctx: RunContext) => Promise<unknown[]> };

export interface Sizing {
  readonly partitionSize?: number;
  readonly npartitions?: number;
}

interface TextFile {
  readonly given: string;
  readonly path: string;
}

export interface ReadTextOptions {
  /** Bytes per block: a number, or a string with a unit (`'64MiB'`, the default; `'MB'` is 10^6, `'MiB'` 2^20). */
  blocksize?: number | string;
  /** How bytes decode into lines: `'utf8'` (default), `'latin1'` or `'ascii'`. */
  encoding?: 'utf8' | 'utf-8' | 'latin1' | 'ascii' | (string & {});
}

/** Case-insensitive, as dask's parse_bytes: `k`/`kB` are 10^3, `Ki`/`KiB` 2^10, and so on. */
const UNITS: Record<string, number> = { '': 1, b: 1 };
for (const [i, prefix] of ['k', 'm', 'g', 't'].entries()) {
  UNITS[prefix] = UNITS[`${prefix}b`] = 1000 ** (i + 1);
  UNITS[`${prefix}i`] = UNITS[`${prefix}ib`] = 1024 ** (i + 1);
}

export function parseBlocksize(value: number | string | undefined): number {
  if (value === undefined) return 64 * 2 ** 20;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 1) return value;
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const key = m?.[2].toLowerCase() ?? '';
    const unit = m && Object.hasOwn(UNITS, key) ? UNITS[key] : undefined;
    if (m && unit !== undefined) {
      const bytes = Math.floor(Number(m[1]) * unit);
      if (bytes >= 1) return bytes;
    }
  }
  throw new RangeErrorWithHint(
    `blocksize must be a whole number of bytes ≥ 1 or a size such as '64MiB', got ${describe(value)}`,
    'units are B, kB, MB, GB (powers of 10) and KiB, MiB, GiB (powers of 2)',
  );
}

function parseEncoding(value: unknown): LineEncoding {
  const name = typeof value === 'string' ? value.toLowerCase() : value;
  if (name === undefined || name === 'utf8' || name === 'utf-8') return 'utf8';
  if (name === 'latin1' || name === 'ascii') return name;
  throw new RangeErrorWithHint(
    `encoding must be 'utf8', 'latin1' or 'ascii', got ${describe(value)}`,
    'lines are cut at the byte 0x0A, so only encodings that keep it whole are read',
  );
}

/** Stats every file now: a missing one fails here, naming it, before anything runs. */
export function textSource(paths: string | readonly string[], options: ReadTextOptions): Source {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p === '')) {
    throw new TypeErrorWithHint(
      `bag.readText needs a path or an array of paths, got ${describe(paths)}`,
      "pass bag.readText('logs/a.txt') or bag.readText(['a.txt', 'b.txt'])",
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `bag.readText options must be an object, got ${describe(options)}`,
      "pass { blocksize: '16MiB' }",
    );
  }
  const blocksize = parseBlocksize(options.blocksize);
  const encoding = parseEncoding(options.encoding);
  const files: TextFile[] = [];
  const parts: SourceWire[] = [];
  for (const given of list) {
    const path = resolve(given);
    const size = fileSize(given, path);
    files.push({ given, path });
    if (/\.gz$/i.test(path)) {
      parts.push({ kind: 'gzip', path, encoding });
      continue;
    }
    // An empty file is one empty partition, so every file has at least one.
    const blocks = Math.max(1, Math.ceil(size / blocksize));
    for (let k = 0; k < blocks; k++) {
      const start = k * blocksize;
      const end = k === blocks - 1 ? size : start + blocksize;
      parts.push({ kind: 'block', path, start, end, encoding });
    }
  }
  return { kind: 'text', files, parts };
}

/** Checked again when a computation starts, so a file removed since `readText` fails first. */
export function checkFiles(source: Source): void {
  if (source.kind !== 'text') return;
  for (const file of source.files) {
    try {
      accessSync(file.path, constants.R_OK);
    } catch (error) {
      throw inputError(file.given, error);
    }
  }
}

function fileSize(given: string, path: string): number {
  let stats: import('node:fs').Stats;
  try {
    stats = statSync(path);
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw inputError(given, error);
  }
  if (!stats.isFile()) {
    throw new InputFileError(`bag.readText: ${given} is not a file`, given);
  }
  return stats.size;
}

function inputError(given: string, error: unknown): InputFileError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : 'cannot be read';
  return new InputFileError(
    `bag.readText: the file ${given} ${why} (${code ?? error})`,
    given,
    error,
  );
}

export function checkSizing(sizing: Sizing, where: string): Sizing {
  if (sizing === null || typeof sizing !== 'object') {
    throw new TypeErrorWithHint(
      `${where} options must be an object, got ${describe(sizing)}`,
      'pass { partitionSize: 1000 } or { npartitions: 8 }',
    );
  }
  const { partitionSize, npartitions } = sizing;
  if (partitionSize !== undefined && npartitions !== undefined) {
    throw new TypeErrorWithHint(
      `${where} got both partitionSize and npartitions`,
      'give one of them',
    );
  }
  for (const [name, value] of [
    ['partitionSize', partitionSize],
    ['npartitions', npartitions],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new RangeErrorWithHint(
        `${where}: ${name} must be a whole number ≥ 1, got ${describe(value)}`,
        `for example { ${name}: 4 }`,
      );
    }
  }
  return { partitionSize, npartitions };
}

/** Cuts items into slices: `npartitions` as even as possible, else `partitionSize` each (default: ≤ 100 slices). */
export function sliceItems(items: readonly unknown[], sizing: Sizing): SourceWire[] {
  const n = items.length;
  if (n === 0) return [];
  const count = sizing.npartitions
    ? Math.min(n, sizing.npartitions)
    : Math.ceil(n / (sizing.partitionSize ?? Math.ceil(n / 100)));
  const parts: SourceWire[] = [];
  for (let k = 0; k < count; k++) {
    const from = sizing.npartitions
      ? Math.floor((k * n) / count)
      : k * (sizing.partitionSize ?? Math.ceil(n / 100));
    const to = sizing.npartitions
      ? Math.floor(((k + 1) * n) / count)
      : Math.min(n, from + (sizing.partitionSize ?? Math.ceil(n / 100)));
    parts.push({ kind: 'items', items: items.slice(from, to) });
  }
  return parts;
}

/** The partitions to run; an async iterable is drained once, and its slices kept for later computes. */
export async function sourceParts(source: Source, ctx: RunContext): Promise<SourceWire[]> {
  switch (source.kind) {
    case 'text':
      checkFiles(source);
      return source.parts;
    case 'items':
      return source.parts;
    case 'async': {
      if (!source.parts) {
        const items: unknown[] = [];
        for await (const item of source.iterable) items.push(item);
        source.parts = sliceItems(items, source.sizing);
      }
      return source.parts;
    }
    case 'derived':
      return [{ kind: 'items', items: await source.load(ctx) }];
  }
}

export function knownPartitions(source: Source): number | undefined {
  if (source.kind === 'async') return source.parts?.length;
  if (source.kind === 'derived') return 1;
  return source.parts.length;
}
