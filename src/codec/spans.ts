import type { PrepareContext } from './prepare.js';

/**
 * Many small views of one buffer (the rows of a matrix) would each be copied into an
 * ArrayBuffer of their own and then cloned again: two copies and one allocation a row. Instead
 * the range of the buffer they cover is copied once into the call's arena memory, and each view
 * travels as a view of that copy at its offset: the task sees the same type and length.
 * Only ranges the views fill at least half of are copied so, so a view never drags along much
 * more than its own bytes.
 */
export interface Span {
  readonly lo: number;
  readonly hi: number;
  readonly sab: SharedArrayBuffer;
}

/** Bytes of small views of one buffer in an array, at least, before they travel as one copy. */
const MIN_SPAN_BYTES = 64 * 1024;

type View = ArrayBufferView;

/** Groups the views of `items` from `from` on by buffer and copies each dense group's range. */
export function shareSpans(
  items: unknown[],
  from: number,
  ctx: PrepareContext,
  copiedAlone: (view: View, ctx: PrepareContext) => boolean,
): void {
  const groups = new Map<ArrayBufferLike, { lo: number; hi: number; bytes: number; n: number }>();
  for (let i = from; i < items.length; i++) {
    const item = items[i];
    if (!ArrayBuffer.isView(item) || !copiedAlone(item, ctx)) continue;
    const end = item.byteOffset + item.byteLength;
    const g = groups.get(item.buffer);
    if (!g) groups.set(item.buffer, { lo: item.byteOffset, hi: end, bytes: item.byteLength, n: 1 });
    else {
      if (item.byteOffset < g.lo) g.lo = item.byteOffset;
      if (end > g.hi) g.hi = end;
      g.bytes += item.byteLength;
      g.n++;
    }
  }
  for (const [buffer, g] of groups) {
    // Aligned down to 8 bytes, so every view keeps its alignment at its new offset.
    const lo = g.lo - (g.lo % 8);
    if (g.n < 2 || g.bytes < MIN_SPAN_BYTES || g.hi - lo > 2 * g.bytes) continue;
    const lease = (ctx.lease ??= ctx.arena!.lease());
    const sab = lease.copy(buffer, lo, g.hi - lo, true);
    let list = (ctx.spans ??= new Map()).get(buffer);
    if (!list) ctx.spans.set(buffer, (list = []));
    list.push({ lo, hi: g.hi, sab });
  }
}

/** The span holding `view`, if one does; the latest first (a map's chunks come in order). */
export function spanViewOf(view: View, spans: Map<ArrayBufferLike, Span[]>): Span | undefined {
  const list = spans.get(view.buffer);
  if (!list) return undefined;
  const end = view.byteOffset + view.byteLength;
  for (let i = list.length - 1; i >= 0; i--) {
    const s = list[i];
    if (view.byteOffset >= s.lo && end <= s.hi) return s;
  }
  return undefined;
}
