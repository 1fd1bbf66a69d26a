/**
 * bullmq and ioredis, loaded here and nowhere else: they are optional peer dependencies, so a
 * missing one must fail at `import 'spindle/redis'` with an error that says what to install,
 * not with a bare ERR_MODULE_NOT_FOUND from deep inside the package. A static `import` cannot
 * be caught (resolution happens before any code runs), `require` can; both packages load as
 * CommonJS under Node either way (bullmq has no `exports` map, ioredis is CommonJS).
 */
import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';
import { MissingDependencyError } from './errors.js';

const require = createRequire(import.meta.url);

function load<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new MissingDependencyError(
        `spindle/redis needs the packages bullmq and ioredis, and ${name} is not installed: ` +
          'run npm install bullmq ioredis',
        error,
      );
    }
    throw error;
  }
}

export const bullmq: typeof BullMQ = load('bullmq');
export const ioredis: typeof IORedis = load('ioredis');
