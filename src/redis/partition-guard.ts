import { bagTasks } from '../faces/bag/partition-task.js';
import type { PartitionWire, SinkWire, SourceWire, StepWire } from '../faces/bag/wire.js';
import { taskSpec } from '../tasks/define.js';
import type { TaskDef } from '../tasks/types.js';
import { JobRefusedError } from './errors.js';
import type { FileRoots } from './file-roots.js';

/**
 * A bag partition on a cluster worker. It is spindle's own task, so every worker may run it,
 * but what it does comes from its job: the tasks it calls and the files it reads and writes.
 * Before it runs, each task its job names is mapped through the worker's task table (a module
 * the worker was started with, never code from the job), and each path through the worker's
 * folders (`--allow-read`, `--allow-write`); the partition gets only what passed.
 */
const local = taskSpec(bagTasks.runPartition).def as Extract<TaskDef, { t: 'm' }>;

/** Whether a job's task is the bag partition: the same module, or spindle's at another place. */
export function isPartitionTask(def: Extract<TaskDef, { t: 'm' }>): boolean {
  if (def.name !== local.name) return false;
  if (def.url === local.url) return true;
  // The caller's spindle may be installed elsewhere, and run from src/ (.ts) or dist/ (.js).
  const tail = (url: string) =>
    url
      .replace(/\.[cm]?[jt]s$/, '')
      .split('/')
      .slice(-3)
      .join('/');
  return tail(def.url) === 'faces/bag/partition-task' && /^file:/.test(def.url);
}

export const partitionTaskDef = local;

/** Maps one task a job names to the worker's own; throws the refusal otherwise. */
export type LocalTask = (def: TaskDef, what: string) => TaskDef;

/** The partition as it may run here, with local tasks and real paths; rejects with the refusal. */
export async function preparePartition(
  wire: unknown,
  resolveTask: LocalTask,
  roots: FileRoots,
): Promise<PartitionWire> {
  if (!isPartitionWire(wire)) {
    throw new JobRefusedError(
      'a bag partition job is malformed; caller and worker must run the same spindle version',
    );
  }
  const steps: StepWire[] = wire.steps.map((step, i) =>
    step.op === 'pluck'
      ? step
      : { op: step.op, task: resolveTask(step.task, `step ${i + 1} (${step.op})`) },
  );
  const sink = await prepareSink(wire.sink, resolveTask, roots);
  const source = await prepareSource(wire.source, roots);
  return { source, steps, sink };
}

async function prepareSource(source: SourceWire, roots: FileRoots): Promise<SourceWire> {
  if (source.kind === 'items') return source;
  return { ...source, path: await roots.readable(source.path) };
}

async function prepareSink(
  sink: SinkWire,
  resolveTask: LocalTask,
  roots: FileRoots,
): Promise<SinkWire> {
  switch (sink.kind) {
    case 'topk':
      return sink.key ? { ...sink, key: resolveTask(sink.key, 'the topk key') } : sink;
    case 'fold':
      return { ...sink, binop: resolveTask(sink.binop, 'the fold binop') };
    case 'foldBy':
      return {
        ...sink,
        key: resolveTask(sink.key, 'the foldBy key'),
        binop: resolveTask(sink.binop, 'the foldBy binop'),
      };
    case 'settle':
      return { ...sink, task: resolveTask(sink.task, 'the task') };
    case 'write':
      return { ...sink, path: await roots.writable(sink.path) };
    default:
      return sink;
  }
}

function isPartitionWire(wire: unknown): wire is PartitionWire {
  if (wire === null || typeof wire !== 'object') return false;
  const w = wire as Partial<PartitionWire>;
  return (
    Array.isArray(w.steps) &&
    w.steps.every((s) => s !== null && typeof s === 'object') &&
    w.source !== null &&
    typeof w.source === 'object' &&
    ['block', 'gzip', 'items'].includes(w.source.kind) &&
    w.sink !== null &&
    typeof w.sink === 'object'
  );
}
