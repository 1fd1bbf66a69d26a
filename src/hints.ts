/**
 * How spindle words bad input: the value as a reader would name it, and errors whose message
 * ends with what to do instead. Beside errors.ts, since every face and check uses them.
 */
/** A TypeError whose message ends with what to do instead. */
export class TypeErrorWithHint extends TypeError {
  constructor(problem: string, hint: string) {
    super(`${problem}; ${hint}`);
  }
}

/** A RangeError whose message ends with what to do instead. */
export class RangeErrorWithHint extends RangeError {
  constructor(problem: string, hint: string) {
    super(`${problem}; ${hint}`);
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return `the function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object')
    return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
