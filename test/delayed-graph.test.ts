import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelledError,
  compute,
  delayed,
  type GraphErrorInfo,
  Pool,
  shared,
  toDot,
} from '../src/index.js';
import { graphTasks as t } from './fixtures/graph-tasks.js';

describe('task graphs', () => {
  let pool: Pool;
  before(async () => {
    pool = new Pool({ workers: 2 });
    // Start both workers, so timing tests measure tasks, not worker start-up.
    await Promise.all([pool.apply(t.spinUntil, 30), pool.apply(t.spinUntil, 30)]);
  });
  after(() => pool.close());

  test("a dependency's result becomes the argument of the call that needs it", async () => {
    const total = delayed(t.add)(delayed(t.inc)(1), delayed(t.inc)(2));
    assert.equal(await compute(total, { pool }), 5);
  });

  test('lazy calls inside arrays and plain objects are dependencies too', async () => {
    const xs = [1, 2, 3].map((x) => delayed(t.inc)(x));
    assert.equal(await compute(delayed(t.sum)(xs), { pool }), 9);
    const p = delayed(t.pair)({ left: delayed(t.inc)(0), right: delayed(t.inc)(4) });
    assert.equal(await compute(p, { pool }), 15);
  });

  test('inline functions work as graph nodes', async () => {
    const double = delayed((x: number) => x * 2);
    assert.equal(await compute(double(double(delayed(t.inc)(2))), { pool }), 12);
  });

  test('one call gives one value, several give an array, structures come back filled', async () => {
    const a = delayed(t.inc)(1);
    const b = delayed(t.inc)(2);
    assert.equal(await pool.compute(a), 2);
    assert.deepEqual(await pool.compute(a, b), [2, 3]);
    assert.deepEqual(await compute({ a, list: [b, 7] }, { pool }), { a: 2, list: [3, 7] });
  });

  test('a node shared by many consumers runs once', async () => {
    const counter = shared.int32(1);
    const base = delayed(t.counted)(counter, 5);
    const users = Array.from({ length: 20 }, (_, i) => delayed(t.add)(base, i));
    const results = await compute(...users, { pool });
    assert.deepEqual(
      results,
      users.map((_, i) => 5 + i),
    );
    assert.equal(counter[0], 1);
  });

  test('independent branches run in parallel on two workers', async () => {
    // Side by side rather than against the clock: run in turn, one would start only after
    // the other ended; run in parallel, each starts before the other ends.
    const left = delayed(t.spinSpan)(300);
    const right = delayed(t.spinSpan)(300);
    const [[l0, l1], [r0, r1]] = await compute(delayed(t.spans)(left, right), { pool });
    assert.ok(
      l0 < r1 && r0 < l1,
      `the branches ran ${l0}-${l1} and ${r0}-${r1}: one after the other`,
    );
  });

  test('a node starts as soon as its own inputs are ready, not when a slow sibling ends', async () => {
    const slow = delayed(t.spinUntil)(400);
    const quick = delayed(t.startedAt)(delayed(t.inc)(1));
    const [slowEnded, quickStarted] = (await compute(delayed(t.both)(slow, quick), {
      pool,
    })) as [number, number];
    assert.ok(quickStarted < slowEnded - 100, `quick started ${slowEnded - quickStarted} ms early`);
  });

  test("a failure rejects with the node's own error and the path of calls that led to it", async () => {
    const bad = delayed(t.fail)('no data');
    const mid = delayed(t.inc)(bad);
    const top = delayed(t.add)(mid, delayed(t.inc)(1));
    const error = await compute(top, { pool }).then(
      () => assert.fail('compute should reject'),
      (e: RangeError & GraphErrorInfo & { code?: string }) => e,
    );
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, 'no data');
    assert.equal(error.code, 'E_NODE');
    assert.deepEqual(error.nodePath, [top.label, mid.label, bad.label]);
    assert.equal(error.node, bad.label);
    assert.match(bad.label, /^fail#\d+$/);
  });

  test('nothing downstream of a failed node runs', async () => {
    const counter = shared.int32(1);
    const bad = delayed(t.fail)('boom', delayed(t.inc)(0));
    const downstream = delayed(t.counted)(counter, delayed(t.counted)(counter, bad) as never);
    await assert.rejects(compute(downstream, { pool }), /boom/);
    assert.equal(counter[0], 0);
  });

  test('a wide graph of thousands of nodes computes on threads', async () => {
    let layer = Array.from({ length: 4096 }, (_, i) => delayed(t.inc)(i));
    while (layer.length > 1) {
      const next = [];
      for (let i = 0; i < layer.length; i += 2) next.push(delayed(t.add)(layer[i], layer[i + 1]));
      layer = next;
    }
    assert.equal(await compute(layer[0], { pool }), (4096 * 4097) / 2);
  });

  test('a chain of 100,000 calls computes without a stack overflow', async () => {
    const inc = delayed((x: number) => x + 1);
    let node = inc(0);
    for (let i = 1; i < 100_000; i++) node = inc(node);
    assert.equal(await compute(node, { backend: 'inline' }), 100_000);
    assert.equal(toDot(node).split('->').length - 1, 99_999);
  });

  test('compute without a pool makes one for the call and closes it', async () => {
    assert.deepEqual(await compute(delayed(t.inc)(1), delayed(t.inc)(2)), [2, 3]);
  });

  test('an aborted signal rejects with SPINDLE_CANCELLED', async () => {
    const controller = new AbortController();
    const call = delayed(t.inc)(delayed(t.spinUntil)(200));
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(compute(call, { pool, signal: controller.signal }), CancelledError);
  });

  test('toDot draws one box per node and an arrow from each input to its user', () => {
    const a = delayed(t.inc)(1);
    const b = delayed(t.add)(a, a);
    const dot = b.toDot();
    assert.match(dot, /^digraph spindle \{/);
    assert.match(dot, new RegExp(`n${a.id} \\[label="inc#${a.id}"\\]`));
    assert.match(dot, new RegExp(`n${b.id} \\[label="add#${b.id}", style=bold\\]`));
    assert.equal(dot.split(`n${a.id} -> n${b.id}`).length - 1, 1);
  });
});
