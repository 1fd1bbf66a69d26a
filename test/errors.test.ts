import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CloneError, Pool, SpindleError } from '../src/index.js';
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
