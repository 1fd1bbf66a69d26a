import type { TaskSink } from '../engine/future.js';
import type { Task } from '../engine/scheduler.js';

/** One task of a feeder's run: the units it carries and, once settled, its results or error. */
export interface Chunk {
  first: number;
  size: number;
  units: unknown[] | undefined;
  task: Task | undefined;
  /** settle mode: the one-unit tasks a failed chunk was split into */
  parts: Task[] | undefined;
  /** Still packed (a typed array) until handed out, unless the reader takes them as they are. */
  results: ArrayLike<unknown> | undefined;
  error: unknown;
  settled: boolean;
}

/** What a chunk reports to: the feeder that submitted it. */
export interface ChunkOwner {
  _done(chunk: Chunk, value: unknown): void;
  _failed(chunk: Chunk, error: unknown): void;
}

/** A chunk's link to the scheduler, with its methods on the prototype. */
export class ChunkSink implements TaskSink {
  constructor(
    readonly feeder: ChunkOwner,
    readonly chunk: Chunk,
  ) {}
  onStart(): void {}
  onResult(value: unknown): void {
    this.feeder._done(this.chunk, value);
  }
  onError(error: unknown): void {
    this.feeder._failed(this.chunk, error);
  }
}
