import { reviveBarrier } from './barrier.js';
import { reviveChannel } from './channel.js';
import { reviveLock } from './lock.js';
import { reviveSemaphore } from './semaphore.js';
import { ARGS_MARK, WIRE_KIND, type Wire } from './wire.js';

/** Searched as deep as codec/prepare.ts searches when it makes wire forms. */
const MAX_DEPTH = 8;

/**
 * A worker's task arguments with Lock, Semaphore, Barrier and Channel wire forms turned back
 * into objects. Only arrays marked by the caller (see sync/wire.ts) are searched, so tasks
 * without sync objects pay one property read.
 */
export function reviveSyncArgs(args: unknown[], kind: number): unknown[] {
  // A call's arguments are the array itself; a map's items are its first element.
  const target = (kind === 0 ? args : args[0]) as unknown[] & { [ARGS_MARK]?: number };
  if (target?.[ARGS_MARK] !== 1) return args;
  delete target[ARGS_MARK];
  reviveIn(target, 0);
  return args;
}

function reviveIn(container: Record<string, unknown> | unknown[], depth: number): void {
  if (depth >= MAX_DEPTH) return;
  const keys = Array.isArray(container) ? undefined : Object.keys(container);
  const length = keys ? keys.length : (container as unknown[]).length;
  for (let i = 0; i < length; i++) {
    const key = keys ? keys[i] : i;
    const value = (container as Record<string | number, unknown>)[key];
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    const kindOf = (value as Partial<Wire>)[WIRE_KIND];
    if (kindOf !== undefined) {
      (container as Record<string | number, unknown>)[key] = revive(value as Wire);
      continue;
    }
    if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)
      reviveIn(value as Record<string, unknown>, depth + 1);
  }
}

function revive(wire: Wire): unknown {
  switch (wire[WIRE_KIND]) {
    case 'lock':
      return reviveLock(wire);
    case 'semaphore':
      return reviveSemaphore(wire);
    case 'barrier':
      return reviveBarrier(wire);
    case 'channel':
      return reviveChannel(wire);
    default:
      return wire;
  }
}
