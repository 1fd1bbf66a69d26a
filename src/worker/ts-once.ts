import type { MessagePort } from 'node:worker_threads';
import type { TsReply, TsRequest } from '../backends/ts-once/service.js';
import { importUrl } from './thread-script.js';

/**
 * The worker's side of backends/ts-once: a TypeScript task module is imported as the
 * JavaScript the caller compiled for it; when the caller could not compile it, tsx is
 * registered in this worker (as every worker did before) and the module imported as it is.
 */
let channel: { port: MessagePort; tsx: string } | undefined;
const waiting = new Map<number, (reply: TsReply) => void>();
let nextId = 1;
let tsxRegistered: Promise<void> | undefined;
let sourceMaps = false;

export function adoptTsOnce(data: { port: MessagePort; tsx: string } | undefined): void {
  if (!data) return;
  channel = data;
  data.port.on('message', (reply: TsReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  data.port.unref();
}

/** What to import for the task module `url`. */
export async function moduleTarget(url: string): Promise<string> {
  if (!channel || !/\.[mc]?tsx?$/.test(new URL(url).pathname)) return url;
  const { port } = channel;
  const id = nextId++;
  const reply = await new Promise<TsReply>((resolve) => {
    waiting.set(id, resolve);
    port.postMessage({ id, url } satisfies TsRequest);
  });
  if (reply.url) {
    // Stack traces then name the .ts file and line, as under tsx.
    if (!sourceMaps) process.setSourceMapsEnabled(true);
    sourceMaps = true;
    return reply.url;
  }
  const tsx = channel.tsx;
  tsxRegistered ??= importUrl(tsx).then((api) => {
    (api as { register(): unknown }).register();
  });
  await tsxRegistered;
  return url;
}
