import type { FileHandle } from 'node:fs/promises';
import type { MessagePort } from 'node:worker_threads';

/**
 * What can be moved, not copied, to a worker: ArrayBuffers, MessagePorts and the like. Our own
 * type, not `TransferListItem` from `node:worker_threads`: newer @types/node removed that name,
 * and the declarations must compile against @types/node 20 and the latest alike.
 */
export type Transferable = ArrayBuffer | MessagePort | FileHandle;
