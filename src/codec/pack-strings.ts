import type { PrepareContext } from './prepare.js';
import { type SlabLease, slabLease } from './slabs.js';

/**
 * A map chunk of strings in shared memory instead of through structured clone. On 2 cores the
 * caller's share is what counts: `postMessage` spends ~170 ns a string serialising and the
 * worker ~230 ns reviving it (2M strings of ~40 chars: ~345 and ~466 ms of CPU). Here the caller
 * joins strings into groups of ~16K characters (native concatenation, no per-string call) and
 * writes each group once into the call's warm slabs (~50 ns a string); the worker makes each
 * string just before its task runs with one native call (~130 ns), a flat string of its own,
 * which V8's fast `toLowerCase` and friends want (a slice of one big decoded string runs the
 * word count 25% slower). Measured in bench/RESULTS.md, "W6 strings through shared memory".
 *
 * Two widths, both exact for every string JavaScript can hold:
 * - `w: 1`: every character of the chunk is ASCII (TextEncoder.encodeInto says so: it reads as
 *   many characters as it writes bytes), one byte each, read back as Latin-1;
 * - `w: 2`: otherwise the UTF-16 code units as they are (astral characters as their two halves,
 *   lone surrogates kept, which UTF-8 could not carry), read back as UCS-2.
 *
 * Only chunks of a map over thread workers (a call's slabs) whose items are all strings are
 * packed; a chunk with anything else, or too few characters to pay, is cloned as it is.
 */
export interface PackedStrings {
  /** The characters: `w` bytes each. */
  readonly s: Uint8Array;
  /** String `i` is characters `e[i]` to `e[i + 1]` of `s`. */
  readonly e: Int32Array;
  readonly w: 1 | 2;
  /** Room for the chunk's results when they are all numbers (see resultsInRoom). */
  readonly r: Float64Array;
}

/** Strings in a chunk, at least, before packing pays for its passes. */
const STRINGS_MIN = 64;
/** Characters joined before one native write: long enough to amortise it, young-generation small. */
const GROUP_CHARS = 16 * 1024;
/** Offsets are Int32 and `w: 2` doubles the bytes. */
const MAX_CHARS = 2 ** 30 - 1;

const encoder = new TextEncoder();
type Writer = (text: string, at: number, bytes: Uint8Array, buffer: Buffer) => boolean;

/** ASCII only: false when `text` holds anything else (nothing beyond `at` is then relied on). */
const writeAscii: Writer = (text, at, bytes) => {
  const done = encoder.encodeInto(text, bytes.subarray(at, at + text.length));
  return done.read === text.length && done.written === text.length;
};

const writeUnits: Writer = (text, at, _bytes, buffer) => {
  buffer.write(text, 2 * at, 2 * text.length, 'utf16le');
  return true;
};

/** The chunk packed, or undefined when it is better cloned as it is. */
export function packStrings(items: unknown[], ctx: PrepareContext): PackedStrings | undefined {
  const n = items.length;
  if (n < STRINGS_MIN || typeof items[0] !== 'string') return undefined;
  const slabs = slabLease(ctx);
  if (!slabs) return undefined;
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const item = items[i];
    if (typeof item !== 'string') return undefined;
    chars += item.length;
  }
  if (chars < STRINGS_MIN || chars > MAX_CHARS) return undefined;
  const [sab, at] = slabs.alloc(12 * n + 4);
  const r = new Float64Array(sab, at, n);
  const e = new Int32Array(sab, at + 8 * n, n + 1);
  return (
    packWidth(items as string[], slabs, chars, 1, e, r) ??
    packWidth(items as string[], slabs, chars, 2, e, r)
  );
}

function packWidth(
  items: string[],
  slabs: SlabLease,
  chars: number,
  w: 1 | 2,
  e: Int32Array,
  r: Float64Array,
): PackedStrings | undefined {
  const bytes = w * chars;
  const [sab, at] = slabs.alloc(bytes);
  const s = new Uint8Array(sab, at, bytes);
  const buffer = Buffer.from(sab, at, bytes);
  const write = w === 1 ? writeAscii : writeUnits;
  if (!writeAll(items, s, buffer, e, write)) {
    slabs.undo(sab, at, bytes);
    return undefined;
  }
  return { s, e, w, r };
}

/** Writes every string, grouped, and each one's end into `e`; false when `write` refuses one. */
function writeAll(
  items: string[],
  s: Uint8Array,
  buffer: Buffer,
  e: Int32Array,
  write: Writer,
): boolean {
  let group = '';
  let from = 0;
  let at = 0;
  e[0] = 0;
  for (let i = 0; i < items.length; i++) {
    const text = items[i];
    at += text.length;
    e[i + 1] = at;
    if (text.length >= GROUP_CHARS) {
      // A long string alone: concatenating it would copy it once more.
      if (group.length > 0 && !write(group, from, s, buffer)) return false;
      if (!write(text, at - text.length, s, buffer)) return false;
      group = '';
      from = at;
      continue;
    }
    group += text;
    if (group.length >= GROUP_CHARS) {
      if (!write(group, from, s, buffer)) return false;
      group = '';
      from = at;
    }
  }
  return group.length === 0 || write(group, from, s, buffer);
}

/** Latin-1 and UCS-2 slices of a Buffer make flat strings in one native call each. */
type Slicer = (this: Buffer, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as Record<string, Slicer | undefined>;
const latin1: Slicer =
  proto.latin1Slice ??
  function (this: Buffer, start, end) {
    return this.toString('latin1', start, end);
  };
const ucs2: Slicer =
  proto.ucs2Slice ??
  function (this: Buffer, start, end) {
    return this.toString('ucs2', start, end);
  };

/** String `i` of a packed chunk, made when asked (the worker makes each just before its task). */
export function stringReader(packed: PackedStrings): (i: number) => string {
  const { s, e } = packed;
  const buffer = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
  if (packed.w === 1) return (i) => latin1.call(buffer, e[i], e[i + 1]);
  return (i) => ucs2.call(buffer, 2 * e[i], 2 * e[i + 1]);
}
