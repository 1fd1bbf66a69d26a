import { Deque } from './deque.js';
import { QUEUED, type Task } from './task.js';

/**
 * The tasks waiting for a worker, and the callers waiting for room among them. Tasks settled
 * while queued (withdrawn, cancelled) stay in the deque until they reach its head, where they
 * are skipped: withdrawing is O(1). `size` counts only the ones still QUEUED.
 */
export class TaskQueue {
  readonly #deque = new Deque<Task>();
  size = 0;
  readonly #spaceWaiters: Array<() => void> = [];

  constructor(readonly limits: { readonly maxQueue: number }) {}

  get full(): boolean {
    return this.size >= this.limits.maxQueue;
  }

  /** Queues a task (already QUEUED); `front` puts it ahead of the rest. */
  add(task: Task, front: boolean): void {
    if (front) this.#deque.unshift(task);
    else this.#deque.push(task);
    this.size++;
  }

  /** The next task still waiting, if any. */
  peek(): Task | undefined {
    let task = this.#deque.peek();
    while (task && task.state !== QUEUED) {
      this.#deque.shift();
      task = this.#deque.peek();
    }
    return task;
  }

  /** Removes the task `peek` returned; the caller moves it on from QUEUED. */
  take(): void {
    this.#deque.shift();
    this.size--;
  }

  /** A queued task settled where it stands (the caller set its state). */
  withdrawn(): void {
    this.size--;
    this.wake();
  }

  /** Empties the queue, handing each task still waiting to `each`, after it left the count. */
  drain(each: (task: Task) => void): void {
    for (const task of this.#deque.drain()) {
      if (task.state !== QUEUED) continue;
      this.size--;
      each(task);
    }
  }

  /** Resolves when the queue has room (for faces that wait instead of throwing). */
  whenHasRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** Lets waiters in while there is room. */
  wake(): void {
    while (this.#spaceWaiters.length > 0 && !this.full) this.#spaceWaiters.shift()!();
  }
}
