/**
 * The pure parts of the engine, without workers: each test runs in milliseconds, so a change
 * to batch sizing, crash blame, the queue, the concurrency controller, preparation, error
 * serialisation or the take-back race shows here first, with a precise failure.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findUncloneable } from '../src/codec/clone-path.js';
import { rebuildError, serializeError } from '../src/codec/errors.js';
import { type PrepareContext, preparationError, prepareArgs } from '../src/codec/prepare.js';
import { nextChunkSize } from '../src/engine/batching.js';
import { AutoConcurrency } from '../src/engine/concurrency.js';
import { blameCrash } from '../src/engine/crash.js';
import { Deque } from '../src/engine/deque.js';
import { Task } from '../src/engine/task.js';
import { itemSource } from '../src/faces/source.js';
import { CloneError, Lock } from '../src/index.js';
import { CLAIM_RING, claim, newClaims, offer, takeBack } from '../src/worker/claims.js';

describe('adaptive batch sizing', () => {
  const policy = (estimate: number | undefined, length?: number) => ({
    length,
    workers: 2,
    estimate: () => estimate,
  });

  test('a fixed size is used as it is', () => {
    assert.equal(nextChunkSize({ ...policy(5, 100), fixed: 7 }, 0), 7);
  });

  test('without an estimate a chunk holds one item', () => {
    assert.equal(nextChunkSize(policy(undefined, 1000), 0), 1);
  });

  test('cheap items of a lazy input fill a chunk of about 10 ms', () => {
    assert.equal(nextChunkSize(policy(0.01), 1000), 1000);
  });

  test('a big input of known length aims at 16 chunks per worker, of 10 to 50 ms each', () => {
    // 200k items of 10 µs: 2 s of work, 50 ms chunks (the longest), not 10 ms ones.
    assert.equal(nextChunkSize(policy(0.01, 200_000), 5000), 5000);
    // 100k of 4 µs: 400 ms of work, 12.5 ms a chunk.
    assert.equal(nextChunkSize(policy(0.004, 100_000), 3125), 3125);
    // A small input still goes in chunks of about 10 ms, however few.
    assert.equal(nextChunkSize(policy(0.01, 20_000), 1000), 1000);
  });

  test('chunks are capped at ceil(n / 4 workers) and at 16,000 items', () => {
    assert.equal(nextChunkSize(policy(0.0016, 1_000_000), 16_000), 16_000);
    assert.equal(nextChunkSize(policy(0.0001, 1_000_000), 16_000), 16_000);
    assert.equal(nextChunkSize(policy(0.0001, 800), 100), 100);
  });

  test('tasks that wait (concurrency above 1) keep chunks of about 10 ms', () => {
    assert.equal(nextChunkSize({ ...policy(0.004, 1_000_000), concurrency: 4 }, 2500), 2500);
  });

  test('the tail of a known input is split finer, down to chunks of about 2 ms', () => {
    assert.equal(nextChunkSize(policy(1, 800), 780), 5);
    assert.equal(nextChunkSize(policy(1, 800), 799), 2);
    assert.equal(nextChunkSize(policy(0.01, 10_000), 9_000), 250);
    assert.equal(nextChunkSize(policy(0.01, 10_000), 9_990), 200);
  });

  test('a run’s first chunks ramp up from about 1 ms of work, each at most all before it', () => {
    // 200k items of 10 µs (50 ms chunks later): 100, 100, 200, 400, ... then 5000.
    const sizes: number[] = [];
    for (let pulled = 0; sizes.length < 8; ) {
      const size = nextChunkSize(policy(0.01, 200_000), pulled);
      sizes.push(size);
      pulled += size;
    }
    assert.deepEqual(sizes, [100, 100, 200, 400, 800, 1600, 3200, 5000]);
    assert.equal(nextChunkSize(policy(0.01), 0), 100, 'a lazy input ramps too');
    assert.equal(nextChunkSize(policy(5, 1000), 0), 1, 'an item of more than 1 ms goes alone');
  });

  test('a lazy input is pulled in chunks of at most 10,000', () => {
    assert.equal(nextChunkSize(policy(1e-9), 10_000), 10_000);
  });

  test('slow items go one per chunk', () => {
    assert.equal(nextChunkSize(policy(50, 1000), 500), 1);
    assert.equal(nextChunkSize(policy(12, 1000), 4), 4);
  });
});

describe('crash blame', () => {
  const sink = { onStart() {}, onResult() {}, onError() {} };
  const owner = { cancelQueued: () => false, started: () => true };
  const spec = { id: 1, def: { t: 'm', url: 'file:///t.js', name: 't' }, label: 't', fn: () => 0 };
  const tasks = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const task = new Task(
        owner,
        i + 1,
        spec as never,
        0,
        [],
        1,
        sink,
        undefined,
        undefined,
        undefined,
      );
      task.sentAs = i;
      return task;
    });
  const exit = { code: 1, signal: null };
  const options = { concurrency: 1, retries: 0, how: 'exited with code 1' };

  test('with a taken count, every task the worker took on is blamed, the rest requeued', () => {
    const held = tasks(5);
    const outcome = blameCrash(held, { ...exit, taken: 2 }, options);
    assert.deepEqual(
      outcome.fail.map(([t]) => t.id),
      [1, 2],
    );
    assert.deepEqual(
      outcome.requeue.map((t) => t.id),
      [3, 4, 5],
    );
  });

  test('a task that finished but whose result never left counts as taken on', () => {
    const held = tasks(3).slice(1); // task 1 was answered; 2 finished unsent; 3 ran
    const outcome = blameCrash(held, { ...exit, taken: 3 }, options);
    assert.deepEqual(
      outcome.fail.map(([t]) => t.id),
      [2, 3],
    );
  });

  test('with retries a blamed task is requeued and counts an attempt', () => {
    const held = tasks(2);
    const outcome = blameCrash(held, { ...exit, taken: 1 }, { ...options, retries: 1 });
    assert.equal(outcome.retried, 1);
    assert.equal(held[0].attempts, 1);
    assert.deepEqual(
      outcome.requeue.map((t) => t.id),
      [1, 2],
    );
  });

  test('with only a running list, the listed tasks are blamed', () => {
    const outcome = blameCrash(tasks(3), { ...exit, running: [2] }, options);
    assert.deepEqual(
      outcome.fail.map(([t]) => t.id),
      [2],
    );
  });

  test('knowing nothing, the first `concurrency` unanswered tasks are blamed', () => {
    const outcome = blameCrash(tasks(4), exit, { ...options, concurrency: 2 });
    assert.deepEqual(
      outcome.fail.map(([t]) => t.id),
      [1, 2],
    );
  });

  test('a zombie (timed out already) is neither blamed nor requeued', () => {
    const held = tasks(2);
    held[0].zombie = true;
    const outcome = blameCrash(held, { ...exit, taken: 2 }, options);
    assert.deepEqual(
      outcome.fail.map(([t]) => t.id),
      [2],
    );
    assert.equal(outcome.requeue.length, 0);
  });
});

describe('the queue', () => {
  test('push, unshift and shift keep order through growth and wrap-around', () => {
    const q = new Deque<number>(2);
    for (let i = 0; i < 5; i++) q.push(i);
    assert.equal(q.shift(), 0);
    q.unshift(-1);
    q.unshift(-2);
    for (let i = 5; i < 40; i++) q.push(i);
    assert.equal(q.size, 41);
    assert.deepEqual(q.drain().slice(0, 5), [-2, -1, 1, 2, 3]);
    assert.equal(q.size, 0);
    assert.equal(q.peek(), undefined);
  });
});

describe("the 'auto' concurrency controller", () => {
  const fakeScheduler = () => {
    const fake = {
      options: { concurrency: 1 },
      onLoad: undefined as unknown,
      setConcurrency(n: number) {
        fake.options.concurrency = n;
      },
    };
    return fake;
  };

  test('a mostly idle loop whose tasks wait raises concurrency', () => {
    const scheduler = fakeScheduler();
    const controller = new AutoConcurrency(scheduler as never);
    controller.observe(5, 95, 400);
    assert.ok(scheduler.options.concurrency > 1);
  });

  test('a saturated loop halves it, down to 1', () => {
    const scheduler = fakeScheduler();
    scheduler.options.concurrency = 16;
    const controller = new AutoConcurrency(scheduler as never);
    controller.observe(98, 2, 100);
    assert.equal(scheduler.options.concurrency, 8);
  });

  test('an idle loop whose tasks do not wait (no work) leaves it alone', () => {
    const scheduler = fakeScheduler();
    const controller = new AutoConcurrency(scheduler as never);
    controller.observe(5, 95, 5);
    assert.equal(scheduler.options.concurrency, 1);
  });

  test('one short sample decides nothing', () => {
    const scheduler = fakeScheduler();
    const controller = new AutoConcurrency(scheduler as never);
    controller.observe(1, 9, 100);
    assert.equal(scheduler.options.concurrency, 1);
  });
});

describe('argument preparation', () => {
  const threads: PrepareContext = { maxNbytes: undefined, sharesMemory: true };
  const processes: PrepareContext = { maxNbytes: undefined, sharesMemory: false, cloneOnly: true };

  test('a view sends only its own bytes; the caller’s array is untouched', () => {
    const big = new Float64Array(1000);
    const [view] = prepareArgs([big.subarray(10, 12)], { ...threads }) as [Float64Array];
    assert.equal(view.buffer.byteLength, 16);
    assert.equal(big.length, 1000);
  });

  test('a view over a transferred buffer goes as it is', () => {
    const big = new Float64Array(1000);
    const view = big.subarray(10, 12);
    const [out] = prepareArgs([view], { ...threads, transfer: new Set([big.buffer]) });
    assert.equal(out, view);
  });

  test('a sparse array of huge length is visited by its elements', () => {
    const sparse: unknown[] = [];
    sparse[2 ** 31] = new Float64Array(100).subarray(0, 1);
    const [out] = prepareArgs([sparse], { ...threads }) as [unknown[]];
    assert.equal((out[2 ** 31] as Float64Array).buffer.byteLength, 8);
  });

  test('preparing a sparse array of length 2^32 - 1 costs less than a dense one of 100,000', () => {
    // Side by side, so a busy machine slows both: visiting every index of the sparse one
    // would cost some 40,000 times the dense one.
    const time = (value: unknown[]) => {
      const started = performance.now();
      for (let i = 0; i < 5; i++) prepareArgs([value], { ...threads });
      return performance.now() - started;
    };
    const dense = Array.from({ length: 100_000 }, () => ({ x: 1 }));
    const sparse: unknown[] = [];
    sparse[2 ** 32 - 2] = { x: 1 };
    sparse[5] = { x: 2 };
    time(dense);
    const denseMs = time(dense);
    const sparseMs = time(sparse);
    assert.ok(
      sparseMs < denseMs,
      `sparse ${sparseMs.toFixed(2)} ms, dense ${denseMs.toFixed(2)} ms`,
    );
  });

  test('a Lock becomes its wire form on threads and is refused on processes', () => {
    const lock = new Lock();
    const out = prepareArgs([lock], { ...threads });
    assert.notEqual(out[0], lock);
    assert.throws(() => prepareArgs([lock], { ...processes }), { code: 'SPINDLE_UNSUPPORTED' });
  });

  test('a Blob for processes is refused, and the error names its path', () => {
    const args = [{ files: [new Blob(['x'])] }];
    let caught: unknown;
    try {
      prepareArgs(args, { ...processes });
    } catch (error) {
      caught = preparationError(error, args, 'args');
    }
    assert.ok(caught instanceof CloneError);
    assert.equal(caught.path, 'args[0].files[0]');
  });

  test('a getter that throws becomes SPINDLE_CLONE with its path', () => {
    const args = [
      {
        get x() {
          throw new Error('no');
        },
      },
    ];
    let caught: unknown;
    try {
      prepareArgs(args, { ...threads });
    } catch (error) {
      caught = preparationError(error, args, 'args');
    }
    assert.ok(caught instanceof CloneError);
    assert.equal(caught.path, 'args[0].x');
  });
});

describe('finding what cannot be cloned', () => {
  test('the path of a function deep inside', () => {
    assert.equal(findUncloneable({ a: [1, { b: () => 1 }] }, 'args')?.path, 'args.a[1].b');
  });

  test('a revoked Proxy is found without throwing', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.equal(findUncloneable({ p: proxy }, 'result')?.path, 'result.p');
  });

  test('a cloneable value has no such path', () => {
    assert.equal(findUncloneable({ a: new Map([[1, new Date(0)]]) }, 'args'), undefined);
  });
});

describe('error serialisation', () => {
  const roundTrip = (e: unknown) => rebuildError(structuredClone(serializeError(e)));

  test('an AggregateError keeps its class and errors', () => {
    const back = roundTrip(new AggregateError([new RangeError('r'), 3], 'agg')) as AggregateError;
    assert.ok(back instanceof AggregateError);
    assert.ok(back.errors[0] instanceof RangeError);
    assert.equal(back.errors[1], 3);
  });

  test('an error with a throwing getter serialises without it', () => {
    const e = new Error('m') as Error & { good?: number };
    e.good = 1;
    Object.defineProperty(e, 'bad', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    const back = roundTrip(e) as Error & { good?: number };
    assert.equal(back.good, 1);
    assert.equal('bad' in back, false);
  });

  test('a thrown class instance keeps its cloneable fields and class name', () => {
    class Failure {
      status = 500;
      fn = () => 1;
    }
    const back = roundTrip(new Failure()) as { status: number; constructor: { name: string } };
    assert.equal(back.status, 500);
    assert.equal(back.constructor.name, 'Failure');
  });

  test('a thrown primitive arrives as it is', () => {
    assert.equal(roundTrip('just a string'), 'just a string');
    assert.equal(roundTrip(42), 42);
  });
});

describe('the take-back race', () => {
  test('whoever comes first gets the task, the other is told so', () => {
    const claims = newClaims();
    offer(claims, 5);
    assert.equal(takeBack(claims, 5), true);
    assert.equal(claim(claims, 5), false);
    offer(claims, 6);
    assert.equal(claim(claims, 6), true);
    assert.equal(takeBack(claims, 6), false);
  });

  test('a task that was never offered (spawn sends without the race) just runs', () => {
    const claims = newClaims();
    assert.equal(claim(claims, 0), true);
    assert.equal(takeBack(claims, 0), false);
  });

  test('a slot reused a ring later belongs to the newer task only', () => {
    const claims = newClaims();
    offer(claims, 1);
    assert.equal(claim(claims, 1), true);
    offer(claims, 1 + CLAIM_RING);
    assert.equal(takeBack(claims, 1), false);
    assert.equal(claim(claims, 1 + CLAIM_RING), true);
  });
});

describe('reading the input', () => {
  test('an iterator that throws mid-chunk gives the items read first, then its error', () => {
    function* items() {
      yield 1;
      yield 2;
      throw new Error('broke');
    }
    const source = itemSource<number>(items());
    assert.deepEqual(source.take(10), [1, 2]);
    assert.throws(() => source.take(10), /broke/);
  });

  test('an array is read in slices and knows its length', () => {
    const source = itemSource<number>([1, 2, 3]);
    assert.equal(source.length, 3);
    assert.deepEqual(source.take(2), [1, 2]);
    assert.deepEqual(source.take(2), [3]);
    assert.deepEqual(source.take(2), []);
  });
});
