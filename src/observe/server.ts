import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, RangeErrorWithHint, TypeErrorWithHint } from '../hints.js';
import { type PageSnapshot, pageHtml } from './page.js';

/** Options of `pool.dashboard()` and `spindle dashboard`. */
export interface DashboardOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind. Default `'127.0.0.1'`: only this machine can look. */
  host?: string;
  /**
   * When set, every request must carry it (`?token=…`, as in `url`, or `Authorization: Bearer …`).
   * Set one whenever `host` is reachable from other machines.
   */
  token?: string;
  /** Milliseconds between updates. Default 1000. */
  intervalMs?: number;
}

/** A running dashboard: open `url` in a browser. */
export interface Dashboard {
  /** `http://127.0.0.1:PORT/`, with `?token=…` when a token is set. */
  readonly url: string;
  /** Stops serving; resolves within a second or so, browsers still connected included. */
  close(): Promise<void>;
}

/** What a dashboard serves: snapshots, the first whole, later ones with what is new since `cursor`. */
export interface SnapshotSource<C = unknown> {
  snapshot(cursor: C | undefined): { pools: PageSnapshot[]; cursor: C };
  stop(): void | Promise<void>;
}

/** A browser that falls this far behind (bytes unsent) is dropped; it reconnects on its own. */
const MAX_BACKLOG = 8 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

interface Client<C> {
  res: ServerResponse;
  cursor: C | undefined;
}

/** Serves one page and a Server-Sent Events stream of snapshots from `source`. */
export async function serveDashboard<C>(
  title: string,
  source: SnapshotSource<C>,
  options: DashboardOptions,
): Promise<Dashboard> {
  const { port, host, token, intervalMs } = checkOptions(options);
  const clients = new Set<Client<C>>();
  const sockets = new Set<Socket>();
  const page = pageHtml(title, { live: true });

  const send = (client: Client<C>) => {
    const { pools, cursor } = source.snapshot(client.cursor);
    const type = client.cursor === undefined ? 'full' : 'delta';
    client.cursor = cursor;
    client.res.write(`data: ${JSON.stringify({ type, pools })}\n\n`);
    if (client.res.writableLength > MAX_BACKLOG) client.res.destroy();
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      // Never into the caller's process: a bad request is this request's problem.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (!allowed(req, url, token, host)) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('forbidden: this dashboard needs its token (open the url it printed)\n');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' });
      res.end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      res.end(page);
    } else if (url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write('retry: 2000\n\n');
      const client: Client<C> = { res, cursor: undefined };
      clients.add(client);
      const drop = () => clients.delete(client);
      res.on('close', drop);
      res.on('error', drop);
      send(client);
    } else if (url.pathname === '/state.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(source.snapshot(undefined).pools));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    // A browser left open must not keep the program alive once its work is done.
    socket.unref();
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  // Errors after listening (a socket reset) must not become uncaught exceptions.
  server.on('error', () => {});

  const timer = setInterval(() => {
    for (const client of clients) {
      try {
        send(client);
      } catch {
        client.res.destroy();
        clients.delete(client);
      }
    }
  }, intervalMs);
  timer.unref();

  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        for (const client of clients) client.res.end();
        clients.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        await source.stop();
      })();
      return closing;
    },
  };
}

function allowed(req: IncomingMessage, url: URL, token: string | undefined, host: string): boolean {
  if (token !== undefined) {
    const given = url.searchParams.get('token') ?? bearer(req.headers.authorization);
    return given === token;
  }
  // Without a token on loopback, a page elsewhere could still reach us through a DNS name
  // that resolves to 127.0.0.1 (DNS rebinding): accept only loopback Host headers.
  if (!LOOPBACK.has(host)) return true;
  const name = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return LOOPBACK.has(name);
}

function bearer(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match ? match[1] : null;
}

function checkOptions(options: DashboardOptions) {
  if (options === null || typeof options !== 'object') {
    throw new TypeErrorWithHint(
      `dashboard options must be an object, got ${describe(options)}`,
      'pass { port: 8080 }, or nothing',
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeErrorWithHint(
      `dashboard port must be a whole number from 0 to 65535, got ${describe(options.port)}`,
      'use 0 for any free port',
    );
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') {
    throw new TypeErrorWithHint(
      `dashboard host must be an address, got ${describe(options.host)}`,
      "leave it out for '127.0.0.1'",
    );
  }
  const token = options.token;
  if (token !== undefined && (typeof token !== 'string' || token === '')) {
    throw new TypeErrorWithHint(
      `dashboard token must be a non-empty string, got ${describe(token)}`,
      'for example { token: crypto.randomUUID() }',
    );
  }
  if (token === undefined && !LOOPBACK.has(host)) {
    process.emitWarning(
      `the dashboard on ${host} has no token: anyone who can reach this address can watch it`,
      { code: 'SPINDLE_DASHBOARD_OPEN' },
    );
  }
  const intervalMs = options.intervalMs ?? 1000;
  if (typeof intervalMs !== 'number' || !(intervalMs >= 50) || !Number.isFinite(intervalMs)) {
    throw new RangeErrorWithHint(
      `dashboard intervalMs must be at least 50, got ${describe(options.intervalMs)}`,
      'leave it out for 1000',
    );
  }
  return { port, host, token, intervalMs };
}
