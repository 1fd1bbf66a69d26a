import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelledError,
  cpuCount,
  delayed,
  Pool,
  type ProgressInfo,
  parallel,
  shared,
  TimeoutError,
} from '../src/index.js';
import { jt } from './fixtures/joblib-tasks.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('parallel / delayed', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 2 });
  });
  after(() => pool.close());

  test('results come back in input order, also when calls mix tasks', async () => {
    const calls = range(50).map((i) => (i % 3 ? delayed(jt.cube)(i) : delayed(jt.add)(i, 1000)));
    const out = await parallel({ pool })(calls);
    assert.deepEqual(
      out,
      range(50).map((i) => (i % 3 ? i ** 3 : i + 1000)),
    );
  });

  test('a runner made without a pool makes its own and runs inline functions too', async () => {
    const out = await parallel({ nJobs: 2 })(range(10).map((i) => delayed((x: number) => -x)(i)));
    assert.deepEqual(
      out,
      range(10).map((i) => -i),
    );
  });

  test('nJobs 0 is a RangeError; a negative nJobs counts back from every core', async () => {
    assert.throws(() => parallel({ nJobs: 0 }), RangeError);
    assert.throws(() => parallel({ nJobs: 1.5 }), RangeError);
    const threads = await parallel({ nJobs: -2, batchSize: 1 })(
      range(6).map(() => delayed(jt.whichThread)(40)),
    );
    assert.ok(new Set(threads).size <= Math.max(1, cpuCount() - 1));
  });

  test('nJobs 2 spreads calls over two workers', async () => {
    const threads = await parallel({ nJobs: 2, batchSize: 1 })(
      range(6).map(() => delayed(jt.whichThread)(60)),
    );
    assert.equal(new Set(threads).size, 2);
  });

  test('a fixed batchSize sends that many calls per message', async () => {
    const seen: number[] = [];
    await parallel({ pool, batchSize: 5, progress: (p) => seen.push(p.done) })(
      range(40).map((i) => delayed(jt.cube)(i)),
    );
    assert.ok(seen.length > 0);
    for (const done of seen) assert.equal(done % 5, 0);
  });

  test("batchSize 'auto' groups many quick calls into few messages", async () => {
    let updates = 0;
    const out = await parallel({ pool, progress: () => updates++ })(
      range(5000).map((i) => delayed(jt.cube)(i)),
    );
    assert.equal(out.length, 5000);
    assert.equal(out[4999], 4999 ** 3);
    assert.ok(updates < 500, `${updates} batches for 5000 quick calls`);
  });

  test('lazy input is pulled no further ahead than preDispatch allows', async () => {
    let pulled = 0;
    function* calls() {
      for (let i = 0; i < 30; i++) {
        pulled++;
        yield delayed(jt.sleepy)(10, i);
      }
    }
    const seen: Array<[number, number]> = [];
    const record = (p: ProgressInfo) => seen.push([p.done, pulled]);
    const out = await parallel({ pool, batchSize: 1, preDispatch: 3, progress: record })(calls());
    assert.deepEqual(out, range(30));
    for (const [done, atThatTime] of seen) assert.ok(atThatTime <= done + 3, `${seen}`);
  });

  test("preDispatch takes arithmetic in nJobs, and 'all' reads the whole input at once", async () => {
    let pulled = 0;
    function* calls() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield delayed(jt.sleepy)(5, i);
      }
    }
    const atFirst: number[] = [];
    await parallel({ pool, preDispatch: 'all', progress: () => atFirst.push(pulled) })(calls());
    assert.equal(atFirst[0], 20);
    assert.deepEqual(
      await parallel({ pool, preDispatch: '3*nJobs+1' })(range(5).map((i) => delayed(jt.cube)(i))),
      [0, 1, 8, 27, 64],
    );
    assert.throws(() => parallel({ preDispatch: 'nJobs; process.exit()' }), RangeError);
    assert.throws(() => parallel({ preDispatch: 0 }), RangeError);
  });

  test("the first failure rejects with that call's error and leaves most of the rest unrun", async () => {
    const counter = shared.int32(1);
    const calls = range(2000).map((i) => delayed(jt.countedSpin)(counter, 1, i, 20));
    await assert.rejects(parallel({ pool })(calls), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.equal((e as Error).message, 'call 20 failed');
      return true;
    });
    await pause(200);
    assert.ok(counter[0] < 1000, `${counter[0]} of 2000 calls ran`);
  });

  test("returnAs 'generator' yields lazily in input order", async () => {
    const gen = parallel({ pool, returnAs: 'generator' })(
      [30, 1, 20, 1].map((ms, i) => delayed(jt.sleepy)(ms, i)),
    );
    const out: number[] = [];
    for await (const x of gen) out.push(x);
    assert.deepEqual(out, [0, 1, 2, 3]);
  });

  test("returnAs 'generatorUnordered' yields in completion order", async () => {
    const gen = parallel({ pool, returnAs: 'generatorUnordered', batchSize: 1 })(
      [300, 10].map((ms, i) => delayed(jt.sleepy)(ms, i)),
    );
    const out: number[] = [];
    for await (const x of gen) out.push(x);
    assert.deepEqual(out, [1, 0]);
  });

  test('leaving a generator early withdraws the calls that have not started', async () => {
    const counter = shared.int32(1);
    const gen = parallel({ pool, returnAs: 'generator', batchSize: 1 })(
      range(200).map((i) => delayed(jt.countedSleep)(counter, 20, i)),
    );
    let n = 0;
    for await (const _ of gen) if (++n === 3) break;
    await pause(300);
    assert.ok(counter[0] < 30, `${counter[0]} of 200 calls ran`);
  });

  test('async iterables work as input', async () => {
    async function* calls() {
      for (let i = 0; i < 10; i++) {
        await pause(1);
        yield delayed(jt.cube)(i);
      }
    }
    assert.deepEqual(
      await parallel({ pool })(calls()),
      range(10).map((i) => i ** 3),
    );
  });

  test('a call over the timeout rejects with SPINDLE_TIMEOUT', async () => {
    const calls = [delayed(jt.sleepy)(10, 1), delayed(jt.sleepy)(2000, 2)];
    await assert.rejects(parallel({ nJobs: 2, timeout: 200 })(calls), TimeoutError);
  });

  test('progress reports done and total', async () => {
    const seen: ProgressInfo[] = [];
    await parallel({ pool, progress: (p) => seen.push(p) })(
      range(20).map((i) => delayed(jt.cube)(i)),
    );
    const last = seen[seen.length - 1];
    assert.equal(last.done, 20);
    assert.equal(last.total, 20);
    assert.equal(last.failed, 0);
  });

  test('aborting rejects with SPINDLE_CANCELLED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const calls = range(20).map((i) => delayed(jt.sleepy)(50, i));
    await assert.rejects(parallel({ pool, signal: controller.signal })(calls), CancelledError);
  });

  test('input that is not lazy calls, or calls that depend on each other, is refused', async () => {
    await assert.rejects(parallel({ pool })([1, 2] as never), /delayed\(task\)/);
    const a = delayed(jt.cube)(2);
    await assert.rejects(parallel({ pool })([delayed(jt.cube)(a as never)]), /compute/);
    assert.throws(() => parallel({ pool, nJobs: 2 }), TypeError);
  });

  test('the processes backend runs the same calls', async () => {
    const out = await parallel({ nJobs: 2, backend: 'processes' })(
      range(10).map((i) => delayed(jt.add)(i, 1)),
    );
    assert.deepEqual(
      out,
      range(10).map((i) => i + 1),
    );
  });
});
