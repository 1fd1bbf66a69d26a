import type { Transferable } from '../codec/transferable.js';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';

/**
 * The checks every face applies to its options, in one place so that one rule means one
 * message everywhere. Each throws synchronously, at the call that passed the bad value.
 */

/** An options argument: undefined (no options) or an object. */
export function checkOptionsObject<T extends object>(
  value: unknown,
  what: string,
  example: string,
): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeErrorWithHint(
      `${what} must be an object, got ${describe(value)}`,
      `pass ${example}`,
    );
  }
  return value as T;
}

export function positiveInt(value: unknown, name: string, alternative?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeErrorWithHint(
      `${name} must be a whole number ≥ 1, got ${describe(value)}`,
      `for example { ${name}: 2 }${alternative ? `, ${alternative}` : ''}`,
    );
  }
  return value;
}

export function optionalMs(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeErrorWithHint(
      `${name} must be a positive number of milliseconds, got ${describe(value)}`,
      `for example { ${name}: 5000 }`,
    );
  }
  return value;
}

/** An AbortSignal or undefined; anything else would fail later, inside spindle. */
export function checkSignal(value: unknown, what = 'signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeErrorWithHint(
      `${what} must be an AbortSignal, got ${describe(value)}`,
      'pass { signal: controller.signal } with const controller = new AbortController()',
    );
  }
  return value;
}

/** A transfer list: an array of ArrayBuffers, MessagePorts and the like. */
export function checkTransfer(value: unknown): Transferable[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeErrorWithHint(
      `transfer must be an array of ArrayBuffers (or MessagePorts), got ${describe(value)}`,
      'pass { transfer: [view.buffer] }',
    );
  }
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (item === null || typeof item !== 'object' || ArrayBuffer.isView(item)) {
      throw new TypeErrorWithHint(
        `transfer[${i}] must be an ArrayBuffer or a MessagePort, got ${describe(item)}`,
        ArrayBuffer.isView(item)
          ? 'pass the view’s buffer: { transfer: [view.buffer] }'
          : 'pass { transfer: [buffer] }',
      );
    }
  }
  return value as Transferable[];
}

/** A call's transfer list and the buffers its arguments were marked to move with (transfer()). */
export function withMoved(
  list: Transferable[] | undefined,
  moved: Transferable[] | undefined,
): Transferable[] | undefined {
  return moved ? [...new Set([...(list ?? []), ...moved])] : list;
}
