import type { MessagePort } from 'node:worker_threads';
import type { TsReply, TsRequest } from '../backends/ts-once/service.js';
import { importUrl } from './thread-script.js';

/**
 * The worker's side of backends/ts-once: a TypeScript task module is imported as the
 * JavaScript the caller compiled for it; when the caller could not compile it, tsx is
 * registered in this worker (as every worker did before) and the module imported as it is.
 * Its state is the thread's, on globalThis: a thread's runtime is a copy of spindle of its own
 * (see backends/script-runtime.ts), and spindle's own task modules (a bag's partitions) load
 * task modules through the index's copy.
 */
interface TsOnceState {
  channel: { port: MessagePort; tsx: string } | undefined;
  waiting: Map<number, (reply: TsReply) => void>;
  nextId: number;
  tsxRegistered: Promise<void> | undefined;
  sourceMaps: boolean;
}
const state: TsOnceState = ((globalThis as any)[Symbol.for('spindle.tsOnce')] ??= {
  channel: undefined,
  waiting: new Map(),
  nextId: 1,
  tsxRegistered: undefined,
  sourceMaps: false,
});

export function adoptTsOnce(data: { port: MessagePort; tsx: string } | undefined): void {
  if (!data) return;
  state.channel = data;
  data.port.on('message', (reply: TsReply) => {
    state.waiting.get(reply.id)?.(reply);
    state.waiting.delete(reply.id);
  });
  data.port.unref();
}

/** What to import for the task module `url`. */
export async function moduleTarget(url: string): Promise<string> {
  const { channel } = state;
  if (!channel || !/\.[mc]?tsx?$/.test(new URL(url).pathname)) return url;
  const { port } = channel;
  const id = state.nextId++;
  const reply = await new Promise<TsReply>((resolve) => {
    state.waiting.set(id, resolve);
    port.postMessage({ id, url } satisfies TsRequest);
  });
  if (reply.url) {
    // Stack traces then name the .ts file and line, as under tsx.
    if (!state.sourceMaps) process.setSourceMapsEnabled(true);
    state.sourceMaps = true;
    return reply.url;
  }
  const tsx = channel.tsx;
  state.tsxRegistered ??= importUrl(tsx).then((api) => {
    (api as { register(): unknown }).register();
  });
  await state.tsxRegistered;
  return url;
}
