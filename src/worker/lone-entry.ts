/**
 * The worker runtime alone, for the copy of it a bundled program carries (see
 * backends/entry-url.ts): task modules there import the program's own bundle, not this file.
 */
import { startWorker } from './start.js';

startWorker();
