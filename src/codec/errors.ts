import {
  CancelledError,
  CloneError,
  SpindleError,
  TaskModuleError,
  TimeoutError,
  WorkerCrashedError,
  WorkerStartError,
} from '../errors.js';

/** An error as it crosses a thread or process boundary. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** The class is a JavaScript built-in, so the caller can rebuild the same class. */
  readonly builtin?: boolean;
  readonly props?: Record<string, unknown>;
  readonly cause?: WireError | { readonly value: unknown };
  /** A thrown non-Error value (`throw 'x'`), passed through as it is. */
  readonly thrown?: { readonly value: unknown };
}

const BUILTINS: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

const SKIPPED_PROPS = new Set(['name', 'message', 'stack', 'cause']);

/** Flattens an error into plain, cloneable data; never throws. */
export function serializeError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) {
    return {
      name: 'Error',
      message: String(error),
      thrown: { value: cloneableOr(error, String(error)) },
    };
  }
  const ctor = error.constructor as { name?: string } | undefined;
  const builtin = ctor !== undefined && BUILTINS[ctor.name ?? ''] === ctor;
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (SKIPPED_PROPS.has(key)) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (isCloneable(value)) props[key] = value;
  }
  let cause: WireError['cause'];
  if ('cause' in error && error.cause !== undefined && depth < 8) {
    cause =
      error.cause instanceof Error
        ? serializeError(error.cause, depth + 1)
        : { value: cloneableOr(error.cause, String(error.cause)) };
  }
  return { name: error.name, message: error.message, stack: error.stack, builtin, props, cause };
}

/**
 * Rebuilds a task's error in the caller: the same built-in class where it is one, the same
 * name, message and own properties, and the worker's stack. `cause` is the original's cause
 * when it had one, and otherwise the original error as the worker threw it.
 */
export function rebuildError(wire: WireError): unknown {
  if (wire.thrown) return wire.thrown.value;
  const error = instantiate(wire);
  for (const [key, value] of Object.entries(wire.props ?? {})) {
    try {
      (error as unknown as Record<string, unknown>)[key] = value;
    } catch {
      // a read-only property of the rebuilt class: the class already set it
    }
  }
  if (error.name !== wire.name) {
    Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true });
  }
  if (wire.stack !== undefined) {
    Object.defineProperty(error, 'stack', {
      value: wire.stack,
      configurable: true,
      writable: true,
    });
  }
  let cause: unknown;
  if (wire.cause) cause = 'value' in wire.cause ? wire.cause.value : rebuildError(wire.cause);
  else cause = originalOf(wire);
  Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  return error;
}

function originalOf(wire: WireError): Error {
  const Builtin = (wire.builtin && BUILTINS[wire.name]) || Error;
  const original = new Builtin(wire.message);
  if (original.name !== wire.name)
    Object.defineProperty(original, 'name', {
      value: wire.name,
      configurable: true,
      writable: true,
    });
  if (wire.stack !== undefined)
    Object.defineProperty(original, 'stack', {
      value: wire.stack,
      configurable: true,
      writable: true,
    });
  return original;
}

function instantiate(wire: WireError): Error {
  const code = wire.props?.code;
  if (typeof code === 'string' && code.startsWith('SPINDLE_')) {
    return rebuildSpindleError(wire, code);
  }
  const Builtin = wire.builtin ? BUILTINS[wire.name] : undefined;
  return Builtin ? new Builtin(wire.message) : new Error(wire.message);
}

function rebuildSpindleError(wire: WireError, code: string): Error {
  const p = wire.props ?? {};
  switch (wire.name) {
    case 'WorkerCrashedError':
      return new WorkerCrashedError(
        wire.message,
        (p.exitCode as number) ?? null,
        (p.signal as string) ?? null,
      );
    case 'WorkerStartError':
      return new WorkerStartError(wire.message);
    case 'TaskModuleError':
      return new TaskModuleError(wire.message, String(p.moduleUrl ?? ''));
    case 'TimeoutError':
      return new TimeoutError(wire.message);
    case 'AbortError':
      return new CancelledError(wire.message);
    case 'CloneError':
      return new CloneError(wire.message, String(p.path ?? ''));
    default:
      return new SpindleError(code as SpindleError['code'], wire.message);
  }
}

function isCloneable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return typeof value !== 'symbol';
  if (typeof value === 'function') return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function cloneableOr(value: unknown, fallback: unknown): unknown {
  return isCloneable(value) ? value : fallback;
}
