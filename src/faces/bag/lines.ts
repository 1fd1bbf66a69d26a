import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { builtin } from '../../builtin.js';

/**
 * Worker-side reading of one partition's lines. A block [start, end) owns the lines that start
 * in it: its first line starts at the first line start at or after `start`, and it reads past
 * `end` to finish the line that starts before `end`. Every line start belongs to exactly one
 * block, so no line is lost or doubled for any block size. Bytes are cut only after a '\n'
 * (never inside a UTF-8 sequence, whose bytes are all ≥ 0x80) and decoded a buffer at a time.
 */

/** What a line consumer returns: nothing to go on, STOP to end the partition early, or a promise. */
export const STOP = Symbol('stop');
export type LineResult = undefined | typeof STOP | PromiseLike<unknown>;
export type OnLine = (line: string) => LineResult;

export type LineEncoding = 'utf8' | 'latin1' | 'ascii';

const CHUNK = 1 << 20;
const NEWLINE = 10;

export interface BlockSource {
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly encoding: LineEncoding;
}

/** Feeds the block's lines to `onLine`; resolves true if it asked to stop. */
export async function readBlock(
  source: BlockSource,
  onLine: OnLine,
  signal: AbortSignal,
): Promise<boolean> {
  const { path, end, encoding } = source;
  const file = await open(path, 'r');
  try {
    let buf: Buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(64, end - source.start + 64)));
    let pos = await firstLineStart(file, source.start, buf);
    if (pos < 0 || pos >= end) return false;
    let first = pos === 0 && encoding === 'utf8';
    // buf[0, filled) holds the bytes from file offset `pos`; every line in it starts before `end`.
    let filled = 0;
    for (;;) {
      signal.throwIfAborted();
      if (filled === buf.length) buf = grow(buf, filled);
      const { bytesRead } = await file.read(buf, filled, buf.length - filled, pos + filled);
      if (bytesRead === 0) {
        return (
          filled > 0 && (await emit(text(buf, encoding, 0, filled, first), onLine, true, signal))
        );
      }
      filled += bytesRead;
      let limit: number;
      let last = false;
      if (end - 1 < pos + filled) {
        // The line that holds byte end-1 is the block's last: cut after its newline.
        const at = buf.indexOf(NEWLINE, end - 1 - pos);
        if (at >= 0 && at < filled) {
          limit = at + 1;
          last = true;
        } else limit = buf.lastIndexOf(NEWLINE, filled - 1) + 1;
      } else limit = buf.lastIndexOf(NEWLINE, filled - 1) + 1;
      if (limit > 0) {
        const lines = text(buf, encoding, 0, limit, first);
        first = false;
        if (await emit(lines, onLine, false, signal)) return true;
        if (last) return false;
        buf.copy(buf, 0, limit, filled);
        pos += limit;
        filled -= limit;
      }
    }
  } finally {
    await file.close();
  }
}

/** Reads a gzip file as one partition, streaming through zlib; resolves true if stopped early. */
export async function readGzip(
  path: string,
  encoding: LineEncoding,
  onLine: OnLine,
  signal: AbortSignal,
): Promise<boolean> {
  const stream = createReadStream(path).pipe(
    builtin<typeof import('node:zlib')>('node:zlib').createGunzip(),
  );
  let carry: Buffer | undefined;
  let first = encoding === 'utf8';
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      signal.throwIfAborted();
      const buf = carry ? Buffer.concat([carry, piece]) : piece;
      const limit = buf.lastIndexOf(NEWLINE) + 1;
      if (limit === 0) {
        carry = buf;
        continue;
      }
      carry = limit < buf.length ? Buffer.from(buf.subarray(limit)) : undefined;
      const lines = text(buf, encoding, 0, limit, first);
      first = false;
      if (await emit(lines, onLine, false, signal)) return true;
    }
    return (
      carry !== undefined &&
      carry.length > 0 &&
      (await emit(text(carry, encoding, 0, carry.length, first), onLine, true, signal))
    );
  } finally {
    stream.destroy();
  }
}

/**
 * Feeds the lines of `text` (complete lines, each ending in '\n', unless `tail`: then the
 * last has none). Returns true when the consumer asked to stop.
 */
async function emit(
  text: string,
  onLine: OnLine,
  tail: boolean,
  signal: AbortSignal,
): Promise<boolean> {
  let p = 0;
  let count = 0;
  const n = text.length;
  while (p < n) {
    let q = text.indexOf('\n', p);
    let next: number;
    if (q < 0) {
      if (!tail) break;
      q = n;
      next = n;
    } else {
      next = q + 1;
      if (q > p && text.charCodeAt(q - 1) === 13) q--;
    }
    const r = onLine(text.slice(p, q));
    p = next;
    if (r === undefined) continue;
    if (r === STOP) return true;
    if ((await r) === STOP) return true;
    // Async steps can make one buffer of lines take long: an abort is seen between them too.
    if ((++count & 1023) === 0) signal.throwIfAborted();
  }
  return false;
}

/** The first line start at or after `start` (a line starts at 0 or right after a '\n'); -1 at EOF. */
async function firstLineStart(
  file: import('node:fs/promises').FileHandle,
  start: number,
  buf: Buffer,
): Promise<number> {
  if (start === 0) return 0;
  let pos = start - 1;
  for (;;) {
    const { bytesRead } = await file.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return -1;
    const at = buf.indexOf(NEWLINE);
    if (at >= 0 && at < bytesRead) return pos + at + 1;
    pos += bytesRead;
  }
}

/** Decodes bytes; a UTF-8 byte order mark at the very start of a file is not part of its first line. */
function text(buf: Buffer, encoding: LineEncoding, from: number, to: number, atFileStart: boolean) {
  const s = buf.toString(encoding, from, to);
  return atFileStart && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** A line longer than the buffer: double it, keeping what it holds. */
function grow(buf: Buffer, filled: number): Buffer<ArrayBuffer> {
  const bigger = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(bigger, 0, 0, filled);
  return bigger;
}
