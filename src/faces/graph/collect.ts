import { Delayed } from '../delayed.js';

/**
 * Turns lazy calls into a graph of nodes with explicit dependencies. Every walk here is
 * iterative: a chain of 100,000 calls is as deep as it is long, and recursion would overflow
 * the stack. Each node is found once, by identity, so a call shared by many consumers is one
 * node and runs once.
 */
export interface GraphNode {
  readonly call: Delayed;
  /** Indices of the distinct nodes this one needs, in argument order. */
  readonly deps: number[];
  /** Indices of the nodes that need this one. */
  readonly dependents: number[];
  /** The node through which this one was first reached (-1 for a root): error paths follow it. */
  readonly parent: number;
  /** Argument positions that hold lazy calls nested in arrays or plain objects. */
  nested: number[] | undefined;
}

export interface Graph {
  readonly nodes: GraphNode[];
  /** Node indices that the caller asked for directly (not only as dependencies). */
  readonly roots: Set<number>;
  /** Each call's node index. */
  readonly index: Map<Delayed, number>;
}

/** Arrays and plain objects are searched this deep for lazy calls; deeper data is left as it is. */
export const MAX_NESTING = 64;

export function collectGraph(values: readonly unknown[]): Graph {
  const nodes: GraphNode[] = [];
  const index = new Map<Delayed, number>();
  const roots = new Set<number>();
  const pending: number[] = [];

  const reach = (call: Delayed, from: number): number => {
    let at = index.get(call);
    if (at === undefined) {
      at = nodes.length;
      index.set(call, at);
      nodes.push({ call, deps: [], dependents: [], parent: from, nested: undefined });
      pending.push(at);
    }
    return at;
  };

  for (const value of values) forEachLazy(value, (call) => roots.add(reach(call, -1)));

  // Expanding in discovery order keeps `parent` a path back to a root. `lastUser[d] === at`
  // marks a dependency already counted for node `at`, without a Set per node.
  const lastUser: number[] = [];
  let at = -1;
  let node: GraphNode;
  const addDep = (call: Delayed) => {
    const dep = reach(call, at);
    if (lastUser[dep] === at) return;
    lastUser[dep] = at;
    node.deps.push(dep);
    nodes[dep].dependents.push(at);
  };
  for (let p = 0; p < pending.length; p++) {
    at = pending[p];
    node = nodes[at];
    const args = node.call.args;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg instanceof Delayed) addDep(arg);
      else if (isContainer(arg) && forEachLazy(arg, addDep)) (node.nested ??= []).push(i);
    }
  }
  return { nodes, roots, index };
}

/** Calls `visit` for each lazy call in a value (itself, or inside arrays and plain objects); true if any. */
export function forEachLazy(value: unknown, visit: (call: Delayed) => void): boolean {
  if (value instanceof Delayed) {
    visit(value);
    return true;
  }
  if (!isContainer(value)) return false;
  let found = false;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item instanceof Delayed) {
      visit(item);
      found = true;
      continue;
    }
    if (depth >= MAX_NESTING || !isContainer(item)) continue;
    const children = Array.isArray(item) ? item : Object.values(item as object);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return found;
}

/** A copy of `value` with every lazy call replaced by its result; untouched parts are shared. */
export function materialize(
  value: unknown,
  resultOf: (call: Delayed) => unknown,
  depth = 0,
): unknown {
  if (value instanceof Delayed) return resultOf(value);
  if (depth >= MAX_NESTING || !isContainer(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || typeof item !== 'object') continue;
      const next = materialize(item, resultOf, depth + 1);
      if (next !== item) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === null || typeof item !== 'object') continue;
    const next = materialize(item, resultOf, depth + 1);
    if (next !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return out ?? value;
}

/** Arrays and plain objects: where arguments carry lazy calls. Typed arrays, Maps and class instances are data. */
export function isContainer(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
