import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel, Pool } from '../src/index.js';
import { tasks } from './fixtures/sync-tasks.js';

async function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

test('100,000 values sent through a Channel of capacity 64 reach two consumers, each value once', async () => {
  const pool = new Pool({ workers: 3 });
  try {
    const channel = new Channel<number>({ capacity: 64 });
    const n = 100_000;
    const [sent, a, b] = await Promise.all([
      pool.apply(tasks.produce, channel, n),
      pool.apply(tasks.consume, channel),
      pool.apply(tasks.consume, channel),
    ]);
    assert.equal(sent, n);
    assert.equal(a.length + b.length, n);
    const seen = new Uint8Array(n);
    for (const part of [a, b]) for (const v of part) seen[v]++;
    assert.ok(
      seen.every((count) => count === 1),
      'every value arrives exactly once',
    );
    // Each consumer sees the values it got in the order they were sent.
    for (const part of [a, b])
      for (let i = 1; i < part.length; i++) assert.ok(part[i] > part[i - 1]);
  } finally {
    await pool.terminate();
  }
});

test('send waits while the channel is full, receive while it is empty', async () => {
  const channel = new Channel<number>({ capacity: 2 });
  await channel.send(1);
  await channel.send(2);
  assert.equal(channel.size, 2);
  let third = false;
  const sending = channel.send(3).then(() => {
    third = true;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(third, false);
  assert.deepEqual(await channel.receive(), { value: 1, done: false });
  await sending;
  assert.deepEqual(await channel.receive(), { value: 2, done: false });
  assert.deepEqual(await channel.receive(), { value: 3, done: false });
  let got: unknown;
  const receiving = channel.receive().then((r) => {
    got = r;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(got, undefined);
  await channel.send(4);
  await receiving;
  assert.deepEqual(got, { value: 4, done: false });
});

test('after close, receivers drain what is left and then get done; sending rejects with SPINDLE_CHANNEL_CLOSED', async () => {
  const channel = new Channel<string>({ capacity: 4 });
  await channel.send('a');
  await channel.send('b');
  channel.close();
  channel.close();
  assert.equal(channel.closed, true);
  const error = await rejection(channel.send('c'));
  assert.equal(error.code, 'SPINDLE_CHANNEL_CLOSED');
  const drained: string[] = [];
  for await (const value of channel) drained.push(value);
  assert.deepEqual(drained, ['a', 'b']);
  assert.deepEqual(await channel.receive(), { value: undefined, done: true });
});

test('closing wakes a receiver waiting on an empty channel and a sender waiting on a full one', async () => {
  const empty = new Channel<number>({ capacity: 1 });
  const waitingReceive = empty.receive();
  const full = new Channel<number>({ capacity: 1 });
  await full.send(1);
  const waitingSend = full.send(2);
  await new Promise((r) => setTimeout(r, 10));
  empty.close();
  full.close();
  assert.deepEqual(await waitingReceive, { value: undefined, done: true });
  assert.equal((await rejection(waitingSend)).code, 'SPINDLE_CHANNEL_CLOSED');
  assert.deepEqual(await full.receive(), { value: 1, done: false });
});

test('values larger than the channel buffer pass whole, between workers and from the caller', async () => {
  const pool = new Pool({ workers: 2 });
  try {
    // A 128-byte ring; every value below is far larger and streams through it.
    const channel = new Channel<unknown>({ capacity: 2, slotBytes: 64 });
    const big = 'x'.repeat(100_000);
    const array = Float64Array.from({ length: 20_000 }, (_, i) => i / 3);
    const values = [big, { nested: [big, 1] }, array, 7];
    const received = pool.apply(tasks.consumeSync, channel);
    await pool.apply(tasks.produceSync, channel, values);
    await channel.send(big);
    channel.close();
    assert.deepEqual(await received, [...values, big]);
  } finally {
    await pool.terminate();
  }
});

test('values keep their structured-clone shape', async () => {
  const channel = new Channel<unknown>();
  const value = { map: new Map([[1, 'one']]), date: new Date(5), set: new Set(['a']), big: 10n };
  await channel.send(value);
  assert.deepEqual((await channel.receive()).value, value);
});

test('a value that cannot be cloned is refused with SPINDLE_CLONE, and the channel goes on', async () => {
  const channel = new Channel<unknown>();
  const error = await rejection(channel.send({ f: () => 1 }));
  assert.equal(error.code, 'SPINDLE_CLONE');
  await channel.send('ok');
  assert.deepEqual(await channel.receive({ timeout: 1000 }), { value: 'ok', done: false });
});

test('receive and send honour timeout and signal', async () => {
  const channel = new Channel<number>({ capacity: 1 });
  assert.equal((await rejection(channel.receive({ timeout: 20 }))).code, 'SPINDLE_TIMEOUT');
  await channel.send(1);
  const controller = new AbortController();
  const send = channel.send(2, { signal: controller.signal });
  controller.abort();
  assert.equal((await rejection(send)).code, 'SPINDLE_CANCELLED');
  assert.deepEqual(await channel.receive(), { value: 1, done: false });
  assert.equal(channel.size, 0);
  await channel.send(3, { timeout: 1000 });
  assert.deepEqual(await channel.receive(), { value: 3, done: false });
});

test('capacity and slotBytes must be whole numbers ≥ 1', () => {
  assert.throws(() => new Channel({ capacity: 0 }), RangeError);
  assert.throws(() => new Channel({ slotBytes: 2.5 }), RangeError);
});
