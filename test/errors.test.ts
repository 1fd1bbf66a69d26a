import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CloneError, inline, Pool, SpindleError } from '../src/index.js';
import { more, tasks } from './fixtures/tasks.js';

const pool = new Pool({ workers: 2 });
after(() => pool.close());

describe("a task's error is rebuilt in the caller", () => {
  test('with the same built-in class, message, own properties and the worker stack', async () => {
    const error = (await pool.apply(tasks.fail, 'boom').catch((e) => e)) as TypeError & {
      code: string;
      detail: unknown;
    };
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, 'boom');
    assert.equal(error.code, 'E_TASK');
    assert.deepEqual(error.detail, { n: 1 });
    assert.match(error.stack ?? '', /fixtures[/\\]tasks\.ts/);
  });

  test('with the original error as cause', async () => {
    const error = await pool.apply(tasks.fail, 'boom').catch((e) => e);
    assert.ok(error.cause instanceof Error);
    assert.equal(error.cause.message, 'boom');
  });

  test("keeping the original's own cause when it had one", async () => {
    const error = await pool
      .apply(() => {
        throw new Error('outer', { cause: new RangeError('inner') });
      })
      .catch((e) => e);
    assert.equal(error.message, 'outer');
    assert.ok(error.cause instanceof RangeError);
    assert.equal(error.cause.message, 'inner');
  });

  test('a custom error class keeps its name', async () => {
    const error = await pool
      .apply(() => {
        class ParseError extends Error {
          line = 3;
        }
        const e = new ParseError('bad input');
        e.name = 'ParseError';
        throw e;
      })
      .catch((e) => e);
    assert.equal(error.name, 'ParseError');
    assert.equal(error.message, 'bad input');
    assert.equal(error.line, 3);
  });

  test('an error class derived from a built-in arrives as an instance of that built-in, under its own name', async () => {
    const error = await pool
      .apply(() => {
        class BadInput extends TypeError {
          field = 'age';
        }
        class WorseInput extends BadInput {}
        const e = new WorseInput('age must be a number');
        e.name = 'WorseInput';
        throw e;
      })
      .catch((e) => e);
    assert.ok(
      error instanceof TypeError,
      `arrived as ${Object.getPrototypeOf(error)?.constructor?.name}`,
    );
    assert.equal(error.name, 'WorseInput');
    assert.equal(error.message, 'age must be a number');
    assert.equal((error as TypeError & { field?: string }).field, 'age');
    assert.ok(error.cause instanceof TypeError, 'the original, as the cause, too');
  });

  test('a thrown non-error value arrives as it is', async () => {
    const thrown = await pool
      .apply(() => {
        throw { reason: 'plain object' };
      })
      .catch((e) => e);
    assert.deepEqual(thrown, { reason: 'plain object' });
  });
});

describe('values that cannot cross', () => {
  test('an argument that cannot be cloned fails that task alone with SPINDLE_CLONE naming the path', async () => {
    const bad = pool.apply(more.countArgs, 1, { callback: () => 1 });
    const good = pool.apply(tasks.cube, 3);
    const error = await bad.catch((e) => e);
    assert.ok(error instanceof CloneError);
    assert.equal(error.code, 'SPINDLE_CLONE');
    assert.equal(error.path, 'args[1].callback');
    assert.match(error.message, /args\[1\]\.callback/);
    assert.equal(await good, 27);
  });

  test('a result that cannot be cloned fails that task with SPINDLE_CLONE', async () => {
    const error = await pool.apply(more.returnsFunction).catch((e) => e);
    assert.ok(error instanceof SpindleError);
    assert.equal(error.code, 'SPINDLE_CLONE');
    assert.match(error.message, /result/);
    assert.equal(await pool.apply(tasks.cube, 2), 8);
  });
});

describe('bad input', () => {
  test('workers < 1 is a RangeError saying what to pass', () => {
    assert.throws(
      () => new Pool({ workers: 0 }),
      (e: Error) => e instanceof RangeError && /workers must be a whole number ≥ 1/.test(e.message),
    );
  });

  test('an unknown backend name is a TypeError listing the choices', () => {
    assert.throws(
      () => new Pool({ backend: 'gpu' as any }),
      (e: Error) => e instanceof TypeError && /'threads', 'processes', 'inline'/.test(e.message),
    );
  });

  test('a negative timeout is a RangeError', () => {
    assert.throws(() => new Pool({ taskTimeout: -1 }), RangeError);
  });
});

describe('captured values that cannot cross', () => {
  test('a captured value that cannot be cloned fails with SPINDLE_CLONE naming the capture', async () => {
    const { inline } = await import('../src/index.js');
    const handle = { socket: () => 1 };
    const error = await pool
      .apply(
        inline((x: number) => x + (handle ? 1 : 0), { handle }),
        1,
      )
      .catch((e) => e);
    assert.equal(error.code, 'SPINDLE_CLONE');
    assert.match(error.message, /captures\.handle\.socket/);
    assert.doesNotMatch(error.message, /\.\./);
  });

  test('apply reports a closed pool as a rejection, not a throw', async () => {
    const closed = new Pool({ workers: 1 });
    await closed.close();
    await assert.rejects(closed.apply(tasks.cube, 1), { code: 'SPINDLE_POOL_CLOSED' });
  });
});

describe('results that cannot be sent back', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'a getter that throws',
      () => ({
        ok: 1,
        get bad() {
          throw new Error('getter boom');
        },
      }),
      /result\.bad/,
    ],
    [
      'a Proxy whose trap throws',
      () =>
        new Proxy(
          {},
          {
            ownKeys() {
              throw new Error('trap boom');
            },
          },
        ),
      /result/,
    ],
    [
      'a revoked Proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return { inner: proxy };
      },
      /result/,
    ],
  ];
  for (const [what, make, path] of cases) {
    test(`${what} fails that task alone with SPINDLE_CLONE, and the worker lives`, async () => {
      const solo = new Pool({ workers: 1 });
      try {
        const before = await solo.apply(() => process.pid);
        const error = await solo.apply(inline(make, { make })).catch((e) => e);
        assert.ok(error instanceof CloneError, `expected a CloneError, got ${error}`);
        assert.match(error.message, path);
        assert.match(error.message, /cannot be sent back from the worker/);
        assert.equal(await solo.apply(tasks.cube, 3), 27);
        assert.equal(await solo.apply(() => process.pid), before);
        assert.equal(solo.stats().crashes, 0);
      } finally {
        await solo.terminate();
      }
    });
  }

  test('a result too deeply nested for the caller to read fails with SPINDLE_CLONE, not a hang', async () => {
    const error = await pool
      .apply(() => {
        let o: object = {};
        for (let i = 0; i < 10_000; i++) o = { o };
        return o;
      })
      .catch((e) => e);
    assert.ok(error instanceof CloneError, `expected a CloneError, got ${error}`);
    assert.match(error.message, /cannot be read here/);
    assert.equal(await pool.apply(tasks.cube, 2), 8);
  });

  test('one unsendable result in a batch of many fails only itself', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        pool.apply((n: number) => (n === 7 ? { f: () => n } : n), i),
      ),
    );
    results.forEach((r, i) => {
      if (i === 7) assert.equal(r.status === 'rejected' && r.reason.code, 'SPINDLE_CLONE');
      else assert.deepEqual(r, { status: 'fulfilled', value: i });
    });
  });
});

describe('arguments that cannot be read', () => {
  test('a getter that throws rejects the call with SPINDLE_CLONE and the path', async () => {
    const arg = {
      get secret() {
        throw new Error('no access');
      },
    };
    const future = pool.submit((x: unknown) => x, { wrapper: arg });
    const error = await future.catch((e) => e);
    assert.ok(error instanceof CloneError);
    assert.equal(error.path, 'args[0].wrapper.secret');
    assert.match(error.message, /no access/);
  });

  test('a Proxy whose trap throws rejects with SPINDLE_CLONE instead of throwing from submit', async () => {
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const error = await pool.apply((x: unknown) => x, proxy).catch((e) => e);
    assert.ok(error instanceof CloneError);
    assert.equal(error.path, 'args[0]');
  });

  test('after one failed send of a task, the same task still runs on that worker', async () => {
    const solo = new Pool({ workers: 1 });
    try {
      const echo = inline((x: unknown) => typeof x);
      await assert.rejects(
        solo.apply(echo, () => 1),
        { code: 'SPINDLE_CLONE' },
      );
      assert.equal(await solo.apply(echo, 5), 'number');
    } finally {
      await solo.close();
    }
  });
});

describe('errors keep their class and what can travel', () => {
  test('an AggregateError keeps its class and its errors', async () => {
    const error = await pool
      .apply(() => {
        throw new AggregateError([new TypeError('first'), 'second'], 'both failed');
      })
      .catch((e) => e);
    assert.ok(error instanceof AggregateError);
    assert.equal(error.message, 'both failed');
    assert.equal(error.errors.length, 2);
    assert.ok(error.errors[0] instanceof TypeError);
    assert.equal(error.errors[0].message, 'first');
    assert.equal(error.errors[1], 'second');
  });

  test('a thrown object that cannot clone whole keeps the properties that can, and its class name', async () => {
    const thrown = await pool
      .apply(() => {
        class HttpFailure {
          status = 503;
          body = { retry: true };
          retry = () => 1;
        }
        throw new HttpFailure();
      })
      .catch((e) => e);
    assert.equal(typeof thrown, 'object');
    assert.equal(thrown.status, 503);
    assert.deepEqual(thrown.body, { retry: true });
    assert.equal('retry' in thrown && typeof thrown.retry, false);
    assert.equal(thrown.constructor.name, 'HttpFailure');
  });

  test('an error whose own getter throws still arrives, without that property', async () => {
    const error = await pool
      .apply(() => {
        const e = new RangeError('outer') as RangeError & { ok?: number };
        e.ok = 1;
        Object.defineProperty(e, 'bad', {
          enumerable: true,
          get() {
            throw new Error('getter');
          },
        });
        throw e;
      })
      .catch((e) => e);
    assert.ok(error instanceof RangeError);
    assert.equal((error as RangeError & { ok: number }).ok, 1);
    assert.equal('bad' in error, false);
  });
});

describe('bad options fail at the call', () => {
  const buf = new Float64Array(4);
  test('a transfer that is not an array is a TypeError from submitWith', () => {
    assert.throws(
      () => pool.submitWith({ transfer: buf.buffer as never }, tasks.cube, 1),
      (e: Error) => e instanceof TypeError && /transfer must be an array/.test(e.message),
    );
  });

  test('a view in the transfer list is a TypeError that shows its buffer', () => {
    assert.throws(
      () => pool.submitWith({ transfer: [buf as never] }, tasks.cube, 1),
      (e: Error) => e instanceof TypeError && /view.buffer/.test(e.message),
    );
  });

  test('a signal that is not an AbortSignal is a TypeError, in submitWith and map', async () => {
    assert.throws(
      () => pool.submitWith({ signal: 42 as never }, tasks.cube, 1),
      (e: Error) => e instanceof TypeError && /signal must be an AbortSignal/.test(e.message),
    );
    await assert.rejects(pool.map(tasks.cube, [1], { signal: 42 as never }), TypeError);
  });

  test('submitWith options that are not an object are a TypeError', () => {
    assert.throws(
      () => pool.submitWith(1 as never, tasks.cube, 1),
      (e: Error) =>
        e instanceof TypeError && /submitWith options must be an object/.test(e.message),
    );
  });

  for (const backend of ['threads', 'processes'] as const) {
    test(`initArgs that cannot clone fail at new Pool() with SPINDLE_CLONE (${backend})`, () => {
      assert.throws(
        () => new Pool({ backend, initializer: tasks.cube, initArgs: [{ f: () => 1 }] }),
        (e: CloneError) => e instanceof CloneError && e.path === 'initArgs[0].f',
      );
    });
  }
});
