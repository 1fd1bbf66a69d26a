import { fileURLToPath } from 'node:url';
import { debuglog } from 'node:util';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { tsxApiUrl } from '../typescript.js';
import { defaultCacheDir, TsCache } from './cache.js';
import { NotCompiled, TS_FILE } from './compile.js';

const debug = debuglog('spindle');

/** A worker's request for a TypeScript module, and the answer: its JavaScript, or why not. */
export interface TsRequest {
  id: number;
  url: string;
}
export interface TsReply {
  id: number;
  url?: string;
  reason?: string;
}

/** How a worker thread starts when the caller compiles its TypeScript task modules for it. */
export interface TsOnceStart {
  /** the caller's node flags minus tsx */
  execArgv: string[];
  /** for the worker: where to ask, and tsx's register() to fall back on */
  workerData: { port: MessagePort; tsx: string };
  transfer: MessagePort;
  close(): void;
}

let cache: TsCache | undefined;
const inFlight = new Map<string, Promise<string>>();
const reported = new Set<string>();

/**
 * Under tsx, every worker thread used to load tsx (and its hooks) before its first message:
 * 200 ms on a quiet machine, a second under load. Instead the caller compiles each TypeScript
 * task module (and the local `.ts` files it imports) once with esbuild, caches the JavaScript,
 * and workers start without tsx and import that. A module that cannot be compiled so (see
 * NotCompiled) is loaded as before, through tsx registered in that worker only then; the
 * reason shows with NODE_DEBUG=spindle. `SPINDLE_TS_ONCE=0` turns this off.
 *
 * Undefined when the caller is not under tsx, or spindle runs from its own sources (its worker
 * runtime is TypeScript then, and needs tsx anyway).
 */
export function tsOnceStart(entry: URL): TsOnceStart | undefined {
  const tsx = tsxApiUrl();
  if (!tsx || /\.[mc]?ts$/.test(entry.pathname)) return undefined;
  if (process.env.SPINDLE_TS_ONCE === '0') return undefined;
  if (typeof process.setSourceMapsEnabled !== 'function') return undefined;
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (request: TsRequest) => {
    answer(request.url, tsx).then((reply) => {
      try {
        port1.postMessage({ id: request.id, ...reply } satisfies TsReply);
      } catch {}
    });
  });
  port1.unref();
  return {
    execArgv: withoutTsx(process.execArgv),
    workerData: { port: port2, tsx },
    transfer: port2,
    close: () => port1.close(),
  };
}

/** Never rejects: any failure becomes a reason, and the worker loads the module through tsx. */
async function answer(url: string, tsx: string): Promise<{ url?: string; reason?: string }> {
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    return { reason: `${url} is not a file` };
  }
  if (!TS_FILE.test(file)) return { reason: `${file} is not a .ts, .mts or .tsx file` };
  let compiling = inFlight.get(file);
  if (!compiling) {
    compiling = Promise.resolve()
      .then(() => {
        cache ??= new TsCache(defaultCacheDir(), tsx);
        return cache.compiled(file);
      })
      .finally(() => inFlight.delete(file));
    inFlight.set(file, compiling);
  }
  try {
    return { url: await compiling };
  } catch (error) {
    const reason =
      error instanceof NotCompiled ? error.message : `compiling it failed: ${String(error)}`;
    if (!reported.has(reason)) {
      reported.add(reason);
      debug('workers load %s through tsx: %s', file, reason);
    }
    return { reason };
  }
}

/** Drops the flags that load tsx (`--import tsx`, and the tsx CLI's loader and preflight). */
export function withoutTsx(args: readonly string[]): string[] {
  const out: string[] = [];
  const loads = /^(--import|--loader|--experimental-loader|--require|-r)(?:=(.*))?$/;
  const isTsx = (value: string) => /^tsx(\/|$)|[/\\]tsx[/\\]dist[/\\]/.test(value);
  for (let i = 0; i < args.length; i++) {
    const m = loads.exec(args[i]);
    if (!m) {
      out.push(args[i]);
      continue;
    }
    const value = m[2] ?? args[i + 1];
    const hasSeparateValue = m[2] === undefined;
    if (value !== undefined && isTsx(value)) {
      if (hasSeparateValue) i++;
      continue;
    }
    out.push(args[i]);
    if (hasSeparateValue && i + 1 < args.length) out.push(args[++i]);
  }
  return out;
}
