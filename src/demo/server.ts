import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local site for the page-title workload: `/page/N` answers after `delayMs` (the network)
 * with a small HTML page titled "Page N". Listens on 127.0.0.1 on a free port.
 */
export async function startPageServer(
  delayMs: number,
): Promise<{ urls: (n: number) => string[]; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const n = /^\/page\/(\d+)$/.exec(request.url ?? '')?.[1];
    setTimeout(() => {
      if (n === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        `<!doctype html><html><head><title>Page ${n}</title></head><body><p>${'lorem ipsum '.repeat(40)}</p></body></html>`,
      );
    }, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    urls: (n) => Array.from({ length: n }, (_, i) => `http://127.0.0.1:${port}/page/${i + 1}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
