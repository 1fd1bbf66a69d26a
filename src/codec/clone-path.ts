/**
 * Finds where in a value the part that structured clone refuses sits, so a CloneError can say
 * `args[1].callback` instead of only "could not be cloned". Only runs after a send failed.
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
      for (const [key, child] of entries(value)) {
        const found = findUncloneable(child, `${path}${key}`, depth + 1);
        if (found) return found;
      }
    }
    return { path, reason };
  }
}

function entries(value: object): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.map((v, i) => [`[${i}]`, v]);
  if (value instanceof Map)
    return [...value.entries()].map(([k, v], i) => [`.get(${describeKey(k, i)})`, v]);
  if (value instanceof Set) return [...value].map((v, i) => [`(set item ${i})`, v]);
  return Object.keys(value).map((k) => [
    /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`,
    (value as Record<string, unknown>)[k],
  ]);
}

function describeKey(key: unknown, index: number): string {
  return typeof key === 'string' || typeof key === 'number' ? JSON.stringify(key) : `#${index}`;
}
