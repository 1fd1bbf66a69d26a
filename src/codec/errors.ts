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
  /**
   * The built-in class the error's class derives from (`class BadInput extends TypeError`),
   * so the caller's copy is an instance of it too (`instanceof TypeError`), under its own name.
   */
  readonly base?: string;
  readonly props?: Record<string, unknown>;
  readonly cause?: WireError | { readonly value: unknown };
  /** An AggregateError's `errors`, each as it crossed. */
  readonly errors?: Array<WireError | { readonly value: unknown }>;
  /** A thrown non-Error value (`throw 'x'`), passed through as it is. */
  readonly thrown?: { readonly value: unknown; readonly className?: string };
}

const BUILTINS: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError: AggregateError as unknown as new (message?: string) => Error,
};

const SKIPPED_PROPS = new Set(['name', 'message', 'stack', 'cause', 'errors']);
const MAX_DEPTH = 8;

/**
 * Flattens an error into plain, cloneable data; never throws, whatever getters or Proxy traps
 * the error carries: a part that cannot be read or cloned is left out, the rest travels.
 */
export function serializeError(error: unknown, depth = 0): WireError {
  try {
    return error instanceof Error ? serializeErrorObject(error, depth) : serializeThrown(error);
  } catch {
    return { name: 'Error', message: safeString(error) };
  }
}

function serializeErrorObject(error: Error, depth: number): WireError {
  const ctor = read(() => error.constructor) as { name?: string } | undefined;
  const builtin = ctor !== undefined && BUILTINS[ctor.name ?? ''] === ctor;
  const base = builtin ? undefined : builtinBase(error);
  const props = cloneableProps(error, SKIPPED_PROPS);
  let cause: WireError['cause'];
  const rawCause = read(() => ('cause' in error ? error.cause : undefined));
  if (rawCause !== undefined && depth < MAX_DEPTH) cause = serializeNested(rawCause, depth);
  let errors: WireError['errors'];
  const rawErrors = read(() => (error as { errors?: unknown }).errors);
  if (Array.isArray(rawErrors) && depth < MAX_DEPTH) {
    errors = rawErrors.map((item) => serializeNested(item, depth));
  }
  return {
    name: safeString(read(() => error.name) ?? 'Error'),
    message: safeString(read(() => error.message) ?? ''),
    stack: stringOrUndefined(read(() => error.stack)),
    builtin,
    base,
    props,
    cause,
    errors,
  };
}

/** The nearest built-in class above the error's own, other than Error, by name. */
function builtinBase(error: Error): string | undefined {
  return read(() => {
    for (let p = Object.getPrototypeOf(error); p && p !== Error.prototype; ) {
      const ctor = p.constructor as { name?: string } | undefined;
      if (ctor && BUILTINS[ctor.name ?? ''] === ctor) return ctor.name;
      p = Object.getPrototypeOf(p);
    }
    return undefined;
  }) as string | undefined;
}

function serializeNested(value: unknown, depth: number): WireError | { value: unknown } {
  return value instanceof Error
    ? serializeError(value, depth + 1)
    : { value: cloneableOr(value, safeString(value)) };
}

/**
 * A thrown non-Error: as it is when it clones, otherwise its own properties that do; an
 * object of a class keeps the class's name, so the caller's `constructor.name` still says it.
 */
function serializeThrown(value: unknown): WireError {
  const message = safeString(value);
  let className: string | undefined;
  if (value !== null && typeof value === 'object') {
    const proto = read(() => Object.getPrototypeOf(value));
    if (proto && proto !== Object.prototype && !Array.isArray(value)) {
      const name = read(() => (proto as { constructor?: { name?: unknown } }).constructor?.name);
      if (typeof name === 'string' && name !== '') className = name;
    }
    if (isCloneable(value)) return { name: 'Error', message, thrown: { value, className } };
    return {
      name: 'Error',
      message,
      thrown: { value: cloneableProps(value, new Set()), className },
    };
  }
  return { name: 'Error', message, thrown: { value: cloneableOr(value, message) } };
}

/** Own enumerable properties whose values clone; the others are left out. */
function cloneableProps(source: object, skip: ReadonlySet<string>): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  const keys = (read(() => Object.keys(source)) as string[] | undefined) ?? [];
  for (const key of keys) {
    if (skip.has(key)) continue;
    let value: unknown;
    try {
      value = (source as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    if (isCloneable(value)) props[key] = value;
    else if (value instanceof Error) props[key] = rebuildableMarker(value);
  }
  return props;
}

/** A nested error that does not clone as it is (a getter, say) travels as a plain copy. */
function rebuildableMarker(error: Error): unknown {
  const wire = serializeError(error, MAX_DEPTH);
  return { name: wire.name, message: wire.message, stack: wire.stack, ...wire.props };
}

function read(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable value]';
    }
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Rebuilds a task's error in the caller: the same built-in class where it is one, the same
 * name, message and own properties, and the worker's stack. `cause` is the original's cause
 * when it had one, and otherwise the original error as the worker threw it.
 */
export function rebuildError(wire: WireError): unknown {
  if (wire.thrown) return rebuildThrown(wire.thrown);
  const error = instantiate(wire);
  if (wire.errors) {
    const errors = wire.errors.map((item) => ('value' in item ? item.value : rebuildError(item)));
    Object.defineProperty(error, 'errors', {
      value: errors,
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
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

function rebuildThrown(thrown: NonNullable<WireError['thrown']>): unknown {
  const { value, className } = thrown;
  if (!className || value === null || typeof value !== 'object') return value;
  // A stand-in class of the same name: the caller cannot import the worker's class.
  const Named = { [className]: class {} }[className]!;
  return Object.assign(Object.create(Named.prototype), value);
}

function builtinOf(wire: WireError): (new (message?: string) => Error) | undefined {
  const name = wire.builtin ? wire.name : wire.base;
  return name !== undefined && Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
}

function originalOf(wire: WireError): Error {
  const Builtin = builtinOf(wire) ?? Error;
  const original =
    Builtin === BUILTINS.AggregateError
      ? new AggregateError([], wire.message)
      : new Builtin(wire.message);
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
  const Builtin = builtinOf(wire);
  if (Builtin === BUILTINS.AggregateError) return new AggregateError([], wire.message);
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
