/** Freezes a JSON value and everything in it, in place; already-frozen parts are skipped. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) {
      if (typeof member === 'object' && member !== null) deepFreeze(member);
    }
  }
  return value;
}
