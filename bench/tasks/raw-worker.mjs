import { parentPort } from 'node:worker_threads';
import * as kernels from './kernels.mjs';

const table = { ...kernels };
parentPort.on('message', (msg) => parentPort.postMessage([msg[0], table[msg[1]](msg[2])]));
