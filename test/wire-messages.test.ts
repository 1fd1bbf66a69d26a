import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type FromWorker,
  fromWorkerFromWire,
  fromWorkerWire,
  type ToWorker,
  toWorkerFromWire,
  toWorkerWire,
} from '../src/wire/protocol.js';

/** What a message is after it crossed a thread: structured clone of its wire form, read back. */
const crossToWorker = (message: ToWorker) =>
  toWorkerFromWire(structuredClone(toWorkerWire(message)));
const crossFromWorker = (message: FromWorker) =>
  fromWorkerFromWire(structuredClone(fromWorkerWire(message)));

test("a task's messages cross as arrays and are read back field for field", () => {
  const defs: Array<[number, { t: 'm'; url: string; name: string }]> = [
    [3, { t: 'm', url: 'file:///a.js', name: 'f' }],
  ];
  for (const run of [
    { op: 'run', tasks: [1, 3, 0, [2, 'x']] },
    { op: 'run', tasks: [], defs },
  ] as ToWorker[]) {
    assert.ok(Array.isArray(toWorkerWire(run)), 'run crosses as an array');
    const back = crossToWorker(run) as Extract<ToWorker, { op: 'run' }>;
    assert.equal(back.op, 'run');
    assert.deepStrictEqual(back.tasks, (run as { tasks: unknown[] }).tasks);
    assert.deepStrictEqual(back.defs, (run as { defs?: unknown }).defs);
  }
  for (const done of [
    { op: 'done', results: [1, 0, 'v', 0.5], busyMs: 0.5 },
    { op: 'done', results: [], busyMs: 2, load: [3, 4] },
    { op: 'done', results: [2, 1, null, 0], busyMs: 0, load: [0, 0], heap: 12_345 },
    { op: 'done', results: [], busyMs: 1, heap: 7 },
  ] as FromWorker[]) {
    assert.ok(Array.isArray(fromWorkerWire(done)), 'done crosses as an array');
    const back = crossFromWorker(done) as Extract<FromWorker, { op: 'done' }>;
    const sent = done as Extract<FromWorker, { op: 'done' }>;
    assert.equal(back.op, 'done');
    assert.deepStrictEqual(back.results, sent.results);
    assert.equal(back.busyMs, sent.busyMs);
    assert.deepStrictEqual(back.load, sent.load);
    assert.equal(back.heap, sent.heap);
  }
});

test('every other message crosses as the object it is', () => {
  const others: Array<ToWorker | FromWorker> = [
    { op: 'abort', ids: [1, 2], timeout: true },
    { op: 'limit', concurrency: 4 },
    { op: 'sync', token: 9 },
    { op: 'stop' },
  ];
  for (const message of others) {
    assert.equal(toWorkerWire(message as ToWorker), message);
    assert.deepStrictEqual(crossToWorker(message as ToWorker), message);
  }
  for (const message of [
    { op: 'ready' },
    { op: 'held', token: 1, queued: [3], running: undefined },
    { op: 'loading', ids: [5] },
  ] as FromWorker[]) {
    assert.equal(fromWorkerWire(message), message);
    assert.deepStrictEqual(crossFromWorker(message), message);
  }
});
