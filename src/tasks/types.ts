/** What crosses to a worker to name a task: a module export, or inline source with captures. */
export type TaskDef = ModuleTaskDef | InlineTaskDef;

export interface ModuleTaskDef {
  readonly t: 'm';
  /** The module's URL, as given to `defineTasks` (or resolved by the CLI). */
  readonly url: string;
  readonly name: string;
}

export interface InlineTaskDef {
  readonly t: 'i';
  /** A JavaScript expression that evaluates to the function. */
  readonly src: string;
  /** Names the function closes over, and their values (functions travel as nested defs). */
  readonly names: readonly string[];
  readonly values: readonly unknown[];
}

/** A captured function travels as this marker, rebuilt into a function in the worker. */
export interface CapturedTask {
  readonly __spindleTask: TaskDef;
}

/** The caller's view of a task: its wire definition plus identity for caching. */
export interface TaskSpec {
  /** Process-wide id; workers cache compiled or imported functions under it. */
  readonly id: number;
  readonly def: TaskDef;
  /** For messages: `cube (file:///…/tasks.ts)` or `inline (x) => x ** 3`. */
  readonly label: string;
  /** The function itself, for the inline backend and for direct calls. */
  readonly fn: (...args: any[]) => unknown;
}
