import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { Pool } from '../src/index.js';
import { faults } from './fixtures/fault-tasks.js';

/** A GET with a chosen Host header (fetch cannot set one). */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the event stream and resolves with the first `count` messages. */
async function events(url: string, count: number, controller = new AbortController()) {
  const res = await fetch(new URL('events', url), { signal: controller.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const messages: any[] = [];
  while (messages.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith('data: ')) messages.push(JSON.parse(block.slice(6)));
      end = buffer.indexOf('\n\n');
    }
  }
  return { messages, reader, controller };
}

test('the dashboard binds 127.0.0.1 on a free port and serves a page that needs no network', async () => {
  const pool = new Pool({ workers: 1 });
  const dash = await pool.dashboard();
  try {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(dash.url);
    assert.equal(page.status, 200);
    assert.match(page.body, /<!doctype html>/);
    assert.doesNotMatch(
      page.body,
      /(src|href)\s*=\s*["']?(https?:)?\/\//,
      'no script or style from elsewhere',
    );
    assert.equal((await get(new URL('nothing', dash.url).href)).status, 404);
  } finally {
    await dash.close();
    await pool.close();
  }
});

test('the event stream starts with the whole state, then sends what is new', async () => {
  const pool = new Pool({ workers: 2 });
  const dash = await pool.dashboard({ intervalMs: 100 });
  try {
    await pool.map(faults.value, [1, 2, 3, 4], { chunksize: 1 });
    const { messages, controller } = await events(dash.url, 3);
    controller.abort();
    assert.equal(messages[0].type, 'full');
    assert.equal(messages[1].type, 'delta');
    const [snap] = messages[0].pools;
    assert.equal(snap.stats.completed, 4);
    assert.equal(snap.spans.length, 4);
    assert.deepEqual(snap.names, ['value']);
    assert.equal(messages[2].pools[0].spans.length, 0, 'spans already sent are not sent again');
  } finally {
    await dash.close();
    await pool.close();
  }
});

test('a token, when set, is required on every request', async () => {
  const pool = new Pool({ workers: 1 });
  const dash = await pool.dashboard({ token: 's3cret' });
  try {
    assert.match(dash.url, /\?token=s3cret$/);
    const bare = dash.url.replace(/\?.*$/, '');
    assert.equal((await get(bare)).status, 403);
    assert.equal((await get(`${bare}events`)).status, 403);
    assert.equal((await get(`${bare}?token=wrong`)).status, 403);
    assert.equal((await get(dash.url)).status, 200);
    assert.equal((await get(bare, { authorization: 'Bearer s3cret' })).status, 200);
  } finally {
    await dash.close();
    await pool.close();
  }
});

test('without a token, a loopback dashboard refuses pages reached through another host name', async () => {
  const pool = new Pool({ workers: 1 });
  const dash = await pool.dashboard();
  try {
    const port = new URL(dash.url).port;
    assert.equal((await get(dash.url, { host: `attacker.example:${port}` })).status, 403);
    assert.equal((await get(dash.url, { host: `localhost:${port}` })).status, 200);
  } finally {
    await dash.close();
    await pool.close();
  }
});

test('close resolves promptly with browsers connected, and one that goes away harms no other', async () => {
  const pool = new Pool({ workers: 1 });
  const dash = await pool.dashboard({ intervalMs: 50 });
  const gone = await events(dash.url, 1);
  gone.controller.abort();
  const staying = await events(dash.url, 1);
  await pool.apply(faults.value, 1);
  const more = await events(dash.url, 3);
  assert.equal(more.messages[0].pools[0].stats.completed, 1);
  const started = performance.now();
  await dash.close();
  assert.ok(performance.now() - started < 3000, 'close() did not wait for the browsers');
  // The streams end rather than hang.
  for (;;) if ((await staying.reader.read()).done) break;
  await assert.rejects(get(dash.url));
  await pool.close();
});

test('bad dashboard options are refused at the call', async () => {
  const pool = new Pool({ workers: 1 });
  await assert.rejects(pool.dashboard({ port: -1 }), RangeError);
  await assert.rejects(pool.dashboard({ port: 'x' as never }), RangeError);
  await assert.rejects(pool.dashboard({ token: '' }), TypeError);
  await assert.rejects(pool.dashboard(null as never), TypeError);
  await pool.close();
});
