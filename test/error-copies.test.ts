/**
 * An error made by another copy of spindle in the same thread is still `instanceof` its class:
 * a worker thread's runtime is a copy of its own beside the index (see script-runtime.ts), and a
 * program may carry a bundled copy beside an installed one. Here the two copies are this
 * package's sources and its build (npm test builds first).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as src from '../src/index.js';

const dist: typeof src = await import(new URL('../dist/index.js', import.meta.url).href);

test("an error from another copy of spindle is an instance of this copy's class", () => {
  assert.notEqual(dist.TimeoutError, src.TimeoutError);
  const error = new dist.TimeoutError('late');
  assert.ok(error instanceof src.TimeoutError);
  assert.ok(error instanceof src.SpindleError);
  assert.ok(error instanceof Error);
  assert.ok(!(error instanceof src.CancelledError));
  assert.ok(new dist.CancelledError() instanceof src.CancelledError);
  assert.ok(new dist.SpindleError('SPINDLE_CLONE', 'x') instanceof src.SpindleError);
  assert.ok(!(new dist.SpindleError('SPINDLE_CLONE', 'x') instanceof src.CloneError));
});

test('only what spindle made matches: look-alikes and subclasses of its errors do not', () => {
  const lookAlike = Object.assign(new Error('late'), {
    name: 'TimeoutError',
    code: 'SPINDLE_TIMEOUT',
  });
  assert.ok(!(lookAlike instanceof src.TimeoutError));
  assert.ok(!(lookAlike instanceof src.SpindleError));
  assert.ok(!((null as unknown) instanceof src.SpindleError));
  class Late extends src.TimeoutError {}
  assert.ok(new Late('x') instanceof Late);
  assert.ok(new Late('x') instanceof src.TimeoutError);
  assert.ok(!(new src.TimeoutError('x') instanceof Late));
  assert.ok(!(new dist.TimeoutError('x') instanceof Late));
});

test("the kinds stay out of an error's printed form and its keys", async () => {
  const error = new src.TimeoutError('late');
  assert.deepEqual(Object.getOwnPropertySymbols(error), []);
  assert.doesNotMatch(String(error.stack), /errorKind/);
  assert.doesNotMatch((await import('node:util')).inspect(error), /spindle\.errorKind/);
});
