import { defineTasks } from '../../tasks/define.js';
import type { TaskDef } from '../../tasks/types.js';
import { taskSignal } from '../../worker/runtime.js';
import { resolveTask } from '../../worker/task-ref.js';
import { type LineResult, readBlock, readGzip, STOP } from './lines.js';
import { Op, Pipeline, type Sink, type Step } from './pipeline.js';
import { settleSink } from './settle-sink.js';
import {
  collectSink,
  countSink,
  distinctSink,
  extremeSink,
  foldBySink,
  foldSink,
  frequenciesSink,
  meanSink,
  sumSink,
  topkSink,
  writeSink,
} from './sinks.js';
import type { PartitionWire, SinkWire, SourceWire } from './wire.js';

type AnyFn = (...args: any[]) => unknown;

const OPS = {
  map: Op.MAP,
  filter: Op.FILTER,
  flatMap: Op.FLAT_MAP,
  mapPartitions: Op.MAP_PARTITIONS,
};

/**
 * One partition of a bag, as one scheduler task: the worker reads the partition's own items
 * (a block of a file, a gzip file, or the items it was sent), runs the fused steps and the
 * reduction, and returns only the partial result. The user's steps arrive as task definitions
 * and are loaded here, as the runtime loads the tasks it is sent.
 */
async function runPartition(wire: PartitionWire): Promise<unknown> {
  // Read before any await: taskSignal() belongs to the task's synchronous start.
  const signal = taskSignal();
  const steps: Step[] = await Promise.all(
    wire.steps.map(async (step): Promise<Step> => {
      if (step.op === 'pluck') return { op: Op.PLUCK, fn: undefined, key: step.key };
      return { op: OPS[step.op], fn: await load(step.task), key: undefined };
    }),
  );
  const sink = await makeSink(wire.sink);
  try {
    const pipeline = new Pipeline(steps, sink);
    const stopped = await feed(wire.source, pipeline.push, signal);
    return await pipeline.finish(stopped);
  } finally {
    if ('close' in sink) await (sink as { close(): Promise<void> }).close();
  }
}

/** Sends the source's items in; true if the pipeline asked to stop early. */
async function feed(
  source: SourceWire,
  push: (x: unknown) => LineResult,
  signal: AbortSignal,
): Promise<boolean> {
  if (source.kind === 'block') return readBlock(source, push, signal);
  if (source.kind === 'gzip') return readGzip(source.path, source.encoding, push, signal);
  const items = source.items;
  for (let i = 0; i < items.length; i++) {
    let r = push(items[i]);
    if (r !== undefined && r !== STOP) r = (await r) as LineResult;
    if (r === STOP) return true;
    if ((i & 1023) === 1023) signal.throwIfAborted();
  }
  return false;
}

async function makeSink(wire: SinkWire): Promise<Sink> {
  switch (wire.kind) {
    case 'collect':
      return collectSink(wire.limit);
    case 'count':
      return countSink();
    case 'sum':
      return sumSink();
    case 'min':
      return extremeSink(false);
    case 'max':
      return extremeSink(true);
    case 'mean':
      return meanSink();
    case 'frequencies':
      return frequenciesSink();
    case 'distinct':
      return distinctSink();
    case 'topk':
      return topkSink(wire.k, wire.key && (await load(wire.key)));
    case 'fold':
      return foldSink(await load(wire.binop), wire.initial);
    case 'foldBy':
      return foldBySink(await load(wire.key), await load(wire.binop), wire.initial);
    case 'write':
      return writeSink(wire.path);
    case 'settle':
      return settleSink(await load(wire.task), wire.jsonl, wire.keepGoing);
  }
}

function load(def: TaskDef): Promise<AnyFn> {
  return Promise.resolve(resolveTask(def));
}

export const bagTasks = defineTasks(import.meta.url, { runPartition });
