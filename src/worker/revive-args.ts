import { PACKED_ARG, type PackedArg, unpackItems } from '../codec/pack.js';
import { WIRE_MARK } from '../codec/wire-form.js';
import { reviveSync, WIRE_KIND } from '../sync/revive.js';
import type { Wire } from '../sync/wire.js';

/** Searched as deep as codec/prepare.ts searches when it makes wire forms. */
const MAX_DEPTH = 8;

/**
 * A worker's task arguments with their wire forms turned back into what the caller passed:
 * Lock, Semaphore, Barrier and Channel (sync/wire.ts), and arrays of numbers packed into typed
 * memory (codec/pack.ts, packArg). Only arrays the caller marked are searched, so other tasks
 * pay one property read. The same wire form twice (one array passed twice) revives as one object.
 */
export function reviveArgs(args: unknown[], kind: number): unknown[] {
  // A call's arguments are the array itself; a map's items are its first element.
  const target = (kind === 0 ? args : args[0]) as unknown[] & { [WIRE_MARK]?: number };
  if (target?.[WIRE_MARK] !== 1) return args;
  delete target[WIRE_MARK];
  reviveIn(target, 0, new Map());
  return args;
}

function reviveIn(
  container: Record<string, unknown> | unknown[],
  depth: number,
  revived: Map<object, unknown>,
): void {
  if (depth >= MAX_DEPTH) return;
  const keys = Array.isArray(container) ? undefined : Object.keys(container);
  const length = keys ? keys.length : (container as unknown[]).length;
  for (let i = 0; i < length; i++) {
    const key = keys ? keys[i] : i;
    const value = (container as Record<string | number, unknown>)[key];
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    const packed = (value as Partial<PackedArg>)[PACKED_ARG];
    const sync = (value as Partial<Wire>)[WIRE_KIND];
    if (packed !== undefined || sync !== undefined) {
      let object = revived.get(value);
      if (object === undefined) {
        object = packed !== undefined ? unpackItems(packed) : reviveSync(value as Wire);
        revived.set(value, object);
      }
      (container as Record<string | number, unknown>)[key] = object;
      continue;
    }
    if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)
      reviveIn(value as Record<string, unknown>, depth + 1, revived);
  }
}
