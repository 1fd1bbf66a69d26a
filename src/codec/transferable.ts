import type { TransferListItem } from 'node:worker_threads';

/** What can be moved, not copied, to a worker: ArrayBuffers, MessagePorts and the like. */
export type Transferable = TransferListItem;
