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
