import type { TaskDef } from '../../tasks/types.js';
import type { LineEncoding } from './lines.js';

/** What one partition task receives: where its items come from, its steps, its reduction. */
export interface PartitionWire {
  readonly source: SourceWire;
  readonly steps: readonly StepWire[];
  readonly sink: SinkWire;
}

export type SourceWire =
  | {
      readonly kind: 'block';
      readonly path: string;
      readonly start: number;
      readonly end: number;
      readonly encoding: LineEncoding;
    }
  | { readonly kind: 'gzip'; readonly path: string; readonly encoding: LineEncoding }
  | { readonly kind: 'items'; readonly items: readonly unknown[] };

export type StepWire =
  | { readonly op: 'map' | 'filter' | 'flatMap' | 'mapPartitions'; readonly task: TaskDef }
  | { readonly op: 'pluck'; readonly key: string | number };

/** The per-partition reduction; its partial result is all that crosses back to the caller. */
export type SinkWire =
  | { readonly kind: 'collect'; readonly limit?: number }
  | { readonly kind: 'count' | 'sum' | 'min' | 'max' | 'mean' | 'frequencies' | 'distinct' }
  | { readonly kind: 'topk'; readonly k: number; readonly key?: TaskDef }
  | { readonly kind: 'fold'; readonly binop: TaskDef; readonly initial: unknown }
  | {
      readonly kind: 'foldBy';
      readonly key: TaskDef;
      readonly binop: TaskDef;
      readonly initial: unknown;
    }
  | { readonly kind: 'write'; readonly path: string }
  | {
      /** `spindle run`: the task over each line, each line settling alone (see settle-sink.ts). */
      readonly kind: 'settle';
      readonly task: TaskDef;
      readonly jsonl: boolean;
      readonly keepGoing: boolean;
    };
