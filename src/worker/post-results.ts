import { findUncloneable } from '../codec/clone-path.js';
import { serializeError, type WireError } from '../codec/errors.js';
import { CloneError } from '../errors.js';
import {
  type FromWorker,
  failResult,
  RESULT_STRIDE,
  resultOk,
  resultValue,
} from '../wire/protocol.js';

type Post = (message: FromWorker) => void;

/**
 * A message that would not serialise: each result goes alone, and one that still fails
 * becomes its own task's CloneError, so the worker lives and no other task is touched.
 */
export function postOneByOne(
  post: Post,
  results: unknown[],
  busyMs: number,
  load: [number, number] | undefined,
  heap: number | undefined,
): void {
  for (let i = 0; i < results.length; i += RESULT_STRIDE) {
    const one = results.slice(i, i + RESULT_STRIDE);
    const first = i === 0;
    const message: FromWorker = {
      op: 'done',
      results: one,
      busyMs: first ? busyMs : 0,
      load: first ? load : undefined,
      heap: first ? heap : undefined,
    };
    try {
      post(message);
      continue;
    } catch (error) {
      const what = resultOk(one, 0) ? 'result' : 'error';
      failResult(one, 0, unsendable(resultValue(one, 0), what, error));
    }
    try {
      post(message);
    } catch (error) {
      failResult(
        one,
        0,
        serializeError(
          new CloneError(
            `the task's outcome cannot be sent back from the worker: ${String(error)}`,
            'result',
          ),
        ),
      );
      post(message);
    }
  }
}

/** The error that replaces a result (or a task's error) that cannot be sent back. */
function unsendable(value: unknown, what: string, error: unknown): WireError {
  const found = findUncloneable(value, what);
  const path = found?.path ?? what;
  const reason = (
    found?.reason ?? (error instanceof Error ? error.message : String(error))
  ).replace(/\.+$/, '');
  return serializeError(
    new CloneError(
      `the task's ${path} cannot be sent back from the worker: ${reason}. Results travel by structured clone: return plain data, typed arrays or shared arrays`,
      path,
      error,
    ),
  );
}
