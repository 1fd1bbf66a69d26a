/**
 * Finds where in a value the part that structured clone refuses sits, so a CloneError can say
 * `args[1].callback` instead of only "could not be cloned". Only runs after a send failed, and
 * never throws: a getter or Proxy trap that throws, or a revoked Proxy, is itself the answer.
 */
export function findUncloneable(
  value: unknown,
  path: string,
  depth = 0,
): { path: string; reason: string } | undefined {
  try {
    structuredClone(value);
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (depth < 32 && value !== null && typeof value === 'object') {
      let children: Array<[string, () => unknown]>;
      try {
        children = entries(value);
      } catch (inner) {
        return { path, reason: describeThrow(inner) };
      }
      for (const [key, read] of children) {
        let child: unknown;
        try {
          child = read();
        } catch (inner) {
          return { path: `${path}${key}`, reason: describeThrow(inner) };
        }
        const found = findUncloneable(child, `${path}${key}`, depth + 1);
        if (found) return found;
      }
    }
    return { path, reason };
  }
}

function describeThrow(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `reading it threw ${message}`;
}

/** The children of a value, each read lazily so a throwing getter is blamed on its own key. */
function entries(value: object): Array<[string, () => unknown]> {
  if (Array.isArray(value)) {
    // Only the elements present: a sparse array of huge length has few.
    return Object.keys(value).map((k) => [`[${k}]`, () => (value as unknown[])[Number(k)]]);
  }
  if (value instanceof Map)
    return [...value.entries()].map(([k, v], i) => [`.get(${describeKey(k, i)})`, () => v]);
  if (value instanceof Set) return [...value].map((v, i) => [`(set item ${i})`, () => v]);
  return Object.keys(value).map((k) => [
    /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`,
    () => (value as Record<string, unknown>)[k],
  ]);
}

function describeKey(key: unknown, index: number): string {
  return typeof key === 'string' || typeof key === 'number' ? JSON.stringify(key) : `#${index}`;
}
