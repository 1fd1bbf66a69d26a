import { describe, TypeErrorWithHint } from '../hints.js';
import { Pool } from './pool.js';

/**
 * Checks the `pool` option of a face that otherwise makes a pool per call (`parallel`,
 * `compute`): it must be a Pool, and it cannot come with the options that would size a new one.
 */
export function checkPoolOption(
  face: string,
  pool: unknown,
  sizing: Record<string, unknown>,
): void {
  if (pool === undefined) return;
  if (!(pool instanceof Pool)) {
    throw new TypeErrorWithHint(
      `${face}'s pool option must be a Pool, got ${describe(pool)}`,
      'pass { pool: new Pool() }, or leave it out to use a pool made for the call',
    );
  }
  const given = Object.keys(sizing).filter((name) => sizing[name] !== undefined);
  if (given.length > 0) {
    throw new TypeErrorWithHint(
      `${face} got a pool and also ${given.join(' and ')}`,
      'set workers and backend on the Pool you pass, or drop the pool option',
    );
  }
}
