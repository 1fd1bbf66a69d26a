import type { InlineTaskDef, TaskDef } from '../tasks/types.js';
import { makeFunction } from './thread-script.js';

type AnyFn = (...args: any[]) => unknown;

/** esbuild's keepNames helper: names a function or class. */
const __name = (target: unknown, value: string) =>
  Object.defineProperty(target, 'name', { value, configurable: true });
const __defProp = Object.defineProperty;
const __defNormalProp = (obj: any, key: PropertyKey, value: unknown) =>
  key in obj
    ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value })
    : (obj[key] = value);
const __publicField = (obj: any, key: PropertyKey, value: unknown) =>
  __defNormalProp(obj, typeof key !== 'symbol' ? `${String(key)}` : key, value);

/** TypeScript's async helper for targets before ES2017. */
function __awaiter(
  thisArg: unknown,
  _args: unknown,
  P: PromiseConstructor | undefined,
  generator: AnyFn,
) {
  const Ctor = P || Promise;
  return new Ctor((resolve, reject) => {
    const gen = generator.apply(thisArg, (_args as unknown[]) || []) as Generator<
      unknown,
      unknown,
      unknown
    >;
    const step = (result: IteratorResult<unknown>) => {
      if (result.done) resolve(result.value);
      else Ctor.resolve(result.value).then(fulfilled, rejected);
    };
    const fulfilled = (value: unknown) => {
      try {
        step(gen.next(value));
      } catch (e) {
        reject(e);
      }
    };
    const rejected = (value: unknown) => {
      try {
        step(gen.throw(value));
      } catch (e) {
        reject(e);
      }
    };
    fulfilled(undefined);
  });
}

/** esbuild's async helper for targets before ES2017. */
function __async(thisArg: unknown, args: unknown[], generator: AnyFn) {
  return __awaiter(thisArg, args, Promise, generator);
}

const HELPER_NAMES = [
  '__name',
  '__awaiter',
  '__publicField',
  '__defProp',
  '__defNormalProp',
  '__async',
];
const HELPERS = [__name, __awaiter, __publicField, __defProp, __defNormalProp, __async];

/** Compiled factories, by source and captured names: one `new Function` per distinct source. */
const factories = new Map<string, AnyFn>();

/**
 * Turns an inline task definition back into a function, in the worker's global scope, with
 * compiler helpers and captured values bound as the names the source uses.
 */
export function compileInline(
  def: InlineTaskDef,
  resolveCaptured: (def: TaskDef) => AnyFn | Promise<AnyFn>,
): AnyFn | Promise<AnyFn> {
  const key = `${def.names.join(',')}\u0000${def.src}`;
  let factory = factories.get(key);
  if (!factory) {
    factory = makeFunction(...HELPER_NAMES, ...def.names, `return ${def.src};`);
    factories.set(key, factory);
  }
  const build = factory;
  const values = def.values.map((value) =>
    isCapturedTask(value) ? resolveCaptured(value.__spindleTask) : value,
  );
  if (values.some((v) => v instanceof Promise)) {
    return Promise.all(values).then((resolved) => build(...HELPERS, ...resolved) as AnyFn);
  }
  return build(...HELPERS, ...values) as AnyFn;
}

function isCapturedTask(value: unknown): value is { __spindleTask: TaskDef } {
  return value !== null && typeof value === 'object' && '__spindleTask' in value;
}
