import { builtin } from '../builtin.js';
import { InlineCaptureError, InlineSourceError } from '../errors.js';

/**
 * Helpers that compilers inject into function bodies (esbuild/tsx's `__name` under keepNames,
 * TypeScript's `__awaiter` for older targets, esbuild's class-field helpers). The worker
 * supplies them, so a function compiled by tsx or tsc still runs after its source travels.
 */
export const COMPILER_HELPERS = [
  '__name',
  '__awaiter',
  '__publicField',
  '__defProp',
  '__defNormalProp',
  '__async',
] as const;

/**
 * Names the worker's global scope has but the caller's may not see through `globalThis`
 * (module-scoped in ESM), plus CommonJS names that do not exist in a worker at all.
 */
const COMMONJS_ONLY = new Set(['require', 'module', 'exports', '__dirname', '__filename']);

type Parser = typeof import('acorn');
type ScopeAnalyzer = typeof import('eslint-scope');
let parser: Parser | undefined;
let analyzer: ScopeAnalyzer | undefined;

let missing = false;

/**
 * Loaded on the first inline task, so importing spindle stays cheap for module-task users.
 * Absent when a bundler folded spindle into a program shipped without node_modules (it cannot
 * see this require): then the check is skipped, and an unknown name fails in the worker, as a
 * ReferenceError, instead of here.
 */
function tools(): { parser: Parser; analyzer: ScopeAnalyzer } | undefined {
  if (missing) return undefined;
  if (!parser || !analyzer) {
    const { createRequire } = builtin<typeof import('node:module')>('node:module');
    const require = createRequire(import.meta.url);
    try {
      parser = require('acorn') as Parser;
      analyzer = require('eslint-scope') as ScopeAnalyzer;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
      missing = true;
      return undefined;
    }
  }
  return { parser, analyzer };
}

/** Without a parser, V8 itself tells whether the source is an expression or a method. */
function expressionWithoutParser(source: string): string | undefined {
  for (const expression of [`(${source})`, `((o) => o[Object.keys(o)[0]])({${source}})`]) {
    try {
      new Function(`return ${expression}`);
      return expression;
    } catch {
      // not this shape
    }
  }
  return undefined;
}

/**
 * Checks that a function can run from its source alone and returns an expression that
 * evaluates to it. Every free name must be a global, a compiler helper, or in `captured`;
 * otherwise the error names the variables and shows the `inline(fn, { name })` fix.
 */
export function checkInlineSource(
  fn: (...args: any[]) => unknown,
  captured: readonly string[],
): string {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new InlineSourceError(
      `cannot send ${fn.name || 'this function'} to a worker: it is native or bound, so its source is not available; ` +
        'wrap it in a function of your own, or define it as a module task with defineTasks(import.meta.url, {...})',
    );
  }
  const loaded = tools();
  const parsed = loaded
    ? parseFunction(loaded.parser, source)
    : mapDefined(expressionWithoutParser(source), (expression) => ({ ast: undefined, expression }));
  if (!parsed) {
    throw new InlineSourceError(
      `cannot send ${fn.name || 'this function'} to a worker: its source does not parse as a function expression ` +
        `(${source.slice(0, 80)}); define it as a module task with defineTasks(import.meta.url, {...})`,
    );
  }
  if (!loaded) return parsed.expression;
  const scopes = loaded.analyzer.analyze(
    parsed.ast as any,
    { ecmaVersion: 2022, sourceType: 'script' } as any,
  );
  const allowed = new Set<string>([...captured, ...COMPILER_HELPERS]);
  const free = new Set<string>();
  for (const ref of scopes.globalScope!.through) {
    const name = ref.identifier.name;
    if (allowed.has(name)) continue;
    if (!COMMONJS_ONLY.has(name) && name in globalThis) continue;
    free.add(name);
  }
  if (free.size > 0) {
    const names = [...free];
    const list = names.map((n) => `'${n}'`).join(', ');
    const fix = `inline(fn, { ${names.join(', ')} })`;
    const commonjs = names.filter((n) => COMMONJS_ONLY.has(n));
    const extra = commonjs.length
      ? ` (${commonjs.join(', ')} ${commonjs.length > 1 ? 'are' : 'is'} CommonJS-only; in a task use await import('node:...') instead)`
      : '';
    throw new InlineCaptureError(
      `the inline function ${fn.name || source.slice(0, 40)} uses ${list}, which ${names.length > 1 ? 'are' : 'is'} neither ` +
        `a global nor captured${extra}. A task's source runs alone in a worker: pass the values with ${fix}, ` +
        'or move the function into a module and use defineTasks(import.meta.url, {...}).',
      names,
    );
  }
  return parsed.expression;
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

interface Parsed {
  ast: unknown;
  expression: string;
}

/** Function expressions, arrows and classes parse in parentheses; methods only inside an object. */
function parseFunction(parser: Parser, source: string): Parsed | undefined {
  const options = { ecmaVersion: 'latest', sourceType: 'script', ranges: true } as const;
  try {
    const ast = parser.parse(`(${source})`, options);
    return { ast, expression: `(${source})` };
  } catch {
    // not an expression on its own: try a method
  }
  try {
    const ast = parser.parse(`({${source}})`, options);
    return { ast, expression: `((o) => o[Object.keys(o)[0]])({${source}})` };
  } catch {
    return undefined;
  }
}
